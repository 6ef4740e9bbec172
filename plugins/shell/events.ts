import { EventType, KeeperState, type WatchedEvent } from "../../core/client/mod.ts";

const nameOf = (table: Record<string, number>, value: number) =>
  Object.entries(table).find(([, v]) => v === value)?.[0] ?? `Unknown(${value})`;

/**
 * WatchedEvent.toString() of the Java client 3.8: `WatchedEvent state:SyncConnected type:NodeDataChanged path:/x`
 * (connection events have no path: `path:null`).
 *
 * @example formatEvent({ state: 3, type: 3, path: "/x" })
 */
export function formatEvent(event: WatchedEvent): string {
  const path = event.type === EventType.None || event.path === "" ? "null" : event.path;
  return `WatchedEvent state:${nameOf(KeeperState, event.state)} type:${nameOf(EventType, event.type)} path:${path}`;
}
