/**
 * Where znode names and data live: regions carved from large SharedArrayBuffer chunks instead of
 * one ArrayBuffer per znode (each of which V8 tracks and sweeps on its own, and which costs more
 * than 100 bytes of bookkeeping for a 100-byte value).
 *
 * A region is written once and never changed: a new value takes a new region and the old one
 * becomes garbage. So a snapshot image that holds a chunk reads every region it refers to exactly
 * as it was, while the tree goes on. A chunk whose regions are all garbage is dropped (its memory
 * goes when no image holds it either); a chunk that is mostly garbage is compacted by moving its
 * live regions out.
 *
 * Region layout (4-byte aligned): slot i32 | nameLength i32 | dataLength i32 (-1: null) | name | data
 */

/** Bytes of a region's header. */
export const REGION_HEADER_BYTES = 12;
/** Bytes of a shared chunk (default). */
export const CHUNK_BYTES = 1024 * 1024;
/** Compaction starts once garbage is over this many bytes and over half of all chunk bytes (default). */
const COMPACT_GARBAGE_MIN_BYTES = 32 * 1024 * 1024;

/** Sizes of an arena (tests make them small to exercise chunk turnover and compaction). */
export interface ArenaOptions {
  readonly chunkBytes?: number;
  readonly compactGarbageMinBytes?: number;
}

/** Bytes a region with this name and data takes. */
export function regionBytes(nameBytes: number, dataBytes: number): number {
  return (REGION_HEADER_BYTES + nameBytes + Math.max(0, dataBytes) + 3) & ~3;
}

/** One chunk: its bytes, how far it is filled, and how many of those bytes are live. */
export interface ArenaChunk {
  readonly id: number;
  readonly buffer: SharedArrayBuffer;
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  used: number;
  live: number;
}

const encoder = new TextEncoder();

/** A region's place: chunk id and byte offset. */
export interface RegionRef {
  chunk: number;
  offset: number;
}

/**
 * The chunked arena. Regions are allocated at the end of the current chunk; {@link free} counts
 * garbage; {@link compactionCandidate} names a chunk worth emptying.
 */
export class ByteArena {
  readonly #chunkBytes: number;
  readonly #compactGarbageMinBytes: number;
  readonly #chunks: (ArenaChunk | null)[] = [];
  readonly #freeIds: number[] = [];
  #current: ArenaChunk | null = null;
  #totalBytes = 0;
  #liveBytes = 0;
  /** The last allocation, reused so allocating returns no object. */
  readonly last: RegionRef = { chunk: -1, offset: -1 };

  constructor(options: ArenaOptions = {}) {
    this.#chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
    this.#compactGarbageMinBytes = options.compactGarbageMinBytes ?? COMPACT_GARBAGE_MIN_BYTES;
  }

  /** Bytes held by chunks (live plus garbage). */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Bytes of live regions. */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  /** Chunks held (for metrics and tests). */
  get chunkCount(): number {
    return this.#chunks.length - this.#freeIds.length;
  }

  /** The chunk with this id (a live region's chunk always exists). */
  chunk(id: number): ArenaChunk {
    return this.#chunks[id]!;
  }

  /** The chunk table as it is now (an image keeps this copy: ids may be reused later). */
  captureChunks(): (SharedArrayBuffer | null)[] {
    return this.#chunks.map((c) => c?.buffer ?? null);
  }

  /**
   * Allocates a region for `slot` whose name is the UTF-8 of `name` and whose data is `data`
   * (null: null data). The result is in {@link last}.
   */
  allocString(slot: number, name: string, data: Uint8Array | null): void {
    const dataLength = data === null ? -1 : data.length;
    const c = this.#room(regionBytes(name.length * 3, dataLength));
    const offset = c.used;
    const { written } = encoder.encodeInto(name, c.u8.subarray(offset + REGION_HEADER_BYTES));
    if (data !== null) c.u8.set(data, offset + REGION_HEADER_BYTES + written);
    this.#finish(c, offset, slot, written, dataLength);
  }

  /**
   * Allocates a region whose name is `nameLength` bytes of `nameSource` at `nameOffset` (another
   * region's, or a snapshot's) and whose data is `data` (null: null data), or `dataLength` bytes of
   * `dataSource` at `dataOffset`. The result is in {@link last}.
   */
  allocBytes(
    slot: number,
    nameSource: Uint8Array,
    nameOffset: number,
    nameLength: number,
    dataSource: Uint8Array | null,
    dataOffset: number,
    dataLength: number,
  ): void {
    // Read the sources' chunks before a new chunk may be started (they stay valid either way).
    const c = this.#room(regionBytes(nameLength, dataLength));
    const offset = c.used;
    const at = offset + REGION_HEADER_BYTES;
    copyBytes(c.u8, at, nameSource, nameOffset, nameLength);
    if (dataSource !== null && dataLength > 0) copyBytes(c.u8, at + nameLength, dataSource, dataOffset, dataLength);
    this.#finish(c, offset, slot, nameLength, dataLength);
  }

  #finish(c: ArenaChunk, offset: number, slot: number, nameLength: number, dataLength: number): void {
    const w = offset >> 2;
    c.i32[w] = slot;
    c.i32[w + 1] = nameLength;
    c.i32[w + 2] = dataLength;
    const size = regionBytes(nameLength, dataLength);
    c.used = offset + size;
    c.live += size;
    this.#liveBytes += size;
    this.last.chunk = c.id;
    this.last.offset = offset;
  }

  /** A chunk with room for `maxBytes` (worst case: names are sized at 3 bytes per UTF-16 unit). */
  #room(maxBytes: number): ArenaChunk {
    // Regions above a quarter chunk get a chunk of their own.
    if (maxBytes > this.#chunkBytes / 4) return this.#newChunk(maxBytes, false);
    const current = this.#current;
    if (current !== null && current.used + maxBytes <= current.u8.length) return current;
    if (current !== null && current.live === 0) this.#drop(current);
    return this.#newChunk(this.#chunkBytes, true);
  }

  #newChunk(bytes: number, makeCurrent: boolean): ArenaChunk {
    const id = this.#freeIds.pop() ?? this.#chunks.length;
    const buffer = new SharedArrayBuffer((bytes + 3) & ~3);
    const chunk: ArenaChunk = { id, buffer, u8: new Uint8Array(buffer), i32: new Int32Array(buffer), used: 0, live: 0 };
    this.#chunks[id] = chunk;
    this.#totalBytes += buffer.byteLength;
    if (makeCurrent) this.#current = chunk;
    return chunk;
  }

  /** The region at (chunk, offset) is no longer referenced. */
  free(chunkId: number, offset: number): void {
    const c = this.#chunks[chunkId]!;
    const w = offset >> 2;
    const size = regionBytes(c.i32[w + 1]!, c.i32[w + 2]!);
    c.live -= size;
    this.#liveBytes -= size;
    if (c.live === 0 && c !== this.#current) this.#drop(c);
  }

  #drop(c: ArenaChunk): void {
    if (this.#current === c) this.#current = null;
    this.#chunks[c.id] = null;
    this.#freeIds.push(c.id);
    this.#totalBytes -= c.buffer.byteLength;
  }

  /**
   * A chunk worth compacting (mostly garbage while garbage is large), or null. Its live regions
   * are found with {@link regionsOf} and moved by the caller, which frees the old ones.
   */
  compactionCandidate(): ArenaChunk | null {
    const garbage = this.#totalBytes - this.#liveBytes;
    if (garbage < this.#compactGarbageMinBytes || garbage * 2 < this.#totalBytes) return null;
    let best: ArenaChunk | null = null;
    for (const c of this.#chunks) {
      if (c === null || c === this.#current) continue;
      if (best === null || c.live / c.buffer.byteLength < best.live / best.buffer.byteLength) best = c;
    }
    return best;
  }

  /** Visits every region written in a chunk (live or garbage): (slot, offset). */
  regionsOf(c: ArenaChunk, visit: (slot: number, offset: number) => void): void {
    // Bounded: each step advances by a region's size (at least its header).
    for (let offset = 0; offset < c.used;) {
      const w = offset >> 2;
      const size = regionBytes(c.i32[w + 1]!, c.i32[w + 2]!);
      visit(c.i32[w]!, offset);
      offset += size;
    }
  }

  /** Drops everything (the store is being reloaded). */
  clear(): void {
    this.#chunks.length = 0;
    this.#freeIds.length = 0;
    this.#current = null;
    this.#totalBytes = 0;
    this.#liveBytes = 0;
  }
}

/** Copies bytes between (possibly the same) arrays; small copies skip building a view. */
export function copyBytes(target: Uint8Array, targetOffset: number, source: Uint8Array, sourceOffset: number, length: number): void {
  if (length <= 32) {
    for (let i = 0; i < length; i++) target[targetOffset + i] = source[sourceOffset + i]!;
    return;
  }
  if (target.buffer === source.buffer) target.copyWithin(targetOffset, sourceOffset + source.byteOffset - target.byteOffset, sourceOffset + source.byteOffset - target.byteOffset + length);
  else target.set(source.subarray(sourceOffset, sourceOffset + length), targetOffset);
}
