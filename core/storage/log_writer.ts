import { type Disk, type DiskFile, joinPath, OpenMode } from "../io/disk.ts";
import { encodeFileHeader, FILE_HEADER_BYTES, LOG_MAGIC } from "./file_header.ts";
import { fileName, LOG_PREFIX, SPARE_LOG } from "./file_names.ts";
import { checkAppendOrder } from "./zxid_order.ts";
import { encodeRecord, MAX_RECORD_PAYLOAD_BYTES, recordBytes } from "./record_codec.ts";
import { StorageError, StorageErrorCode } from "./storage_error.ts";
import { LogLevel, type LogSink } from "../log_level.ts";

/** ZooKeeper's fsync.warningthresholdms default. */
export const DEFAULT_FSYNC_WARNING_THRESHOLD_MS = 1000;

/** Settings of a {@link LogWriter}. */
export interface LogWriterOptions {
  readonly disk: Disk;
  readonly dataLogDir: string;
  /** When false, nothing is fsynced (tests and benchmarks only: an acknowledged txn may be lost). */
  readonly forceSync: boolean;
  /** Segments grow in steps of this many bytes so that fdatasync rarely has to update the size. */
  readonly preAllocBytes: number;
  readonly dbid: bigint;
  /** Monotonic milliseconds, to time each group commit's write and sync (ZooKeeper's `fsynctime`); untimed without it. */
  readonly monoMs?: () => number;
  /** Make the next segment ready ahead of each roll (default true; see #startSegment). */
  readonly spareSegments?: boolean;
  /**
   * fsync.warningthresholdms (default 1000): a group commit whose write and sync took longer is
   * counted and logged at WARN, as ZooKeeper's FileTxnLog does. Only timed commits (monoMs) count.
   */
  readonly fsyncWarningThresholdMs?: number;
  readonly log?: LogSink;
}

/** Group-commit counters, reported by the server in `mntr`. */
export interface LogWriterStats {
  /** fdatasync calls that made txns durable. */
  readonly fsyncs: number;
  /** Txns made durable by those fsyncs. */
  readonly txnsSynced: number;
  /** txnsSynced / fsyncs: how well group commit batches (1 means no batching). */
  readonly averageBatchSize: number;
  /** The largest and smallest batch one fsync covered (0 before any). */
  readonly maxBatchSize: number;
  readonly minBatchSize: number;
  /** Whole milliseconds the fsyncs took, in total, the shortest and the longest (0 before any). */
  readonly fsyncMsTotal: number;
  readonly fsyncMsMin: number;
  readonly fsyncMsMax: number;
  /** Txns and record bytes appended since start. */
  readonly txnsAppended: number;
  readonly bytesAppended: number;
  /** Segments created since start. */
  readonly segmentsCreated: number;
  /** Group commits slower than fsyncWarningThresholdMs (`fsync_threshold_exceed_count`). */
  readonly fsyncThresholdExceeded: number;
}

/** Txns that go to disk with one write and one fsync, and whose appends share one promise. */
interface Batch {
  buffer: Uint8Array;
  view: DataView;
  usedBytes: number;
  count: number;
  /** Zxid of the batch's last record. */
  lastZxid: bigint;
  /** Non-null: this batch starts a new segment named after this zxid. */
  readonly newSegmentZxid: bigint | null;
  readonly done: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Segment {
  readonly name: string;
  readonly file: DiskFile;
  writeOffset: number;
  allocatedBytes: number;
}

const INITIAL_BATCH_BYTES = 64 * 1024;
const POOLED_BUFFERS_MAX = 4;

/**
 * Appends records to the current segment with group commit, like ZooKeeper's
 * SyncRequestProcessor: while one write+fsync runs, later appends collect in the next batch,
 * which then goes to disk with a single write and a single fsync. All appends of a batch share
 * one promise, so the hot path allocates nothing per txn beyond copying its bytes.
 */
export class LogWriter {
  readonly #options: LogWriterOptions;
  /** Batches not yet taken by the flush loop; appends go to the last one. */
  readonly #queue: Batch[] = [];
  readonly #pool: Uint8Array[] = [];
  #segment: Segment | null = null;
  #rollRequested = true;
  #flushing: Promise<void> | null = null;
  #failure: StorageError | null = null;
  #closed = false;
  /** The batch the flush loop is writing, taken off the queue. */
  #writing: Batch | null = null;
  /** A segment file made ready ahead of the next roll (see #startSegment). */
  #spare: { file: DiskFile; allocatedBytes: number } | null = null;
  /** The spare being made, if any (close waits for it, then removes it). */
  #makingSpare: Promise<void> | null = null;
  /** A spare was renamed since the directory was last synced (close syncs it). */
  #renamedSinceSync = false;
  #lastZxid: bigint;
  #durableZxid: bigint;
  #stats = {
    fsyncs: 0, txnsSynced: 0, maxBatchSize: 0, minBatchSize: 0, fsyncMsTotal: 0, fsyncMsMin: 0, fsyncMsMax: 0,
    txnsAppended: 0, bytesAppended: 0, segmentsCreated: 0, fsyncThresholdExceeded: 0,
  };

  /** `lastZxid` is the last zxid already on disk (from recovery); appends must exceed it. */
  constructor(options: LogWriterOptions, lastZxid: bigint) {
    if (!(options.preAllocBytes > 0)) throw new Error("log writer: preAllocBytes must be positive");
    this.#options = options;
    this.#lastZxid = lastZxid;
    this.#durableZxid = lastZxid;
  }

  /** The newest zxid appended (durable or not): the next append must follow it. */
  get lastZxid(): bigint {
    return this.#lastZxid;
  }

  /** The newest zxid whose record is durable (written, when forceSync is off). */
  get durableZxid(): bigint {
    return this.#durableZxid;
  }

  /** The segment being appended to and the end of its records, or null before the first append. */
  activeSegment(): { readonly name: string; readonly endOffset: number } | null {
    const segment = this.#segment;
    return segment === null ? null : { name: segment.name, endOffset: segment.writeOffset };
  }

  /**
   * Queues one record; resolves when it is durable. A zxid out of order, or one that does not
   * follow the last (the next counter, or the start of a later epoch), is a programmer error:
   * the caller must check what a peer sends before logging it. Refusing a hole here means a gap in
   * a history can never be persisted and then served to others as if whole (ZOOKEEPER-4925).
   */
  append(zxid: bigint, payload: Uint8Array): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#closed) throw new Error("txn log: append after close");
    checkAppendOrder(this.#lastZxid, zxid);
    if (payload.length > MAX_RECORD_PAYLOAD_BYTES) throw new Error(`txn log: txn of ${payload.length} bytes exceeds ${MAX_RECORD_PAYLOAD_BYTES}`);
    const batch = this.#openBatch(zxid, recordBytes(payload.length));
    batch.usedBytes = encodeRecord(batch.buffer, batch.view, batch.usedBytes, zxid, payload);
    batch.count += 1;
    batch.lastZxid = zxid;
    this.#lastZxid = zxid;
    this.#stats.txnsAppended += 1;
    this.#stats.bytesAppended += recordBytes(payload.length);
    if (this.#flushing === null) this.#flushing = this.#flushLoop();
    return batch.done;
  }

  /**
   * Resolves once every append made so far is durable; rejects if one of them failed. The ensemble
   * awaits this before it ACKs NEWLEADER or writes currentEpoch, so a member never claims txns it
   * could still lose (ZOOKEEPER-3911, -4646, -4785).
   */
  flush(): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const last = this.#queue[this.#queue.length - 1] ?? this.#writing;
    // Batches resolve in order, so the newest one pending covers every append before it.
    return last === null ? Promise.resolve() : last.done;
  }

  /** The next append starts a new segment (after a snapshot, so old segments can be purged). */
  roll(): void {
    this.#rollRequested = true;
  }


  /** The counters of {@link LogWriterStats}. */
  stats(): LogWriterStats {
    const s = this.#stats;
    return { ...s, averageBatchSize: s.fsyncs === 0 ? 0 : s.txnsSynced / s.fsyncs };
  }

  /**
   * Waits for queued appends, syncs and closes the segment, makes a spare's rename durable and
   * removes an unused spare. Further appends are refused.
   */
  async close(): Promise<void> {
    this.#closed = true;
    // Bounded: no appends arrive after #closed, so the queue only drains.
    while (this.#flushing !== null) await this.#flushing;
    await this.#makingSpare;
    const { disk, dataLogDir, forceSync } = this.#options;
    const spare = this.#spare;
    this.#spare = null;
    if (spare !== null) {
      await spare.file.close();
      await disk.unlink(joinPath(dataLogDir, SPARE_LOG)).catch(() => {});
    }
    if (this.#renamedSinceSync && forceSync && this.#failure === null) await disk.syncDir(dataLogDir);
    const segment = this.#segment;
    this.#segment = null;
    if (segment === null) return;
    if (this.#failure !== null) return segment.file.close();
    await segment.file.truncate(segment.writeOffset);
    if (forceSync) await segment.file.sync();
    await segment.file.close();
  }

  #openBatch(zxid: bigint, needBytes: number): Batch {
    let batch = this.#queue[this.#queue.length - 1];
    if (batch === undefined || this.#rollRequested) {
      batch = this.#newBatch(this.#rollRequested ? zxid : null);
      this.#rollRequested = false;
      this.#queue.push(batch);
    }
    if (batch.usedBytes + needBytes > batch.buffer.length) growBatch(batch, batch.usedBytes + needBytes);
    return batch;
  }

  #newBatch(newSegmentZxid: bigint | null): Batch {
    const buffer = this.#pool.pop() ?? new Uint8Array(INITIAL_BATCH_BYTES);
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    return { buffer, view, usedBytes: 0, count: 0, lastZxid: 0n, newSegmentZxid, done, resolve, reject };
  }

  async #flushLoop(): Promise<void> {
    // Let every append of the current event-loop turn join the first batch. (Waiting for the whole
    // I/O phase, setImmediate, made one big batch of every connection's requests: the disk then
    // waited for all of them and the event loop for the disk, and throughput fell by up to a
    // fifth; starting at once lets the next connections' requests overlap this write.)
    await Promise.resolve();
    // Bounded: each round removes one batch; new batches come only from appends.
    while (this.#queue.length > 0) {
      const batch = this.#queue.shift()!;
      this.#writing = batch;
      try {
        await this.#writeBatch(batch);
        this.#durableZxid = batch.lastZxid;
        batch.resolve();
      } catch (error) {
        this.#fail(batch, error);
      }
      this.#writing = null;
      this.#recycle(batch.buffer);
    }
    this.#flushing = null;
  }

  async #writeBatch(batch: Batch): Promise<void> {
    if (this.#failure !== null) throw this.#failure;
    if (batch.newSegmentZxid !== null) await this.#startSegment(batch.newSegmentZxid);
    const segment = this.#segment;
    if (segment === null) throw new Error("txn log: no segment to write to");
    const end = segment.writeOffset + batch.usedBytes;
    if (end > segment.allocatedBytes) await this.#preallocate(segment, end);
    const startMs = this.#options.monoMs?.() ?? 0;
    await segment.file.write(batch.buffer.subarray(0, batch.usedBytes), segment.writeOffset);
    segment.writeOffset = end;
    // Once a segment has its first records, the next one is made ready (it then never competes
    // with a roll's first write for the disk).
    this.#prepareSpare();
    if (!this.#options.forceSync) return;
    // A segment opened with syncWrites (O_DSYNC) made the write durable itself.
    if (!segment.file.syncsWrites) await segment.file.sync();
    // Timed from before the write: with O_DSYNC the write is the sync.
    const ms = Math.floor((this.#options.monoMs?.() ?? 0) - startMs);
    this.#recordFsync(ms);
    if (this.#options.monoMs !== undefined && ms > (this.#options.fsyncWarningThresholdMs ?? DEFAULT_FSYNC_WARNING_THRESHOLD_MS)) {
      this.#stats.fsyncThresholdExceeded += 1;
      this.#options.log?.(
        `fsync-ing the write ahead log (${segment.name}, ${batch.count} txns) took ${ms}ms which will adversely affect operation latency. ` +
          `File size is ${segment.allocatedBytes} bytes. See the ZooKeeper troubleshooting guide`,
        LogLevel.warn,
      );
    }
    if (this.#stats.fsyncs === 0 || batch.count < this.#stats.minBatchSize) this.#stats.minBatchSize = batch.count;
    this.#stats.fsyncs += 1;
    this.#stats.txnsSynced += batch.count;
    if (batch.count > this.#stats.maxBatchSize) this.#stats.maxBatchSize = batch.count;
  }

  /** One group commit's write and sync, as ZooKeeper counts fsynctime: whole milliseconds. */
  #recordFsync(ms: number): void {
    const s = this.#stats;
    s.fsyncMsTotal += ms;
    s.fsyncMsMin = s.fsyncs === 0 ? ms : Math.min(s.fsyncMsMin, ms);
    s.fsyncMsMax = Math.max(s.fsyncMsMax, ms);
  }

  /**
   * Moves the log to a new segment named `log.<zxid>`: the spare made ready ahead of time when
   * there is one (a rename, nothing to sync before its records: a crash before the rename is
   * durable leaves it as spare.log holding them, which recovery names), else a new file made
   * durable (file and directory entry) before any record goes in. The next spare is made after
   * the segment's first write, off the write path: making one syncs the disk twice, which stalled
   * every request behind a roll for 20 to 40 ms.
   */
  async #startSegment(zxid: bigint): Promise<void> {
    const previous = this.#segment;
    this.#segment = null;
    if (previous !== null) await closeSegment(previous);
    const { disk, dataLogDir } = this.#options;
    const name = fileName(LOG_PREFIX, zxid);
    const spare = this.#spare;
    this.#spare = null;
    if (spare !== null) {
      await disk.rename(joinPath(dataLogDir, SPARE_LOG), joinPath(dataLogDir, name));
      this.#renamedSinceSync = true;
      this.#segment = { name, file: spare.file, writeOffset: FILE_HEADER_BYTES, allocatedBytes: spare.allocatedBytes };
    } else {
      const made = await this.#makeSegmentFile(name);
      this.#segment = { name, file: made.file, writeOffset: FILE_HEADER_BYTES, allocatedBytes: made.allocatedBytes };
    }
    this.#stats.segmentsCreated += 1;
  }

  /** A new segment file with its header and reserved space, durable with its directory entry. */
  async #makeSegmentFile(name: string): Promise<{ file: DiskFile; allocatedBytes: number }> {
    const { disk, dataLogDir, forceSync, dbid } = this.#options;
    const file = await disk.open(joinPath(dataLogDir, name), OpenMode.create, { syncWrites: forceSync });
    await file.write(encodeFileHeader(LOG_MAGIC, dbid), 0);
    const segment: Segment = { name, file, writeOffset: FILE_HEADER_BYTES, allocatedBytes: FILE_HEADER_BYTES };
    await this.#preallocate(segment, FILE_HEADER_BYTES + 1);
    if (forceSync) {
      await file.sync();
      await disk.syncDir(dataLogDir);
    }
    return { file, allocatedBytes: segment.allocatedBytes };
  }

  /** Starts making the next spare segment in the background (one at a time). */
  #prepareSpare(): void {
    if (this.#options.spareSegments === false || this.#spare !== null || this.#makingSpare !== null || this.#closed) return;
    this.#makingSpare = this.#makeSegmentFile(SPARE_LOG).then((made) => {
      this.#spare = { file: made.file, allocatedBytes: made.allocatedBytes };
    }, () => {
      // No spare: the next roll makes its segment on the write path.
    }).finally(() => {
      this.#makingSpare = null;
    });
  }

  /**
   * Grows the file with zeros to the next multiple of preAllocBytes past `end`. Recovery reads the
   * zeros as "no more records". Like ZooKeeper this extends the size (one metadata update per
   * step) rather than writing zeros, which would double the bytes written on the hot path.
   */
  async #preallocate(segment: Segment, end: number): Promise<void> {
    const step = this.#options.preAllocBytes;
    const size = Math.ceil(end / step) * step;
    await segment.file.truncate(size);
    segment.allocatedBytes = size;
  }

  #fail(batch: Batch, error: unknown): void {
    this.#failure ??= error instanceof StorageError
      ? error
      : new StorageError(StorageErrorCode.writeFailed, `txn log write failed in ${this.#options.dataLogDir}: ${error instanceof Error ? error.message : String(error)}; no further txns are accepted`, { cause: error });
    batch.reject(this.#failure);
  }

  #recycle(buffer: Uint8Array): void {
    if (this.#pool.length < POOLED_BUFFERS_MAX && buffer.length <= 16 * INITIAL_BATCH_BYTES) this.#pool.push(buffer);
  }
}

/**
 * Every batch of a segment was synced before the next segment was started, so closing needs no
 * sync. The preallocated zeros are cut off first, so a closed segment's size is the size of its
 * records: readFrom estimates what a DIFF would send from file sizes, as ZooKeeper does. The cut
 * is not synced: after a crash the zeros may come back, which recovery reads as the end.
 */
async function closeSegment(segment: Segment): Promise<void> {
  await segment.file.truncate(segment.writeOffset);
  await segment.file.close();
}

function growBatch(batch: Batch, needBytes: number): void {
  const grown = new Uint8Array(Math.max(needBytes, batch.buffer.length * 2));
  grown.set(batch.buffer.subarray(0, batch.usedBytes));
  batch.buffer = grown;
  batch.view = new DataView(grown.buffer);
}
