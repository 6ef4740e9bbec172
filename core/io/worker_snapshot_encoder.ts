/**
 * A snapshot encoder on its own thread (snapshot_worker_main.ts), so a snapshot of a million
 * znodes costs the event loop only its capture. Where no worker can be started (the entry module
 * is missing from a build, or the runtime refuses), it says so once and returns null: the server
 * then encodes on its event loop, in slices.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { TreeImage } from "../tree/tree_image.ts";
import type { SnapshotJob, SnapshotJobMessage, SnapshotWorkerReady } from "./snapshot_worker_main.ts";

/** A snapshot's bytes as the worker streams them (core/storage/txn_log.ts's SnapshotStream). */
export interface StreamedSnapshot {
  readonly length: number;
  readonly chunks: AsyncIterable<{ readonly bytes: Uint8Array; readonly crc32c: number }>;
}

/** What the server needs of an encoder (core/server/snapshot_encoder.ts's SnapshotEncoder). */
export interface WorkerSnapshotEncoder {
  encode(image: TreeImage): Promise<StreamedSnapshot>;
  /** False while the worker is still loading its modules (encode would wait for it). */
  ready(): boolean;
  /** Whether a worker thread is up (one idle for {@link IDLE_WORKER_MS} after a snapshot is ended). */
  running(): boolean;
  close(): void;
}

/** Chunks the worker may have in flight before the server has written them. */
const CHUNKS_IN_FLIGHT = 4;
/**
 * A worker idle this long after a snapshot is ended, and the next snapshot starts a new one (tens
 * of ms from the bundle). An idle isolate collects no garbage: after a snapshot of a million
 * znodes the worker held ~70 MiB (its heap, its buffer ring, the snapshot's order arrays), which an
 * idle server kept for good.
 */
export const IDLE_WORKER_MS = 2_000;

/**
 * Where the worker's entry module is: next to this file when running from source, the Node
 * bundle's sibling `paddock-snapshot-worker.mjs` (npm run build:node makes both), or embedded in
 * the Bun executable (npm run build:exe adds it as an entry point; the executable files it under
 * its path from the project root, next to the executable's own name).
 */
function workerEntry(): URL | null {
  const candidates = [
    new URL("./snapshot_worker_main.ts", import.meta.url),
    new URL("./paddock-snapshot-worker.mjs", import.meta.url),
    new URL("./core/io/snapshot_worker_main.js", import.meta.url),
  ];
  for (const url of candidates) {
    try {
      if (url.protocol === "file:" && existsSync(fileURLToPath(url))) return url;
    } catch {
      // Not a path this runtime can check: try the next.
    }
  }
  return null;
}

/**
 * Node runs TypeScript sources through a loader (tsx) that its worker threads do not inherit (Node
 * 20): such a worker registers the loader before it imports the entry. Deno and Bun run .ts
 * themselves, and a bundle's entry is plain JavaScript.
 */
function newWorker(entry: URL): Worker {
  const nodeFromSource = entry.pathname.endsWith(".ts") && !("Deno" in globalThis) && !("Bun" in globalThis);
  if (!nodeFromSource) return new Worker(entry);
  // Loading the sources through tsx takes CPU-seconds on a busy machine: the thread lowers its
  // priority first (as the entry module does once loaded), so a server starting up keeps the CPU.
  const lower = `try { (await import("node:os")).setPriority(Number((await import("node:fs")).readlinkSync("/proc/thread-self").split("/").pop()), 10); } catch {}`;
  const bootstrap = `(async () => { ${lower} const tsx = await import("tsx/esm/api"); tsx.register(); await import(${JSON.stringify(entry.href)}); })();`;
  return new Worker(bootstrap, { eval: true });
}

/**
 * A worker-backed encoder, or null (with the reason logged) when none can run here.
 * @example const encoder = workerSnapshotEncoder(log) ?? slicedSnapshotEncoder(yieldToIo);
 */
export function workerSnapshotEncoder(log: (line: string) => void): WorkerSnapshotEncoder | null {
  const entry = workerEntry();
  if (entry === null) {
    log("snapshot worker: its entry module is not next to the server's; snapshots are encoded on the event loop");
    return null;
  }
  let worker: Worker | null = null;
  let loaded = false;
  let nextId = 0;
  const jobs = new Map<number, Job>();
  let idleTimer: ReturnType<typeof setTimeout> | null = null;
  const failAll = (error: Error) => {
    for (const job of jobs.values()) job.fail(error);
    jobs.clear();
    worker = null;
  };
  const stopIdleTimer = () => {
    if (idleTimer !== null) clearTimeout(idleTimer);
    idleTimer = null;
  };
  const retireWhenIdle = (w: Worker) => {
    stopIdleTimer();
    idleTimer = setTimeout(() => {
      idleTimer = null;
      if (worker !== w || jobs.size > 0) return;
      worker = null;
      void w.terminate();
    }, IDLE_WORKER_MS);
    (idleTimer as { unref?: () => void }).unref?.();
  };
  const start = (): Worker => {
    const w = newWorker(entry);
    loaded = false;
    w.unref();
    w.on("message", (message: SnapshotJobMessage | SnapshotWorkerReady) => {
      if ("ready" in message) {
        loaded = true;
        return;
      }
      const job = jobs.get(message.id);
      if (job === undefined) return;
      if ("size" in message) job.sized(message.size);
      else if ("chunk" in message) job.chunk({ bytes: message.chunk, crc32c: message.crc32c });
      else {
        jobs.delete(message.id);
        // An idle worker must not keep the process alive; a busy one must (its answer is awaited).
        if (jobs.size === 0) {
          w.unref();
          retireWhenIdle(w);
        }
        if ("end" in message) job.end();
        else job.fail(new Error(`snapshot worker: ${message.error}`));
      }
    });
    // A worker retired when idle ends with no job of its own; a newer one may be running by then.
    w.on("error", (error) => worker === w && failAll(error instanceof Error ? error : new Error(String(error))));
    w.on("exit", (code) => worker === w && failAll(new Error(`snapshot worker exited with code ${code}`)));
    return w;
  };
  // Started now, not at the first snapshot: a thread takes from tens of ms (a bundle) to over a
  // second (sources through tsx, a loaded machine) to load its modules, and the first snapshot
  // should not wait for that while the log grows. Idle, it does not keep the process alive.
  try {
    worker = start();
  } catch (error) {
    log(`snapshot worker: cannot start (${(error as Error)?.message ?? error}); snapshots are encoded on the event loop`);
    return null;
  }
  return {
    encode(image) {
      stopIdleTimer();
      let w: Worker;
      try {
        w = worker ??= start();
      } catch (error) {
        return Promise.reject(error);
      }
      const id = nextId++;
      const job = new Job();
      jobs.set(id, job);
      w.ref();
      w.postMessage({ id, image, credits: job.credits.buffer, chunksInFlight: CHUNKS_IN_FLIGHT } satisfies SnapshotJob);
      return job.size;
    },
    running() {
      return worker !== null;
    },
    ready() {
      // A worker that died is restarted by the next encode, which then waits for it.
      return loaded || worker === null;
    },
    close() {
      stopIdleTimer();
      const w = worker;
      failAll(new Error("snapshot worker: closed"));
      void w?.terminate();
    },
  };
}

/** One image being encoded: its size once known, then its chunks as an async iterable with flow control. */
class Job {
  readonly credits = new Int32Array(new SharedArrayBuffer(8));
  readonly size: Promise<StreamedSnapshot>;
  #resolveSize!: (stream: StreamedSnapshot) => void;
  #rejectSize!: (error: Error) => void;
  readonly #queue: { bytes: Uint8Array; crc32c: number }[] = [];
  #ended = false;
  #error: Error | null = null;
  #wake: (() => void) | null = null;

  constructor() {
    Atomics.store(this.credits, 0, CHUNKS_IN_FLIGHT);
    this.size = new Promise((resolve, reject) => {
      this.#resolveSize = resolve;
      this.#rejectSize = reject;
    });
  }

  sized(length: number): void {
    this.#resolveSize({ length, chunks: this.#chunks() });
  }

  chunk(chunk: { bytes: Uint8Array; crc32c: number }): void {
    this.#queue.push(chunk);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  fail(error: Error): void {
    this.#error = error;
    this.#rejectSize(error);
    this.#wake?.();
  }

  async *#chunks(): AsyncIterable<{ bytes: Uint8Array; crc32c: number }> {
    try {
      // Bounded by the worker: it ends (or fails) after its last chunk.
      for (;;) {
        const next = this.#queue.shift();
        if (next !== undefined) {
          yield next;
          // Written: the worker may send one more.
          Atomics.add(this.credits, 0, 1);
          Atomics.notify(this.credits, 0);
          continue;
        }
        if (this.#error !== null) throw this.#error;
        if (this.#ended) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = null;
      }
    } finally {
      // Released: no chunk of this job is read any more. A reader that stopped early (a write
      // failed) so stops the worker too; after the last chunk, the worker may reuse the buffers.
      Atomics.store(this.credits, 1, 1);
      Atomics.notify(this.credits, 0);
      Atomics.notify(this.credits, 1);
    }
  }
}
