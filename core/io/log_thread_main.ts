/**
 * The log writer's thread (node:worker_threads on Node, Deno and Bun), as ZooKeeper's
 * SyncRequestProcessor thread: it takes every record the event loop has published in the ring
 * (log_ring.ts), writes them to the segment with one O_DSYNC write (or write + fdatasync), reports
 * the bytes it consumed with one message, and starts on whatever arrived meanwhile at once,
 * without waiting for the event loop. It blocks on Atomics.wait when there is nothing to write.
 * The first error ends the thread: the event loop then fails the log (nothing is answered that
 * is not durable, and the server stops serving).
 */
import * as fs from "node:fs";
import { parentPort } from "node:worker_threads";
import { type LogThreadSegment, preallocatedSize } from "../storage/log_thread.ts";
import { RingEntry, type RingRead, RingReader } from "./log_ring.ts";

/** The first message: the two shared buffers of the ring. */
export interface LogThreadStart {
  readonly control: SharedArrayBuffer;
  readonly ring: SharedArrayBuffer;
}

/** What the thread reports: bytes of the ring consumed (written and durable), why it stopped, or that it stopped. */
export type LogThreadMessage =
  | { readonly consumed: number; readonly writes: number; readonly ms: number }
  | { readonly error: string }
  | { readonly stopped: true };

/** How long one idle wait lasts before the stop flag is looked at again. */
const IDLE_WAIT_MS = 1000;
/** Records gathered beyond this are written before more are gathered (a huge txn, split in the ring). */
const GATHER_BYTES_MAX = 8 * 1024 * 1024;

interface OpenSegment extends LogThreadSegment {
  readonly fd: number;
  /** O_DSYNC took: the write is the sync. */
  readonly dsync: boolean;
  offset: number;
  allocated: number;
}

/** Gathers consecutive records into one buffer (not the shared ring: every runtime's fs.write takes it). */
class Gather {
  bytes = new Uint8Array(64 * 1024);
  used = 0;

  add(payload: Uint8Array): void {
    if (this.used + payload.length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.used + payload.length, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    this.bytes.set(payload, this.used);
    this.used += payload.length;
  }
}

function openSegment(spec: LogThreadSegment): OpenSegment {
  const dsyncFlag = spec.sync && typeof fs.constants.O_DSYNC === "number" ? fs.constants.O_DSYNC : 0;
  const fd = fs.openSync(spec.path, fs.constants.O_WRONLY | dsyncFlag);
  return { ...spec, fd, dsync: dsyncFlag !== 0, offset: spec.writeOffset, allocated: spec.allocatedBytes };
}

/** Writes what was gathered at the segment's end; returns the count of writes (0 or 1). */
function writeGathered(segment: OpenSegment | null, gather: Gather): number {
  if (gather.used === 0) return 0;
  if (segment === null) throw new Error("log thread: records before any segment");
  const end = segment.offset + gather.used;
  if (end > segment.allocated) {
    segment.allocated = preallocatedSize(end, segment.preAllocBytes);
    fs.ftruncateSync(segment.fd, segment.allocated);
  }
  let done = 0;
  // Bounded: every round writes at least one byte.
  while (done < gather.used) {
    const n = fs.writeSync(segment.fd, gather.bytes, done, gather.used - done, segment.offset + done);
    if (!(n > 0)) throw new Error(`log thread: write to ${segment.path} made no progress`);
    done += n;
  }
  if (segment.sync && !segment.dsync) fs.fdatasyncSync(segment.fd);
  segment.offset = end;
  gather.used = 0;
  return 1;
}

/** The thread's loop; returns when the event loop asks it to stop and nothing is left. */
function run(start: LogThreadStart): void {
  const port = parentPort!;
  const reader = new RingReader(start.control, start.ring);
  const gather = new Gather();
  let segment: OpenSegment | null = null;
  const apply = (entry: RingRead): void => {
    if (entry.kind === RingEntry.records) {
      gather.add(entry.payload);
      return;
    }
    if (segment !== null) fs.closeSync(segment.fd);
    segment = null;
    if (entry.kind === RingEntry.segment) segment = openSegment(JSON.parse(new TextDecoder().decode(entry.payload)) as LogThreadSegment);
  };
  // Bounded by the stop flag: the event loop sets it when the log closes.
  for (;;) {
    let pending = reader.pending();
    if (pending === 0) {
      if (reader.stopRequested()) break;
      reader.wait(IDLE_WAIT_MS);
      continue;
    }
    const startMs = performance.now();
    let consumed = 0;
    let writes = 0;
    // Bounded by what was published when this round began.
    while (pending > 0) {
      const { entry, bytes } = reader.next();
      pending -= bytes;
      consumed += bytes;
      if (entry.kind !== RingEntry.records) writes += writeGathered(segment, gather);
      apply(entry);
      if (gather.used >= GATHER_BYTES_MAX) writes += writeGathered(segment, gather);
    }
    writes += writeGathered(segment, gather);
    port.postMessage({ consumed, writes, ms: performance.now() - startMs } satisfies LogThreadMessage);
  }
  if (segment !== null) fs.closeSync((segment as OpenSegment).fd);
  port.postMessage({ stopped: true } satisfies LogThreadMessage);
}

if (parentPort !== null) {
  const port = parentPort;
  port.once("message", (start: LogThreadStart) => {
    try {
      run(start);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      port.postMessage({ error: `${e?.code ? `${e.code}: ` : ""}${e?.message ?? String(error)}` } satisfies LogThreadMessage);
    }
    // The event loop ends the thread once it has heard this (Deno's port has no close()).
  });
}
