import { type Disk, OpenMode } from "../io/disk.ts";
import { FILE_HEADER_BYTES } from "./file_header.ts";
import { type ZxidFile, zxidFollows } from "./file_names.ts";
import { checkRecord, RECORD_HEADER_BYTES, RecordCheck, recordPayloadLength, recordZxid } from "./record_codec.ts";
import { loadRecord, readHeader, RecordCursor } from "./record_cursor.ts";
import { StorageError, StorageErrorCode } from "./storage_error.ts";
import type { TxnLogEntry } from "./txn_log.ts";
import { WindowReader } from "./window_reader.ts";

/** What reading one log segment found. Recovery (log_recovery.ts) decides what to do with it. */
export interface SegmentScan {
  readonly file: ZxidFile;
  readonly path: string;
  /** The file is shorter than a header or its header is all zeros: created, never synced. */
  readonly headerless: boolean;
  /** Records with zxid > the `keepAfterZxid` asked for, in order. */
  readonly txns: TxnLogEntry[];
  /** Zxid of the first and last valid record (null when there is none). */
  readonly firstZxid: bigint | null;
  readonly lastZxid: bigint | null;
  /** Offset just past the last valid record: where a torn tail starts. */
  readonly validEnd: number;
  /** Offset just past the last non-zero byte after `validEnd`, or null when only zeros follow. */
  readonly tornEnd: number | null;
  readonly fileSize: number;
}

/**
 * Reads a segment: checks its header, then walks records until the first that does not verify.
 * If anything there is not preallocated zeros, it looks for a valid later record: finding one
 * means corruption in the middle (throws StorageError corrupt_log); finding none means a torn
 * tail, reported in `tornEnd` for the caller to truncate.
 */
export async function scanSegment(disk: Disk, path: string, file: ZxidFile, keepAfterZxid: bigint): Promise<SegmentScan> {
  const handle = await disk.open(path, OpenMode.read);
  try {
    const reader = new WindowReader(handle, await handle.size());
    const empty = { file, path, txns: [], firstZxid: null, lastZxid: null, fileSize: reader.fileSize };
    if (!(await readHeader(reader, path))) {
      return { ...empty, headerless: true, validEnd: 0, tornEnd: null };
    }
    const walk = await walkRecords(reader, path, file, keepAfterZxid);
    const afterZxid = walk.lastZxid ?? file.zxid - 1n;
    const tornEnd = await inspectTail(reader, path, walk.validEnd, afterZxid);
    return { ...empty, ...walk, headerless: false, tornEnd };
  } finally {
    await handle.close();
  }
}

interface Walk {
  txns: TxnLogEntry[];
  firstZxid: bigint | null;
  lastZxid: bigint | null;
  validEnd: number;
}

async function walkRecords(reader: WindowReader, path: string, file: ZxidFile, keepAfterZxid: bigint): Promise<Walk> {
  const walk: Walk = { txns: [], firstZxid: null, lastZxid: null, validEnd: FILE_HEADER_BYTES };
  const cursor = new RecordCursor(reader);
  // Bounded: each round moves the cursor past one record, and it stops at the file size.
  while (await cursor.next()) {
    const zxid = cursor.zxid;
    checkOrder(walk, zxid, path, file, cursor.recordOffset);
    if (zxid > keepAfterZxid) walk.txns.push({ zxid, bytes: cursor.payload() });
    walk.firstZxid ??= zxid;
    walk.lastZxid = zxid;
    walk.validEnd = cursor.offset;
  }
  return walk;
}

/**
 * A record that verifies but breaks zxid order was written wrong, not torn: refuse. Records must
 * also follow each other without a hole (the next counter, or a later epoch starting over, as a
 * follower logs a new leader's proposals after its old epoch's): a hole inside a segment can only
 * come from a bug, and replaying past it would hide a lost txn (ZOOKEEPER-4925, -4882).
 */
function checkOrder(walk: Walk, zxid: bigint, path: string, file: ZxidFile, offset: number): void {
  if (walk.lastZxid === null && zxid !== file.zxid) {
    throw new StorageError(StorageErrorCode.corruptLog, `first record of ${path} has zxid 0x${zxid.toString(16)}, but the file name says 0x${file.zxid.toString(16)}`);
  }
  if (walk.lastZxid !== null && zxid <= walk.lastZxid) {
    throw new StorageError(StorageErrorCode.corruptLog, `record at offset ${offset} of ${path} has zxid 0x${zxid.toString(16)}, not after 0x${walk.lastZxid.toString(16)}`);
  }
  if (walk.lastZxid !== null && !zxidFollows(walk.lastZxid, zxid)) {
    throw new StorageError(StorageErrorCode.zxidGap, `zxid gap inside ${path}: record at offset ${offset} has zxid 0x${zxid.toString(16)} right after 0x${walk.lastZxid.toString(16)}`);
  }
}

/**
 * Looks at what follows the last valid record. Zeros only: the clean end (null). Otherwise the
 * end of the non-zero bytes, after checking that no valid record hides among them.
 */
async function inspectTail(reader: WindowReader, path: string, validEnd: number, afterZxid: bigint): Promise<number | null> {
  const nonZeroEnd = await findNonZeroEnd(reader, validEnd);
  if (nonZeroEnd === validEnd) return null;
  const found = await findValidRecord(reader, validEnd + 1, nonZeroEnd, afterZxid);
  if (found !== null) {
    throw new StorageError(
      StorageErrorCode.corruptLog,
      `corrupt txn log record at offset ${validEnd} of ${path}: a valid record follows at offset ${found}, ` +
        `so this is not a torn tail; refusing to start rather than drop committed txns (restore the file from a healthy replica)`,
    );
  }
  return nonZeroEnd;
}

/** The offset after the last non-zero byte at or after `from` (`from` itself if all zeros). */
async function findNonZeroEnd(reader: WindowReader, from: number): Promise<number> {
  let end = from;
  let offset = from;
  // Bounded: one window per round, offset reaches the file size.
  while (offset < reader.fileSize) {
    await reader.load(offset, 1);
    const last = lastNonZero(reader.buffer, offset - reader.base, reader.valid);
    if (last >= 0) end = reader.base + last + 1;
    offset = reader.base + reader.valid;
  }
  return end;
}

/**
 * Index of the last non-zero byte in bytes[from, to), or -1. Preallocated segments end in tens of
 * MiB of zeros that recovery reads on every start, so the aligned middle is checked four bytes
 * at a time (a byte loop made a 64 MiB segment cost about a second).
 */
function lastNonZero(bytes: Uint8Array, from: number, to: number): number {
  const misalignment = (bytes.byteOffset + from) % 4;
  const wordsFrom = Math.min(to, from + (misalignment === 0 ? 0 : 4 - misalignment));
  const wordCount = Math.max(0, Math.floor((to - wordsFrom) / 4));
  const wordsTo = wordsFrom + wordCount * 4;
  const tail = lastNonZeroByte(bytes, wordsTo, to);
  if (tail >= 0) return tail;
  const words = new Int32Array(bytes.buffer, bytes.byteOffset + wordsFrom, wordCount);
  for (let w = wordCount - 1; w >= 0; w -= 1) {
    if (words[w] !== 0) return lastNonZeroByte(bytes, wordsFrom + w * 4, wordsFrom + w * 4 + 4);
  }
  return lastNonZeroByte(bytes, from, wordsFrom);
}

function lastNonZeroByte(bytes: Uint8Array, from: number, to: number): number {
  for (let i = to - 1; i >= from; i -= 1) if (bytes[i] !== 0) return i;
  return -1;
}

/** The first offset in [from, until) where a record with zxid > afterZxid verifies, or null. */
async function findValidRecord(reader: WindowReader, from: number, until: number, afterZxid: bigint): Promise<number | null> {
  // Bounded: offset grows by one each round up to `until`.
  for (let offset = from; offset < until; offset += 1) {
    if (!reader.has(offset, RECORD_HEADER_BYTES) && !(await reader.load(offset, RECORD_HEADER_BYTES))) return null;
    const at = offset - reader.base;
    // A record's zxid is never 0, so its header has a non-zero byte in [8, 16): skip cheaply.
    if (reader.view.getUint32(at + 8, true) === 0 && reader.view.getUint32(at + 12, true) === 0) continue;
    if (recordZxid(reader.view, at) <= afterZxid) continue;
    if (offset + RECORD_HEADER_BYTES + recordPayloadLength(reader.view, at) > reader.fileSize) continue;
    if (!(await loadRecord(reader, offset))) continue;
    if (checkRecord(reader.buffer, reader.view, offset - reader.base, reader.valid) === RecordCheck.valid) return offset;
  }
  return null;
}
