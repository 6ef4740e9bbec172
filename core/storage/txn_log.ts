import type { Epochs } from "./epoch_files.ts";

/**
 * The contract between the request pipeline and whatever keeps txns: the in-memory log
 * (tests, benchmarks, standalone issue #2) and the durable file log (core/storage/file_*.ts).
 *
 * The pipeline hands every write txn here, in strictly increasing zxid order, and answers the
 * client only after `append` resolves: that is the "fsync before an answer" promise.
 * The bytes are opaque to the log (core/txn serializes them).
 */
export interface TxnLogEntry {
  readonly zxid: bigint;
  readonly bytes: Uint8Array;
}

/** What recovery hands back on start: the newest valid snapshot and every txn logged after it. */
export interface RecoveredState {
  /**
   * Serialized tree + sessions as the server gave it to `writeSnapshot`; null on a fresh dataDir,
   * and when a {@link SnapshotLoader} took the snapshot as it was read.
   */
  readonly snapshot: Uint8Array | null;
  /** The zxid the snapshot covers (0n when there is none). */
  readonly snapshotZxid: bigint;
  /** Txns with zxid > snapshotZxid, in zxid order. */
  readonly txns: readonly TxnLogEntry[];
}

/** Takes one snapshot's data as it is read, in windows (a push parser). */
export interface SnapshotSink {
  /**
   * Uses what it can of `window` (the data after what it used so far); returns how many bytes it
   * used. The rest comes again at the start of the next window, with more after it. `final`:
   * nothing follows this window.
   */
  feed(window: Uint8Array, final: boolean): number;
  /** After the last byte, once the snapshot's checksum held: only then is what it built good. */
  finish(): void;
}

/**
 * Starts a sink for each snapshot recovery tries, newest first, given its data length and zxid. A
 * snapshot found damaged only after its data went through (a checksum mismatch) never sees
 * `finish`; the next older one gets a fresh sink.
 */
export type SnapshotLoader = (dataBytes: number, zxid: bigint) => SnapshotSink;

/** One piece of a streamed snapshot, with its CRC-32C when the encoder computed it on the way. */
export interface SnapshotChunk {
  readonly bytes: Uint8Array;
  readonly crc32c?: number;
}

/**
 * A snapshot as its encoder streams it (a worker, a chunk at a time): the exact length first, then
 * the bytes in order. A store writes the chunks as they come, so no one buffer holds it all. A
 * chunk's bytes are good only until the next one is asked for (the worker reuses its buffers):
 * write them, or copy them, before that.
 */
export interface SnapshotStream {
  readonly length: number;
  readonly chunks: AsyncIterable<SnapshotChunk>;
}

/** Group-commit counters a durable store reports (mntr's fsynctime and sync_processor_batch_size). */
export interface TxnStoreSyncStats {
  /** fsyncs that made txns durable. */
  readonly fsyncs: number;
  /** Txns those fsyncs covered. */
  readonly txnsSynced: number;
  /** The largest batch one fsync covered. */
  readonly maxBatchSize: number;
  /** The smallest batch one fsync covered (absent when not tracked). */
  readonly minBatchSize?: number;
  /** Whole milliseconds the fsyncs took: total, shortest, longest (absent when untimed). */
  readonly fsyncMsTotal?: number;
  readonly fsyncMsMin?: number;
  readonly fsyncMsMax?: number;
  /** Group commits slower than fsync.warningthresholdms (absent when not tracked). */
  readonly fsyncThresholdExceeded?: number;
}

/** What a {@link TxnStore.readFrom} found. */
export const LogReadKind = {
  /** The log holds the txn right after `zxid`: `entries` yields every txn after it. */
  entries: "entries",
  /** The log no longer holds the txn right after `zxid` (purged, or replaced by a snapshot): send a snapshot. */
  purged: "purged",
  /** More than `maxBytes` of log would have to be sent: a snapshot is cheaper. */
  tooLarge: "tooLarge",
} as const;

/** One of the values of {@link LogReadKind}. */
export type LogReadKind = (typeof LogReadKind)[keyof typeof LogReadKind];

/** Options of {@link TxnStore.readFrom}. */
export interface ReadFromOptions {
  /**
   * Give up (kind `tooLarge`) when the log to read is larger than this many bytes, as ZooKeeper's
   * leader sends a snapshot instead of a DIFF above snapshotSizeFactor times the snapshot size
   * (ZKDatabase.calculateTxnLogSizeLimit). Measured from segment sizes, like ZooKeeper's.
   */
  readonly maxBytes?: number;
}

/** The result of {@link TxnStore.readFrom}. */
export type LogRead =
  | {
    readonly kind: typeof LogReadKind.entries;
    /**
     * The newest zxid of this store's history at or before the one asked for. Equal to it when the
     * reader's history is a prefix of ours (a DIFF); smaller when the reader has txns we do not
     * (ZooKeeper's leader then sends TRUNC to this zxid before the DIFF; sending the DIFF alone
     * left the reader's extra txn in place: ZOOKEEPER-1154).
     */
    readonly previousZxid: bigint;
    /** The last zxid `entries` yields: the newest durable one when readFrom was called. */
    readonly lastZxid: bigint;
    /**
     * The txns after the zxid asked for, up to `lastZxid`, in order, each followed by the next
     * without a hole. Reads one segment window at a time; each entry's bytes are its own copy.
     * Stop early with `break` (or `return()`) to release the open file. Throws StorageError
     * log_rewritten if a truncation, a snapshot install or a purge overtakes it.
     */
    readonly entries: AsyncIterableIterator<TxnLogEntry>;
  }
  | {
    readonly kind: typeof LogReadKind.purged;
    /** The oldest zxid the log still holds, or null when it holds none. */
    readonly oldestZxid: bigint | null;
  }
  | {
    readonly kind: typeof LogReadKind.tooLarge;
    /** The size that exceeded `maxBytes`. */
    readonly bytes: number;
  };

export type { Epochs };

/**
 * The storage a server runs on. An ensemble member also uses what ZAB's synchronization phase
 * needs: readFrom (leader, DIFF), truncateAfter (learner, TRUNC), installSnapshot (learner, SNAP),
 * flush (before ACKing NEWLEADER) and the epoch files.
 *
 * Rules, and the ZooKeeper bug each one rules out:
 * - Every promise resolves only once what it did is durable, and lastLoggedZxid() reports only
 *   what is durable, never what is merely in memory (ZOOKEEPER-3642, -4882, -5094: a member that
 *   reported or served a zxid its disk did not hold later lost txns).
 * - flush() and writeCurrentEpoch() make every earlier append durable first, so currentEpoch never
 *   runs ahead of the log it certifies and an ACK of NEWLEADER sent after flush() covers every
 *   txn of the sync (ZOOKEEPER-3911, -4643, -4646, -4785).
 * - append() refuses a zxid that does not follow the last one, and readFrom() checks the same on
 *   what it reads, so a history with a hole is never persisted nor sent (ZOOKEEPER-4925).
 * - truncateAfter() removes every record after the zxid, whole segments and the inside of one,
 *   plus every snapshot after it, atomically; it cuts at record boundaries it verified and keeps
 *   exactly the records <= zxid (ZOOKEEPER-1154/-1156: a miscounted position cut too much;
 *   ZooKeeper 3.9 keeps a newer snapshot, so a restart resurrects truncated txns). It refuses
 *   to go below every snapshot rather than keep a state it cannot rebuild.
 * - installSnapshot() removes the log and the snapshots of every other history, atomically, so an
 *   uncommitted txn of an abandoned history can never be replayed over the leader's snapshot
 *   (ZOOKEEPER-2832).
 * - ZOOKEEPER-4394 and -4685 (a COMMIT or PROPOSAL ack in the wrong order during sync) are
 *   protocol bugs; the storage side of them is that appends resolve strictly in append order.
 */
export interface TxnStore {
  /**
   * Reads what is on disk, finishing any truncation or install a crash interrupted. Called once,
   * before any append. With a `loader`, a store may stream the snapshot into it instead of handing
   * the bytes back (the file store does; `snapshot` is then null).
   */
  recover(loader?: SnapshotLoader): Promise<RecoveredState>;
  /** The newest durable zxid, in the log or a snapshot (after recover; 0n on a fresh dataDir). */
  lastLoggedZxid(): bigint;
  /**
   * Appends one txn; resolves once it is durable (group commit: one fsync covers every txn that
   * arrived while the previous fsync ran). Promises resolve in append order. The zxid must follow
   * the last one (zxidFollows); anything else is a programmer error.
   */
  append(entry: TxnLogEntry): Promise<void>;
  /** Resolves once every append made so far is durable. */
  flush(): Promise<void>;
  /** True when enough has been logged since the last snapshot that the server should take one. */
  wantsSnapshot(): boolean;
  /**
   * Persists a snapshot that covers every txn up to and including `zxid`, rolls the log, and may
   * purge old files per the retention policy. Must not block appends that arrive meanwhile.
   * `data` may be a stream (its chunks are written as they arrive, and their CRCs used when given).
   */
  writeSnapshot(zxid: bigint, data: Uint8Array | SnapshotStream): Promise<void>;
  /**
   * Durably removes every txn after `zxid` and every snapshot after it (a learner told TRUNC);
   * appends then continue after the newest kept zxid. Atomic across crashes: recovery sees the
   * state before or after, never between. Waits for pending appends and snapshots first; appends
   * meanwhile are a programmer error. Rejects with StorageError truncate_below_snapshot when a
   * snapshot after `zxid` exists but none at or before it (the member needs a snapshot instead).
   */
  truncateAfter(zxid: bigint): Promise<void>;
  /**
   * Reads the logged txns after `zxid` (a leader sending a DIFF), or says why it cannot: the log
   * no longer holds the txn after `zxid`, or it is larger than `maxBytes`. Sees everything that
   * was durable when called, while appends go on.
   */
  readFrom(zxid: bigint, options?: ReadFromOptions): Promise<LogRead>;
  /**
   * Replaces the whole state with `data`, a snapshot at `zxid` (a learner told SNAP): durable
   * before it resolves, atomic across crashes, and no log record or snapshot of any other history
   * (older or newer) survives it. Appends then continue after `zxid`.
   */
  installSnapshot(zxid: bigint, data: Uint8Array | SnapshotStream): Promise<void>;
  /**
   * The member's epochs (after recover). Files that do not exist are derived from the last zxid's
   * epoch and written, as ZooKeeper's QuorumPeer.loadDataBase does.
   */
  readEpochs(): Promise<Epochs>;
  /** Durably records the epoch promised to a prospective leader (never decreases, never below currentEpoch). */
  writeAcceptedEpoch(epoch: bigint): Promise<void>;
  /** Makes every earlier append durable, then durably records the epoch now synced (never above acceptedEpoch). */
  writeCurrentEpoch(epoch: bigint): Promise<void>;
  /** Flushes and releases files. */
  close(): Promise<void>;
  /** Group-commit counters; absent for stores that never fsync. */
  stats?(): TxnStoreSyncStats;
}
