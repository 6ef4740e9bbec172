/**
 * The snapshot worker's entry module (a thread of its own: node:worker_threads on Node, Deno and
 * Bun). It receives frozen tree images (tree_image.ts: SharedArrayBuffers, read in place), encodes
 * each as a Paddock snapshot, and streams it back in chunks with their CRC-32C, handing each
 * chunk over without a copy. The encoding is pure (core/server/snapshot_codec.ts); this module is
 * only its thread.
 *
 * Flow control: `credits` (an Int32Array over a SharedArrayBuffer) counts the chunks the server
 * will take; the worker waits when none is left, so at most a few chunks are ever in flight.
 * `credits[1]` set to 1 cancels the job.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import { encodeSnapshotPieces } from "../server/snapshot_codec.ts";
import { crc32c } from "../storage/crc32c.ts";
import type { TreeImage } from "../tree/tree_image.ts";

/** A request: encode this image. */
export interface SnapshotJob {
  readonly id: number;
  readonly image: TreeImage;
  /** [0]: chunks the server will take now; [1]: 1 when the server gave up on the job. */
  readonly credits: SharedArrayBuffer;
}

/** What the worker sends back for a job: its size, its chunks, then its end, or why it failed. */
export type SnapshotJobMessage =
  | { readonly id: number; readonly size: number }
  | { readonly id: number; readonly chunk: Uint8Array; readonly crc32c: number }
  | { readonly id: number; readonly end: true }
  | { readonly id: number; readonly error: string };

/** Sent once the worker has loaded its modules and takes jobs. */
export interface SnapshotWorkerReady {
  readonly ready: true;
}

/** How long one wait for credits lasts before the cancel flag is looked at again. */
const CREDIT_WAIT_MS = 1000;

const port = parentPort;

/**
 * The worker thread runs at nice 10 (Linux, where a thread has its own priority): encoding a
 * million znodes takes a couple of CPU-seconds, which should come from spare CPU rather than from
 * the requests the event loop serves meanwhile (the snapshot is then slower on a busy machine,
 * never the requests). Elsewhere it keeps the default.
 */
const SNAPSHOT_NICE = 10;

function lowerThreadPriority(): void {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, SNAPSHOT_NICE);
  } catch {
    // Not Linux, or no /proc: the default priority.
  }
}

function run(job: SnapshotJob): void {
  const credits = new Int32Array(job.credits);
  for (const piece of encodeSnapshotPieces(job.image)) {
    if (piece === null) continue;
    if ("size" in piece) {
      port!.postMessage({ id: job.id, size: piece.size } satisfies SnapshotJobMessage);
      continue;
    }
    // Bounded by the cancel flag, which the server sets when it stops reading.
    while (Atomics.load(credits, 0) <= 0) {
      if (Atomics.load(credits, 1) === 1) return;
      Atomics.wait(credits, 0, Atomics.load(credits, 0), CREDIT_WAIT_MS);
    }
    if (Atomics.load(credits, 1) === 1) return;
    Atomics.sub(credits, 0, 1);
    // The chunk is a view at the start of its own buffer: hand the buffer over.
    const chunk = piece.chunk;
    port!.postMessage({ id: job.id, chunk, crc32c: crc32c(0, chunk) } satisfies SnapshotJobMessage, [chunk.buffer as ArrayBuffer]);
  }
  port!.postMessage({ id: job.id, end: true } satisfies SnapshotJobMessage);
}

if (port !== null) {
  lowerThreadPriority();
  port.on("message", (job: SnapshotJob) => {
    try {
      run(job);
    } catch (error) {
      port.postMessage({ id: job.id, error: (error as Error)?.stack ?? String(error) } satisfies SnapshotJobMessage);
    }
  });
  port.postMessage({ ready: true } satisfies SnapshotWorkerReady);
}
