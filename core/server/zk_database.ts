import { OpCode } from "../proto/op_code.ts";
import { SessionTracker } from "../session/session_tracker.ts";
import type { RecoveredState, TxnStore } from "../storage/txn_log.ts";
import { DataTree } from "../tree/data_tree.ts";
import { type ApplyResult, applyTxn } from "../txn/apply_txn.ts";
import type { Txn, TxnHeader } from "../txn/txn.ts";
import { decodeTxn } from "../txn/txn_codec.ts";
import { CommittedHistory, type HistoryLimits } from "../zab/history.ts";
import { decodeSnapshot } from "./snapshot_codec.ts";

/** What a database is built from. */
export interface ZkDatabaseOptions {
  readonly tickMs: number;
  readonly serverId: number;
  readonly extendedTypesEnabled: boolean;
  /** Wall-clock ms now (seeds session ids, as ZooKeeper's SessionTrackerImpl does). */
  readonly wallMs: number;
  readonly historyLimits?: HistoryLimits;
}

/**
 * The replicated state of one server (ZooKeeper's ZKDatabase): the tree, the global sessions
 * with their timeouts, and the recent committed history a leader diffs learners from. It changes
 * only by applying committed txns, in zxid order, on every server alike.
 */
export class ZkDatabase {
  readonly #options: ZkDatabaseOptions;
  #tree: DataTree;
  #sessions: SessionTracker;
  readonly history: CommittedHistory;
  /** The zxid of the snapshot the last recovery started from (null: none, or not recovered). */
  recoveredSnapshotZxid: bigint | null = null;
  /** The ensemble's config, written into /zookeeper/config of every tree this database holds. */
  #config: { text: string; version: bigint } | null = null;

  constructor(options: ZkDatabaseOptions) {
    this.#options = options;
    this.#tree = new DataTree({ extendedTypesEnabled: options.extendedTypesEnabled });
    this.#sessions = this.#newSessions(options.wallMs);
    this.history = new CommittedHistory(options.historyLimits);
  }

  get tree(): DataTree {
    return this.#tree;
  }

  get sessions(): SessionTracker {
    return this.#sessions;
  }

  /** The zxid of the last txn applied. */
  get lastProcessedZxid(): bigint {
    return this.#tree.lastProcessedZxid;
  }

  #newSessions(wallMs: number): SessionTracker {
    return new SessionTracker({ tickMs: this.#options.tickMs, serverId: this.#options.serverId, nowMs: wallMs });
  }

  /** An ensemble member's config: /zookeeper/config shows it from now on (and after reloads). */
  setConfig(text: string, version: bigint, wallMs: number): void {
    this.#config = { text, version };
    this.#tree.setConfigNode(text, version, BigInt(Math.floor(wallMs)));
  }

  #reapplyConfig(wallMs: number): void {
    if (this.#config !== null) this.#tree.setConfigNode(this.#config.text, this.#config.version, BigInt(Math.floor(wallMs)));
  }

  /**
   * Applies one committed txn: the tree, the session table, and (given the txn's bytes as the log
   * holds them) the committed history.
   */
  apply(header: TxnHeader, txn: Txn, nowMs: number, bytes?: Uint8Array): ApplyResult {
    const result = applyTxn(this.#tree, header, txn);
    if (txn.type === OpCode.createSession) this.#sessions.add(header.sessionId, txn.timeoutMs, nowMs);
    if (txn.type === OpCode.closeSession) this.#sessions.remove(header.sessionId);
    if (bytes !== undefined && header.zxid > (this.history.maxZxid ?? -1n)) this.history.append({ zxid: header.zxid, bytes });
    return result;
  }

  /** Applies a txn given as its log bytes. */
  applyBytes(bytes: Uint8Array, nowMs: number): ApplyResult {
    const { header, txn } = decodeTxn(bytes);
    return this.apply(header, txn, nowMs, bytes);
  }

  /**
   * Replaces everything with what a store recovered (the newest snapshot, then the log after it);
   * recovered sessions get a full timeout to reconnect, as ZooKeeper grants on start.
   */
  restore(recovered: RecoveredState, nowMs: number, wallMs: number): void {
    this.#tree = new DataTree({ extendedTypesEnabled: this.#options.extendedTypesEnabled });
    this.#sessions = this.#newSessions(wallMs);
    this.history.clear();
    if (recovered.snapshot !== null) decodeSnapshot(recovered.snapshot, this.#tree, this.#sessions, nowMs);
    for (const entry of recovered.txns) this.applyBytes(entry.bytes, nowMs);
    for (const session of this.#sessions.all()) this.#sessions.touch(session.sessionId, nowMs);
    this.#reapplyConfig(wallMs);
  }

  /** Loads what a store holds (on start, and after a learner truncated its log); says what it found. */
  async recover(store: TxnStore, clock: { monoMs(): number; wallMs(): number }, log: (line: string) => void): Promise<void> {
    const recovered = await store.recover();
    this.restore(recovered, clock.monoMs(), clock.wallMs());
    this.recoveredSnapshotZxid = recovered.snapshot === null ? null : recovered.snapshotZxid;
    if (recovered.txns.length > 0 || recovered.snapshot !== null) {
      log(`recovered to zxid 0x${this.lastProcessedZxid.toString(16)}: ${this.#tree.nodeCount} znodes, ` +
        `${this.#sessions.size} sessions, ${recovered.txns.length} txns replayed`);
    }
  }

  /** Replaces everything with a tree and sessions received whole (a leader's SNAP). */
  replace(tree: DataTree, sessions: readonly { sessionId: bigint; timeoutMs: number }[], nowMs: number, wallMs: number): void {
    this.#tree = tree;
    this.#sessions = this.#newSessions(wallMs);
    for (const session of sessions) this.#sessions.add(session.sessionId, session.timeoutMs, nowMs);
    this.history.clear();
    // ZOOKEEPER-2819: a member keeps its own config over the one in the leader's snapshot.
    this.#reapplyConfig(wallMs);
  }
}
