import { type Disk, joinPath, OpenMode } from "../io/disk.ts";
import { fileName, lastIndexAtOrBefore, LOG_PREFIX, SPARE_LOG, zxidFiles, type ZxidFile, zxidFollows } from "./file_names.ts";
import { LogLevel, type LogSink } from "../log_level.ts";
import { readHeader, RecordCursor } from "./record_cursor.ts";
import { WindowReader } from "./window_reader.ts";
import { scanSegment, type SegmentScan } from "./log_scan.ts";
import { recordBytes } from "./record_codec.ts";
import { StorageError, StorageErrorCode } from "./storage_error.ts";
import type { TxnLogEntry } from "./txn_log.ts";

/** Where recovery starts and how it reports what it repaired. */
export interface LogRecoveryOptions {
  readonly disk: Disk;
  readonly dataLogDir: string;
  /** The zxid the chosen snapshot covers (0n without one): txns up to it are not returned. */
  readonly snapshotZxid: bigint;
  /** Sync repairs (truncations, deletions) before returning. */
  readonly forceSync: boolean;
  readonly log: LogSink;
}

/** The txns to replay and what the log writer needs to carry on. */
export interface LogRecovery {
  readonly txns: TxnLogEntry[];
  /** The newest zxid in the log, or the snapshot zxid when the log holds nothing newer. */
  readonly lastZxid: bigint;
  /** Bytes of the replayed records, counted toward the next snapshot's size trigger. */
  readonly bytesSinceSnapshot: number;
}

/**
 * Reads every segment that may hold txns after the snapshot, checks that they continue the
 * snapshot and each other without a gap, truncates a torn tail of the newest segment, removes
 * segments a crash left without records, and returns the txns to replay in order.
 */
export async function recoverLog(options: LogRecoveryOptions): Promise<LogRecovery> {
  const { disk, dataLogDir, snapshotZxid } = options;
  const segments = zxidFiles(LOG_PREFIX, await disk.list(dataLogDir));
  const scans: SegmentScan[] = [];
  for (const file of segments.slice(firstNeeded(segments, snapshotZxid))) {
    scans.push(await scanSegment(disk, joinPath(dataLogDir, file.name), file, snapshotZxid));
  }
  const lastWithRecords = findLastIndex(scans, (s) => s.lastZxid !== null);
  // With forceSync the writer starts a segment (renames the spare or creates the file) only once
  // every write to the one before was durable (log_writer.ts #flushLoop: one batch at a time, each
  // synced before the next). A later segment's name on disk, even one whose first txn never came,
  // so proves every segment before it complete: damage at the end of one is a rotted sector of
  // acknowledged txns, not a torn write (sim seed 6325: a closed segment's last records rotted,
  // and the empty segment after it let recovery cut them as a torn tail). Without forceSync
  // nothing was ordered, and nothing acknowledged was promised durable.
  checkOnlyTailDamaged(scans, options.forceSync ? scans.length - 1 : lastWithRecords);
  const cursor = checkContinuity(scans, snapshotZxid);
  if (lastWithRecords >= 0) await trimTail(disk, scans[lastWithRecords]!, options);
  await removeEmptySegments(scans.slice(lastWithRecords + 1), options);
  const txns = scans.flatMap((s) => s.txns);
  let bytes = 0;
  for (const txn of txns) bytes += recordBytes(txn.bytes.length);
  return { txns, lastZxid: cursor, bytesSinceSnapshot: bytes };
}

/**
 * A spare segment (file_names.ts SPARE_LOG) that holds records was being written when the process
 * stopped, before its rename to `log.<zxid>` was durable: it gets that name now (from its first
 * record). One without records was only made ready: it goes. Runs before anything else reads the
 * log, so truncations and installs see every segment by its name.
 */
export async function adoptSpareSegment(options: Pick<LogRecoveryOptions, "disk" | "dataLogDir" | "forceSync" | "log">): Promise<void> {
  const { disk, dataLogDir } = options;
  if (!(await disk.list(dataLogDir)).includes(SPARE_LOG)) return;
  const path = joinPath(dataLogDir, SPARE_LOG);
  const first = await firstRecordZxid(disk, path);
  if (first === null) {
    await disk.unlink(path);
    options.log(`removed ${SPARE_LOG}: a segment made ready that holds no txns`);
  } else {
    const name = fileName(LOG_PREFIX, first);
    await disk.rename(path, joinPath(dataLogDir, name));
    options.log(`renamed ${SPARE_LOG} to ${name}: the log had moved on to it`);
  }
  if (options.forceSync) await disk.syncDir(dataLogDir);
}

/** The zxid of a segment's first valid record, or null (no header, or no record). */
async function firstRecordZxid(disk: Disk, path: string): Promise<bigint | null> {
  const handle = await disk.open(path, OpenMode.read);
  try {
    const reader = new WindowReader(handle, await handle.size());
    if (!(await readHeader(reader, path))) return null;
    const cursor = new RecordCursor(reader);
    return (await cursor.next()) ? cursor.zxid : null;
  } finally {
    await handle.close();
  }
}

/** Segments before the last one starting at or before snapshotZxid + 1 hold only older txns. */
function firstNeeded(segments: readonly ZxidFile[], snapshotZxid: bigint): number {
  return Math.max(0, lastIndexAtOrBefore(segments, snapshotZxid + 1n));
}

/**
 * Damage is only a torn tail in the segment the writer was last writing: in any segment before
 * `last` (the newest file, or the newest with records when writes were not synced) it is damage
 * to txns that were durable, and ZooKeeper's FileTxnLog refuses a record whose CRC fails too.
 */
function checkOnlyTailDamaged(scans: readonly SegmentScan[], last: number): void {
  for (let i = 0; i < last; i += 1) {
    const scan = scans[i]!;
    if (scan.headerless || scan.tornEnd !== null) {
      const where = scan.headerless ? "has no valid header" : `is damaged at offset ${scan.validEnd}`;
      const later = scans[last]!;
      const why = later.lastZxid === null ? "exists, so every record before it had been made durable" : "holds txns";
      throw new StorageError(StorageErrorCode.corruptLog, `${scan.path} ${where}, but the later segment ${later.file.name} ${why}; refusing to start rather than drop committed txns (restore the member from a healthy replica, or start it on an empty dataDir to resync)`);
    }
  }
}

/** Walks segment boundaries: each must continue from the last zxid known. Returns the last zxid. */
function checkContinuity(scans: readonly SegmentScan[], snapshotZxid: bigint): bigint {
  let cursor = snapshotZxid;
  let source = snapshotZxid === 0n ? "an empty dataDir" : `the snapshot at 0x${snapshotZxid.toString(16)}`;
  for (const scan of scans) {
    if (scan.firstZxid === null || scan.lastZxid === null || scan.lastZxid <= cursor) continue;
    if (scan.firstZxid > cursor && !zxidFollows(cursor, scan.firstZxid)) {
      throw new StorageError(StorageErrorCode.zxidGap, `zxid gap: ${source} ends at 0x${cursor.toString(16)} but ${scan.path} starts at 0x${scan.firstZxid.toString(16)}; a log segment is missing`);
    }
    cursor = scan.lastZxid;
    source = scan.file.name;
  }
  return cursor;
}

/**
 * Cuts the newest segment back to its last valid record: a torn tail (logged), or just the
 * preallocated zeros (silently), so that its size is that of its records once the writer moves on
 * to a new segment (readFrom estimates a DIFF's size from segment sizes).
 */
async function trimTail(disk: Disk, scan: SegmentScan, options: LogRecoveryOptions): Promise<void> {
  if (scan.fileSize <= scan.validEnd) return;
  const file = await disk.open(scan.path, OpenMode.readWrite);
  try {
    await file.truncate(scan.validEnd);
    if (options.forceSync) await file.sync();
  } finally {
    await file.close();
  }
  if (scan.tornEnd === null) return;
  options.log(`truncated ${scan.tornEnd - scan.validEnd} bytes of torn tail at offset ${scan.validEnd} of ${scan.file.name}`, LogLevel.warn);
}

/** Segments after the last record were created by a roll that crashed before its first txn. */
async function removeEmptySegments(scans: readonly SegmentScan[], options: LogRecoveryOptions): Promise<void> {
  for (const scan of scans) {
    await options.disk.unlink(scan.path);
    const torn = scan.tornEnd === null ? "" : ` (${scan.tornEnd - scan.validEnd} bytes of torn tail)`;
    options.log(`removed ${scan.file.name}: it holds no txns${torn}`);
  }
  if (scans.length > 0 && options.forceSync) await options.disk.syncDir(options.dataLogDir);
}

function findLastIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i -= 1) if (test(items[i]!)) return i;
  return -1;
}
