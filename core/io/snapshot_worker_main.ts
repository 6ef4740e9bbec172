/**
 * The snapshot worker's entry module (a thread of its own: node:worker_threads on Node, Deno and
 * Bun). It receives frozen tree images (tree_image.ts: SharedArrayBuffers, read in place), encodes
 * each as a Paddock snapshot, and streams it back in chunks with their CRC-32C, handing each
 * chunk over without a copy. The encoding is pure (core/server/snapshot_codec.ts); this module is
 * only its thread.
 *
 * Flow control: `credits` (an Int32Array over a SharedArrayBuffer) counts the chunks the server
 * will take; the worker waits when none is left, so at most `chunksInFlight` chunks are ever in
 * flight. `credits[1]` set to 1 releases the job: the server reads no more of it (it gave up, or
 * took every chunk), and a job still running stops.
 *
 * Chunks are written into a ring of `chunksInFlight + 1` SharedArrayBuffers, shared with the server
 * rather than handed over: the server gives a credit back once it has written a chunk, so when the
 * worker starts a chunk, the one that last used its buffer is on disk. A fresh 4 MiB buffer per
 * chunk cost a page fault per 4 KiB: a quarter of the CPU of a million-znode snapshot on a VM.
 * The ring outlives a job, for as long as the worker runs (the server ends an idle one): the next
 * job reuses it once the server has released the last job (`credits[1]` set: every chunk written,
 * or the job given up), and makes a new ring if that takes longer than {@link RELEASE_WAIT_MS}.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import { encodeSnapshotPieces, SNAPSHOT_CHUNK_BYTES } from "../server/snapshot_codec.ts";
import { crc32c } from "../storage/crc32c.ts";
import type { TreeImage } from "../tree/tree_image.ts";

/** A request: encode this image. */
export interface SnapshotJob {
  readonly id: number;
  readonly image: TreeImage;
  /** [0]: chunks the server will take now; [1]: 1 once the server reads no more of the job. */
  readonly credits: SharedArrayBuffer;
  /** The credits a job starts with: at most this many chunks are sent and not yet written. */
  readonly chunksInFlight: number;
}

/** What the worker sends back for a job: its size, its chunks, then its end, or why it failed. */
export type SnapshotJobMessage =
  | { readonly id: number; readonly size: number }
  | { readonly id: number; readonly chunk: Uint8Array; readonly crc32c: number } // a view of a shared buffer, valid until the server returns the chunk's credit
  | { readonly id: number; readonly end: true }
  | { readonly id: number; readonly error: string };

/** Sent once the worker has loaded its modules and takes jobs. */
export interface SnapshotWorkerReady {
  readonly ready: true;
}

/** How long one wait for credits lasts before the cancel flag is looked at again. */
const CREDIT_WAIT_MS = 1000;
/** How long a job waits for the server to release the previous job's chunks before making a new ring. */
const RELEASE_WAIT_MS = 2000;

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

/** Buffers reused round-robin; one that must grow (a record over a chunk) is replaced. */
function chunkRing(size: number): (minBytes: number) => Uint8Array {
  const buffers: Uint8Array[] = [];
  let next = 0;
  return (minBytes) => {
    const k = next++ % size;
    const held = buffers[k];
    if (held !== undefined && held.length >= minBytes) return held;
    return (buffers[k] = new Uint8Array(new SharedArrayBuffer(minBytes)));
  };
}

/** The ring, its size, and the credits of the job that used it last. */
let ring: { buffer: (minBytes: number) => Uint8Array; size: number; lastJob: Int32Array } | null = null;

/** The ring for a job: the last one if the server released the job that used it, else a new one. */
function ringFor(size: number, credits: Int32Array): (minBytes: number) => Uint8Array {
  const last = ring;
  const reusable = last !== null && last.size === size && released(last.lastJob);
  ring = { buffer: reusable ? last.buffer : chunkRing(size), size, lastJob: credits };
  return ring.buffer;
}

/** Whether the server released a job within {@link RELEASE_WAIT_MS}. */
function released(credits: Int32Array): boolean {
  if (Atomics.load(credits, 1) === 1) return true;
  Atomics.wait(credits, 1, 0, RELEASE_WAIT_MS);
  return Atomics.load(credits, 1) === 1;
}

function run(job: SnapshotJob): void {
  const credits = new Int32Array(job.credits);
  for (const piece of encodeSnapshotPieces(job.image, SNAPSHOT_CHUNK_BYTES, ringFor(job.chunksInFlight + 1, credits))) {
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
    const chunk = piece.chunk;
    port!.postMessage({ id: job.id, chunk, crc32c: crc32c(0, chunk) } satisfies SnapshotJobMessage);
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
