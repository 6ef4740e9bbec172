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
  /** Serialized tree + sessions as the server gave it to `writeSnapshot`, or null on a fresh dataDir. */
  readonly snapshot: Uint8Array | null;
  /** The zxid the snapshot covers (0n when there is none). */
  readonly snapshotZxid: bigint;
  /** Txns with zxid > snapshotZxid, in zxid order. */
  readonly txns: readonly TxnLogEntry[];
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
}

/** The storage a server runs on. */
export interface TxnStore {
  /** Reads what is on disk. Called once, before any append. */
  recover(): Promise<RecoveredState>;
  /**
   * Appends one txn; resolves once it is durable (group commit: one fsync covers every txn that
   * arrived while the previous fsync ran). Promises resolve in append order.
   */
  append(entry: TxnLogEntry): Promise<void>;
  /** True when enough has been logged since the last snapshot that the server should take one. */
  wantsSnapshot(): boolean;
  /**
   * Persists a snapshot that covers every txn up to and including `zxid`, rolls the log, and may
   * purge old files per the retention policy. Must not block appends that arrive meanwhile.
   */
  writeSnapshot(zxid: bigint, data: Uint8Array): Promise<void>;
  /** Flushes and releases files. */
  close(): Promise<void>;
  /** Group-commit counters; absent for stores that never fsync. */
  stats?(): TxnStoreSyncStats;
}
