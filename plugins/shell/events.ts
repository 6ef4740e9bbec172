import { EventType, KeeperState, type WatchedEvent } from "../../core/client/mod.ts";

const nameOf = (table: Record<string, number>, value: number) =>
  Object.entries(table).find(([, v]) => v === value)?.[0] ?? `Unknown(${value})`;

/**
 * WatchedEvent.toString() of the Java client 3.9:
 * `WatchedEvent state:SyncConnected type:NodeDataChanged path:/x zxid: 5` (connection events have
 * no path, `path:null`; events the server sent no zxid for, and local ones, have zxid -1).
 *
 * @example formatEvent({ state: 3, type: 3, path: "/x", zxid: 5n })
 */
export function formatEvent(event: WatchedEvent): string {
  const path = event.type === EventType.None || event.path === "" ? "null" : event.path;
  return `WatchedEvent state:${nameOf(KeeperState, event.state)} type:${nameOf(EventType, event.type)} path:${path} zxid: ${event.zxid ?? -1n}`;
}
