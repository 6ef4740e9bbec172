import type { Clock } from "../io/clock.ts";
import type { LogLevel } from "../log_level.ts";
import type { Id } from "../proto/records.ts";
import type { ApplyResult } from "../txn/apply_txn.ts";
import type { Txn, TxnDigest, TxnHeader } from "../txn/txn.ts";
import type { ServerConfig } from "./server_config.ts";
import type { ZkDatabase } from "./zk_database.ts";

/** What a server is in its ensemble (ZooKeeper's `zk_server_state` values). */
export const RoleName = {
  standalone: "standalone",
  leader: "leader",
  follower: "follower",
  observer: "observer",
  /** An ensemble member without a quorum serving read-only clients (readonlymode.enabled). */
  readOnly: "read-only",
} as const;
/** One of {@link RoleName}. */
export type RoleName = (typeof RoleName)[keyof typeof RoleName];

/** A client's state change as the connection layer hands it to the role. */
export interface WriteRequest {
  readonly sessionId: bigint;
  readonly cxid: number;
  readonly type: number;
  /** The request body after its header. */
  readonly body: Uint8Array;
  readonly authIds: readonly Id[];
}

/**
 * The part of a server that differs by role (ZooKeeper's processor chains): how writes become
 * committed txns, how sessions are created, revalidated, touched and expired, and how `sync`
 * waits. Every committed txn, wherever it was prepared, comes back through
 * {@link ServerCore.applyCommitted}, which applies it and answers the local client that asked.
 */
export interface ServerRole {
  readonly name: RoleName;
  /**
   * A write, createSession or closeSession of a local client. Returns why it cannot be parsed
   * (answered MARSHALLINGERROR at once, no txn), or null: its txn will come back through
   * {@link RoleHost.applyCommitted}, never synchronously from this call.
   */
  write(request: WriteRequest): string | null;
  /** Calls `done` once every write committed before this call is applied here. */
  sync(sessionId: bigint, done: () => void): void;
  /** A client reconnects with `sessionId`: is the session alive (and now ours)? */
  revalidate(sessionId: bigint, timeoutMs: number, answer: (valid: boolean) => void): void;
  /** The session's client sent something: push its expiry out. */
  touch(sessionId: bigint, timeoutMs: number): void;
  /** Time passes (every tickTime/2 or so). */
  tick(nowMs: number): void;
  /** Prepared changes not yet applied (mntr's outstanding_changes_queued). */
  readonly outstandingChanges: number;
  /**
   * Present on a read-only server only: its sessions are local to it (never logged, gone when
   * it stops), and the connection layer refuses every state change with NOTREADONLY.
   */
  readonly readOnly?: LocalSessions;
}

/** The sessions a read-only server creates and keeps for itself (ZooKeeper's local sessions). */
export interface LocalSessions {
  create(timeoutMs: number): bigint;
  has(sessionId: bigint): boolean;
  close(sessionId: bigint): void;
}

/** What every role needs from the client-facing server it serves (a narrow view of ZkServer). */
export interface RoleHost {
  readonly db: ZkDatabase;
  readonly config: ServerConfig;
  readonly clock: Clock;
  log(line: string, level?: LogLevel): void;
  /** Applies a committed txn (its bytes as logged, for the history) and answers its local origin. */
  applyCommitted(committed: { header: TxnHeader; txn: Txn; digest?: TxnDigest }, bytes?: Uint8Array): ApplyResult;
  /** The store failed: nothing more may be acknowledged. */
  fatal(error: unknown): void;
  /** A txn went to the store (for the group-commit batch-size histogram). */
  countAppend?(durable: Promise<void>): void;
}
