import { JuteError } from "./jute_reader.ts";

/** ZooKeeper's default jute.maxbuffer: 0xfffff bytes (1 MiB minus one). */
export const JUTE_MAX_BUFFER_DEFAULT = 0xfffff;

/**
 * Splits a byte stream into length-prefixed frames. A frame longer than `maxFrameBytes` (or a
 * negative length) is refused before any of it is buffered, so a peer can never make us hold more
 * than one maximal frame per connection. A frame split across chunks is gathered into one buffer
 * of its final size, so a large frame arriving in tiny chunks costs linear, not quadratic, copying.
 */
export class FrameParser {
  readonly #maxFrameBytes: number;
  /** Up to 3 bytes of a length prefix that a chunk boundary cut. */
  #prefix = new Uint8Array(4);
  #prefixLength = 0;
  /** The frame being gathered, and how much of it has arrived. */
  #partial: Uint8Array | null = null;
  #partialFilled = 0;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Feeds bytes; returns every complete frame (without its length prefix). Throws JuteError. */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let offset = 0;
    if (this.#partial !== null) offset = this.#fillPartial(chunk, 0, frames);
    while (offset < chunk.length) {
      if (this.#prefixLength > 0 || chunk.length - offset < 4) {
        offset = this.#fillPrefix(chunk, offset);
        if (this.#prefixLength < 4) break;
        this.#prefixLength = 0;
        this.#startFrame(readLength(this.#prefix, 0), frames);
        if (this.#partial !== null) offset = this.#fillPartial(chunk, offset, frames);
        continue;
      }
      const length = this.#checked(readLength(chunk, offset));
      if (chunk.length - offset - 4 >= length) {
        frames.push(chunk.subarray(offset + 4, offset + 4 + length));
        offset += 4 + length;
        continue;
      }
      offset += 4;
      this.#startFrame(length, frames);
      offset = this.#fillPartial(chunk, offset, frames);
    }
    return frames;
  }

  #checked(length: number): number {
    if (length < 0 || length > this.#maxFrameBytes) {
      throw new JuteError(`frame length ${length} is outside 0..${this.#maxFrameBytes} (jute.maxbuffer)`);
    }
    return length;
  }

  #startFrame(length: number, frames: Uint8Array[]): void {
    this.#checked(length);
    if (length === 0) {
      frames.push(new Uint8Array(0));
      return;
    }
    this.#partial = new Uint8Array(length);
    this.#partialFilled = 0;
  }

  #fillPrefix(chunk: Uint8Array, offset: number): number {
    const take = Math.min(4 - this.#prefixLength, chunk.length - offset);
    this.#prefix.set(chunk.subarray(offset, offset + take), this.#prefixLength);
    this.#prefixLength += take;
    return offset + take;
  }

  #fillPartial(chunk: Uint8Array, offset: number, frames: Uint8Array[]): number {
    const partial = this.#partial!;
    const take = Math.min(partial.length - this.#partialFilled, chunk.length - offset);
    partial.set(chunk.subarray(offset, offset + take), this.#partialFilled);
    this.#partialFilled += take;
    if (this.#partialFilled === partial.length) {
      frames.push(partial);
      this.#partial = null;
    }
    return offset + take;
  }

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.#prefixLength + (this.#partial === null ? 0 : this.#partialFilled);
  }
}

function readLength(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) | 0;
}
