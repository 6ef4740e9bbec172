import type { Disk } from "../io/disk.ts";
import { LogLevel, type LogSink } from "../log_level.ts";
import { joinPath } from "../io/disk.ts";
import { fileName, SNAPSHOT_PREFIX } from "./file_names.ts";
import { recoverLog } from "./log_recovery.ts";
import { LogWriter, type LogWriterStats } from "./log_writer.ts";
import { purge, type PurgeResult } from "./purge.ts";
import { recordBytes } from "./record_codec.ts";
import { prepareWritableDir } from "./writable_check.ts";
import { listSnapshots, readSnapshotFile, removeTempSnapshots, writeSnapshotFile } from "./snapshot_files.ts";
import type { RecoveredState, TxnLogEntry, TxnStore } from "./txn_log.ts";

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
  /** Monotonic milliseconds, to time fsyncs for `mntr`; untimed without it. */
  readonly monoMs?: () => number;
}

/** {@link LogWriterStats} plus snapshot counters. */
export interface FileStoreStats extends LogWriterStats {
  readonly txnsSinceSnapshot: number;
  readonly snapshotsWritten: number;
  readonly lastSnapshotZxid: bigint;
}

const KIB = 1024;

/**
 * The durable TxnStore: a group-committed txn log in segments plus checksummed snapshots, with
 * crash recovery and purge. The on-disk formats are described in record_codec.ts, file_header.ts
 * and snapshot_files.ts; recovery rules in log_scan.ts and log_recovery.ts.
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
  readonly #monoMs: (() => number) | undefined;
  #writer: LogWriter | null = null;
  #closed = false;
  #txnsSinceSnapshot = 0;
  #bytesSinceSnapshot = 0;
  #snapshotThreshold: number;
  #snapshotting: Promise<void> | null = null;
  #snapshotsWritten = 0;
  #lastSnapshotZxid = 0n;
  /** Purges run one after another, so the periodic one and the post-snapshot one never race. */
  #purging: Promise<unknown> = Promise.resolve();

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
    if (!(this.#snapCount >= 2)) throw new Error("file store: snapCount must be at least 2");
    if (!(this.#preAllocBytes > 0)) throw new Error("file store: preAllocSizeKb must be positive");
    if (!(this.#snapRetainCount >= 1)) throw new Error("file store: snapRetainCount must be at least 1");
    this.#snapshotThreshold = this.#rollThreshold();
  }

  /** Loads the newest snapshot that verifies and the txns after it; repairs a torn log tail. */
  async recover(): Promise<RecoveredState> {
    if (this.#writer !== null) throw new Error("file store: recover() called twice");
    await prepareWritableDir(this.#disk, this.#dataDir, "dataDir");
    if (this.#dataLogDir !== this.#dataDir) await prepareWritableDir(this.#disk, this.#dataLogDir, "dataLogDir");
    for (const name of await removeTempSnapshots(this.#disk, this.#dataDir)) this.#log(`removed ${name} left by a crash mid-snapshot`);
    const { snapshot, snapshotZxid } = await this.#loadNewestSnapshot();
    const log = await recoverLog({ disk: this.#disk, dataLogDir: this.#dataLogDir, snapshotZxid, forceSync: this.#forceSync, log: this.#log });
    this.#writer = new LogWriter({
      disk: this.#disk, dataLogDir: this.#dataLogDir, forceSync: this.#forceSync, preAllocBytes: this.#preAllocBytes, dbid: 0n,
      monoMs: this.#monoMs,
    }, log.lastZxid);
    this.#txnsSinceSnapshot = log.txns.length;
    this.#bytesSinceSnapshot = log.bytesSinceSnapshot;
    this.#lastSnapshotZxid = snapshotZxid;
    this.#log(`recovered ${snapshot === null ? "no snapshot" : `snapshot 0x${snapshotZxid.toString(16)}`} and ${log.txns.length} txn(s) up to 0x${log.lastZxid.toString(16)}`);
    return { snapshot, snapshotZxid, txns: log.txns };
  }

  /** Resolves once the txn is durable; see {@link TxnStore.append}. */
  append(entry: TxnLogEntry): Promise<void> {
    const writer = this.#openWriter("append");
    const done = writer.append(entry.zxid, entry.bytes);
    this.#txnsSinceSnapshot += 1;
    this.#bytesSinceSnapshot += recordBytes(entry.bytes.length);
    return done;
  }

  /** True after a randomised count of txns or snapSizeLimitInKb of log since the last snapshot. */
  wantsSnapshot(): boolean {
    if (this.#snapshotting !== null) return false;
    return this.#txnsSinceSnapshot >= this.#snapshotThreshold || this.#bytesSinceSnapshot > this.#snapSizeLimitBytes;
  }

  /**
   * Writes `snapshot.<zxid>` and rolls the log so the next txn starts a new segment; then purges
   * if autopurge is on. Appends continue meanwhile (they go to the log, not through here).
   */
  writeSnapshot(zxid: bigint, data: Uint8Array): Promise<void> {
    const writer = this.#openWriter("writeSnapshot");
    if (zxid <= this.#lastSnapshotZxid) throw new Error(`file store: snapshot 0x${zxid.toString(16)} is not after 0x${this.#lastSnapshotZxid.toString(16)}`);
    this.#lastSnapshotZxid = zxid;
    writer.roll();
    writer.advanceTo(zxid);
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
    const run = this.#purging.then(() =>
      purge({ disk: this.#disk, dataDir: this.#dataDir, dataLogDir: this.#dataLogDir, snapRetainCount: this.#snapRetainCount, log: this.#log })
    );
    this.#purging = run.catch(() => {});
    return run;
  }

  /** Counters for `mntr`. */
  stats(): FileStoreStats {
    const writer = this.#writer?.stats() ?? emptyWriterStats();
    return { ...writer, txnsSinceSnapshot: this.#txnsSinceSnapshot, snapshotsWritten: this.#snapshotsWritten, lastSnapshotZxid: this.#lastSnapshotZxid };
  }

  /** Waits for pending appends and snapshots, then closes the log. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const writer = this.#writer;
    if (this.#snapshotting !== null) await this.#snapshotting.catch(() => {});
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

  async #persistSnapshot(zxid: bigint, data: Uint8Array): Promise<void> {
    await writeSnapshotFile({ disk: this.#disk, dataDir: this.#dataDir, zxid, data, dbid: 0n, forceSync: this.#forceSync });
    this.#snapshotsWritten += 1;
    this.#log(`wrote ${fileName(SNAPSHOT_PREFIX, zxid)} (${data.length} bytes)`, LogLevel.debug);
    if (!this.#autopurge) return;
    await this.purge();
  }

  /** Newest snapshot that verifies; older ones are tried when a newer one is damaged. */
  async #loadNewestSnapshot(): Promise<{ snapshot: Uint8Array | null; snapshotZxid: bigint }> {
    const snapshots = await listSnapshots(this.#disk, this.#dataDir);
    // Bounded by the number of snapshot files.
    for (let i = snapshots.length - 1; i >= 0; i -= 1) {
      const file = snapshots[i]!;
      const read = await readSnapshotFile(this.#disk, joinPath(this.#dataDir, file.name), file.zxid);
      if (read.ok) return { snapshot: read.data, snapshotZxid: file.zxid };
      this.#log(`skipping ${file.name}: ${read.reason}; falling back to an older snapshot`, LogLevel.warn);
    }
    return { snapshot: null, snapshotZxid: 0n };
  }

  /** ZooKeeper's randomisation: snapCount/2 plus up to snapCount/2 more, so peers do not snapshot together. */
  #rollThreshold(): number {
    const half = Math.floor(this.#snapCount / 2);
    return half + Math.floor(this.#random() * half);
  }
}

function emptyWriterStats(): LogWriterStats {
  return {
    fsyncs: 0, txnsSynced: 0, averageBatchSize: 0, maxBatchSize: 0, minBatchSize: 0, fsyncMsTotal: 0, fsyncMsMin: 0, fsyncMsMax: 0,
    txnsAppended: 0, bytesAppended: 0, segmentsCreated: 0,
  };
}
