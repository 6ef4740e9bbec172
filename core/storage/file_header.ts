import { StorageError, StorageErrorCode } from "./storage_error.ts";

/**
 * The 16-byte header every storage file starts with:
 *
 *   magic (4 ASCII bytes) | format version u32 LE | dbid u64 LE
 *
 * The version lets a later Paddock read (and migrate) files of an earlier one, and makes this
 * one refuse files it does not understand instead of misreading them.
 */
export const FILE_HEADER_BYTES = 16;

/** Magic of txn log segments ("PDKL"). */
export const LOG_MAGIC = "PDKL";
/** Magic of snapshots ("PDKS"). */
export const SNAPSHOT_MAGIC = "PDKS";
/**
 * The format version this build writes and reads. 2: log records hold ZooKeeper's txn encoding
 * (core/txn/txn_codec.ts); version 1 records put the txn type twice and must not be read as 2.
 */
export const FORMAT_VERSION = 2;

/** A decoded header. */
export interface FileHeader {
  readonly magic: string;
  readonly version: number;
  readonly dbid: bigint;
}

/** Encodes a header for `magic` at the current {@link FORMAT_VERSION}. */
export function encodeFileHeader(magic: string, dbid: bigint): Uint8Array {
  const bytes = new Uint8Array(FILE_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i += 1) bytes[i] = magic.charCodeAt(i);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setBigUint64(8, dbid, true);
  return bytes;
}

/** Decodes a header without judging it. `bytes` must hold at least {@link FILE_HEADER_BYTES}. */
export function decodeFileHeader(bytes: Uint8Array): FileHeader {
  if (bytes.length < FILE_HEADER_BYTES) throw new Error("file header: short buffer");
  const view = new DataView(bytes.buffer, bytes.byteOffset, FILE_HEADER_BYTES);
  const magic = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  return { magic, version: view.getUint32(4, true), dbid: view.getBigUint64(8, true) };
}

/** Throws a typed error unless `header` has `magic` and a version this build reads. */
export function checkFileHeader(header: FileHeader, magic: string, path: string): void {
  if (header.magic !== magic) {
    throw new StorageError(StorageErrorCode.badMagic, `${path} does not start with ${magic} (found ${JSON.stringify(header.magic)}): not a Paddock ${magic === LOG_MAGIC ? "txn log" : "snapshot"}`);
  }
  if (header.version !== FORMAT_VERSION) {
    const why = header.version < FORMAT_VERSION
      ? "written by an older Paddock: start that version on this dataDir, or move the dataDir aside"
      : "written by a newer Paddock? upgrade, or restore a compatible dataDir";
    throw new StorageError(StorageErrorCode.unsupportedVersion, `${path} has format version ${header.version}; this Paddock reads version ${FORMAT_VERSION} (${why})`);
  }
}
