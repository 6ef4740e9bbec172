/**
 * Reads znodes out of pages and chunks: the live store's (NodeStore) or a frozen snapshot image's
 * (in the server or in a snapshot worker). Every field a snapshot or a reply needs, by slot.
 */
import { REGION_HEADER_BYTES } from "./byte_arena.ts";
import { F64, I32, I32_BASE, type NodePage, PAGE_MASK, PAGE_SHIFT, PAGE_SLOTS, pageOf } from "./node_pages.ts";

/** No node (a missing path, the root's parent, the end of a child list). */
export const NO_SLOT = -1;
/** The root's slot. */
export const ROOT_SLOT = 0;

const decoder = new TextDecoder();

/** A chunk as a reader sees it. */
export interface ChunkBytes {
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
}

/** Field access by slot over some pages and chunks. */
export abstract class NodeReader {
  /** The page holding `slot`. */
  abstract page(slot: number): NodePage;
  /** The chunk with this id. */
  abstract chunkBytes(id: number): ChunkBytes;

  f64(slot: number, field: number): number {
    return this.page(slot).f64[field * PAGE_SLOTS + (slot & PAGE_MASK)]!;
  }

  i32(slot: number, field: number): number {
    return this.page(slot).i32[I32_BASE + field * PAGE_SLOTS + (slot & PAGE_MASK)]!;
  }

  czxid(slot: number): number {
    return this.f64(slot, F64.czxid);
  }

  mzxid(slot: number): number {
    return this.f64(slot, F64.mzxid);
  }

  pzxid(slot: number): number {
    return this.f64(slot, F64.pzxid);
  }

  ctime(slot: number): number {
    return this.f64(slot, F64.ctime);
  }

  mtime(slot: number): number {
    return this.f64(slot, F64.mtime);
  }

  version(slot: number): number {
    return this.i32(slot, I32.version);
  }

  /** The persisted cversion (child creates; it drives sequence numbers). */
  cversion(slot: number): number {
    return this.i32(slot, I32.cversion);
  }

  aversion(slot: number): number {
    return this.i32(slot, I32.aversion);
  }

  numChildren(slot: number): number {
    return this.i32(slot, I32.numChildren);
  }

  childrenPeak(slot: number): number {
    return this.i32(slot, I32.childrenPeak);
  }

  parent(slot: number): number {
    return this.i32(slot, I32.parent);
  }

  firstChild(slot: number): number {
    return this.i32(slot, I32.firstChild);
  }

  nextSibling(slot: number): number {
    return this.i32(slot, I32.nextSibling);
  }

  lastChild(slot: number): number {
    return this.i32(slot, I32.lastChild);
  }

  prevSibling(slot: number): number {
    return this.i32(slot, I32.prevSibling);
  }

  aclId(slot: number): number {
    return this.i32(slot, I32.aclId);
  }

  digest(slot: number): number {
    return this.i32(slot, I32.digest) >>> 0;
  }

  ownerHigh(slot: number): number {
    return this.i32(slot, I32.ownerHigh);
  }

  ownerLow(slot: number): number {
    return this.i32(slot, I32.ownerLow);
  }

  /** ephemeralOwner as a bigint (0n without allocating for the common case). */
  owner(slot: number): bigint {
    const high = this.ownerHigh(slot);
    const low = this.ownerLow(slot);
    if (high === 0 && low === 0) return 0n;
    return (BigInt(high) << 32n) | BigInt(low >>> 0);
  }

  /** The node's data length; -1 for null data. */
  dataLength(slot: number): number {
    return this.i32(slot, I32.dataLength);
  }

  /** The bytes of the chunk holding the node's name and data. */
  regionBytes(slot: number): Uint8Array {
    return this.chunkBytes(this.i32(slot, I32.regionChunk)).u8;
  }

  /** Where the node's name starts in {@link regionBytes}. */
  nameOffset(slot: number): number {
    return this.i32(slot, I32.regionOffset) + REGION_HEADER_BYTES;
  }

  /** The length of the node's name in UTF-8 bytes. */
  nameLength(slot: number): number {
    return this.chunkBytes(this.i32(slot, I32.regionChunk)).i32[(this.i32(slot, I32.regionOffset) >> 2) + 1]!;
  }

  /** Where the node's data starts in {@link regionBytes}. */
  dataOffset(slot: number): number {
    return this.nameOffset(slot) + this.nameLength(slot);
  }

  /** The node's name ("" for the root). */
  nameOf(slot: number): string {
    return asciiOrDecode(this.regionBytes(slot), this.nameOffset(slot), this.nameLength(slot));
  }

  /** The node's absolute path (walks up to the root). */
  pathOf(slot: number): string {
    if (slot === ROOT_SLOT) return "/";
    const names: string[] = [];
    // Bounded: each step goes one level up; a path is never deeper than 2^20 levels.
    for (let s = slot; s !== ROOT_SLOT && s !== NO_SLOT && names.length < 1 << 20; s = this.parent(s)) names.push(this.nameOf(s));
    let path = "";
    for (let i = names.length - 1; i >= 0; i--) path += "/" + names[i];
    return path;
  }

  /**
   * The node's data as a view into its chunk (a region never changes, so the view stays valid), or
   * null for null data.
   */
  data(slot: number): Uint8Array | null {
    const length = this.dataLength(slot);
    if (length < 0) return null;
    const at = this.dataOffset(slot);
    return this.regionBytes(slot).subarray(at, at + length);
  }

  /** The children in insertion order. */
  childSlots(slot: number): number[] {
    const out: number[] = [];
    // Bounded by the child count (a cycle would be a corrupt store).
    for (let c = this.firstChild(slot), n = this.numChildren(slot); c !== NO_SLOT && out.length < n; c = this.nextSibling(c)) out.push(c);
    return out;
  }
}

/** A reader over a frozen snapshot image's pages and chunk table. */
export class ImageReader extends NodeReader {
  readonly #pages: NodePage[];
  readonly #chunks: (ChunkBytes | null)[];

  constructor(pages: readonly SharedArrayBuffer[], chunks: readonly (SharedArrayBuffer | null)[]) {
    super();
    this.#pages = pages.map(pageOf);
    this.#chunks = chunks.map((c) => (c === null ? null : { u8: new Uint8Array(c), i32: new Int32Array(c) }));
  }

  /** Slots the pages cover. */
  get capacity(): number {
    return this.#pages.length * PAGE_SLOTS;
  }

  page(slot: number): NodePage {
    return this.#pages[slot >>> PAGE_SHIFT]!;
  }

  chunkBytes(id: number): ChunkBytes {
    return this.#chunks[id]!;
  }
}

/** Decodes UTF-8 bytes; short ASCII names skip the decoder. */
export function asciiOrDecode(u8: Uint8Array, at: number, length: number): string {
  if (length <= 24) {
    let name = "";
    for (let i = 0; i < length; i++) {
      const b = u8[at + i]!;
      if (b >= 0x80) return decoder.decode(u8.subarray(at, at + length));
      name += String.fromCharCode(b);
    }
    return name;
  }
  return decoder.decode(u8.subarray(at, at + length));
}
