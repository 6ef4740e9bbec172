import { OpCode } from "../proto/op_code.ts";
import { SessionTracker } from "../session/session_tracker.ts";
import type { TxnStore } from "../storage/txn_log.ts";
import { DataTree } from "../tree/data_tree.ts";
import { DIGEST_VERSION, fieldsDigest } from "../tree/tree_digest.ts";
import { CONTAINER_OWNER } from "../tree/ephemeral_type.ts";
import { type ApplyOptions, type ApplyResult, applyTxn } from "../txn/apply_txn.ts";
import type { Txn, TxnDigest, TxnHeader } from "../txn/txn.ts";
import { decodeTxn } from "../txn/txn_codec.ts";
import { CommittedHistory, type HistoryLimits } from "../zab/history.ts";
import { decodeSnapshot, SnapshotDecoder } from "./snapshot_codec.ts";
import type { Clock } from "../io/clock.ts";
import { LogLevel, type LogSink } from "../log_level.ts";
import { RecoveryProgress } from "./recovery_progress.ts";
import type { StartupMetrics } from "./server_metrics.ts";

/** What a database is built from. */
export interface ZkDatabaseOptions {
  readonly tickMs: number;
  readonly serverId: number;
  readonly extendedTypesEnabled: boolean;
  /** Wall-clock ms now (seeds session ids, as ZooKeeper's SessionTrackerImpl does). */
  readonly wallMs: number;
  readonly historyLimits?: HistoryLimits;
  /** Where a digest mismatch is reported (the first in full, as ZooKeeper does). */
  readonly log?: LogSink;
}

/** One entry of the digest log: the tree's digest right after the txn `zxid` applied. */
export interface ZxidDigest {
  readonly zxid: bigint;
  readonly digestVersion: number;
  readonly digest: bigint;
}

/**
 * Where this database's tree first parted from its leaders': after applying `zxid` the tree's
 * digest differed from the one logged beside the txn, while after `agreed` (the txn before) it
 * matched. ZooKeeper only counts such a mismatch; a member uses it to stop serving a tree it knows
 * is wrong (see LearnerZab.diverged).
 */
export interface Divergence {
  readonly zxid: bigint;
  readonly agreed: bigint;
}

/** DataTree.DIGEST_LOG_INTERVAL and DIGEST_LOG_LIMIT: every 128th zxid, the last 1024 of them. */
const DIGEST_LOG_INTERVAL = 128n;
const DIGEST_LOG_LIMIT = 1024;
/** How many inapplicable txns are logged one by one; the rest are only counted. */
const INCONSISTENCIES_LOGGED = 5;
/** Recovery replays for no one: no Stats. */
const REPLAY: ApplyOptions = { stats: false };

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
  /** The tree's digest at every 128th zxid applied (the AdminServer's `hash`). */
  readonly digestLog: ZxidDigest[] = [];
  /** Txns whose logged digest differed from the tree's after applying them (`digest_mismatches_count`). */
  digestMismatches = 0;
  /** Committed txns with an operation the tree could not take (a node missing, or already there). */
  inconsistentTxns = 0;
  /** The first digest mismatch since the tree was last rebuilt (recovered or replaced), or null. */
  divergence: Divergence | null = null;
  /** The digest offset the leader's owner quirk explains in the current run of mismatches, if any. */
  #quirkOffset: bigint | null = null;

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

  /** An ensemble member's config as last set (null on a standalone server). */
  get config(): { readonly text: string; readonly version: bigint } | null {
    return this.#config;
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
  apply(header: TxnHeader, txn: Txn, nowMs: number, bytes?: Uint8Array, digest?: TxnDigest, options?: ApplyOptions): ApplyResult {
    const before = this.#tree.lastProcessedZxid;
    const result = applyTxn(this.#tree, header, txn, (error) => this.#inconsistent(header, error), options);
    if (txn.type === OpCode.createSession) this.#sessions.add(header.sessionId, txn.timeoutMs, nowMs);
    if (txn.type === OpCode.closeSession) this.#sessions.remove(header.sessionId);
    if (bytes !== undefined && header.zxid > (this.history.maxZxid ?? -1n)) this.history.append({ zxid: header.zxid, bytes });
    // ZooKeeper compares no digest while the tree is fuzzy either: it holds more than the txn's.
    if (this.#tree.digestEnabled && header.zxid > this.#tree.fuzzyUntil) this.#checkDigest(header, txn, digest, before);
    return result;
  }

  /** A committed txn this tree could not take: logged (the first few) and counted; applying goes on. */
  #inconsistent(header: TxnHeader, error: Error): void {
    this.inconsistentTxns++;
    if (this.inconsistentTxns <= INCONSISTENCIES_LOGGED) {
      this.#options.log?.(`txn 0x${header.zxid.toString(16)} does not apply to this tree (${error.message}): ` +
        "its data has parted from the leader's; the operation is skipped, as ZooKeeper does", LogLevel.error);
    }
  }

  /** Applies a txn given as its log bytes, checking the digest the leader logged beside it. */
  applyBytes(bytes: Uint8Array, nowMs: number, options?: ApplyOptions): ApplyResult {
    const { header, txn, digest } = decodeTxn(bytes);
    return this.apply(header, txn, nowMs, bytes, digest, options);
  }

  /**
   * DataTree.compareDigest and logZxidDigest: a txn logged with the digest its leader's tree had
   * after it must leave ours with the same one (a different digest version is not compared);
   * every 128th zxid's digest is kept for `hash`.
   */
  #checkDigest(header: TxnHeader, txn: Txn, digest: TxnDigest | undefined, before: bigint): void {
    const actual = this.#tree.digest;
    if (digest !== undefined && digest.version === DIGEST_VERSION) {
      if (digest.treeDigest === actual) {
        this.#quirkOffset = null;
      } else {
        this.digestMismatches++;
        if (this.digestMismatches === 1) {
          this.#options.log?.(`First digest mismatch on txn 0x${header.zxid.toString(16)} (type ${header.type}): ` +
            `expected digest ${digest.treeDigest}, actual ${actual}`, LogLevel.error);
        }
        if (!this.#explainedByOwnerQuirk(header, txn, BigInt.asIntN(64, digest.treeDigest - actual))) {
          this.divergence ??= { zxid: header.zxid, agreed: before };
        }
      }
    }
    if (header.zxid % DIGEST_LOG_INTERVAL === 0n) {
      this.digestLog.push({ zxid: header.zxid, digestVersion: DIGEST_VERSION, digest: actual });
      if (this.digestLog.length > DIGEST_LOG_LIMIT) this.digestLog.shift();
    }
  }

  /**
   * ZooKeeper 3.9.3 logs a create whose flags and opcode disagree (a plain create with the
   * container flag, a createContainer with the persistent one) with the opcode's owner, but the
   * digest beside it comes from prep's change record, whose owner follows the flags
   * (tests/zk_log_oracle.test.ts shows it on ZooKeeper's own log). Its tree is right and its
   * digest off by that one node's two digests, and so are the digests of txns it prepared before
   * applying that create; later ones agree again. Such a mismatch is counted, as ZooKeeper counts
   * it, but is no divergence: a tree that parted from the leader's (ZOOKEEPER-4925's skipped txns)
   * differs by other nodes, and for good.
   */
  #explainedByOwnerQuirk(header: TxnHeader, txn: Txn, offset: bigint): boolean {
    const known = this.#quirkOffset;
    const explained = offset === known || ownerSwapOffsets(this.#tree, txn).some((swap) => offset === swap || (known !== null && offset === BigInt.asIntN(64, known + swap)));
    if (!explained) return false;
    if (known === null) {
      this.#options.log?.(`the digest of txn 0x${header.zxid.toString(16)} is off by a create whose flags and opcode disagree ` +
        "(ZooKeeper 3.9.3 logs it with the flags' owner); the trees agree", LogLevel.warn);
    }
    this.#quirkOffset = offset;
    return true;
  }

  /**
   * Loads what a store holds (on start, and after a learner truncated its log): the newest
   * snapshot, then the log after it, saying how far it got every few seconds on a large dataDir.
   * Returns the start-up figures `mntr` reports.
   */
  async recover(store: TxnStore, clock: Clock, log: LogSink): Promise<StartupMetrics> {
    const startMs = clock.monoMs();
    // The store streams its snapshot into a tree as it reads it; a snapshot that then fails its
    // checksum leaves its tree behind, and the next older one starts a new tree.
    let loaded = null as { tree: DataTree; sessions: SessionTracker } | null;
    const recovered = await store.recover((dataBytes, zxid) => {
      log(`recovery: loading snapshot 0x${zxid.toString(16)} (${dataBytes} bytes)`);
      const tree = new DataTree({ extendedTypesEnabled: this.#options.extendedTypesEnabled });
      const sessions = this.#newSessions(clock.wallMs());
      const decoder = new SnapshotDecoder(tree, sessions, clock.monoMs(), dataBytes);
      return {
        feed: (window, final) => decoder.feed(window, final),
        finish: () => {
          decoder.finish();
          loaded = { tree, sessions };
        },
      };
    });
    const progress = new RecoveryProgress({ clock, log, totalTxns: recovered.txns.length, startMs });
    const nowMs = clock.monoMs();
    this.#tree = loaded?.tree ?? new DataTree({ extendedTypesEnabled: this.#options.extendedTypesEnabled });
    this.#sessions = loaded?.sessions ?? this.#newSessions(clock.wallMs());
    this.history.clear();
    this.digestLog.length = 0;
    this.divergence = null;
    this.#quirkOffset = null;
    if (recovered.snapshot !== null) {
      // A store that hands the bytes back instead (in memory).
      log(`recovery: loading snapshot 0x${recovered.snapshotZxid.toString(16)} (${recovered.snapshot.length} bytes)`);
      decodeSnapshot(recovered.snapshot, this.#tree, this.#sessions, nowMs);
    }
    const fromSnapshot = loaded !== null || recovered.snapshot !== null;
    if (fromSnapshot) {
      log(`recovery: snapshot loaded, ${this.#tree.nodeCount} znodes (${progress.elapsedMs()} ms); replaying ${recovered.txns.length} txns`);
    }
    const snapLoadMs = progress.elapsedMs();
    for (let i = 0; i < recovered.txns.length; i++) {
      this.applyBytes(recovered.txns[i]!.bytes, nowMs, REPLAY);
      progress.replayed(i + 1, () => this.#tree.nodeCount);
    }
    // Recovered sessions get a full timeout to reconnect, as ZooKeeper grants on start.
    for (const session of this.#sessions.all()) this.#sessions.touch(session.sessionId, clock.monoMs());
    this.#reapplyConfig(clock.wallMs());
    this.recoveredSnapshotZxid = recovered.snapshot === null ? null : recovered.snapshotZxid;
    // Said whenever there was anything to recover, also from a streamed snapshot with no txns after it.
    if (recovered.txns.length > 0 || fromSnapshot) {
      log(`recovered to zxid 0x${this.lastProcessedZxid.toString(16)}: ${this.#tree.nodeCount} znodes, ` +
        `${this.#sessions.size} sessions, ${recovered.txns.length} txns replayed in ${progress.elapsedMs()} ms`);
    }
    return {
      snapLoadMs, txnsLoadMs: progress.elapsedMs() - snapLoadMs, txnsLoaded: recovered.txns.length, dbInitMs: Math.round(clock.monoMs() - startMs),
    };
  }

  /** Replaces everything with a tree and sessions received whole (a leader's SNAP). */
  replace(tree: DataTree, sessions: readonly { sessionId: bigint; timeoutMs: number }[], nowMs: number, wallMs: number): void {
    this.#tree = tree;
    this.#sessions = this.#newSessions(wallMs);
    for (const session of sessions) this.#sessions.add(session.sessionId, session.timeoutMs, nowMs);
    this.history.clear();
    this.digestLog.length = 0;
    this.divergence = null;
    this.#quirkOffset = null;
    // ZOOKEEPER-2819: a member keeps its own config over the one in the leader's snapshot.
    this.#reapplyConfig(wallMs);
  }
}

/**
 * For each node `txn` created as a plain or container node (a multi's too): how far the tree's
 * digest would move if that node had the other of the two owners (ZooKeeper's owner quirk above).
 */
function ownerSwapOffsets(tree: DataTree, txn: Txn): bigint[] {
  const offsets: bigint[] = [];
  const visit = (t: Txn): void => {
    if (t.type === OpCode.multi) {
      for (const sub of t.txns) visit(sub);
      return;
    }
    if (t.type !== OpCode.create && t.type !== OpCode.createContainer) return;
    const node = tree.getNode(t.path);
    if (node === undefined || (node.ephemeralOwner !== 0n && node.ephemeralOwner !== CONTAINER_OWNER)) return;
    const other = node.ephemeralOwner === 0n ? CONTAINER_OWNER : 0n;
    offsets.push(BigInt.asIntN(64, BigInt(fieldsDigest(t.path, { ...node, ephemeralOwner: other }) - node.digest)));
  };
  visit(txn);
  return offsets;
}
