/**
 * ZooKeeper's txn log file (FileTxnLog): a FileHeader ("ZKLG", 2, dbid), then per txn
 *
 *   long adler32(txn) | int length | txn bytes (txn_codec.ts) | byte 0x42 ('B')
 *
 * and then zeros: ZooKeeper preallocates the file in 64 MiB steps, and a zero length ends the
 * log. A record cut short (no 'B') is a partial last write, which ZooKeeper drops.
 */
import { adler32 } from "../../checksum/adler32.ts";
import { JuteReader } from "../../proto/jute_reader.ts";
import { JuteWriter } from "../../proto/jute_writer.ts";
import { readZkFileHeader, TXNLOG_MAGIC, writeZkFileHeader, ZK_FILE_HEADER_BYTES, ZK_FILE_VERSION, type ZkFileHeader } from "./zk_file_header.ts";
import { ZK_MAX_LENGTH_BYTES } from "./zk_snapshot.ts";
import { WireError, WireErrorCode } from "./wire_error.ts";

/** The end of the record marker (Util.writeTxnBytes). */
const END_OF_RECORD = 0x42;

/** How a txn log file's records ended. */
export const ZkLogEnd = {
  /** The file ends after the last record. */
  eof: "eof",
  /** Zero padding follows the last record (a preallocated file). */
  padding: "padding",
  /** The last record is cut short (a crash mid-write): ZooKeeper ignores it. */
  partial: "partial",
} as const;

/** One of the values of {@link ZkLogEnd}. */
export type ZkLogEnd = (typeof ZkLogEnd)[keyof typeof ZkLogEnd];

/** A txn log file, read. */
export interface ZkTxnLog {
  header: ZkFileHeader;
  /** Each record's txn bytes, checksum verified, for decodeTxn. */
  txns: Uint8Array[];
  end: ZkLogEnd;
}

/**
 * Reads a txn log file's records. Throws WireError on a wrong magic or a record whose Adler-32
 * does not match its bytes (ZooKeeper stops with "CRC check failed").
 *
 * @example for (const bytes of readZkTxnLog(readFileSync(path)).txns) replay(decodeTxn(bytes));
 */
export function readZkTxnLog(file: Uint8Array, what = "txn log"): ZkTxnLog {
  const header = readZkFileHeader(new JuteReader(file), TXNLOG_MAGIC, what);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const txns: Uint8Array[] = [];
  let at = ZK_FILE_HEADER_BYTES;
  for (;;) {
    const left = file.length - at;
    if (left === 0) return { header, txns, end: ZkLogEnd.eof };
    if (left < 12) return { header, txns, end: allZero(file, at) ? ZkLogEnd.padding : ZkLogEnd.partial };
    const checksum = view.getBigInt64(at);
    const length = view.getInt32(at + 8);
    if (length === 0) return { header, txns, end: ZkLogEnd.padding };
    if (length < 0 || length > ZK_MAX_LENGTH_BYTES) throw new WireError(WireErrorCode.malformed, `${what}: record at ${at} has length ${length}`);
    const start = at + 12;
    if (file.length - start < length + 1 || file[start + length] !== END_OF_RECORD) return { header, txns, end: ZkLogEnd.partial };
    const bytes = file.subarray(start, start + length);
    const actual = adler32(1, bytes);
    if (BigInt(actual) !== checksum) {
      throw new WireError(WireErrorCode.badChecksum, `${what}: record at ${at}: Adler-32 ${actual.toString(16)}, logged ${checksum.toString(16)}`);
    }
    txns.push(bytes);
    at = start + length + 1;
  }
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * A txn log file holding `txns` (encoded txns), as FileTxnLog writes it, without the padding.
 *
 * @example writeFileSync(`log.${zxidHex(first)}`, encodeZkTxnLog(0n, [encodeTxn(h, t, d)]));
 */
export function encodeZkTxnLog(dbid: bigint, txns: readonly Uint8Array[]): Uint8Array {
  let size = 16;
  for (const txn of txns) size += 13 + txn.length;
  const w = new JuteWriter(size);
  writeZkFileHeader(w, { magic: TXNLOG_MAGIC, version: ZK_FILE_VERSION, dbid });
  for (const txn of txns) {
    w.long(BigInt(adler32(1, txn))).buffer(txn);
    w.raw(END_MARK);
  }
  return w.bytes();
}

const END_MARK = new Uint8Array([END_OF_RECORD]);
