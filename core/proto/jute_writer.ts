const encoder = new TextEncoder();

/**
 * Small writers carve their bytes out of shared slabs, as Node's Buffer pool does: a fresh
 * ArrayBuffer per reply or txn is an off-heap allocation plus GC bookkeeping, and that, not the
 * encoding, dominated encode time (bench/codec_bench.ts). A region is never handed out twice; a
 * slab is dropped when full and freed once no view into it is left, so a long-lived small frame
 * can pin at most one slab.
 */
const SLAB_BYTES = 32 * 1024;
const POOLED_MAX_BYTES = 2048;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabView = new DataView(slab);
let slabUsed = 0;

interface Region {
  bytes: Uint8Array;
  view: DataView;
  /** Where `bytes` starts inside `view`. */
  base: number;
}

function allocate(capacityBytes: number): Region {
  if (capacityBytes > POOLED_MAX_BYTES) {
    const bytes = new Uint8Array(capacityBytes);
    return { bytes, view: new DataView(bytes.buffer), base: 0 };
  }
  if (slabUsed + capacityBytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabView = new DataView(slab);
    slabUsed = 0;
  }
  const base = slabUsed;
  // 8-byte alignment keeps every region's start aligned like a fresh buffer's.
  slabUsed += (capacityBytes + 7) & ~7;
  return { bytes: new Uint8Array(slab, base, capacityBytes), view: slabView, base };
}

/**
 * A copy of `length` bytes of `source` at `offset`, carved from the shared slabs when small: what
 * a server keeps of a request's data until the txn is applied (the tree then copies it into its
 * own store), without an ArrayBuffer per request.
 */
export function carveCopy(source: Uint8Array, offset: number, length: number): Uint8Array {
  const region = allocate(length);
  region.bytes.set(source.subarray(offset, offset + length));
  return region.bytes;
}

/**
 * Serializes jute primitives (big-endian, as ZooKeeper's BinaryOutputArchive) into a growable
 * buffer. `finishFrame()` prefixes the 4-byte length the client protocol frames with.
 */
export class JuteWriter {
  #bytes: Uint8Array;
  #view: DataView;
  /** Offset of `#bytes` within `#view` (regions of a shared slab share its view). */
  #base: number;
  #length: number;

  constructor(capacityBytes = 256, { framed = false }: { framed?: boolean } = {}) {
    const region = allocate(capacityBytes);
    this.#bytes = region.bytes;
    this.#view = region.view;
    this.#base = region.base;
    // A framed writer reserves the length prefix up front so finishing needs no copy.
    this.#length = framed ? 4 : 0;
  }

  get length(): number {
    return this.#length;
  }

  #reserve(extraBytes: number): void {
    const needed = this.#length + extraBytes;
    if (needed <= this.#bytes.length) return;
    let capacity = this.#bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = allocate(capacity);
    grown.bytes.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown.bytes;
    this.#view = grown.view;
    this.#base = grown.base;
  }

  int(value: number): this {
    this.#reserve(4);
    this.#view.setInt32(this.#base + this.#length, value);
    this.#length += 4;
    return this;
  }

  long(value: bigint): this {
    this.#reserve(8);
    this.#view.setBigInt64(this.#base + this.#length, value);
    this.#length += 8;
    return this;
  }

  /** A jute `long` given as an integer-valued number (exact below 2^53; see int64.ts). */
  longNumber(value: number): this {
    this.#reserve(8);
    const at = this.#base + this.#length;
    this.#view.setInt32(at, Math.floor(value / 0x1_0000_0000) | 0);
    this.#view.setUint32(at + 4, value >>> 0);
    this.#length += 8;
    return this;
  }

  /** A jute `long` given as its two 32-bit halves. */
  longHalves(high: number, low: number): this {
    this.#reserve(8);
    const at = this.#base + this.#length;
    this.#view.setInt32(at, high);
    this.#view.setUint32(at + 4, low >>> 0);
    this.#length += 8;
    return this;
  }

  bool(value: boolean): this {
    this.#reserve(1);
    this.#bytes[this.#length] = value ? 1 : 0;
    this.#length += 1;
    return this;
  }

  /** A jute `buffer`: length (-1 for null) and the bytes. */
  buffer(value: Uint8Array | null): this {
    if (value === null) return this.int(-1);
    this.int(value.length);
    this.#reserve(value.length);
    this.#bytes.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  /** A jute `ustring`: UTF-8 length (-1 for null) and the bytes. */
  ustring(value: string | null): this {
    if (value === null) return this.int(-1);
    // Worst case 3 bytes per UTF-16 unit; encodeInto writes in place without a temporary array.
    this.#reserve(4 + value.length * 3);
    const { written } = encoder.encodeInto(value, this.#bytes.subarray(this.#length + 4));
    this.#view.setInt32(this.#base + this.#length, written);
    this.#length += 4 + written;
    return this;
  }

  /** A jute `vector<ustring>`; null writes -1. */
  ustrings(values: readonly string[] | null): this {
    if (values === null) return this.int(-1);
    this.int(values.length);
    for (const value of values) this.ustring(value);
    return this;
  }

  /**
   * Overwrites the int at `offset` (already written): fills in a length reserved with `int(0)`
   * once the record it measures has been written, so nested buffers need no second writer.
   */
  patchInt(offset: number, value: number): this {
    if (offset < 0 || offset + 4 > this.#length) throw new RangeError(`patchInt at ${offset}: only ${this.#length} bytes written`);
    this.#view.setInt32(this.#base + offset, value);
    return this;
  }

  /** Raw bytes, no length prefix (for pre-serialized records). */
  raw(value: Uint8Array): this {
    this.#reserve(value.length);
    this.#bytes.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  /** For a framed writer: writes the length prefix and returns the whole frame. */
  finishFrame(): Uint8Array {
    this.#view.setInt32(this.#base, this.#length - 4);
    return this.#bytes.subarray(0, this.#length);
  }
}
