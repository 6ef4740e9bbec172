const encoder = new TextEncoder();

/**
 * Serializes jute primitives (big-endian, as ZooKeeper's BinaryOutputArchive) into a growable
 * buffer. `finishFrame()` prefixes the 4-byte length the client protocol frames with.
 */
export class JuteWriter {
  #bytes: Uint8Array;
  #view: DataView;
  #length: number;

  constructor(capacityBytes = 256, { framed = false }: { framed?: boolean } = {}) {
    this.#bytes = new Uint8Array(capacityBytes);
    this.#view = new DataView(this.#bytes.buffer);
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
    const grown = new Uint8Array(capacity);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }

  int(value: number): this {
    this.#reserve(4);
    this.#view.setInt32(this.#length, value);
    this.#length += 4;
    return this;
  }

  long(value: bigint): this {
    this.#reserve(8);
    this.#view.setBigInt64(this.#length, value);
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
    this.#view.setInt32(this.#length, written);
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
    this.#view.setInt32(0, this.#length - 4);
    return this.#bytes.subarray(0, this.#length);
  }
}
