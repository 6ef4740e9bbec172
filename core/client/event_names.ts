import { EventType as EventCode, KeeperState as StateCode } from "../proto/mod.ts";
import { jsonSafe } from "./json_safe.ts";
import type { WatchedEvent } from "./types.ts";

/**
 * Watch event types by name (Java's Watcher.Event.EventType); `event.type` holds one of these and
 * `event.typeCode` the number on the wire.
 *
 * @example if (event.type === EventType.NodeDataChanged) reload(event.path);
 */
export const EventType = {
  None: "None",
  NodeCreated: "NodeCreated",
  NodeDeleted: "NodeDeleted",
  NodeDataChanged: "NodeDataChanged",
  NodeChildrenChanged: "NodeChildrenChanged",
  DataWatchRemoved: "DataWatchRemoved",
  ChildWatchRemoved: "ChildWatchRemoved",
  PersistentWatchRemoved: "PersistentWatchRemoved",
} as const;
/** One of {@link EventType}. */
export type EventType = (typeof EventType)[keyof typeof EventType];

/**
 * Connection states by name (Java's Watcher.Event.KeeperState); `event.state` holds one of these
 * and `event.stateCode` the number.
 *
 * @example if (event.state === KeeperState.Expired) restart();
 */
export const KeeperState = {
  Unknown: "Unknown",
  Disconnected: "Disconnected",
  NoSyncConnected: "NoSyncConnected",
  SyncConnected: "SyncConnected",
  AuthFailed: "AuthFailed",
  ConnectedReadOnly: "ConnectedReadOnly",
  SaslAuthenticated: "SaslAuthenticated",
  Expired: "Expired",
  Closed: "Closed",
} as const;
/** One of {@link KeeperState}. */
export type KeeperState = (typeof KeeperState)[keyof typeof KeeperState];

const EVENT_NAMES = new Map<number, EventType>(Object.entries(EventCode).map(([name, code]) => [code, name as EventType]));
const STATE_NAMES = new Map<number, KeeperState>(Object.entries(StateCode).map(([name, code]) => [code, name as KeeperState]));

/**
 * A WatchedEvent from the codes on the wire. An unknown code (a newer server) keeps its number
 * and is named Unknown/None rather than dropped.
 */
export function watchedEvent(typeCode: number, stateCode: number, path: string, zxid?: bigint): WatchedEvent {
  const event: WatchedEvent = {
    type: EVENT_NAMES.get(typeCode) ?? EventType.None,
    typeCode,
    state: STATE_NAMES.get(stateCode) ?? KeeperState.Unknown,
    stateCode,
    path,
  };
  if (zxid !== undefined) event.zxid = zxid;
  return jsonSafe(event);
}
