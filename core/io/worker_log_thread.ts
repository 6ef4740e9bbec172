/**
 * The txn log's writer thread as the event loop sees it (core/storage/log_thread.ts's LogThread):
 * records go into a shared ring (log_ring.ts) and the thread (log_thread_main.ts) writes them;
 * the event loop hears back once per completed write, not twice per write as with libuv's thread
 * pool, and the next write never waits for the event loop to start. Where no worker can be
 * started, it says so once and returns null: the log writer then writes through the thread pool.
 */
import type { Worker } from "node:worker_threads";
import type { LogThread, LogThreadSegment, LogThreadWrite } from "../storage/log_thread.ts";
import { StorageError, StorageErrorCode } from "../storage/storage_error.ts";
import { ENTRY_PAYLOAD_MAX, RING_BYTES, RING_CONTROL_SLOTS, RingEntry, RingWriter } from "./log_ring.ts";
import type { LogThreadMessage, LogThreadStart } from "./log_thread_main.ts";
import { startWorker, workerEntry } from "./worker_entry.ts";

/** A log thread on a worker, or null (with the reason logged) when none can run here. */
export function workerLogThread(dataLogDir: string, log: (line: string) => void): LogThread | null {
  const entry = workerEntry({ source: "log_thread_main.ts", bundle: "paddock-log-thread.mjs" });
  if (entry === null) {
    log("log thread: its entry module is not next to the server's; the txn log is written through the thread pool");
    return null;
  }
  try {
    return new WorkerLogThread(startWorker(entry, { lowerPriority: false }), dataLogDir);
  } catch (error) {
    log(`log thread: cannot start (${(error as Error)?.message ?? error}); the txn log is written through the thread pool`);
    return null;
  }
}

/** Resolves when the thread has consumed the ring up to `end`. */
interface Waiter {
  readonly end: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

class WorkerLogThread implements LogThread {
  onSynced: ((writes: number, ms: number) => void) | null = null;
  readonly #worker: Worker;
  readonly #dataLogDir: string;
  readonly #ring: RingWriter;
  /** In ring order (ends only grow). */
  readonly #waiters: Waiter[] = [];
  /** The writer waiting for room in the ring (writes come one at a time from the log writer's loop). */
  #room: (() => void) | null = null;
  #failure: StorageError | null = null;
  #referenced = false;
  #closing: Promise<void> | null = null;
  /** Called when the thread has stopped (its last message) or exited. */
  #stopped!: () => void;
  readonly #exited: Promise<void>;

  constructor(worker: Worker, dataLogDir: string) {
    this.#worker = worker;
    this.#dataLogDir = dataLogDir;
    const control = new SharedArrayBuffer(RING_CONTROL_SLOTS * 4);
    const ring = new SharedArrayBuffer(RING_BYTES);
    this.#ring = new RingWriter(control, ring);
    this.#exited = new Promise((resolve) => (this.#stopped = resolve));
    worker.on("message", (message: LogThreadMessage) => this.#onMessage(message));
    worker.on("error", (error) => this.#fail(`failed: ${error instanceof Error ? error.message : String(error)}`));
    worker.on("exit", (code) => {
      this.#fail(`exited (code ${code})`);
      this.#stopped();
    });
    // Idle, it does not keep the process alive; with writes outstanding it does (see #waitFor).
    worker.unref();
    worker.postMessage({ control, ring } satisfies LogThreadStart);
  }

  async useSegment(segment: LogThreadSegment): Promise<void> {
    await this.#append(RingEntry.segment, new TextEncoder().encode(JSON.stringify(segment)));
  }

  async write(bytes: Uint8Array): Promise<LogThreadWrite> {
    // Bounded: a write larger than one entry goes in as several, which the thread joins.
    for (let at = 0; at < bytes.length; at += ENTRY_PAYLOAD_MAX) {
      await this.#append(RingEntry.records, bytes.subarray(at, Math.min(bytes.length, at + ENTRY_PAYLOAD_MAX)));
    }
    return { durable: this.#waitFor(this.#ring.head) };
  }

  idle(): Promise<void> {
    return this.#waitFor(this.#ring.head);
  }

  async release(): Promise<void> {
    await this.#append(RingEntry.release, new Uint8Array(0));
    await this.idle();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#failure === null) {
        this.#ring.stop();
        this.#worker.ref();
        await this.#exited;
      }
      await this.#worker.terminate();
    })();
    return this.#closing;
  }

  async #append(kind: number, payload: Uint8Array): Promise<void> {
    // Bounded: each round waits for the thread to consume something, or fails.
    while (this.#failure === null && !this.#ring.fits(payload.length)) {
      await new Promise<void>((resolve) => {
        this.#room = resolve;
        this.#keepAlive();
      });
    }
    if (this.#failure !== null) throw this.#failure;
    if (this.#closing !== null) throw new Error("log thread: write after close");
    this.#ring.append(kind, payload);
    this.#ring.publish();
  }

  #waitFor(end: number): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#ring.consumedBytes >= end) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ end, resolve, reject });
      this.#keepAlive();
    });
  }

  #onMessage(message: LogThreadMessage): void {
    if ("error" in message) {
      this.#fail(`failed: ${message.error}`);
      return;
    }
    if ("stopped" in message) {
      this.#stopped();
      return;
    }
    this.#ring.consumed(message.consumed);
    if (message.writes > 0) this.onSynced?.(message.writes, message.ms);
    let done = 0;
    // Bounded by the waiters queued.
    while (done < this.#waiters.length && this.#waiters[done]!.end <= this.#ring.consumedBytes) {
      this.#waiters[done]!.resolve();
      done += 1;
    }
    this.#waiters.splice(0, done);
    const room = this.#room;
    this.#room = null;
    room?.();
    this.#keepAlive();
  }

  /** The thread keeps the process alive exactly while something waits for it (idle, it must not). */
  #keepAlive(): void {
    const wanted = this.#failure === null && (this.#waiters.length > 0 || this.#room !== null);
    if (wanted === this.#referenced) return;
    this.#referenced = wanted;
    if (wanted) this.#worker.ref();
    else this.#worker.unref();
  }

  /** The first failure is final: every write waiting and every later one is refused, as the log's own failure is. */
  #fail(why: string): void {
    if (this.#failure !== null || (this.#closing !== null && this.#waiters.length === 0 && why.startsWith("exited"))) return;
    this.#failure = new StorageError(StorageErrorCode.writeFailed, `txn log write failed in ${this.#dataLogDir}: the log thread ${why}; no further txns are accepted`);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure);
    const room = this.#room;
    this.#room = null;
    room?.();
    this.#keepAlive();
    void this.#worker.terminate();
  }
}
