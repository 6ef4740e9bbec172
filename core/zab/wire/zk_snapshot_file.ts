/**
 * ZooKeeper's snapshot file (FileSnap, SnapStream in CHECKED mode, the default):
 *
 *   FileHeader ("ZKSN", 2, dbid) | sessions + tree (zk_snapshot.ts, no signature) | seal
 *   | ZxidDigest (long zxid, int version, long digest) | seal      3.6+, digest enabled
 *   | long lastProcessedZxid | seal                                3.9+
 *
 * where a seal is the Adler-32 of every byte before it, as a long, then the ustring "/". Older
 * writers stop after an earlier seal; readers accept that, as ZooKeeper does. Compressed
 * snapshots (snapshot.*.gz, *.snappy) are not read here.
 */
import { adler32 } from "../../checksum/adler32.ts";
import { JuteError, JuteReader } from "../../proto/jute_reader.ts";
import { JuteWriter } from "../../proto/jute_writer.ts";
import type { ACL } from "../../proto/records.ts";
import type { DataTree } from "../../tree/data_tree.ts";
import type { TreeSource } from "../../tree/tree_image.ts";
import { DIGEST_VERSION } from "../../tree/tree_digest.ts";
import { readZkFileHeader, SNAP_MAGIC, ZK_FILE_HEADER_BYTES, ZK_FILE_VERSION, writeZkFileHeader, type ZkFileHeader } from "./zk_file_header.ts";
import { encodeZkSnapshot, type SessionTimeout, ZkSnapshotDecoder, type ZkSnapshotEncodeOptions } from "./zk_snapshot.ts";
import { WireError, WireErrorCode } from "./wire_error.ts";

/** The tree digest a snapshot records, with the zxid of the txn it follows (DataTree.ZxidDigest). */
export interface ZxidDigest {
  zxid: bigint;
  digestVersion: number;
  digest: bigint;
}

/** What a snapshot file holds besides the tree it was loaded into. */
export interface ZkSnapshotFile {
  header: ZkFileHeader;
  /** Sessions in file order. */
  sessions: SessionTimeout[];
  /** The ACL map (ref to list), the numbering ZooKeeper's history gave the lists. */
  acls: ReadonlyMap<bigint, readonly ACL[]>;
  /** Absent in files written before 3.6 or with the digest disabled; zxid 0 means "none yet". */
  zxidDigest?: ZxidDigest;
  /** Absent in files written before 3.9. ZooKeeper itself trusts the file name's zxid. */
  lastProcessedZxid?: bigint;
}

/** The seal after each part: a long checksum and the string "/". */
const SEAL_BYTES = 8 + 4 + 1;

/**
 * Loads a snapshot file (its whole bytes) into `tree` and checks every seal. Throws WireError on
 * a wrong magic, a bad checksum or bytes that are no snapshot.
 *
 * @example const snap = decodeZkSnapshotFile(readFileSync(`${dataDir}/version-2/snapshot.1a`), tree);
 */
export function decodeZkSnapshotFile(file: Uint8Array, tree: DataTree, what = "snapshot"): ZkSnapshotFile {
  const header = readZkFileHeader(new JuteReader(file), SNAP_MAGIC, what);
  const body = new ZkSnapshotDecoder(tree, { signature: false });
  if (!body.push(file.subarray(ZK_FILE_HEADER_BYTES))) body.end();
  const result: ZkSnapshotFile = { header, sessions: body.sessions, acls: body.acls };
  const r = new JuteReader(file, ZK_FILE_HEADER_BYTES + body.consumedBytes);
  checkSeal(file, r, what);
  try {
    if (r.remaining === 0) return result;
    result.zxidDigest = readZxidDigest(r);
    checkSeal(file, r, what);
    if (r.remaining === 0) return result;
    result.lastProcessedZxid = r.long();
    checkSeal(file, r, what);
  } catch (error) {
    if (error instanceof JuteError) throw new WireError(WireErrorCode.truncated, `${what}: ${error.message}`);
    throw error;
  }
  if (r.remaining !== 0) throw new WireError(WireErrorCode.malformed, `${what}: ${r.remaining} bytes after the last seal`);
  return result;
}

function readZxidDigest(r: JuteReader): ZxidDigest {
  const zxid = r.long();
  const digestVersion = r.int();
  // Version 1 wrote the digest as a hex string.
  const digest = digestVersion < 2 ? BigInt.asIntN(64, BigInt(`0x${r.ustring() || "0"}`)) : r.long();
  return { zxid, digestVersion, digest };
}

function checkSeal(file: Uint8Array, r: JuteReader, what: string): void {
  const covered = r.offset;
  if (r.remaining < SEAL_BYTES) throw new WireError(WireErrorCode.truncated, `${what}: ends at ${covered}, before its seal`);
  const sealed = r.long();
  r.ustring();
  const actual = BigInt(adler32(1, file, 0, covered));
  if (actual !== sealed) throw new WireError(WireErrorCode.badChecksum, `${what}: Adler-32 of the first ${covered} bytes is ${actual.toString(16)}, sealed ${sealed.toString(16)}`);
}

/** What a snapshot file records besides the tree and sessions. */
export interface ZkSnapshotFileOptions extends Pick<ZkSnapshotEncodeOptions, "aclRef" | "chunkBytes"> {
  /** FileSnap writes -1. */
  dbid: bigint;
  /**
   * Default, for a live tree: its digest at its lastProcessedZxid, or all zeros before the first
   * txn. A frozen image (a TreeSource) does not carry its digest: the caller passes it.
   */
  zxidDigest?: ZxidDigest;
  /** Default: the tree's (or the source's) zxid. */
  lastProcessedZxid?: bigint;
}

/**
 * Encodes a snapshot file as ZooKeeper 3.9 writes it, in chunks (the Adler-32 runs along), from a
 * live tree or a frozen image's source (tree_image.ts).
 *
 * @example writeFileSync(`snapshot.${hex}`, concat([...encodeZkSnapshotFile(tree, sessions, { dbid: -1n })]));
 */
export function* encodeZkSnapshotFile(
  from: DataTree | TreeSource,
  sessions: Iterable<SessionTimeout>,
  opts: ZkSnapshotFileOptions,
): Generator<Uint8Array, void, void> {
  const tree = "store" in from ? from : null;
  const zxid = "store" in from ? from.lastProcessedZxid : from.zxid();
  if (tree === null && opts.zxidDigest === undefined) throw new TypeError("encodeZkSnapshotFile: an image's digest must be given");
  const zxidDigest = opts.zxidDigest ?? { zxid, digestVersion: DIGEST_VERSION, digest: zxid === 0n ? 0n : tree!.digest };
  let checksum = 1;
  const emit = (bytes: Uint8Array) => {
    checksum = adler32(checksum, bytes);
    return bytes;
  };
  const head = new JuteWriter(ZK_FILE_HEADER_BYTES);
  writeZkFileHeader(head, { magic: SNAP_MAGIC, version: ZK_FILE_VERSION, dbid: opts.dbid });
  yield emit(head.bytes());
  for (const chunk of encodeZkSnapshot(from, sessions, { ...opts, signature: false })) yield emit(chunk);
  const tail = [
    (w: JuteWriter) => w.long(zxidDigest.zxid).int(zxidDigest.digestVersion).long(zxidDigest.digest),
    (w: JuteWriter) => w.long(opts.lastProcessedZxid ?? zxid),
  ];
  for (const part of [null, ...tail]) {
    if (part !== null) {
      const w = new JuteWriter(32);
      part(w);
      yield emit(w.bytes());
    }
    const seal = new JuteWriter(SEAL_BYTES);
    seal.long(BigInt(checksum)).ustring("/");
    yield emit(seal.bytes());
  }
}
