/**
 * The shape of the znode tree, off the JavaScript heap: slots in {@link NodePages}, names and data
 * in a {@link ByteArena}, children as linked lists in insertion order, and a path index (a chained
 * hash table over Int32Arrays keyed by parent slot and name). Nothing here knows ZooKeeper's
 * semantics (stats, watches, digests): that is DataTree's job. Root is slot 0 with an empty name.
 */
import { type ArenaChunk, ByteArena, type ArenaOptions, REGION_HEADER_BYTES } from "./byte_arena.ts";
import { childHash, childHashOfBytes, FNV_START, fnvByte } from "./name_hash.ts";
import { I32, I32_BASE, type NodePage, NodePages, PAGE_MASK, PAGE_SHIFT, PAGE_SLOTS } from "./node_pages.ts";
import { NO_SLOT, NodeReader, ROOT_SLOT } from "./node_reader.ts";

export { NO_SLOT, ROOT_SLOT };

const encoder = new TextEncoder();
const SLASH = 0x2f;
const INITIAL_BUCKETS = 1024;

/**
 * Slots, names, data and links. A freed slot is reused; its `aclId` is -1 while free, and slots at
 * or above {@link highWater} were never used.
 */
export class NodeStore extends NodeReader {
  readonly pages: NodePages = new NodePages();
  readonly arena: ByteArena;
  #count = 0;
  #highWater = 0;
  readonly #freeSlots: number[] = [];
  #buckets: Int32Array = new Int32Array(INITIAL_BUCKETS).fill(NO_SLOT);
  /** Per slot, paged like the node pages: the next slot in the same bucket, and the slot's hash. */
  readonly #chainPages: Int32Array[] = [];
  readonly #hashPages: Int32Array[] = [];
  #scratch = new Uint8Array(256);
  /** The parent of the last path found by walking, and its slot (cleared when that node goes). */
  #cachedParentPath = "";
  #cachedParentSlot = NO_SLOT;

  constructor(arena: ArenaOptions = {}) {
    super();
    this.arena = new ByteArena(arena);
  }

  /** Nodes in the store. */
  get count(): number {
    return this.#count;
  }

  /** Every slot ever used is below this. */
  get highWater(): number {
    return this.#highWater;
  }

  /** True if `slot` holds a node. */
  inUse(slot: number): boolean {
    return slot >= 0 && slot < this.#highWater && this.pages.i32(slot, I32.aclId) >= 0;
  }

  // ---- lookup ----

  /** The slot of an absolute path ("/" is the root), or NO_SLOT. */
  find(path: string): number {
    const length = path.length;
    if (length === 0 || path.charCodeAt(0) !== SLASH || this.#count === 0) return NO_SLOT;
    if (length === 1) return ROOT_SLOT;
    // A create's apply looks its parent up right after prep looked up a sibling path.
    if (path === this.#cachedParentPath) return this.#cachedParentSlot;
    const lastSlash = path.lastIndexOf("/");
    // Siblings come in runs (creates under one parent, keys of one directory): the last parent
    // found saves walking from the root.
    if (lastSlash > 0 && lastSlash === this.#cachedParentPath.length && path.startsWith(this.#cachedParentPath)) {
      return this.#child(this.#cachedParentSlot, path, lastSlash + 1, length);
    }
    let parent = ROOT_SLOT;
    let start = 1;
    // Bounded: each round consumes one path component.
    for (let round = 0; round < length; round++) {
      let end = path.indexOf("/", start);
      if (end < 0) end = length;
      const slot = this.#child(parent, path, start, end);
      if (slot === NO_SLOT || end === length) return slot;
      parent = slot;
      start = end + 1;
      if (end === lastSlash) {
        this.#cachedParentPath = path.slice(0, lastSlash);
        this.#cachedParentSlot = parent;
      }
    }
    return NO_SLOT;
  }

  /** The child of `parent` named by `path[start, end)`, or NO_SLOT. */
  #child(parent: number, path: string, start: number, end: number): number {
    if (end === start) return NO_SLOT;
    let hash = FNV_START;
    for (let i = start; i < end; i++) {
      const code = path.charCodeAt(i);
      if (code >= 0x80) {
        const bytes = this.#encodeScratch(path.slice(start, end));
        return this.findChildBytes(parent, this.#scratch, 0, bytes);
      }
      hash = fnvByte(hash, code);
    }
    return this.#probeAscii(parent, childHash(parent, hash), path, start, end);
  }

  /** The child of `parent` named `name`, or NO_SLOT. */
  findChild(parent: number, name: string): number {
    let hash = FNV_START;
    for (let i = 0; i < name.length; i++) {
      const code = name.charCodeAt(i);
      if (code >= 0x80) {
        const bytes = this.#encodeScratch(name);
        return this.findChildBytes(parent, this.#scratch, 0, bytes);
      }
      hash = fnvByte(hash, code);
    }
    return this.#probeAscii(parent, childHash(parent, hash), name, 0, name.length);
  }

  /** The child of `parent` whose name is `length` bytes of `source` at `offset`, or NO_SLOT. */
  findChildBytes(parent: number, source: Uint8Array, offset: number, length: number): number {
    return this.#probeBytes(parent, childHashOfBytes(parent, source, offset, length), source, offset, length);
  }

  #probeBytes(parent: number, hash: number, source: Uint8Array, offset: number, length: number): number {
    // Bounded by the chain's length.
    for (let slot = this.#buckets[hash & (this.#buckets.length - 1)]!; slot !== NO_SLOT; slot = this.#chainNext(slot)) {
      if (this.#hashOf(slot) !== hash || this.pages.i32(slot, I32.parent) !== parent) continue;
      if (this.#nameEqualsBytes(slot, source, offset, length)) return slot;
    }
    return NO_SLOT;
  }

  #encodeScratch(name: string): number {
    if (this.#scratch.length < name.length * 3) this.#scratch = new Uint8Array(name.length * 3);
    return encoder.encodeInto(name, this.#scratch).written;
  }

  #probeAscii(parent: number, hash: number, path: string, start: number, end: number): number {
    // Bounded by the chain's length.
    for (let slot = this.#buckets[hash & (this.#buckets.length - 1)]!; slot !== NO_SLOT; slot = this.#chainNext(slot)) {
      if (this.#hashOf(slot) !== hash || this.pages.i32(slot, I32.parent) !== parent) continue;
      if (this.#nameEqualsAscii(slot, path, start, end)) return slot;
    }
    return NO_SLOT;
  }

  #nameEqualsAscii(slot: number, path: string, start: number, end: number): boolean {
    const chunk = this.arena.chunk(this.pages.i32(slot, I32.regionChunk));
    const offset = this.pages.i32(slot, I32.regionOffset);
    if (chunk.i32[(offset >> 2) + 1] !== end - start) return false;
    const u8 = chunk.u8;
    const at = offset + REGION_HEADER_BYTES - start;
    for (let i = start; i < end; i++) if (u8[at + i] !== path.charCodeAt(i)) return false;
    return true;
  }

  #nameEqualsBytes(slot: number, source: Uint8Array, offset: number, length: number): boolean {
    const chunk = this.arena.chunk(this.pages.i32(slot, I32.regionChunk));
    const region = this.pages.i32(slot, I32.regionOffset);
    if (chunk.i32[(region >> 2) + 1] !== length) return false;
    const u8 = chunk.u8;
    const at = region + REGION_HEADER_BYTES;
    for (let i = 0; i < length; i++) if (u8[at + i] !== source[offset + i]) return false;
    return true;
  }

  page(slot: number): NodePage {
    return this.pages.page(slot);
  }

  chunkBytes(id: number): ArenaChunk {
    return this.arena.chunk(id);
  }

  setF64(slot: number, field: number, value: number): void {
    this.pages.setF64(slot, field, value);
  }

  setI32(slot: number, field: number, value: number): void {
    this.pages.setI32(slot, field, value);
  }

  // ---- changes ----

  /**
   * Adds a node named `name` under `parent` with `data`, unless `parent` already has a child of
   * that name: then adds nothing and returns NO_SLOT. The lookup and the index share one hash.
   */
  add(parent: number, name: string, data: Uint8Array | null): number {
    let nameHash = FNV_START;
    for (let i = 0; i < name.length; i++) {
      const code = name.charCodeAt(i);
      if (code >= 0x80) {
        const length = this.#encodeScratch(name);
        return this.addBytes(parent, this.#scratch, 0, length, data, 0, data === null ? -1 : data.length);
      }
      nameHash = fnvByte(nameHash, code);
    }
    const hash = childHash(parent, nameHash);
    if (this.#probeAscii(parent, hash, name, 0, name.length) !== NO_SLOT) return NO_SLOT;
    const slot = this.#takeSlot();
    this.arena.allocString(slot, name, data);
    this.#place(slot, parent, data === null ? -1 : data.length, hash);
    return slot;
  }

  /**
   * Adds a node whose name and data are given as bytes (a snapshot being loaded), unless `parent`
   * already has a child of that name: then adds nothing and returns NO_SLOT. The name is hashed
   * once for both the check and the index (at a million znodes the second hash was a tenth of a load).
   */
  addBytes(
    parent: number,
    nameSource: Uint8Array,
    nameOffset: number,
    nameLength: number,
    dataSource: Uint8Array | null,
    dataOffset: number,
    dataLength: number,
  ): number {
    const hash = childHashOfBytes(parent, nameSource, nameOffset, nameLength);
    if (this.#probeBytes(parent, hash, nameSource, nameOffset, nameLength) !== NO_SLOT) return NO_SLOT;
    const slot = this.#takeSlot();
    this.arena.allocBytes(slot, nameSource, nameOffset, nameLength, dataSource, dataOffset, dataLength);
    this.#place(slot, parent, dataLength, hash);
    return slot;
  }

  /** The root: slot 0, no name, no parent. Only on an empty store. */
  addRoot(data: Uint8Array | null): number {
    if (this.#count !== 0 || this.#highWater !== 0) throw new Error("node store: the root must come first");
    const slot = this.#takeSlot();
    this.arena.allocString(slot, "", data);
    this.#place(slot, NO_SLOT, data === null ? -1 : data.length, this.#lastRegionHash(NO_SLOT));
    return slot;
  }

  #takeSlot(): number {
    const slot = this.#freeSlots.pop() ?? this.#highWater++;
    if (slot >= this.pages.capacity) {
      this.pages.ensure(slot);
      this.#chainPages.push(new Int32Array(PAGE_SLOTS));
      this.#hashPages.push(new Int32Array(PAGE_SLOTS));
    }
    return slot;
  }

  /** The index hash of the name in the region just allocated, as a child of `parent`. */
  #lastRegionHash(parent: number): number {
    const last = this.arena.last;
    const chunk = this.arena.chunk(last.chunk);
    return childHashOfBytes(parent, chunk.u8, last.offset + REGION_HEADER_BYTES, chunk.i32[(last.offset >> 2) + 1]!);
  }

  /** Sets the region, links the node as its parent's last child and files it in the index under `hash`. */
  #place(slot: number, parent: number, dataLength: number, hash: number): void {
    const page = this.pages.writable(slot);
    const last = this.arena.last;
    const base = page.i32;
    const o = (slot & PAGE_MASK) + I32_BASE;
    base[o + I32.regionChunk * PAGE_SLOTS] = last.chunk;
    base[o + I32.regionOffset * PAGE_SLOTS] = last.offset;
    base[o + I32.dataLength * PAGE_SLOTS] = dataLength;
    base[o + I32.parent * PAGE_SLOTS] = parent;
    base[o + I32.firstChild * PAGE_SLOTS] = NO_SLOT;
    base[o + I32.lastChild * PAGE_SLOTS] = NO_SLOT;
    base[o + I32.nextSibling * PAGE_SLOTS] = NO_SLOT;
    base[o + I32.numChildren * PAGE_SLOTS] = 0;
    base[o + I32.childrenPeak * PAGE_SLOTS] = 0;
    // In use from here on; the caller sets the real ACL.
    base[o + I32.aclId * PAGE_SLOTS] = 0;
    if (parent === NO_SLOT) {
      base[o + I32.prevSibling * PAGE_SLOTS] = NO_SLOT;
    } else {
      const previous = this.pages.i32(parent, I32.lastChild);
      base[o + I32.prevSibling * PAGE_SLOTS] = previous;
      if (previous === NO_SLOT) this.pages.setI32(parent, I32.firstChild, slot);
      else this.pages.setI32(previous, I32.nextSibling, slot);
      this.pages.setI32(parent, I32.lastChild, slot);
      const children = this.pages.i32(parent, I32.numChildren) + 1;
      this.pages.setI32(parent, I32.numChildren, children);
      if (children > this.pages.i32(parent, I32.childrenPeak)) this.pages.setI32(parent, I32.childrenPeak, children);
    }
    this.#hashPages[slot >>> PAGE_SHIFT]![slot & PAGE_MASK] = hash;
    this.#count++;
    if (this.#count > this.#buckets.length) this.#rehash(this.#buckets.length * 2);
    else this.#file(slot, hash);
  }

  /** Removes a node (which must have no children): unlinks it, frees its region and its slot. */
  remove(slot: number): void {
    const parent = this.pages.i32(slot, I32.parent);
    const previous = this.pages.i32(slot, I32.prevSibling);
    const next = this.pages.i32(slot, I32.nextSibling);
    if (previous === NO_SLOT) this.pages.setI32(parent, I32.firstChild, next);
    else this.pages.setI32(previous, I32.nextSibling, next);
    if (next === NO_SLOT) this.pages.setI32(parent, I32.lastChild, previous);
    else this.pages.setI32(next, I32.prevSibling, previous);
    this.pages.setI32(parent, I32.numChildren, this.pages.i32(parent, I32.numChildren) - 1);
    this.#unfile(slot);
    if (slot === this.#cachedParentSlot) this.#cachedParentPath = "";
    this.arena.free(this.pages.i32(slot, I32.regionChunk), this.pages.i32(slot, I32.regionOffset));
    this.pages.setI32(slot, I32.aclId, -1);
    this.#freeSlots.push(slot);
    this.#count--;
  }

  /** Gives the node new data (a new region; the name is copied over). */
  setData(slot: number, data: Uint8Array | null): void {
    const chunkId = this.pages.i32(slot, I32.regionChunk);
    const offset = this.pages.i32(slot, I32.regionOffset);
    const chunk = this.arena.chunk(chunkId);
    const nameLength = chunk.i32[(offset >> 2) + 1]!;
    this.arena.allocBytes(slot, chunk.u8, offset + REGION_HEADER_BYTES, nameLength, data, 0, data === null ? -1 : data.length);
    const last = this.arena.last;
    const page = this.pages.writable(slot);
    const o = (slot & PAGE_MASK) + I32_BASE;
    page.i32[o + I32.regionChunk * PAGE_SLOTS] = last.chunk;
    page.i32[o + I32.regionOffset * PAGE_SLOTS] = last.offset;
    page.i32[o + I32.dataLength * PAGE_SLOTS] = data === null ? -1 : data.length;
    this.arena.free(chunkId, offset);
  }

  /**
   * Moves the live regions out of one mostly-garbage chunk, if there is such a chunk; returns
   * whether it did. Call it now and then (after writes): each call moves at most one chunk.
   */
  compactStep(): boolean {
    const chunk = this.arena.compactionCandidate();
    if (chunk === null) return false;
    this.arena.regionsOf(chunk, (slot, offset) => {
      if (!this.inUse(slot)) return;
      if (this.pages.i32(slot, I32.regionChunk) !== chunk.id || this.pages.i32(slot, I32.regionOffset) !== offset) return;
      const w = offset >> 2;
      const nameLength = chunk.i32[w + 1]!;
      const dataLength = chunk.i32[w + 2]!;
      const at = offset + REGION_HEADER_BYTES;
      this.arena.allocBytes(slot, chunk.u8, at, nameLength, chunk.u8, at + nameLength, dataLength);
      this.pages.setI32(slot, I32.regionChunk, this.arena.last.chunk);
      this.pages.setI32(slot, I32.regionOffset, this.arena.last.offset);
      this.arena.free(chunk.id, offset);
    });
    return true;
  }

  /** Empties the store. */
  clear(): void {
    this.pages.clear();
    this.arena.clear();
    this.#count = 0;
    this.#highWater = 0;
    this.#freeSlots.length = 0;
    this.#buckets = new Int32Array(INITIAL_BUCKETS).fill(NO_SLOT);
    this.#chainPages.length = 0;
    this.#hashPages.length = 0;
    this.#cachedParentPath = "";
  }

  // ---- the path index ----

  #hashOf(slot: number): number {
    return this.#hashPages[slot >>> PAGE_SHIFT]![slot & PAGE_MASK]!;
  }

  #chainNext(slot: number): number {
    return this.#chainPages[slot >>> PAGE_SHIFT]![slot & PAGE_MASK]!;
  }

  #file(slot: number, hash: number): void {
    const bucket = hash & (this.#buckets.length - 1);
    this.#chainPages[slot >>> PAGE_SHIFT]![slot & PAGE_MASK] = this.#buckets[bucket]!;
    this.#buckets[bucket] = slot;
  }

  #unfile(slot: number): void {
    const bucket = this.#hashOf(slot) & (this.#buckets.length - 1);
    const next = this.#chainNext(slot);
    let at = this.#buckets[bucket]!;
    if (at === slot) {
      this.#buckets[bucket] = next;
      return;
    }
    // Bounded by the chain's length.
    while (at !== NO_SLOT) {
      const following = this.#chainNext(at);
      if (following === slot) {
        this.#chainPages[at >>> PAGE_SHIFT]![at & PAGE_MASK] = next;
        return;
      }
      at = following;
    }
    throw new Error(`node store: slot ${slot} is not in the path index`);
  }

  /** Doubles the bucket table (hashes are kept per slot, so no name is read again). */
  #rehash(buckets: number): void {
    this.#buckets = new Int32Array(buckets).fill(NO_SLOT);
    for (let slot = 0; slot < this.#highWater; slot++) {
      if (this.pages.i32(slot, I32.aclId) >= 0) this.#file(slot, this.#hashOf(slot));
    }
  }
}
