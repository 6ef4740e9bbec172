import { carveCopy } from "./jute_writer.ts";

const decoder = new TextDecoder();

/** A record did not fit its bytes: ZooKeeper answers such input with MARSHALLINGERROR or a close. */
export class JuteError extends Error {
  override name = "JuteError";
}

/**
 * Reads jute primitives from one frame. Every read is bounds-checked and every length is checked
 * against what is left, so a hostile length can never make the reader allocate or loop beyond
 * the frame it was given.
 */
export class JuteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset: number;

  constructor(bytes: Uint8Array, offset = 0) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#offset = offset;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  #need(countBytes: number, what: string): void {
    if (countBytes > this.#bytes.length - this.#offset) {
      throw new JuteError(`${what}: needs ${countBytes} bytes, ${this.remaining} left`);
    }
  }

  int(): number {
    this.#need(4, "int");
    const value = this.#view.getInt32(this.#offset);
    this.#offset += 4;
    return value;
  }

  long(): bigint {
    this.#need(8, "long");
    const value = this.#view.getBigInt64(this.#offset);
    this.#offset += 8;
    return value;
  }

  /** A jute `long` as a number; JuteError beyond 2^53 (zxids and times never get there). */
  longNumber(): number {
    this.#need(8, "long");
    const high = this.#view.getInt32(this.#offset);
    const low = this.#view.getUint32(this.#offset + 4);
    if (high >= 0x200000 || high < -0x200000) throw new JuteError(`long at ${this.#offset} is beyond 2^53`);
    this.#offset += 8;
    return high * 0x1_0000_0000 + low;
  }

  bool(): boolean {
    this.#need(1, "boolean");
    return this.#bytes[this.#offset++] !== 0;
  }

  #length(what: string): number {
    const length = this.int();
    if (length < -1) throw new JuteError(`${what}: negative length ${length}`);
    if (length > 0) this.#need(length, what);
    return length;
  }

  /** A jute buffer; null when the length is -1. The result is a copy: frames are reused. */
  buffer(): Uint8Array | null {
    const length = this.#length("buffer");
    if (length === -1) return null;
    // Uint8Array's slice copies; a Node Buffer's would be a view that pins the whole socket chunk.
    const value = Uint8Array.prototype.slice.call(this.#bytes, this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  /**
   * A jute buffer copied into a shared slab (small ones) instead of its own ArrayBuffer: for data a
   * server holds only briefly (a write's until it is applied). Null when the length is -1.
   */
  bufferCarved(): Uint8Array | null {
    const length = this.#length("buffer");
    if (length === -1) return null;
    const value = carveCopy(this.#bytes, this.#offset, length);
    this.#offset += length;
    return value;
  }

  ustring(): string | null {
    const length = this.#length("ustring");
    if (length === -1) return null;
    const value = decoder.decode(this.#bytes.subarray(this.#offset, this.#offset + length));
    this.#offset += length;
    return value;
  }

  /** A ustring that the protocol requires to be present (paths, schemes). */
  string(): string {
    return this.ustring() ?? "";
  }

  /**
   * The element count of a vector. Each element takes at least `minElementBytes`, so a count
   * larger than the bytes left can be refused before any element is read.
   */
  vectorLength(minElementBytes: number): number {
    const count = this.int();
    if (count < -1) throw new JuteError(`vector: negative count ${count}`);
    if (count > 0) this.#need(count * minElementBytes, "vector");
    return count;
  }

  ustrings(): string[] | null {
    const count = this.vectorLength(4);
    if (count === -1) return null;
    const values: string[] = [];
    for (let i = 0; i < count; i++) values.push(this.string());
    return values;
  }

  /** Old clients omit trailing optional fields (ConnectRequest.readOnly): read one if present. */
  optionalBool(): boolean {
    return this.remaining >= 1 ? this.bool() : false;
  }
}
