/**
 * The ring the event loop and the log thread share (two SharedArrayBuffers): the event loop
 * appends entries and publishes how far it wrote; the thread takes everything published, writes
 * it and reports how many bytes it consumed. One writer and one reader, so a published position
 * is all the synchronization needed (Atomics.store / Atomics.load / Atomics.wait).
 *
 * An entry is 8-byte aligned: an Int32 kind, an Int32 payload length, the payload, padding. An
 * entry never wraps: one that would not fit before the end is preceded by a `wrap` entry that
 * sends the reader back to the start.
 */

/** Kinds of ring entries. */
export const RingEntry = {
  /** Log records, exactly the bytes that go to the segment. */
  records: 1,
  /** The segment later records go to: a UTF-8 JSON LogThreadSegment. */
  segment: 2,
  /** Nothing more before the end of the ring: continue at its start. */
  wrap: 3,
  /** Close the segment's handle (the event loop is about to truncate or rename it). */
  release: 4,
} as const;

/** Slots of the control Int32Array. */
export const RingControl = {
  /** Published write position, modulo POSITION_MODULUS (the event loop stores, the thread waits on it). */
  head: 0,
  /** 1 asks the thread to exit once it has written everything published. */
  stop: 1,
} as const;

/** Int32 slots of the control array. */
export const RING_CONTROL_SLOTS = 4;
/** Bytes of the data ring: a power of two, far above a pipelined batch (8 x 16 x 100 B is 10 KB). */
export const RING_BYTES = 4 * 1024 * 1024;
/** Positions are shared modulo this (a multiple of RING_BYTES that fits an Int32). */
export const POSITION_MODULUS = 2 ** 30;
/** Entry header: kind and payload length. */
export const ENTRY_HEADER_BYTES = 8;
/** The largest payload one entry carries; larger writes are split (the thread joins them). */
export const ENTRY_PAYLOAD_MAX = RING_BYTES / 4;

/** Bytes an entry with this payload takes in the ring (header and padding included). */
export function entryBytes(payloadBytes: number): number {
  return ENTRY_HEADER_BYTES + ((payloadBytes + 7) & ~7);
}

/**
 * The event loop's side: appends entries at a monotonic position and knows how much the thread
 * has consumed. It never blocks: `fits` says whether an entry can go in now.
 */
export class RingWriter {
  readonly #control: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  /** Bytes ever appended, and ever consumed by the thread. */
  #head = 0;
  #consumed = 0;

  constructor(control: SharedArrayBuffer, ring: SharedArrayBuffer) {
    this.#control = new Int32Array(control);
    this.#bytes = new Uint8Array(ring);
    this.#view = new DataView(ring);
  }

  /** Bytes appended so far (the position the next entry ends after). */
  get head(): number {
    return this.#head;
  }

  /** Bytes the thread has consumed so far (everything before this position is durable). */
  get consumedBytes(): number {
    return this.#consumed;
  }

  /** The thread consumed this many more bytes. */
  consumed(bytes: number): void {
    this.#consumed += bytes;
    if (this.#consumed > this.#head) throw new Error(`log ring: consumed ${this.#consumed} bytes of ${this.#head} written`);
  }

  /** True when an entry with this payload fits now (counting a wrap it may need). */
  fits(payloadBytes: number): boolean {
    return this.#needed(payloadBytes) <= RING_BYTES - (this.#head - this.#consumed);
  }

  /** Appends one entry (the caller checked `fits`); returns the position after it. Not yet published. */
  append(kind: number, payload: Uint8Array): number {
    if (payload.length > ENTRY_PAYLOAD_MAX || !this.fits(payload.length)) throw new Error("log ring: entry does not fit");
    const offset = this.#head % RING_BYTES;
    if (offset + entryBytes(payload.length) > RING_BYTES) {
      this.#header(offset, RingEntry.wrap, 0);
      this.#head += RING_BYTES - offset;
    }
    const at = this.#head % RING_BYTES;
    this.#header(at, kind, payload.length);
    this.#bytes.set(payload, at + ENTRY_HEADER_BYTES);
    this.#head += entryBytes(payload.length);
    return this.#head;
  }

  /** Makes every appended entry visible to the thread and wakes it. */
  publish(): void {
    Atomics.store(this.#control, RingControl.head, this.#head % POSITION_MODULUS);
    Atomics.notify(this.#control, RingControl.head);
  }

  /** Asks the thread to exit once it has consumed what is published. */
  stop(): void {
    Atomics.store(this.#control, RingControl.stop, 1);
    Atomics.notify(this.#control, RingControl.head);
  }

  #needed(payloadBytes: number): number {
    const offset = this.#head % RING_BYTES;
    const bytes = entryBytes(payloadBytes);
    return offset + bytes > RING_BYTES ? RING_BYTES - offset + bytes : bytes;
  }

  #header(offset: number, kind: number, length: number): void {
    this.#view.setInt32(offset, kind, true);
    this.#view.setInt32(offset + 4, length, true);
  }
}

/** One entry as the thread reads it: a view into the ring (valid until it reports it consumed). */
export interface RingRead {
  readonly kind: number;
  readonly payload: Uint8Array;
}

/** The thread's side: reads published entries in order. */
export class RingReader {
  readonly #control: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  /** Read position modulo POSITION_MODULUS. */
  #tail = 0;

  constructor(control: SharedArrayBuffer, ring: SharedArrayBuffer) {
    this.#control = new Int32Array(control);
    this.#bytes = new Uint8Array(ring);
    this.#view = new DataView(ring);
  }

  /** Bytes published and not yet read. */
  pending(): number {
    return (Atomics.load(this.#control, RingControl.head) - this.#tail + POSITION_MODULUS) % POSITION_MODULUS;
  }

  /** Blocks the thread until something is published or `timeoutMs` passes. */
  wait(timeoutMs: number): void {
    Atomics.wait(this.#control, RingControl.head, this.#tail, timeoutMs);
  }

  stopRequested(): boolean {
    return Atomics.load(this.#control, RingControl.stop) === 1;
  }

  /** The next entry (the caller checked `pending`); `wrap` entries are followed, never returned. Also its size in the ring. */
  next(): { entry: RingRead; bytes: number } {
    let skipped = 0;
    let offset = this.#tail % RING_BYTES;
    if (this.#view.getInt32(offset, true) === RingEntry.wrap) {
      skipped = RING_BYTES - offset;
      offset = 0;
    }
    const kind = this.#view.getInt32(offset, true);
    const length = this.#view.getInt32(offset + 4, true);
    if (length < 0 || length > ENTRY_PAYLOAD_MAX || offset + entryBytes(length) > RING_BYTES) {
      throw new Error(`log ring: bad entry (kind ${kind}, ${length} bytes) at ${offset}`);
    }
    const bytes = skipped + entryBytes(length);
    this.#tail = (this.#tail + bytes) % POSITION_MODULUS;
    return { entry: { kind, payload: this.#bytes.subarray(offset + ENTRY_HEADER_BYTES, offset + ENTRY_HEADER_BYTES + length) }, bytes };
  }
}
