/**
 * ZooKeeper's tree digest (DigestCalculator version 2, NodeHashMapImpl, AdHash): every znode
 * outside the /zookeeper/ subtree hashes to a CRC-32 of its path, data and persisted Stat, and
 * the tree's digest is the sum of those hashes modulo 2^64. A sum can be kept up to date with one
 * subtraction and one addition per changed node, which is why ZooKeeper chose it: learners
 * compare it with the digest the leader logs beside each txn to catch divergence early.
 */
import { crc32, crc32Utf8 } from "../checksum/crc32.ts";
import { F64, I32, I32_BASE, PAGE_MASK, PAGE_SLOTS } from "./node_pages.ts";
import type { NodeReader } from "./node_reader.ts";

/** DigestCalculator.DIGEST_VERSION in 3.6-3.9: the version TxnDigest and snapshots carry. */
export const DIGEST_VERSION = 2;

/** ZooDefs.ZOOKEEPER_NODE_SUBTREE: nodes below it are left out (quota stats change locally). */
const EXCLUDED_PREFIX = "/zookeeper/";

/** The 60 bytes of Stat fields the digest covers, reused (hashing never re-enters). */
const statBytes = new Uint8Array(60);
const statView = new DataView(statBytes.buffer);

/**
 * The digest of one znode as ZooKeeper computes it: CRC-32 over the path's UTF-8 bytes ("/" as
 * ""), the data (nothing for null data) and czxid, mzxid, pzxid, ctime, mtime, version, cversion,
 * aversion, ephemeralOwner big-endian; 0 below /zookeeper/. `cversion` is the persisted one (child
 * creates), not the one clients see.
 *
 * @example nodeDigest("/a", tree.nodes, tree.find("/a")) // e.g. 2840582341
 */
export function nodeDigest(path: string, nodes: NodeReader, slot: number): number {
  if (path.startsWith(EXCLUDED_PREFIX)) return 0;
  return digestAfterPath(path === "/" ? 0 : crc32Utf8(0, path), nodes, slot);
}

/** The digest given the CRC-32 of the node's path (a snapshot loader carries it down the tree). */
export function digestAfterPath(pathCrc: number, nodes: NodeReader, slot: number): number {
  const page = nodes.page(slot);
  const f = slot & PAGE_MASK;
  const i = I32_BASE + f;
  const f64 = page.f64;
  const i32 = page.i32;
  putLong(0, f64[F64.czxid * PAGE_SLOTS + f]!);
  putLong(8, f64[F64.mzxid * PAGE_SLOTS + f]!);
  putLong(16, f64[F64.pzxid * PAGE_SLOTS + f]!);
  putLong(24, f64[F64.ctime * PAGE_SLOTS + f]!);
  putLong(32, f64[F64.mtime * PAGE_SLOTS + f]!);
  statView.setInt32(40, i32[i + I32.version * PAGE_SLOTS]!);
  statView.setInt32(44, i32[i + I32.cversion * PAGE_SLOTS]!);
  statView.setInt32(48, i32[i + I32.aversion * PAGE_SLOTS]!);
  statView.setInt32(52, i32[i + I32.ownerHigh * PAGE_SLOTS]!);
  statView.setInt32(56, i32[i + I32.ownerLow * PAGE_SLOTS]!);
  let crc = pathCrc;
  const length = i32[i + I32.dataLength * PAGE_SLOTS]!;
  if (length > 0) {
    const at = nodes.dataOffset(slot);
    crc = crc32(crc, nodes.regionBytes(slot), at, at + length);
  }
  return crc32(crc, statBytes);
}

/** The fields {@link fieldsDigest} hashes, in the protocol's types (a NodeView has them). */
export interface DigestFields {
  readonly data: Uint8Array;
  readonly czxid: bigint;
  readonly mzxid: bigint;
  readonly pzxid: bigint;
  readonly ctime: bigint;
  readonly mtime: bigint;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: bigint;
}

/**
 * {@link nodeDigest} of a node given by its fields (tests, and tools that change a field to see
 * what the digest would be).
 */
export function fieldsDigest(path: string, node: DigestFields): number {
  return imageDigest(path, {
    data: node.data, czxid: Number(node.czxid), mzxid: Number(node.mzxid), pzxid: Number(node.pzxid), ctime: Number(node.ctime),
    mtime: Number(node.mtime), version: node.version, cversion: node.cversion, aversion: node.aversion, ephemeralOwner: node.ephemeralOwner,
  });
}

/**
 * The fields {@link imageDigest} hashes with zxids and times as numbers, as the node store keeps
 * them (exact below 2^53): what the write path builds per txn without a bigint per field.
 */
export interface DigestImage {
  readonly data: Uint8Array;
  readonly czxid: number;
  readonly mzxid: number;
  readonly pzxid: number;
  readonly ctime: number;
  readonly mtime: number;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: bigint;
}

/** {@link nodeDigest} of a node given as a {@link DigestImage}. */
export function imageDigest(path: string, node: DigestImage): number {
  if (path.startsWith(EXCLUDED_PREFIX)) return 0;
  putLong(0, node.czxid);
  putLong(8, node.mzxid);
  putLong(16, node.pzxid);
  putLong(24, node.ctime);
  putLong(32, node.mtime);
  statView.setInt32(40, node.version);
  statView.setInt32(44, node.cversion);
  statView.setInt32(48, node.aversion);
  statView.setBigInt64(52, node.ephemeralOwner);
  const pathCrc = path === "/" || path === "" ? 0 : crc32Utf8(0, path);
  return crc32(crc32(pathCrc, node.data), statBytes);
}

function putLong(at: number, value: number): void {
  statView.setInt32(at, Math.floor(value / TWO_POW_32) | 0);
  statView.setUint32(at + 4, value >>> 0);
}

const TWO_POW_32 = 0x1_0000_0000;

/**
 * A running sum of node digests modulo 2^64, kept as two exact 32-bit halves (a double alone
 * would lose bits past about two million nodes, and a bigint per write costs more).
 */
export class DigestSum {
  #low = 0;
  #high = 0;

  add(digest: number): void {
    this.#low += digest;
    if (this.#low >= TWO_POW_32) {
      this.#low -= TWO_POW_32;
      this.#high = (this.#high + 1) >>> 0;
    }
  }

  remove(digest: number): void {
    this.#low -= digest;
    if (this.#low < 0) {
      this.#low += TWO_POW_32;
      this.#high = (this.#high - 1) >>> 0;
    }
  }

  clear(): void {
    this.#low = 0;
    this.#high = 0;
  }

  /** Sets the sum to a signed 64-bit value (as {@link value} gives it). */
  assign(value: bigint): void {
    this.#low = Number(BigInt.asUintN(32, value));
    this.#high = Number(BigInt.asUintN(32, value >> 32n));
  }

  /** The sum as ZooKeeper's signed 64-bit `long`. */
  get value(): bigint {
    return BigInt.asIntN(64, (BigInt(this.#high) << 32n) | BigInt(this.#low));
  }
}
