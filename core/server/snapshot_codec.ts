/**
 * Paddock's own snapshot format (the data part of a snapshot file; snapshot_files.ts frames it),
 * version 2:
 *
 *   int 2 | long zxid | int flags (1: digests included)
 *   int n, n x (long sessionId, int timeoutMs)
 *   int n, n x (int aclId, vector<ACL>)              id 0 is the system OPEN_ACL and never listed
 *   int nodeCount, nodeCount x node, pre-order (a parent before its children, children in insertion order):
 *     int parent (index of its record; -1 for the root) | int nameLength | name | int dataLength (-1 null) | data
 *     | int aclId | long czxid, mzxid, ctime, mtime | int version, cversion, aversion | long ephemeralOwner
 *     | long pzxid | int childrenPeak | int digest
 *
 * Nodes name their parent by record number and carry their own name only, so loading needs no
 * path lookup and no string; a loaded tree keeps each node's children in the order they were
 * created. Version 1 (full paths, ACL table by position) is still read.
 *
 * Encoding reads a frozen image (tree_image.ts), so it can run in slices or in a worker while the
 * tree moves on.
 */
import { crc32 } from "../checksum/crc32.ts";
import { JuteError, JuteReader } from "../proto/jute_reader.ts";
import { JuteWriter } from "../proto/jute_writer.ts";
import { type ACL, readAcls, writeAcls } from "../proto/records.ts";
import type { SessionTracker } from "../session/session_tracker.ts";
import { copyBytes, REGION_HEADER_BYTES } from "../tree/byte_arena.ts";
import { DataTree, OPEN_ACL, TreeInconsistency } from "../tree/data_tree.ts";
import { F64, I32, I32_BASE, PAGE_MASK, PAGE_SLOTS } from "../tree/node_pages.ts";
import { ImageReader, NO_SLOT, type NodeReader, ROOT_SLOT } from "../tree/node_reader.ts";
import { digestAfterPath } from "../tree/tree_digest.ts";
import { captureImage, type ImageSession, type TreeImage } from "../tree/tree_image.ts";
import { NULL_DATA } from "../tree/znode.ts";

const FORMAT_V1 = 1;
const FORMAT_V2 = 2;
const FLAG_DIGESTS = 1;
/** A node record without its name and data. */
const NODE_FIXED_BYTES = 4 + 4 + 4 + 4 + 8 * 4 + 4 * 3 + 8 + 8 + 4 + 4;
/** Nodes encoded between two yields. */
const NODES_PER_SLICE = 8192;

/** Captures `tree` and `sessions` for a snapshot (see tree_image.ts); release the result once encoded. */
export function captureSnapshot(tree: DataTree, sessions: SessionTracker) {
  return captureImage(tree, liveSessions(sessions));
}

/** The sessions a snapshot keeps: all but those closing. */
export function liveSessions(sessions: SessionTracker): ImageSession[] {
  const live: ImageSession[] = [];
  for (const s of sessions.all()) if (!s.closing) live.push({ sessionId: s.sessionId, timeoutMs: s.timeoutMs });
  return live;
}

/** Bytes per chunk of an encoded snapshot (a record never straddles two). */
export const SNAPSHOT_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * What {@link encodeSnapshotPieces} produces, in order: the total size (once, first), then the
 * bytes in chunks; `null` marks a point where a caller on an event loop can let other work run.
 */
export type SnapshotPiece = { readonly size: number } | { readonly chunk: Uint8Array } | null;

/**
 * Encodes an image as chunks of about `chunkBytes`: a first pass finds the pre-order and the
 * exact size (announced before any byte), the second writes the records. A writer streams the
 * chunks to disk as they come, so a million znodes never need one 200 MB buffer. Yields `null`
 * every few thousand nodes (a worker ignores those). Each chunk is written into `buffer(n)` (at
 * least n bytes), a new array unless the caller recycles them.
 */
export function* encodeSnapshotPieces(
  image: TreeImage,
  chunkBytes = SNAPSHOT_CHUNK_BYTES,
  buffer: (minBytes: number) => Uint8Array = (minBytes) => new Uint8Array(minBytes),
): Generator<SnapshotPiece, void> {
  const nodes = new ImageReader(image.pages, image.chunks);
  // Pass 1: the pre-order and the exact size.
  const order = new Int32Array(image.nodeCount);
  let count = 0;
  const header = snapshotHeader(image);
  let bytes = header.length;
  const stack = [ROOT_SLOT];
  // Bounded: each node is pushed once, and no more than the image's node count are taken.
  while (stack.length > 0) {
    if (count === image.nodeCount) throw new Error(`snapshot: more nodes than the ${image.nodeCount} captured`);
    const slot = stack.pop()!;
    order[count++] = slot;
    bytes += recordBytes(nodes, slot);
    for (let c = nodes.lastChild(slot); c !== NO_SLOT; c = nodes.prevSibling(c)) stack.push(c);
    if ((count & (NODES_PER_SLICE - 1)) === 0) yield null;
  }
  if (count !== image.nodeCount) throw new Error(`snapshot: ${count} nodes reachable, ${image.nodeCount} captured`);
  yield { size: bytes };
  // Pass 2: the records, a record referring to its parent by record number.
  let out = buffer(Math.max(chunkBytes, header.length));
  let view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out.set(header);
  let used = header.length;
  let emitted = 0;
  const recordOf = new Int32Array(nodes.capacity);
  for (let i = 0; i < count; i++) {
    const slot = order[i]!;
    recordOf[slot] = i;
    const size = recordBytes(nodes, slot);
    if (used + size > out.length) {
      yield { chunk: out.subarray(0, used) };
      emitted += used;
      out = buffer(Math.max(chunkBytes, size));
      view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      used = 0;
    }
    used = writeRecord(out, view, used, nodes, slot, slot === ROOT_SLOT ? -1 : recordOf[nodes.parent(slot)]!);
    if ((i & (NODES_PER_SLICE - 1)) === NODES_PER_SLICE - 1) yield null;
  }
  yield { chunk: out.subarray(0, used) };
  emitted += used;
  if (emitted !== bytes) throw new Error(`snapshot: wrote ${emitted} bytes of ${bytes}`);
}

/**
 * The same as one buffer, yielding `undefined` where {@link encodeSnapshotPieces} yields `null`
 * (tests, a restore, a learner installing what it received).
 */
export function* encodeSnapshotSlices(image: TreeImage): Generator<void, Uint8Array> {
  let whole: Uint8Array | null = null;
  let at = 0;
  for (const piece of encodeSnapshotPieces(image)) {
    if (piece === null) yield;
    else if ("size" in piece) whole = new Uint8Array(piece.size);
    else {
      whole!.set(piece.chunk, at);
      at += piece.chunk.length;
    }
  }
  return whole!;
}

/** What a snapshot's header says besides its nodes (a captured image has it all). */
export type SnapshotHeaderFields = Pick<TreeImage, "zxid" | "digestEnabled" | "sessions" | "acls" | "nodeCount">;

/** The bytes before the first node record: version, zxid, flags, sessions, ACL table, node count. */
export function snapshotHeader(fields: SnapshotHeaderFields): Uint8Array {
  const header = new JuteWriter(1024);
  header.int(FORMAT_V2).long(fields.zxid).int(fields.digestEnabled ? FLAG_DIGESTS : 0);
  header.int(fields.sessions.length);
  for (const s of fields.sessions) header.long(s.sessionId).int(s.timeoutMs);
  header.int(fields.acls.filter((a, id) => id > 0 && a !== null).length);
  for (let id = 1; id < fields.acls.length; id++) {
    const acl = fields.acls[id] ?? null;
    if (acl === null) continue;
    header.int(id);
    writeAcls(header, acl);
  }
  header.int(fields.nodeCount);
  return header.bytes();
}

/** The size of a node's record. */
export function recordBytes(nodes: NodeReader, slot: number): number {
  return NODE_FIXED_BYTES + nodes.nameLength(slot) + Math.max(0, nodes.dataLength(slot));
}

/** Where a record's childrenPeak field is, counted back from the record's end. */
export const RECORD_PEAK_FROM_END = 8;

/**
 * Writes a node's record at `at` (there must be {@link recordBytes} of room) from a live tree's
 * nodes or an image's; returns where the record ends.
 */
export function writeRecord(out: Uint8Array, view: DataView, at: number, nodes: NodeReader, slot: number, parentRecord: number): number {
  const page = nodes.page(slot);
  const f = slot & PAGE_MASK;
  const i = I32_BASE + f;
  const f64 = page.f64;
  const i32 = page.i32;
  const chunk = nodes.chunkBytes(i32[i + I32.regionChunk * PAGE_SLOTS]!);
  const region = i32[i + I32.regionOffset * PAGE_SLOTS]!;
  const nameLength = chunk.i32[(region >> 2) + 1]!;
  const dataLength = i32[i + I32.dataLength * PAGE_SLOTS]!;
  view.setInt32(at, parentRecord);
  view.setInt32(at + 4, nameLength);
  at += 8;
  const nameAt = region + REGION_HEADER_BYTES;
  copyBytes(out, at, chunk.u8, nameAt, nameLength);
  at += nameLength;
  view.setInt32(at, dataLength);
  at += 4;
  if (dataLength > 0) {
    copyBytes(out, at, chunk.u8, nameAt + nameLength, dataLength);
    at += dataLength;
  }
  view.setInt32(at, i32[i + I32.aclId * PAGE_SLOTS]!);
  putLong(view, at + 4, f64[F64.czxid * PAGE_SLOTS + f]!);
  putLong(view, at + 12, f64[F64.mzxid * PAGE_SLOTS + f]!);
  putLong(view, at + 20, f64[F64.ctime * PAGE_SLOTS + f]!);
  putLong(view, at + 28, f64[F64.mtime * PAGE_SLOTS + f]!);
  view.setInt32(at + 36, i32[i + I32.version * PAGE_SLOTS]!);
  view.setInt32(at + 40, i32[i + I32.cversion * PAGE_SLOTS]!);
  view.setInt32(at + 44, i32[i + I32.aversion * PAGE_SLOTS]!);
  view.setInt32(at + 48, i32[i + I32.ownerHigh * PAGE_SLOTS]!);
  view.setInt32(at + 52, i32[i + I32.ownerLow * PAGE_SLOTS]!);
  putLong(view, at + 56, f64[F64.pzxid * PAGE_SLOTS + f]!);
  view.setInt32(at + 64, i32[i + I32.childrenPeak * PAGE_SLOTS]!);
  view.setInt32(at + 68, i32[i + I32.digest * PAGE_SLOTS]!);
  return at + 72;
}

function putLong(view: DataView, at: number, value: number): void {
  view.setInt32(at, Math.floor(value / 0x1_0000_0000) | 0);
  view.setUint32(at + 4, value >>> 0);
}

/** Runs an encoding generator to its end at once (tests, a worker, an admin snapshot). */
export function finishSlices<T>(slices: Generator<void, T>): T {
  // Bounded by the generator: it ends after its last slice.
  for (let step = slices.next(); ; step = slices.next()) if (step.done) return step.value;
}

/** Captures and encodes in one go (tests, the admin `snapshot` command, a restore). */
export function encodeSnapshot(tree: DataTree, sessions: SessionTracker): Uint8Array {
  const captured = captureSnapshot(tree, sessions);
  try {
    return finishSlices(encodeSnapshotSlices(captured.image));
  } finally {
    captured.release();
  }
}

/** Where a loaded snapshot's sessions go (a SessionTracker, or a plain list). */
export interface SessionSink {
  add(sessionId: bigint, timeoutMs: number, nowMs: number): unknown;
}

/** Loads a snapshot into an empty tree and session tracker. */
export function decodeSnapshot(bytes: Uint8Array, tree: DataTree, sessions: SessionSink, nowMs: number): void {
  const decoder = new SnapshotDecoder(tree, sessions, nowMs, bytes.length);
  decoder.feed(bytes, true);
  decoder.finish();
}

/**
 * Loads a snapshot handed over in pieces, as a file is read: each {@link feed} decodes the whole
 * records a window holds and says how far it got, and the caller comes back with the rest plus
 * more. Recovery so reads a 200 MB snapshot through one reused buffer instead of into a fresh
 * one: on a VM every fresh page costs a fault, and those faults were a sixth of a restart.
 * Nothing is decoded twice; the header (sessions, ACL table) is taken whole, once a window holds it.
 *
 * @example const d = new SnapshotDecoder(tree, sessions, 0, bytes.length); d.feed(bytes, true); d.finish();
 */
export class SnapshotDecoder {
  readonly #tree: DataTree;
  readonly #sessions: SessionSink;
  readonly #nowMs: number;
  readonly #totalBytes: number;
  #records: RecordLoader | null = null;
  #consumed = 0;

  /** `totalBytes`: the snapshot's whole length (it bounds every count the header gives). */
  constructor(tree: DataTree, sessions: SessionSink, nowMs: number, totalBytes: number) {
    this.#tree = tree;
    this.#sessions = sessions;
    this.#nowMs = nowMs;
    this.#totalBytes = totalBytes;
  }

  /**
   * Decodes the whole records at the start of `window` (the bytes after those already used);
   * returns how many bytes it used. `final`: nothing follows `window`, so a cut record is an error.
   */
  feed(window: Uint8Array, final: boolean): number {
    let used = 0;
    if (this.#records === null) {
      const header = this.#header(window, final || this.#consumed + window.length >= this.#totalBytes);
      if (header === 0) return 0;
      used = header;
    }
    if (this.#records !== null) used = this.#records.load(window, used, final);
    this.#consumed += used;
    return used;
  }

  /** After the last byte: checks that nothing was left over, and settles the tree. */
  finish(): void {
    if (this.#records === null) throw new Error("snapshot: cut short in its header");
    if (!this.#records.complete) throw new Error(`snapshot: cut short after ${this.#records.loaded} of ${this.#records.count} nodes`);
    if (this.#consumed !== this.#totalBytes) throw new Error(`snapshot: ${this.#totalBytes - this.#consumed} bytes after the last node`);
    this.#tree.acls.trim();
    this.#tree.rebuildQuotas();
  }

  /** Parses the header once `window` holds all of it (returns its length, or 0 to be fed more). */
  #header(window: Uint8Array, whole: boolean): number {
    const r = new JuteReader(window);
    let header: SnapshotHeader;
    try {
      const version = r.int();
      if (version === FORMAT_V1) {
        if (!whole) return 0;
        decodeV1(r, this.#tree, this.#sessions, this.#nowMs);
        this.#records = RecordLoader.none();
        return window.length;
      }
      if (version !== FORMAT_V2) throw new Error(`snapshot: unknown format version ${version}`);
      header = readHeaderV2(r, this.#totalBytes);
    } catch (error) {
      // A header longer than the window (a million sessions) needs a longer window.
      if (error instanceof JuteError && !whole) return 0;
      throw error;
    }
    const tree = this.#tree;
    tree.lastProcessedZxid = header.zxid;
    for (let i = 0; i < header.sessionIds.length; i++) this.#sessions.add(header.sessionIds[i]!, header.sessionTimeouts[i]!, this.#nowMs);
    tree.clearForLoad();
    tree.acls.load(header.aclLists);
    this.#records = new RecordLoader(tree, header.nodeCount, header.digestsIncluded);
    return r.offset;
  }
}

/** A version 2 header, read without touching the tree (it may be read again from a longer window). */
interface SnapshotHeader {
  readonly zxid: bigint;
  readonly digestsIncluded: boolean;
  readonly sessionIds: bigint[];
  readonly sessionTimeouts: number[];
  readonly aclLists: (readonly ACL[] | null)[];
  readonly nodeCount: number;
}

function readHeaderV2(r: JuteReader, totalBytes: number): SnapshotHeader {
  const zxid = r.long();
  const flags = r.int();
  const sessionCount = countWithin(r.int(), 12, totalBytes, "sessions");
  const sessionIds: bigint[] = [];
  const sessionTimeouts: number[] = [];
  for (let i = 0; i < sessionCount; i++) {
    sessionIds.push(r.long());
    sessionTimeouts.push(r.int());
  }
  const aclCount = countWithin(r.int(), 8, totalBytes, "ACL lists");
  const aclLists: (readonly ACL[] | null)[] = [OPEN_ACL];
  for (let i = 0; i < aclCount; i++) {
    const id = r.int();
    if (id <= 0 || id > 1 << 24 || aclLists[id] !== undefined && aclLists[id] !== null) throw new Error(`snapshot: bad ACL id ${id}`);
    for (let k = aclLists.length; k < id; k++) aclLists[k] = null;
    aclLists[id] = readAcls(r) ?? [];
  }
  const nodeCount = countWithin(r.int(), NODE_FIXED_BYTES, totalBytes, "nodes");
  return { zxid, digestsIncluded: (flags & FLAG_DIGESTS) !== 0, sessionIds, sessionTimeouts, aclLists, nodeCount };
}

/** A count from the header, if that many elements of at least `elementBytes` fit in the snapshot. */
function countWithin(count: number, elementBytes: number, totalBytes: number, what: string): number {
  if (count < 0 || count * elementBytes > totalBytes) throw new Error(`snapshot: ${count} ${what} cannot fit in ${totalBytes} bytes`);
  return count;
}

/** Puts the node records of a version 2 snapshot into a tree, as windows of them come. */
class RecordLoader {
  readonly #tree: DataTree | null;
  readonly count: number;
  readonly #trustDigests: boolean;
  /** Whether each node's path CRC is needed (its digest is computed, not read). */
  readonly #needPathCrcs: boolean;
  /** Per record: its slot, the CRC-32 of its path, the UTF-16 length of its path. */
  readonly #slots: Int32Array;
  readonly #pathCrcs: Int32Array;
  readonly #pathLengths: Int32Array;
  /** Per record: whether it is /zookeeper (1) or below it (2), which the digest leaves out. */
  readonly #system: Uint8Array;
  /** Records loaded so far. */
  loaded = 0;
  #bytes: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));

  constructor(tree: DataTree | null, count: number, digestsIncluded: boolean) {
    this.#tree = tree;
    this.count = count;
    this.#trustDigests = digestsIncluded;
    this.#needPathCrcs = tree !== null && tree.digestEnabled && !digestsIncluded;
    this.#slots = new Int32Array(count);
    this.#pathCrcs = new Int32Array(this.#needPathCrcs ? count : 0);
    this.#pathLengths = new Int32Array(count);
    this.#system = new Uint8Array(count);
  }

  /** The loader of a version 1 snapshot, whose nodes went in with its header. */
  static none(): RecordLoader {
    return new RecordLoader(null, 0, false);
  }

  get complete(): boolean {
    return this.loaded === this.count;
  }

  /** Loads the whole records of `window` from `start`; returns where the first one not loaded begins. */
  load(window: Uint8Array, start: number, final: boolean): number {
    this.#bytes = window;
    this.#view = new DataView(window.buffer, window.byteOffset, window.byteLength);
    let at = start;
    // Bounded by the record count; each round loads one record or stops.
    while (this.loaded < this.count) {
      const next = this.#record(this.loaded, at);
      if (next < 0) {
        if (final) throw new Error(`snapshot: node ${this.loaded} is cut short`);
        break;
      }
      at = next;
      this.loaded++;
    }
    return at;
  }

  /** Loads record `index` at `at`; returns where the next begins, or -1 if the window cuts it. */
  #record(index: number, at: number): number {
    const bytes = this.#bytes;
    const view = this.#view;
    const end = bytes.length;
    if (at + 8 > end) return -1;
    const parentRecord = view.getInt32(at);
    const nameLength = view.getInt32(at + 4);
    if (index === 0 ? parentRecord !== -1 : parentRecord < 0 || parentRecord >= index) {
      throw new TreeInconsistency(`snapshot: node ${index} names parent ${parentRecord}`);
    }
    if (nameLength < 0 || (index === 0) !== (nameLength === 0)) throw new Error(`snapshot: node ${index} has a name of ${nameLength} bytes`);
    const nameAt = at + 8;
    if (nameAt + nameLength + 4 > end) return -1;
    const dataLength = view.getInt32(nameAt + nameLength);
    if (dataLength < -1) throw new Error(`snapshot: node ${index} has data of ${dataLength} bytes`);
    const dataAt = nameAt + nameLength + 4;
    const fixedAt = dataAt + Math.max(0, dataLength);
    if (fixedAt + 72 > end) return -1;
    const tree = this.#tree!;
    const store = tree.store;
    let slot: number;
    if (index === 0) {
      slot = store.addRoot(dataLength < 0 ? null : bytes.subarray(dataAt, dataAt + dataLength));
    } else {
      slot = store.addBytes(this.#slots[parentRecord]!, bytes, nameAt, nameLength, dataLength < 0 ? null : bytes, dataAt, dataLength);
      if (slot === NO_SLOT) throw new TreeInconsistency(`snapshot: node ${index} appears twice under its parent`);
    }
    this.#slots[index] = slot;
    at = fixedAt;
    const aclId = view.getInt32(at);
    if (!tree.acls.has(aclId)) throw new Error(`snapshot: node ${index} names a missing ACL ${aclId}`);
    tree.acls.retainId(aclId);
    const page = store.pages.writable(slot);
    const f = slot & PAGE_MASK;
    const i = I32_BASE + f;
    page.f64[F64.czxid * PAGE_SLOTS + f] = getLong(view, at + 4);
    page.f64[F64.mzxid * PAGE_SLOTS + f] = getLong(view, at + 12);
    page.f64[F64.ctime * PAGE_SLOTS + f] = getLong(view, at + 20);
    page.f64[F64.mtime * PAGE_SLOTS + f] = getLong(view, at + 28);
    page.i32[i + I32.version * PAGE_SLOTS] = view.getInt32(at + 36);
    page.i32[i + I32.cversion * PAGE_SLOTS] = view.getInt32(at + 40);
    page.i32[i + I32.aversion * PAGE_SLOTS] = view.getInt32(at + 44);
    const ownerHigh = view.getInt32(at + 48);
    const ownerLow = view.getInt32(at + 52);
    page.i32[i + I32.ownerHigh * PAGE_SLOTS] = ownerHigh;
    page.i32[i + I32.ownerLow * PAGE_SLOTS] = ownerLow;
    page.f64[F64.pzxid * PAGE_SLOTS + f] = getLong(view, at + 56);
    const peak = view.getInt32(at + 64);
    if (peak > page.i32[i + I32.childrenPeak * PAGE_SLOTS]!) page.i32[i + I32.childrenPeak * PAGE_SLOTS] = peak;
    page.i32[i + I32.aclId * PAGE_SLOTS] = aclId;
    this.#placeInTree(index, slot, parentRecord, nameAt, nameLength, Math.max(0, dataLength), view.getInt32(at + 68));
    if (ownerHigh !== 0 || ownerLow !== 0) tree.indexLoadedOwner(store.pathOf(slot), (BigInt(ownerHigh) << 32n) | BigInt(ownerLow >>> 0));
    return at + 72;
  }

  /** Path length, path CRC and digest of the record, from its parent's. */
  #placeInTree(index: number, slot: number, parentRecord: number, nameAt: number, nameLength: number, dataLength: number, storedDigest: number): void {
    const tree = this.#tree!;
    let pathLength = 1;
    let pathCrc = 0;
    let system = 0;
    if (index > 0) {
      const parentLength = parentRecord === 0 ? 0 : this.#pathLengths[parentRecord]!;
      pathLength = parentLength + 1 + utf16Length(this.#bytes, nameAt, nameLength);
      system = this.#system[parentRecord]! > 0 ? 2 : parentRecord === 0 && isZookeeper(this.#bytes, nameAt, nameLength) ? 1 : 0;
      if (this.#needPathCrcs) pathCrc = crc32(crc32(this.#pathCrcs[parentRecord]! >>> 0, SLASH), this.#bytes, nameAt, nameAt + nameLength) | 0;
    }
    this.#pathLengths[index] = pathLength;
    if (this.#needPathCrcs) this.#pathCrcs[index] = pathCrc;
    this.#system[index] = system;
    tree.approximateDataSize += pathLength + dataLength;
    if (!tree.digestEnabled) return;
    const digest = this.#trustDigests ? storedDigest >>> 0 : system === 2 ? 0 : digestAfterPath(pathCrc >>> 0, tree.store, slot);
    tree.store.setI32(slot, I32.digest, digest | 0);
    tree.addLoadedDigest(digest);
  }
}

const SLASH = new Uint8Array([0x2f]);
const ZOOKEEPER = new TextEncoder().encode("zookeeper");

function isZookeeper(bytes: Uint8Array, at: number, length: number): boolean {
  if (length !== ZOOKEEPER.length) return false;
  for (let i = 0; i < length; i++) if (bytes[at + i] !== ZOOKEEPER[i]) return false;
  return true;
}

/** UTF-16 code units of UTF-8 bytes (what Java's String.length() counts). */
function utf16Length(bytes: Uint8Array, at: number, length: number): number {
  let units = 0;
  for (let i = 0; i < length; i++) {
    const b = bytes[at + i]!;
    if ((b & 0xc0) !== 0x80) units += b >= 0xf0 ? 2 : 1;
  }
  return units;
}

function getLong(view: DataView, at: number): number {
  const high = view.getInt32(at);
  if (high >= 0x200000 || high < -0x200000) throw new Error(`snapshot: a 64-bit field at ${at} is beyond 2^53`);
  return high * 0x1_0000_0000 + view.getUint32(at + 4);
}

/** Version 1: full paths, the ACL table by position. */
function decodeV1(r: JuteReader, tree: DataTree, sessions: SessionSink, nowMs: number): void {
  tree.lastProcessedZxid = r.long();
  const sessionCount = r.vectorLength(12);
  for (let i = 0; i < sessionCount; i++) sessions.add(r.long(), r.int(), nowMs);
  const aclCount = r.vectorLength(4);
  const aclTable: ACL[][] = [];
  for (let i = 0; i < aclCount; i++) aclTable.push(readAcls(r) ?? []);
  const nodeCount = r.vectorLength(20);
  tree.clearForLoad();
  for (let i = 0; i < nodeCount; i++) {
    const path = r.string();
    const data = r.buffer() ?? NULL_DATA;
    const acl = aclTable[r.int()];
    if (acl === undefined) throw new Error(`snapshot: ${path} names a missing ACL`);
    const node = {
      data,
      acl,
      czxid: r.longNumber(),
      mzxid: r.longNumber(),
      ctime: r.longNumber(),
      mtime: r.longNumber(),
      version: r.int(),
      cversion: r.int(),
      aversion: r.int(),
      ephemeralOwner: r.long(),
      pzxid: r.longNumber(),
      childrenPeak: r.int(),
    };
    if (tree.restoreNode(path, node) === NO_SLOT) throw new TreeInconsistency(`snapshot: ${path} appears twice`);
  }
}

/**
 * A tree and session list built from a captured image (a SNAP received without serialization).
 * `digestEnabled: false` skips hashing every node, for a copy that is only read (encoded for a
 * learner): that hashing blocked a leader's event loop for most of a second per 6000 nodes.
 */
export function treeFromImage(
  image: TreeImage,
  { extendedTypesEnabled, digestEnabled = image.digestEnabled }: { extendedTypesEnabled: boolean; digestEnabled?: boolean },
): { tree: DataTree; sessions: { sessionId: bigint; timeoutMs: number }[] } {
  const bytes = finishSlices(encodeSnapshotSlices(image));
  const tree = new DataTree({ extendedTypesEnabled, digestEnabled });
  const sessions: { sessionId: bigint; timeoutMs: number }[] = [];
  decodeSnapshot(bytes, tree, { add: (sessionId, timeoutMs) => sessions.push({ sessionId, timeoutMs }) }, 0);
  return { tree, sessions };
}
