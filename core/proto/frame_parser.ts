import { JuteError } from "./jute_reader.ts";

/** ZooKeeper's default jute.maxbuffer: 0xfffff bytes (1 MiB minus one). */
export const JUTE_MAX_BUFFER_DEFAULT = 0xfffff;

/**
 * Splits a byte stream into length-prefixed frames. A frame longer than `maxFrameBytes` (or a
 * negative length) is refused before any of it is buffered, so a peer can never make us hold more
 * than one maximal frame per connection.
 */
export class FrameParser {
  readonly #maxFrameBytes: number;
  #pending: Uint8Array | null = null;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Feeds bytes; returns every complete frame (without its length prefix). Throws JuteError. */
  push(chunk: Uint8Array): Uint8Array[] {
    let bytes = chunk;
    if (this.#pending !== null) {
      const joined = new Uint8Array(this.#pending.length + chunk.length);
      joined.set(this.#pending);
      joined.set(chunk, this.#pending.length);
      bytes = joined;
      this.#pending = null;
    }
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (bytes.length - offset >= 4) {
      const length =
        ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) | 0;
      if (length < 0 || length > this.#maxFrameBytes) {
        throw new JuteError(`frame length ${length} is outside 0..${this.#maxFrameBytes} (jute.maxbuffer)`);
      }
      if (bytes.length - offset - 4 < length) break;
      frames.push(bytes.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    if (offset < bytes.length) this.#pending = bytes.slice(offset);
    return frames;
  }

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.#pending?.length ?? 0;
  }
}
