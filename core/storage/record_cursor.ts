import { type Disk, type DiskFile, OpenMode } from "../io/disk.ts";
import { checkFileHeader, decodeFileHeader, FILE_HEADER_BYTES, LOG_MAGIC } from "./file_header.ts";
import { checkRecord, MAX_RECORD_PAYLOAD_BYTES, RECORD_HEADER_BYTES, RecordCheck, recordPayloadLength, recordZxid } from "./record_codec.ts";
import { WindowReader } from "./window_reader.ts";

/**
 * Walks the records of one log segment, in file order, through a {@link WindowReader}. Recovery,
 * truncation and `readFrom` all read segments through this one cursor, so they agree on where a
 * segment's valid records end.
 * @example
 * const cursor = new RecordCursor(reader);
 * while (await cursor.next()) console.log(cursor.zxid, cursor.payload().length);
 */
export class RecordCursor {
  readonly #reader: WindowReader;
  /** File offset of the next record to read; after `next()` returns false, the end of the valid records. */
  offset: number;
  /** File offset of the record `next()` last returned. */
  recordOffset = -1;
  /** Zxid of the record `next()` last returned. */
  zxid = 0n;
  #payloadAt = 0;
  #payloadLength = 0;

  constructor(reader: WindowReader, offset = FILE_HEADER_BYTES) {
    this.#reader = reader;
    this.offset = offset;
  }

  /**
   * Moves to the record at {@link offset}. True when a whole record verifies there (read it with
   * {@link zxid} and {@link payload}); false at the end of the file, at preallocated zeros and at a
   * record that does not verify (a torn tail, or damage the caller must judge).
   */
  async next(): Promise<boolean> {
    const reader = this.#reader;
    const offset = this.offset;
    if (offset >= reader.fileSize) return false;
    if (!(await loadRecord(reader, offset))) return false;
    const at = offset - reader.base;
    if (checkRecord(reader.buffer, reader.view, at, reader.valid) !== RecordCheck.valid) return false;
    this.recordOffset = offset;
    this.zxid = recordZxid(reader.view, at);
    this.#payloadLength = recordPayloadLength(reader.view, at);
    this.#payloadAt = at + RECORD_HEADER_BYTES;
    this.offset = offset + RECORD_HEADER_BYTES + this.#payloadLength;
    return true;
  }

  /** The payload of the current record: a view into the reader's window, valid while the window lives. */
  payload(): Uint8Array {
    return this.#reader.buffer.subarray(this.#payloadAt, this.#payloadAt + this.#payloadLength);
  }
}

/** Loads the whole record at `offset` into the window if the file holds it; false if it cannot. */
export async function loadRecord(reader: WindowReader, offset: number): Promise<boolean> {
  if (!reader.has(offset, RECORD_HEADER_BYTES) && !(await reader.load(offset, RECORD_HEADER_BYTES))) return false;
  const length = recordPayloadLength(reader.view, offset - reader.base);
  if (length > MAX_RECORD_PAYLOAD_BYTES) return false;
  const total = RECORD_HEADER_BYTES + length;
  if (offset + total > reader.fileSize) return false;
  return reader.has(offset, total) || (await reader.load(offset, total));
}

/** False for a headerless file (short or all zeros); throws on a foreign or newer header. */
export async function readHeader(reader: WindowReader, path: string): Promise<boolean> {
  if (!(await reader.load(0, FILE_HEADER_BYTES))) return false;
  const bytes = reader.buffer.subarray(0, FILE_HEADER_BYTES);
  if (bytes.every((b) => b === 0)) return false;
  checkFileHeader(decodeFileHeader(bytes), LOG_MAGIC, path);
  return true;
}

/** An open segment positioned at its first record. Close `file` when done. */
export interface OpenSegment {
  readonly file: DiskFile;
  readonly cursor: RecordCursor;
  /** False when the file has no valid header (created, never synced): it holds no records. */
  readonly hasHeader: boolean;
}

/**
 * Opens a log segment for reading through a window of `windowBytes`, checks its header and puts
 * a cursor before its first record.
 */
export async function openSegment(disk: Disk, path: string, windowBytes?: number): Promise<OpenSegment> {
  const file = await disk.open(path, OpenMode.read);
  try {
    const reader = new WindowReader(file, await file.size(), windowBytes);
    const hasHeader = await readHeader(reader, path);
    // A headerless file gets a cursor past its end, so it simply yields no records.
    return { file, cursor: new RecordCursor(reader, hasHeader ? FILE_HEADER_BYTES : reader.fileSize), hasHeader };
  } catch (error) {
    await file.close();
    throw error;
  }
}
