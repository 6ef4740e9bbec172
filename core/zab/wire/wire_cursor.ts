import { copyBytes } from "./small_copies.ts";
import { WireError, WireErrorCode } from "./wire_error.ts";

const decoder = new TextDecoder();

/** Thrown (not an Error: no stack to build) when a record continues past the bytes received. */
export const INCOMPLETE: unique symbol = Symbol("incomplete");

/**
 * Reads jute primitives (big-endian, BinaryInputArchive's layout) from the bytes received so far
 * of a stream with no framing. A read past the end throws {@link INCOMPLETE}: the caller rewinds
 * to the start of the record and waits for more bytes. A length over `maxLengthBytes` (ZooKeeper's
 * jute.maxbuffer check) or below -1 is a WireError at once, before anything is buffered for it.
 */
export class WireCursor {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #maxLengthBytes: number;
  offset: number;

  constructor(bytes: Uint8Array, maxLengthBytes: number, offset = 0) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#maxLengthBytes = maxLengthBytes;
    this.offset = offset;
  }

  get remaining(): number {
    return this.#bytes.length - this.offset;
  }

  #need(countBytes: number): void {
    if (countBytes > this.#bytes.length - this.offset) throw INCOMPLETE;
  }

  int(): number {
    this.#need(4);
    const value = this.#view.getInt32(this.offset);
    this.offset += 4;
    return value;
  }

  long(): bigint {
    this.#need(8);
    const value = this.#view.getBigInt64(this.offset);
    this.offset += 8;
    return value;
  }

  /** A jute long as a number; WireError beyond 2^53 (zxids and times never get there). */
  longNumber(): number {
    this.#need(8);
    const high = this.#view.getInt32(this.offset);
    if (high >= 0x200000 || high < -0x200000) throw new WireError(WireErrorCode.malformed, `long at ${this.offset} is beyond 2^53`);
    const value = high * 0x1_0000_0000 + this.#view.getUint32(this.offset + 4);
    this.offset += 8;
    return value;
  }

  bool(): boolean {
    this.#need(1);
    return this.#bytes[this.offset++] !== 0;
  }

  /** A length field: -1 (null) or 0..maxLengthBytes. */
  length(what: string): number {
    const length = this.int();
    if (length < -1 || length > this.#maxLengthBytes) {
      throw new WireError(WireErrorCode.tooLarge, `${what}: length ${length} is outside -1..${this.#maxLengthBytes}`);
    }
    return length;
  }

  /** A jute buffer (a copy, small ones sharing a slab), null for length -1. */
  buffer(what: string): Uint8Array | null {
    const length = this.length(what);
    if (length === -1) return null;
    this.#need(length);
    const value = copyBytes(this.#bytes, this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /**
   * A jute buffer as a view of the bytes received (no copy: valid only until the caller lets go
   * of them), null for length -1.
   */
  bufferView(what: string): Uint8Array | null {
    const length = this.length(what);
    if (length === -1) return null;
    this.#need(length);
    const value = this.#bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** A jute ustring, null for length -1. */
  ustring(what: string): string | null {
    const length = this.length(what);
    if (length === -1) return null;
    this.#need(length);
    const value = decoder.decode(this.#bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return value;
  }
}
