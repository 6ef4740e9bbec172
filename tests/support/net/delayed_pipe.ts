import type { Socket } from "node:net";
import type { LinkState } from "./link_faults.ts";

/** Above this many held bytes the source is paused, so a long partition costs kernel buffers, not heap. */
const HELD_BYTES_HIGH = 1 << 20;

/**
 * One direction of a proxied TCP connection: reads chunks from `source`, holds them while the
 * link is blocked, releases each after the link's delay (in order), writes them to `dest`, and
 * forwards the end of the stream once everything before it went out. Back-pressure all the way:
 * a blocked link, a full queue or a slow destination pause the source socket, so the sending
 * member sees what it would see on a stalled network: its writes stop being read.
 */
export class DelayedPipe {
  readonly #source: Socket;
  readonly #dest: Socket;
  readonly #link: () => LinkState;
  readonly #random: () => number;
  readonly #queue: { dueMs: number; chunk: Buffer }[] = [];
  #heldBytes = 0;
  #lastDueMs = 0;
  #ended = false;
  #waitingDrain = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** Bytes written to the destination so far. */
  forwardedBytes = 0;

  constructor(opts: { source: Socket; dest: Socket; link: () => LinkState; random: () => number; transform?: (chunk: Buffer) => Buffer }) {
    this.#source = opts.source;
    this.#dest = opts.dest;
    this.#link = opts.link;
    this.#random = opts.random;
    const transform = opts.transform;
    this.#source.on("data", (chunk: Buffer) => {
      const bytes = transform === undefined ? chunk : transform(chunk);
      if (bytes.length > 0) this.#push(bytes);
    });
    this.#source.on("end", () => {
      this.#ended = true;
      this.flush();
    });
    this.#dest.on("drain", () => {
      this.#waitingDrain = false;
      this.flush();
    });
  }

  /** Delivers what is due, re-arms the timer for the rest, pauses or resumes the source. Idempotent. */
  flush(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const link = this.#link();
    if (!link.blocked) this.#deliverDue();
    if (!link.blocked && this.#queue.length === 0 && this.#ended) {
      this.#dest.end();
      this.close();
      return;
    }
    const head = this.#queue[0];
    if (!link.blocked && head !== undefined && !this.#waitingDrain) {
      this.#timer = setTimeout(() => this.flush(), Math.max(0, head.dueMs - performance.now()));
    }
    const hold = link.blocked || this.#waitingDrain || this.#heldBytes >= HELD_BYTES_HIGH;
    if (hold) this.#source.pause();
    else if (!this.#ended) this.#source.resume();
  }

  /** Stops the timer; the sockets are the connection's to close. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #push(chunk: Buffer): void {
    const link = this.#link();
    const nowMs = performance.now();
    const dueMs = Math.max(nowMs + link.delayMs + link.jitterMs * this.#random(), this.#lastDueMs);
    this.#lastDueMs = dueMs;
    this.#queue.push({ dueMs, chunk });
    this.#heldBytes += chunk.length;
    this.flush();
  }

  #deliverDue(): void {
    const nowMs = performance.now();
    // Bounded by the queue: every iteration removes one entry.
    while (this.#queue.length > 0 && !this.#waitingDrain && this.#queue[0]!.dueMs <= nowMs) {
      const { chunk } = this.#queue.shift()!;
      this.#heldBytes -= chunk.length;
      this.forwardedBytes += chunk.length;
      if (!this.#dest.write(chunk)) this.#waitingDrain = true;
    }
  }
}
