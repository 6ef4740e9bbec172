import { type Disk, type DiskFile, joinPath, OpenMode } from "../io/disk.ts";
import { encodeFileHeader, FILE_HEADER_BYTES, LOG_MAGIC } from "./file_header.ts";
import { fileName, LOG_PREFIX } from "./file_names.ts";
import { checkAppendOrder } from "./zxid_order.ts";
import { encodeRecord, MAX_RECORD_PAYLOAD_BYTES, recordBytes } from "./record_codec.ts";
import { StorageError, StorageErrorCode } from "./storage_error.ts";

/** Settings of a {@link LogWriter}. */
export interface LogWriterOptions {
  readonly disk: Disk;
  readonly dataLogDir: string;
  /** When false, nothing is fsynced (tests and benchmarks only: an acknowledged txn may be lost). */
  readonly forceSync: boolean;
  /** Segments grow in steps of this many bytes so that fdatasync rarely has to update the size. */
  readonly preAllocBytes: number;
  readonly dbid: bigint;
  /**
   * Awaited before a group commit starts on an idle log, so that the appends of every request
   * already received join it (on a real event loop: until its I/O phase is done, so the requests
   * that arrived on all connections at once go to disk together instead of the first
   * connection's alone). Default: a microtask (the current turn's appends).
   */
  readonly gatherAppends?: () => Promise<void>;
}

/** Group-commit counters, reported by the server in `mntr`. */
export interface LogWriterStats {
  /** fdatasync calls that made txns durable. */
  readonly fsyncs: number;
  /** Txns made durable by those fsyncs. */
  readonly txnsSynced: number;
  /** txnsSynced / fsyncs: how well group commit batches (1 means no batching). */
  readonly averageBatchSize: number;
  /** The largest batch one fsync covered. */
  readonly maxBatchSize: number;
  /** Txns and record bytes appended since start. */
  readonly txnsAppended: number;
  readonly bytesAppended: number;
  /** Segments created since start. */
  readonly segmentsCreated: number;
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
  #lastZxid: bigint;
  #durableZxid: bigint;
  #stats = { fsyncs: 0, txnsSynced: 0, maxBatchSize: 0, txnsAppended: 0, bytesAppended: 0, segmentsCreated: 0 };

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

  /** Waits for queued appends, syncs and closes the segment. Further appends are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    // Bounded: no appends arrive after #closed, so the queue only drains.
    while (this.#flushing !== null) await this.#flushing;
    const segment = this.#segment;
    this.#segment = null;
    if (segment === null) return;
    if (this.#failure !== null) return segment.file.close();
    await segment.file.truncate(segment.writeOffset);
    if (this.#options.forceSync) await segment.file.sync();
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
    // Let every append of the current event-loop turn (or I/O phase) join the first batch.
    await (this.#options.gatherAppends?.() ?? Promise.resolve());
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
    await segment.file.write(batch.buffer.subarray(0, batch.usedBytes), segment.writeOffset);
    segment.writeOffset = end;
    if (!this.#options.forceSync) return;
    // A segment opened with syncWrites (O_DSYNC) made the write durable itself.
    if (!segment.file.syncsWrites) await segment.file.sync();
    this.#stats.fsyncs += 1;
    this.#stats.txnsSynced += batch.count;
    if (batch.count > this.#stats.maxBatchSize) this.#stats.maxBatchSize = batch.count;
  }

  /** Creates `log.<zxid>` with its header, made durable (file and directory entry) before records. */
  async #startSegment(zxid: bigint): Promise<void> {
    const previous = this.#segment;
    this.#segment = null;
    if (previous !== null) await closeSegment(previous);
    const { disk, dataLogDir, forceSync, dbid } = this.#options;
    const name = fileName(LOG_PREFIX, zxid);
    const file = await disk.open(joinPath(dataLogDir, name), OpenMode.create, { syncWrites: forceSync });
    await file.write(encodeFileHeader(LOG_MAGIC, dbid), 0);
    const segment: Segment = { name, file, writeOffset: FILE_HEADER_BYTES, allocatedBytes: FILE_HEADER_BYTES };
    await this.#preallocate(segment, FILE_HEADER_BYTES + 1);
    if (forceSync) {
      await file.sync();
      await disk.syncDir(dataLogDir);
    }
    this.#segment = segment;
    this.#stats.segmentsCreated += 1;
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
      : new StorageError(StorageErrorCode.writeFailed, `txn log write failed in ${this.#options.dataLogDir}: ${String(error)}; no further txns are accepted`, { cause: error });
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
