import { type Disk, joinPath, OpenMode } from "../io/disk.ts";
import { lastIndexAtOrBefore, LOG_PREFIX, zxidFiles, type ZxidFile, zxidFollows } from "./file_names.ts";
import { type OpenSegment, openSegment } from "./record_cursor.ts";
import { StorageError, StorageErrorCode } from "./storage_error.ts";
import { type LogRead, LogReadKind, type TxnLogEntry } from "./txn_log.ts";
import { readStart } from "./zxid_order.ts";

/** What {@link readLogFrom} reads and how it knows the log changed under it. */
export interface LogReadOptions {
  readonly disk: Disk;
  readonly dataLogDir: string;
  /** Entries after this zxid are read. */
  readonly fromZxid: bigint;
  /** The newest durable zxid of the history: the read ends with it. */
  readonly untilZxid: bigint;
  /** The newest durable zxid in the log; below untilZxid only when a snapshot runs ahead of the log. */
  readonly logEndZxid: bigint;
  readonly maxBytes?: number;
  /** The segment the writer appends to and where its records end (the file itself is preallocated). */
  readonly active: { readonly name: string; readonly endOffset: number } | null;
  /** False once a truncation, install or purge changed the log after the read began. */
  readonly isCurrent: () => boolean;
  /** Called exactly once, when the read is over (entries exhausted, stopped early, failed, or none handed out). */
  readonly release: () => void;
  /** Window of file bytes held in memory at a time. */
  readonly windowBytes?: number;
}

/** The first record after `fromZxid`, with its segment open and the history point before it. */
interface Start {
  readonly index: number;
  readonly segment: OpenSegment;
  /** Zxid of the record before the first one, when the log holds it; else null. */
  readonly previous: bigint | null;
}

const WINDOW_BYTES = 1024 * 1024;

/**
 * Reads the log after `fromZxid` for a DIFF (see TxnStore.readFrom): finds the first record
 * after it, decides whether the log still holds it, measures what would be sent against
 * `maxBytes`, and hands out an iterator that walks the rest of the segments one window at a time.
 */
export async function readLogFrom(options: LogReadOptions): Promise<LogRead> {
  let handedOut = false;
  let start: Start | null = null;
  try {
    checkCurrent(options);
    // Nothing to send (the reader is up to date, or ahead: the newest point of our history is then untilZxid).
    if (options.fromZxid >= options.untilZxid) return entries(options.untilZxid, options.untilZxid, noEntries());
    const segments = zxidFiles(LOG_PREFIX, await options.disk.list(options.dataLogDir));
    const index = lastIndexAtOrBefore(segments, options.fromZxid + 1n);
    // The history after the log's end is in a snapshot only: no DIFF can carry it.
    if (index < 0 || options.logEndZxid < options.untilZxid) return { kind: LogReadKind.purged, oldestZxid: segments[0]?.zxid ?? null };
    start = await seekAfter(options, segments, index);
    const previous = readStart(options.fromZxid, start.previous, start.segment.cursor.zxid);
    if (previous === null) return { kind: LogReadKind.purged, oldestZxid: segments[0]!.zxid };
    if (options.maxBytes !== undefined) {
      const bytes = await measure(options, segments, start);
      if (bytes > options.maxBytes) return { kind: LogReadKind.tooLarge, bytes };
    }
    handedOut = true;
    const opened = start.segment;
    return entries(previous, options.untilZxid, releasing(walk(options, segments, start), async () => {
      await opened.file.close();
      options.release();
    }));
  } finally {
    if (!handedOut) {
      await start?.segment.file.close();
      options.release();
    }
  }
}

function entries(previousZxid: bigint, lastZxid: bigint, iterator: AsyncIterableIterator<TxnLogEntry>): LogRead {
  return { kind: LogReadKind.entries, previousZxid, lastZxid, entries: iterator };
}

async function* noEntries(): AsyncGenerator<TxnLogEntry> {}

/**
 * The generator, except that `return()` before the first `next()` still runs `cleanup`: a
 * generator that never started never enters its `finally`, and the caller may well decide not to
 * read after all (it got `previousZxid` and chose to send a snapshot).
 */
function releasing(generator: AsyncGenerator<TxnLogEntry>, cleanup: () => Promise<void>): AsyncIterableIterator<TxnLogEntry> {
  let started = false;
  return {
    next() {
      started = true;
      return generator.next();
    },
    async return(value?: unknown) {
      if (!started) {
        started = true;
        await cleanup();
      }
      return generator.return(value as undefined);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * Opens segments from `index` on until a record after fromZxid turns up; the cursor is left on
 * it. Records up to fromZxid are checked for order and holes like the rest.
 */
async function seekAfter(options: LogReadOptions, segments: readonly ZxidFile[], index: number): Promise<Start> {
  let previous: bigint | null = null;
  // Bounded by the number of segments.
  for (let i = index; i < segments.length; i += 1) {
    const segment = await openSegmentChecked(options, segments[i]!);
    try {
      // Bounded: each round moves the cursor past one record.
      while (await segment.cursor.next()) {
        checkNext(previous, segment.cursor.zxid, segments[i]!.name);
        if (segment.cursor.zxid > options.fromZxid) return { index: i, segment, previous };
        previous = segment.cursor.zxid;
      }
    } catch (error) {
      await segment.file.close();
      throw error;
    }
    await segment.file.close();
  }
  throw endedEarly(options, previous);
}

/** Yields from the start record on, segment after segment, until untilZxid. */
async function* walk(options: LogReadOptions, segments: readonly ZxidFile[], start: Start): AsyncGenerator<TxnLogEntry> {
  let segment: OpenSegment | null = start.segment;
  let last = start.previous;
  try {
    let index = start.index;
    let ready = true;
    // Bounded: every round yields a record or moves to the next of a fixed list of segments.
    while (segment !== null) {
      if (!ready && !(await segment.cursor.next())) {
        await segment.file.close();
        segment = null;
        index += 1;
        if (index >= segments.length) throw endedEarly(options, last);
        segment = await openSegmentChecked(options, segments[index]!);
        continue;
      }
      ready = false;
      checkCurrent(options);
      const zxid = segment.cursor.zxid;
      if (zxid > options.untilZxid) return;
      checkNext(last, zxid, segments[index]!.name);
      last = zxid;
      yield { zxid, bytes: segment.cursor.payload().slice() };
      if (zxid === options.untilZxid) return;
    }
  } finally {
    await segment?.file.close();
    options.release();
  }
}

/** Opens the next segment; one that vanished was purged under the read (an external `paddock purge`). */
async function openSegmentChecked(options: LogReadOptions, file: ZxidFile): Promise<OpenSegment> {
  checkCurrent(options);
  try {
    return await openSegment(options.disk, joinPath(options.dataLogDir, file.name), options.windowBytes ?? WINDOW_BYTES);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENOENT") throw error;
    throw new StorageError(StorageErrorCode.logRewritten, `${file.name} was removed while the log was being read`, { cause: error });
  }
}

/** Each record must come after the one before it and follow it without a hole (ZOOKEEPER-4925). */
function checkNext(previous: bigint | null, zxid: bigint, segmentName: string): void {
  if (previous === null) return;
  if (zxid <= previous) {
    throw new StorageError(StorageErrorCode.corruptLog, `${segmentName}: zxid 0x${zxid.toString(16)} after 0x${previous.toString(16)} is out of order`);
  }
  if (!zxidFollows(previous, zxid)) {
    throw new StorageError(StorageErrorCode.zxidGap, `${segmentName}: zxid 0x${zxid.toString(16)} does not follow 0x${previous.toString(16)}; refusing to send a history with a hole`);
  }
}

function checkCurrent(options: LogReadOptions): void {
  if (!options.isCurrent()) {
    throw new StorageError(StorageErrorCode.logRewritten, "the log was truncated, replaced by a snapshot or purged while being read; read again");
  }
}

function endedEarly(options: LogReadOptions, last: bigint | null): StorageError {
  const where = last === null ? "no record" : `0x${last.toString(16)}`;
  return new StorageError(StorageErrorCode.corruptLog, `the log in ${options.dataLogDir} ends at ${where}, before the durable zxid 0x${options.untilZxid.toString(16)}`);
}

/**
 * Bytes from the first record to send to the end of the log: the rest of its segment plus every
 * later segment's size (closed segments are trimmed to their records; the active one is measured
 * to the writer's end). Like ZooKeeper's TxnIterator.getStorageSize, an estimate from sizes.
 */
async function measure(options: LogReadOptions, segments: readonly ZxidFile[], start: Start): Promise<number> {
  let bytes = -start.segment.cursor.recordOffset;
  // Bounded by the number of segments.
  for (let i = start.index; i < segments.length; i += 1) {
    const name = segments[i]!.name;
    if (options.active !== null && options.active.name === name) {
      bytes += options.active.endOffset;
      continue;
    }
    const file = await options.disk.open(joinPath(options.dataLogDir, name), OpenMode.read);
    try {
      bytes += await file.size();
    } finally {
      await file.close();
    }
  }
  return bytes;
}
