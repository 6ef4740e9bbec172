import type { JuteReader } from "../../proto/jute_reader.ts";
import { JuteWriter } from "../../proto/jute_writer.ts";
import { WireError, WireErrorCode } from "./wire_error.ts";

/** The FileHeader ZooKeeper's txn logs and snapshots start with (jute, big-endian). */
export interface ZkFileHeader {
  /** 4 ASCII bytes: "ZKLG" for a txn log, "ZKSN" for a snapshot. */
  magic: string;
  version: number;
  dbid: bigint;
}

/** int magic, int version, long dbid. */
export const ZK_FILE_HEADER_BYTES = 16;
/** FileTxnLog.TXNLOG_MAGIC. */
export const TXNLOG_MAGIC = "ZKLG";
/** FileSnap.SNAP_MAGIC. */
export const SNAP_MAGIC = "ZKSN";
/** FileTxnLog.VERSION and FileSnap.VERSION in 3.x. */
export const ZK_FILE_VERSION = 2;

/** Writes a FileHeader. */
export function writeZkFileHeader(w: JuteWriter, header: ZkFileHeader): void {
  const m = header.magic;
  w.int((m.charCodeAt(0) << 24) | (m.charCodeAt(1) << 16) | (m.charCodeAt(2) << 8) | m.charCodeAt(3));
  w.int(header.version).long(header.dbid);
}

/** Reads a FileHeader and checks its magic (ZooKeeper checks nothing else). */
export function readZkFileHeader(r: JuteReader, magic: string, what: string): ZkFileHeader {
  if (r.remaining < ZK_FILE_HEADER_BYTES) throw new WireError(WireErrorCode.truncated, `${what}: ${r.remaining} bytes, shorter than a file header`);
  const magicInt = r.int();
  const found = String.fromCharCode((magicInt >>> 24) & 0xff, (magicInt >>> 16) & 0xff, (magicInt >>> 8) & 0xff, magicInt & 0xff);
  if (found !== magic) throw new WireError(WireErrorCode.badHeader, `${what}: magic ${JSON.stringify(found)}, expected ${magic}`);
  return { magic: found, version: r.int(), dbid: r.long() };
}

/** A FileHeader as its own 16 bytes. */
export function encodeZkFileHeader(header: ZkFileHeader): Uint8Array {
  const w = new JuteWriter(ZK_FILE_HEADER_BYTES);
  writeZkFileHeader(w, header);
  return w.bytes().slice();
}
