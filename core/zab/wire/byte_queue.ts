/**
 * The bytes of a stream received but not yet parsed. Parsers keep at most one record in it: they
 * refuse a record as soon as its declared size is over their limit, so a peer cannot make it grow
 * past that limit plus one chunk.
 */
export class ByteQueue {
  #buffer = new Uint8Array(0);
  #start = 0;
  #end = 0;

  /** Bytes held. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** Appends a chunk (copied: callers may reuse theirs). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#end + chunk.length > this.#buffer.length) this.#makeRoom(chunk.length);
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  #makeRoom(extraBytes: number): void {
    const held = this.length;
    const needed = held + extraBytes;
    // Compacting in place is enough while the held bytes fill at most half the buffer.
    if (needed <= this.#buffer.length && held <= this.#buffer.length / 2) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
    } else {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2, 4096));
      grown.set(this.#buffer.subarray(this.#start, this.#end));
      this.#buffer = grown;
    }
    this.#start = 0;
    this.#end = held;
  }

  /** The held bytes (a view, valid until the next push or consume). */
  view(): Uint8Array {
    return this.#buffer.subarray(this.#start, this.#end);
  }

  /** Drops the first `count` bytes. */
  consume(count: number): void {
    if (count < 0 || count > this.length) throw new RangeError(`consume ${count} of ${this.length} bytes`);
    this.#start += count;
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }

  /** Removes and returns every held byte (a copy). */
  takeAll(): Uint8Array {
    const all = this.view().slice();
    this.#start = this.#end = 0;
    return all;
  }
}
