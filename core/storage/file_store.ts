import type { Disk } from "../io/disk.ts";
import { LogLevel, type LogSink } from "../log_level.ts";
import { joinPath } from "../io/disk.ts";
import type { Epochs } from "./epoch_files.ts";
import { EpochKeeper } from "./epoch_keeper.ts";
import { fileName, SNAPSHOT_PREFIX, type ZxidFile } from "./file_names.ts";
import { finishInstalls, installSnapshotFiles } from "./install_snapshot.ts";
import { readLogFrom } from "./log_reader.ts";
import { adoptSpareSegment, recoverLog } from "./log_recovery.ts";
import { LogWriter, type LogWriterStats } from "./log_writer.ts";
import { purge, type PurgeResult } from "./purge.ts";
import { recordBytes } from "./record_codec.ts";
import { prepareWritableDir } from "./writable_check.ts";
import { listSnapshots, readSnapshotFile, removeTempSnapshots, streamSnapshotFile, writeSnapshotFile } from "./snapshot_files.ts";
import { StorageError, StorageErrorCode } from "./storage_error.ts";
import { checkSnapshotZxid } from "./zxid_order.ts";
import { finishTruncations, planTruncation, type RewriteContext, truncateWithIntent, truncationRefusal } from "./truncate_log.ts";
import type { LogRead, ReadFromOptions, RecoveredState, SnapshotLoader, SnapshotStream, TxnLogEntry, TxnStore } from "./txn_log.ts";

/** Settings of a {@link FileStore}; names and defaults follow zoo.cfg. */
export interface FileStoreOptions {
  readonly disk: Disk;
  /** Snapshots go here. */
  readonly dataDir: string;
  /** Txn log segments go here (a separate device helps latency); defaults to dataDir. */
  readonly dataLogDir?: string;
  /** Txns between snapshots, randomised to [snapCount/2, snapCount) per snapshot. Default 100000. */
  readonly snapCount?: number;
  /** Log bytes between snapshots, in KiB. Default 4194304 (4 GiB). */
  readonly snapSizeLimitInKb?: number;
  /** fsync before acknowledging. Default true; false loses acknowledged txns on power loss. */
  readonly forceSync?: boolean;
  /** Log segments grow in steps of this many KiB. Default 65536 (64 MiB). */
  readonly preAllocSizeKb?: number;
  /** Snapshots kept by the purge after each snapshot. Default 3. */
  readonly snapRetainCount?: number;
  /** Purge after each snapshot. Default true (unlike ZooKeeper, whose autopurge is off). */
  readonly autopurge?: boolean;
  /** Uniform in [0, 1); injected so simulations are deterministic. */
  readonly random: () => number;
  readonly log?: LogSink;
  /** Monotonic milliseconds, to time group commits for `mntr`'s fsynctime; untimed without it. */
  readonly monoMs?: () => number;
  /** Make each next log segment ready ahead of its roll, off the write path. Default true. */
  readonly spareSegments?: boolean;
  /** fsync.warningthresholdms: slower group commits are counted and logged (default 1000). */
  readonly fsyncWarningThresholdMs?: number;
}

/** {@link LogWriterStats} plus snapshot counters. */
export interface FileStoreStats extends LogWriterStats {
  readonly txnsSinceSnapshot: number;
  readonly snapshotsWritten: number;
  readonly lastSnapshotZxid: bigint;
  /** Size of the newest snapshot written, recovered or installed (0 without one): ZooKeeper sizes its DIFF limit from it. */
  readonly lastSnapshotBytes: number;
  /** readFrom iterators still open (purges wait for them). */
  readonly openReaders: number;
}

const KIB = 1024;

/**
 * The durable TxnStore: a group-committed txn log in segments plus checksummed snapshots, with
 * crash recovery and purge, and what an ensemble member's synchronization needs: truncateAfter,
 * installSnapshot, readFrom and the epoch files. The on-disk formats are described in
 * record_codec.ts, file_header.ts and snapshot_files.ts; recovery rules in log_scan.ts and
 * log_recovery.ts; the rewrites in truncate_log.ts and install_snapshot.ts; the layout in the
 * README's Storage section.
 * @example
 * const store = new FileStore({ disk: nodeDisk(), dataDir: "/var/lib/paddock", random: Math.random });
 * const { snapshot, txns } = await store.recover();
 * await store.append({ zxid: 1n, bytes });
 */
export class FileStore implements TxnStore {
  readonly #disk: Disk;
  readonly #dataDir: string;
  readonly #dataLogDir: string;
  readonly #snapCount: number;
  readonly #snapSizeLimitBytes: number;
  readonly #forceSync: boolean;
  readonly #preAllocBytes: number;
  readonly #snapRetainCount: number;
  readonly #autopurge: boolean;
  readonly #random: () => number;
  readonly #log: LogSink;
  readonly #fsyncWarningThresholdMs: number | undefined;
  readonly #monoMs: (() => number) | undefined;
  readonly #spareSegments: boolean;
  #writer: LogWriter | null = null;
  #closed = false;
  #txnsSinceSnapshot = 0;
  #bytesSinceSnapshot = 0;
  #snapshotThreshold: number;
  #snapshotting: Promise<void> | null = null;
  #snapshotsWritten = 0;
  #lastSnapshotZxid = 0n;
  /** Newest snapshot known durable (lastLoggedZxid counts it). */
  #durableSnapshotZxid = 0n;
  #lastSnapshotBytes = 0;
  /** Purges run one after another, so the periodic one and the post-snapshot one never race. */
  #purging: Promise<unknown> = Promise.resolve();
  /** A truncateAfter or installSnapshot in progress; appends and snapshots meanwhile are refused. */
  #rewrite: Promise<void> | null = null;
  /** Bumped by every rewrite, so open readFrom iterators notice that the log changed under them. */
  #historyVersion = 0;
  #openReaders = 0;
  /** Set when a rewrite or an epoch write failed half-way: the store must be recovered again. */
  #failure: Error | null = null;
  readonly #epochs: EpochKeeper;

  constructor(options: FileStoreOptions) {
    this.#disk = options.disk;
    this.#dataDir = options.dataDir;
    this.#dataLogDir = options.dataLogDir ?? options.dataDir;
    this.#snapCount = options.snapCount ?? 100_000;
    this.#snapSizeLimitBytes = (options.snapSizeLimitInKb ?? 4 * 1024 * 1024) * KIB;
    this.#forceSync = options.forceSync ?? true;
    this.#preAllocBytes = (options.preAllocSizeKb ?? 64 * 1024) * KIB;
    this.#snapRetainCount = options.snapRetainCount ?? 3;
    this.#autopurge = options.autopurge ?? true;
    this.#random = options.random;
    this.#log = options.log ?? (() => {});
    this.#monoMs = options.monoMs;
    this.#spareSegments = options.spareSegments ?? true;
    this.#fsyncWarningThresholdMs = options.fsyncWarningThresholdMs;
    if (!(this.#snapCount >= 2)) throw new Error("file store: snapCount must be at least 2");
    if (!(this.#preAllocBytes > 0)) throw new Error("file store: preAllocSizeKb must be positive");
    if (!(this.#snapRetainCount >= 1)) throw new Error("file store: snapRetainCount must be at least 1");
    this.#snapshotThreshold = this.#rollThreshold();
    this.#epochs = new EpochKeeper({
      disk: this.#disk,
      dir: this.#dataDir,
      forceSync: this.#forceSync,
      log: this.#log,
      failure: () => this.#failure,
      fail: (error) => (this.#failure ??= error),
    });
  }

  /**
   * Finishes a truncation or snapshot install a crash interrupted, then loads the newest snapshot
   * that verifies and the txns after it; repairs a torn log tail.
   */
  async recover(loader?: SnapshotLoader): Promise<RecoveredState> {
    if (this.#writer !== null) throw new Error("file store: recover() called twice");
    await prepareWritableDir(this.#disk, this.#dataDir, "dataDir");
    if (this.#dataLogDir !== this.#dataDir) await prepareWritableDir(this.#disk, this.#dataLogDir, "dataLogDir");
    await adoptSpareSegment({ disk: this.#disk, dataLogDir: this.#dataLogDir, forceSync: this.#forceSync, log: this.#log });
    await finishInstalls(this.#rewriteContext());
    await finishTruncations(this.#rewriteContext());
    for (const name of await removeTempSnapshots(this.#disk, this.#dataDir)) this.#log(`removed ${name} left by a crash mid-snapshot`);
    const { snapshot, snapshotZxid, snapshotBytes, newestFile } = await this.#loadNewestSnapshot(loader);
    const log = await recoverLog({ disk: this.#disk, dataLogDir: this.#dataLogDir, snapshotZxid, forceSync: this.#forceSync, log: this.#log });
    checkReachesNewestSnapshot(newestFile, snapshotZxid, log);
    this.#writer = this.#newWriter(log.lastZxid);
    this.#txnsSinceSnapshot = log.txns.length;
    this.#bytesSinceSnapshot = log.bytesSinceSnapshot;
    this.#lastSnapshotZxid = snapshotZxid;
    this.#durableSnapshotZxid = snapshotZxid;
    this.#lastSnapshotBytes = snapshotBytes;
    this.#log(`recovered ${snapshotBytes === 0 ? "no snapshot" : `snapshot 0x${snapshotZxid.toString(16)}`} and ${log.txns.length} txn(s) up to 0x${log.lastZxid.toString(16)}`);
    return { snapshot, snapshotZxid, txns: log.txns };
  }

  /** The newest durable zxid, logged or snapshotted; see {@link TxnStore.lastLoggedZxid}. */
  lastLoggedZxid(): bigint {
    const logged = this.#openWriter("lastLoggedZxid").durableZxid;
    return logged > this.#durableSnapshotZxid ? logged : this.#durableSnapshotZxid;
  }

  /** Resolves once the txn is durable; see {@link TxnStore.append}. */
  append(entry: TxnLogEntry): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const writer = this.#writerOutsideRewrite("append");
    const done = writer.append(entry.zxid, entry.bytes);
    this.#txnsSinceSnapshot += 1;
    this.#bytesSinceSnapshot += recordBytes(entry.bytes.length);
    return done;
  }

  /** Resolves once every append so far is durable (after a rewrite in progress, which syncs everything). */
  flush(): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#rewrite !== null) return this.#rewrite.then(() => this.flush());
    return this.#openWriter("flush").flush();
  }

  /** True after a randomised count of txns or snapSizeLimitInKb of log since the last snapshot. */
  wantsSnapshot(): boolean {
    if (this.#snapshotting !== null || this.#rewrite !== null || this.#failure !== null) return false;
    return this.#txnsSinceSnapshot >= this.#snapshotThreshold || this.#bytesSinceSnapshot > this.#snapSizeLimitBytes;
  }

  /**
   * Writes `snapshot.<zxid>` and rolls the log so the next txn starts a new segment; then purges
   * if autopurge is on. Appends continue meanwhile (they go to the log, not through here). The
   * snapshot covers logged txns only; a state from elsewhere (a leader's SNAP) goes through
   * installSnapshot, which also removes the history it replaces.
   */
  writeSnapshot(zxid: bigint, data: Uint8Array | SnapshotStream): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const writer = this.#writerOutsideRewrite("writeSnapshot");
    checkSnapshotZxid(zxid, this.#lastSnapshotZxid, writer.lastZxid);
    this.#lastSnapshotZxid = zxid;
    writer.roll();
    this.#txnsSinceSnapshot = 0;
    this.#bytesSinceSnapshot = 0;
    this.#snapshotThreshold = this.#rollThreshold();
    const previous = this.#snapshotting ?? Promise.resolve();
    const current = previous.then(() => this.#persistSnapshot(zxid, data));
    const tracked = current.finally(() => {
      if (this.#snapshotting === tracked) this.#snapshotting = null;
    });
    this.#snapshotting = tracked;
    return current;
  }

  /**
   * Deletes snapshots beyond snapRetainCount and the log segments none of the kept ones needs
   * (autopurge.purgeInterval runs this periodically); queued behind any purge in progress.
   */
  purge(): Promise<PurgeResult> {
    const run = this.#purging.then(() => this.#purgeUnlessBusy());
    this.#purging = run.catch(() => {});
    return run;
  }

  /**
   * Durably removes every txn and snapshot after `zxid`, atomically across crashes; see
   * {@link TxnStore.truncateAfter} and truncate_log.ts for how.
   */
  truncateAfter(zxid: bigint): Promise<void> {
    return this.#rewriteHistory("truncateAfter", async (context) => {
      const plan = await planTruncation(context, zxid);
      const refusal = truncationRefusal(zxid, plan.snapshots[plan.snapshots.length - 1]?.zxid ?? null, plan.baseSnapshot?.zxid ?? null);
      if (refusal !== null) throw new StorageError(StorageErrorCode.truncateBelowSnapshot, refusal);
      await truncateWithIntent(context, plan);
      this.#lastSnapshotZxid = plan.baseSnapshot?.zxid ?? 0n;
      this.#durableSnapshotZxid = this.#lastSnapshotZxid;
      return plan.keptZxid;
    });
  }

  /** Replaces the whole history with a snapshot, atomically across crashes; see install_snapshot.ts. */
  installSnapshot(zxid: bigint, data: Uint8Array | SnapshotStream): Promise<void> {
    return this.#rewriteHistory("installSnapshot", async (context) => {
      await installSnapshotFiles(context, zxid, data);
      this.#lastSnapshotZxid = zxid;
      this.#durableSnapshotZxid = zxid;
      this.#lastSnapshotBytes = data.length;
      this.#txnsSinceSnapshot = 0;
      this.#bytesSinceSnapshot = 0;
      return zxid;
    });
  }

  /** The logged txns after `zxid` for a DIFF, or why not; see {@link TxnStore.readFrom} and log_reader.ts. */
  readFrom(zxid: bigint, options: ReadFromOptions = {}): Promise<LogRead> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const writer = this.#openWriter("readFrom");
    const version = this.#historyVersion;
    let released = false;
    this.#openReaders += 1;
    return readLogFrom({
      disk: this.#disk,
      dataLogDir: this.#dataLogDir,
      fromZxid: zxid,
      untilZxid: this.lastLoggedZxid(),
      logEndZxid: writer.durableZxid,
      maxBytes: options.maxBytes,
      active: writer.activeSegment(),
      isCurrent: () => this.#historyVersion === version && this.#rewrite === null,
      release: () => {
        if (released) return;
        released = true;
        this.#openReaders -= 1;
      },
    });
  }

  /**
   * Reads currentEpoch and acceptedEpoch (after recover), deriving and writing missing ones from
   * the last zxid as ZooKeeper's QuorumPeer.loadDataBase does; see epoch_files.ts.
   */
  readEpochs(): Promise<Epochs> {
    return this.#epochs.read(this.lastLoggedZxid());
  }

  /** Durably records the epoch promised to a prospective leader; see {@link TxnStore.writeAcceptedEpoch}. */
  writeAcceptedEpoch(epoch: bigint): Promise<void> {
    return this.#epochs.writeAccepted(epoch);
  }

  /**
   * Makes every append so far durable, then durably records currentEpoch: the file never claims
   * a history the log does not hold yet (ZOOKEEPER-4643, -4785).
   */
  writeCurrentEpoch(epoch: bigint): Promise<void> {
    return this.#epochs.writeCurrent(epoch, () => this.flush());
  }

  /** Counters for `mntr`. */
  stats(): FileStoreStats {
    const writer = this.#writer?.stats() ?? emptyWriterStats();
    return {
      ...writer,
      txnsSinceSnapshot: this.#txnsSinceSnapshot,
      snapshotsWritten: this.#snapshotsWritten,
      lastSnapshotZxid: this.#lastSnapshotZxid,
      lastSnapshotBytes: this.#lastSnapshotBytes,
      openReaders: this.#openReaders,
    };
  }

  /** Waits for pending appends, snapshots, rewrites and epoch writes, then closes the log. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#rewrite !== null) await this.#rewrite.catch(() => {});
    if (this.#snapshotting !== null) await this.#snapshotting.catch(() => {});
    await this.#epochs.settled();
    const writer = this.#writer;
    if (writer !== null) await writer.close();
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #openWriter(operation: string): LogWriter {
    if (this.#writer === null || this.#closed) throw new Error(`file store: ${operation} before recover() or after close()`);
    return this.#writer;
  }

  /** Appends and snapshots during a truncateAfter or installSnapshot are a programmer error (the caller awaits it). */
  #writerOutsideRewrite(operation: string): LogWriter {
    const writer = this.#openWriter(operation);
    if (this.#rewrite !== null) throw new Error(`file store: ${operation} while truncateAfter or installSnapshot runs`);
    return writer;
  }

  #newWriter(lastZxid: bigint): LogWriter {
    return new LogWriter({
      disk: this.#disk, dataLogDir: this.#dataLogDir, forceSync: this.#forceSync, preAllocBytes: this.#preAllocBytes, dbid: 0n, monoMs: this.#monoMs,
      spareSegments: this.#spareSegments, fsyncWarningThresholdMs: this.#fsyncWarningThresholdMs, log: this.#log,
    }, lastZxid);
  }

  #rewriteContext(): RewriteContext {
    return { disk: this.#disk, dataDir: this.#dataDir, dataLogDir: this.#dataLogDir, forceSync: this.#forceSync, log: this.#log };
  }

  /**
   * Runs a truncation or install with the log quiet: pending appends made durable, snapshots and
   * purges finished, the writer closed (so the segment it wrote is trimmed and synced), open
   * readers invalidated. `body` returns the newest zxid kept; appends continue after it in a new
   * segment. If `body` fails after changing files, the store refuses everything until it is
   * recovered again from disk, where the intent files finish or undo the rewrite (never go on
   * from a half-done state: ZOOKEEPER-3642, -5094).
   */
  #rewriteHistory(operation: string, body: (context: RewriteContext) => Promise<bigint>): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const writer = this.#writerOutsideRewrite(operation);
    this.#historyVersion += 1;
    const run = (async () => {
      await writer.flush();
      await this.#snapshotting?.catch(() => {});
      await this.#purging;
      await writer.close();
      const keptZxid = await body(this.#rewriteContext()).catch((error: unknown) => this.#rewriteFailed(error, writer.durableZxid));
      this.#writer = this.#newWriter(keptZxid);
    })();
    const tracked = run.finally(() => {
      this.#rewrite = null;
    });
    this.#rewrite = tracked.catch(() => {});
    return tracked;
  }

  /** A refusal changed nothing: carry on with a fresh writer. Anything else leaves the store failed. */
  #rewriteFailed(error: unknown, lastZxid: bigint): never {
    if (error instanceof StorageError && error.code === StorageErrorCode.truncateBelowSnapshot) {
      this.#writer = this.#newWriter(lastZxid);
    } else {
      this.#failure = error instanceof Error ? error : new Error(String(error));
    }
    throw error;
  }

  /** In-process purges wait while readFrom iterators are open or a rewrite runs: they read the segments a purge deletes. */
  async #purgeUnlessBusy(): Promise<PurgeResult> {
    if (this.#openReaders > 0 || this.#rewrite !== null) {
      this.#log(`purge deferred: ${this.#openReaders} log reader(s) open${this.#rewrite === null ? "" : ", a history rewrite running"}`);
      return { deletedSnapshots: [], deletedLogs: [] };
    }
    return purge({ disk: this.#disk, dataDir: this.#dataDir, dataLogDir: this.#dataLogDir, snapRetainCount: this.#snapRetainCount, log: this.#log });
  }

  async #persistSnapshot(zxid: bigint, data: Uint8Array | SnapshotStream): Promise<void> {
    await writeSnapshotFile({ disk: this.#disk, dataDir: this.#dataDir, zxid, data, dbid: 0n, forceSync: this.#forceSync });
    if (zxid > this.#durableSnapshotZxid) this.#durableSnapshotZxid = zxid;
    this.#lastSnapshotBytes = data.length;
    this.#snapshotsWritten += 1;
    this.#log(`wrote ${fileName(SNAPSHOT_PREFIX, zxid)} (${data.length} bytes)`, LogLevel.debug);
    if (!this.#autopurge) return;
    await this.purge();
  }

  /**
   * The newest snapshot that verifies (older ones are tried when a newer one is damaged), read
   * whole or streamed into `loader`'s sinks: then `snapshot` is null and `snapshotBytes` says how
   * long the loaded one was (0 for none). Also names the newest file.
   */
  async #loadNewestSnapshot(loader: SnapshotLoader | undefined): Promise<{ snapshot: Uint8Array | null; snapshotZxid: bigint; snapshotBytes: number; newestFile: ZxidFile | null }> {
    const snapshots = await listSnapshots(this.#disk, this.#dataDir);
    const newestFile = snapshots[snapshots.length - 1] ?? null;
    // Bounded by the number of snapshot files.
    for (let i = snapshots.length - 1; i >= 0; i -= 1) {
      const file = snapshots[i]!;
      const path = joinPath(this.#dataDir, file.name);
      if (loader === undefined) {
        const read = await readSnapshotFile(this.#disk, path, file.zxid);
        if (read.ok) return { snapshot: read.data, snapshotZxid: file.zxid, snapshotBytes: read.data.length, newestFile };
        this.#log(`skipping ${file.name}: ${read.reason}; falling back to an older snapshot`, LogLevel.warn);
      } else {
        let snapshotBytes = 0;
        const streamed = await streamSnapshotFile(this.#disk, path, file.zxid, (dataBytes, zxid) => ((snapshotBytes = dataBytes), loader(dataBytes, zxid)));
        if (streamed.ok) return { snapshot: null, snapshotZxid: file.zxid, snapshotBytes, newestFile };
        this.#log(`skipping ${file.name}: ${streamed.reason}; falling back to an older snapshot`, LogLevel.warn);
      }
    }
    return { snapshot: null, snapshotZxid: 0n, snapshotBytes: 0, newestFile };
  }

  /** ZooKeeper's randomisation: snapCount/2 plus up to snapCount/2 more, so peers do not snapshot together. */
  #rollThreshold(): number {
    const half = Math.floor(this.#snapCount / 2);
    return half + Math.floor(this.#random() * half);
  }
}

/**
 * A snapshot file is only ever named once its contents are durable (temp file, fsync, rename), so
 * `snapshot.<zxid>` proves the member held that state durably. If it does not verify, the older
 * snapshot and the log must replay through that very txn: a log that merely ends later may start
 * after a gap the zxids cannot show (a leader's SNAP replaced the history before it, and the next
 * epoch's first zxid looks like it follows anything older). Otherwise starting would silently go
 * back in history or build a tree from a broken chain: refuse, as ZooKeeper refuses when no
 * snapshot verifies ("Not able to find valid snapshots"), and stricter.
 */
function checkReachesNewestSnapshot(newestFile: ZxidFile | null, snapshotZxid: bigint, log: { txns: readonly { zxid: bigint }[]; lastZxid: bigint }): void {
  if (newestFile === null || newestFile.zxid <= snapshotZxid) return;
  if (log.txns.some((txn) => txn.zxid === newestFile.zxid)) return;
  const recoveredZxid = log.lastZxid > snapshotZxid ? log.lastZxid : snapshotZxid;
  throw new StorageError(
    StorageErrorCode.corruptSnapshot,
    `${newestFile.name} does not verify, and neither an older snapshot nor the txn log reaches its zxid ` +
      `(they end at 0x${recoveredZxid.toString(16)}${recoveredZxid > newestFile.zxid ? " without holding it" : ""}); ` +
      `refusing to start rather than lose state this member made durable ` +
      `(restore the dataDir from a healthy replica, or empty it so the member syncs from the leader)`,
  );
}

function emptyWriterStats(): LogWriterStats {
  return {
    fsyncs: 0, txnsSynced: 0, averageBatchSize: 0, maxBatchSize: 0, minBatchSize: 0, fsyncMsTotal: 0, fsyncMsMin: 0, fsyncMsMax: 0,
    txnsAppended: 0, bytesAppended: 0, segmentsCreated: 0, fsyncThresholdExceeded: 0,
  };
}
