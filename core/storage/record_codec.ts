import { crc32c } from "./crc32c.ts";

/**
 * One txn log record, little-endian:
 *
 *   crc32c u32 | payloadLength u32 | zxid u64 | payload
 *
 * The CRC covers everything after itself (length, zxid, payload), so a corrupt length or zxid is
 * caught as surely as a corrupt payload. An all-zero header can never verify (zxid 0 is never
 * logged), which is how preallocated space is told from records.
 */
export const RECORD_HEADER_BYTES = 16;

/**
 * Largest payload recovery accepts. Well above jute.maxbuffer (1 MiB by default) so a server
 * configured for big multi-ops still recovers, but small enough that garbage is not mistaken for
 * a length that makes us read gigabytes.
 */
export const MAX_RECORD_PAYLOAD_BYTES = 256 * 1024 * 1024;

/** Bytes a record with this payload takes in the log. */
export function recordBytes(payloadLength: number): number {
  return RECORD_HEADER_BYTES + payloadLength;
}

/**
 * Writes one record into `target` at `offset` (which must have room) and returns the offset after
 * it. `view` is a DataView over `target`, passed in so the hot path allocates nothing.
 */
export function encodeRecord(target: Uint8Array, view: DataView, offset: number, zxid: bigint, payload: Uint8Array): number {
  const end = offset + RECORD_HEADER_BYTES + payload.length;
  if (end > target.length) throw new Error("record codec: target buffer too small");
  view.setUint32(offset + 4, payload.length, true);
  view.setBigUint64(offset + 8, zxid, true);
  target.set(payload, offset + RECORD_HEADER_BYTES);
  view.setUint32(offset, crc32c(0, target, offset + 4, end), true);
  return end;
}

/** What {@link checkRecord} finds at an offset. */
export const RecordCheck = {
  /** A whole record whose CRC verifies. */
  valid: "valid",
  /** The buffer ends before the record does. */
  incomplete: "incomplete",
  /** Sixteen zero bytes: preallocated space, the normal end of a segment. */
  zeros: "zeros",
  /** Length out of range or CRC mismatch. */
  invalid: "invalid",
} as const;

/** One of the values of {@link RecordCheck}. */
export type RecordCheck = (typeof RecordCheck)[keyof typeof RecordCheck];

/**
 * Checks the record at `offset` of `buffer` (valid bytes end at `end`). Pure; allocates nothing.
 * On `valid`, read its zxid with {@link recordZxid} and length with {@link recordPayloadLength}.
 */
export function checkRecord(buffer: Uint8Array, view: DataView, offset: number, end: number): RecordCheck {
  if (end - offset < RECORD_HEADER_BYTES) return RecordCheck.incomplete;
  const length = view.getUint32(offset + 4, true);
  const crc = view.getUint32(offset, true);
  if (length === 0 && crc === 0 && view.getBigUint64(offset + 8, true) === 0n) return RecordCheck.zeros;
  if (length > MAX_RECORD_PAYLOAD_BYTES) return RecordCheck.invalid;
  const recordEnd = offset + RECORD_HEADER_BYTES + length;
  if (recordEnd > end) return RecordCheck.incomplete;
  return crc32c(0, buffer, offset + 4, recordEnd) === crc ? RecordCheck.valid : RecordCheck.invalid;
}

/** The zxid field of the record at `offset`. */
export function recordZxid(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 8, true);
}

/** The payload length field of the record at `offset`. */
export function recordPayloadLength(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true);
}
