import type { ACL } from "../proto/mod.ts";
import type { EventType, KeeperState } from "./event_names.ts";
import type { Stat } from "./stat.ts";

/** Bytes as stored in a znode; strings are sent as UTF-8. */
export type Data = Uint8Array | string;

/**
 * A watch notification as the Java client delivers it, with names and numbers: `type` is an
 * {@link EventType} name ("NodeDataChanged") and `typeCode` its number on the wire (3), `state` a
 * {@link KeeperState} name and `stateCode` its number; `path` is relative to the chroot ("" for
 * state events). `JSON.stringify(event)` works (the zxid becomes a decimal string).
 *
 * @example if (event.type === EventType.NodeDataChanged) reload(event.path);
 */
export interface WatchedEvent {
  type: EventType;
  typeCode: number;
  state: KeeperState;
  stateCode: number;
  path: string;
  /**
   * The zxid of the change that fired the event, when the server says (Paddock and ZooKeeper 3.9
   * do; 3.8 sends none). Absent for connection-state events and re-registration catch-ups.
   */
  zxid?: bigint;
}

/** A one-shot watch callback (fires at most once). */
export type Watcher = (event: WatchedEvent) => void;

/** Options of the read operations that can leave a one-shot watch. */
export interface WatchOptions {
  /** Called once when the node (or its children, for getChildren) next changes. */
  watch?: Watcher;
}

/** The result of getData. */
export interface DataResult {
  /** null when the znode holds null data (ZooKeeper keeps null apart from empty, as the Java client shows). */
  data: Uint8Array | null;
  stat: Stat;
}

/** The result of getChildren (via getChildren2, so it carries the parent's Stat). */
export interface ChildrenResult {
  children: string[];
  stat: Stat;
}

/** The result of a create: the actual path (with the sequence suffix) and the new node's Stat. */
export interface CreateResult {
  path: string;
  stat: Stat;
}

/** The result of getACL. */
export interface AclResult {
  acl: ACL[];
  stat: Stat;
}

/** One authenticated identity of the session, as whoAmI reports it. */
export interface ClientInfo {
  authScheme: string;
  user: string;
}

/**
 * Connection-state changes, as Curator names them: `disconnected` is "suspended" (the session may
 * still be alive), `expired` is "lost". `closed`, `expired` and `authFailed` are final.
 */
export const ConnectionState = {
  connected: "connected",
  /** Connected to a server that lost its quorum and serves reads only (`canBeReadOnly`). */
  connectedReadOnly: "connectedReadOnly",
  disconnected: "disconnected",
  reconnected: "reconnected",
  expired: "expired",
  closed: "closed",
  authFailed: "authFailed",
} as const;

/** One of {@link ConnectionState}. */
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/** Where the client is now: `connecting` until the first session is established. */
export type ClientStatus = "connecting" | "connected" | "disconnected" | "expired" | "closed" | "authFailed";
