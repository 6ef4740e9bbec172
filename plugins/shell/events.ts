import { EventType, type WatchedEvent } from "../../core/client/mod.ts";

/**
 * WatchedEvent.toString() of the Java client 3.9:
 * `WatchedEvent state:SyncConnected type:NodeDataChanged path:/x zxid: 5` (connection events have
 * no path, `path:null`; events the server sent no zxid for, and local ones, have zxid -1).
 *
 * @example formatEvent({ state: "SyncConnected", type: "NodeDataChanged", path: "/x", zxid: 5n })
 */
export function formatEvent(event: Pick<WatchedEvent, "type" | "state" | "path" | "zxid">): string {
  const path = event.type === EventType.None || event.path === "" ? "null" : event.path;
  return `WatchedEvent state:${event.state} type:${event.type} path:${path} zxid: ${event.zxid ?? -1n}`;
}
