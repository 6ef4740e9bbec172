import { type DiskFile, readFully } from "../io/disk.ts";

/**
 * Reads a file through a sliding window, so recovery can walk a multi-gigabyte segment with a few
 * megabytes in memory and one read per window. Each refill allocates a fresh buffer instead of
 * reusing the old one: payloads handed out as subarrays of an earlier window stay valid, and
 * recovery copies no record.
 */
export class WindowReader {
  readonly #file: DiskFile;
  readonly #chunkBytes: number;
  /** Size of the file. */
  readonly fileSize: number;
  /** The window; bytes [0, valid) hold file bytes [base, base + valid). */
  buffer: Uint8Array = new Uint8Array(0);
  /** A DataView over {@link buffer}. */
  view: DataView = new DataView(this.buffer.buffer);
  /** File offset of buffer[0]. */
  base = 0;
  /** Count of file bytes in the window. */
  valid = 0;

  constructor(file: DiskFile, fileSize: number, chunkBytes = 4 * 1024 * 1024) {
    if (chunkBytes <= 0) throw new Error("window reader: chunkBytes must be positive");
    this.#file = file;
    this.fileSize = fileSize;
    this.#chunkBytes = chunkBytes;
  }

  /** True when file bytes [offset, offset + length) are in the window (no await needed). */
  has(offset: number, length: number): boolean {
    return offset >= this.base && offset + length <= this.base + this.valid;
  }

  /**
   * Brings file bytes [offset, offset + length) into the window, or as many as the file has.
   * Resolves to true when all of them are there.
   */
  async load(offset: number, length: number): Promise<boolean> {
    if (this.has(offset, length)) return true;
    const want = Math.min(Math.max(length, this.#chunkBytes), Math.max(0, this.fileSize - offset));
    const next = new Uint8Array(want);
    const kept = this.#copyOverlap(next, offset);
    const read = await readFully(this.#file, next.subarray(kept), offset + kept);
    this.buffer = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    this.base = offset;
    this.valid = kept + read;
    return this.valid >= length;
  }

  /** Copies what the old window already holds from `offset` on, saving a re-read. */
  #copyOverlap(next: Uint8Array, offset: number): number {
    const end = this.base + this.valid;
    if (offset < this.base || offset >= end) return 0;
    const overlap = this.buffer.subarray(offset - this.base, Math.min(this.valid, offset - this.base + next.length));
    next.set(overlap);
    return overlap.length;
  }
}
