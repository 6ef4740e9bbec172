import type { SnapshotChunk, SnapshotStream } from "../storage/txn_log.ts";
import type { TreeImage } from "../tree/tree_image.ts";
import { encodeSnapshotPieces } from "./snapshot_codec.ts";

/**
 * Turns a captured image into a snapshot's bytes, as a stream (its length, then its chunks). The
 * image stays frozen until the chunks are all read, so an encoder may take its time, in slices or
 * in another thread. A runtime with threads injects one that encodes in a worker
 * (core/io/worker_snapshot_encoder.ts); without, the server encodes in slices between requests.
 */
export interface SnapshotEncoder {
  encode(image: TreeImage): Promise<SnapshotStream>;
  /**
   * False while it could not start encoding at once (a worker still loading its modules): the
   * server then encodes that snapshot with its fallback rather than wait. Absent means ready.
   */
  ready?(): boolean;
  /** Releases threads it holds (the server is stopping). */
  close?(): void;
}

/**
 * Encodes on the calling thread, awaiting `yieldToIo` between slices so requests run in between.
 * @example const encoder = slicedSnapshotEncoder(() => new Promise((r) => setTimeout(r, 0)));
 */
export function slicedSnapshotEncoder(yieldToIo: () => Promise<void>): SnapshotEncoder {
  return {
    async encode(image) {
      const pieces = encodeSnapshotPieces(image);
      // Bounded by the generator: pass 1 ends with the size.
      for (let step = pieces.next(); !step.done; step = pieces.next()) {
        if (step.value === null) await yieldToIo();
        else if ("size" in step.value) return { length: step.value.size, chunks: slicedChunks(pieces, yieldToIo) };
      }
      throw new Error("snapshot: the encoder ended before its size");
    },
  };
}

async function* slicedChunks(pieces: Generator<unknown, void>, yieldToIo: () => Promise<void>): AsyncIterable<SnapshotChunk> {
  // Bounded by the generator.
  for (let step = pieces.next(); !step.done; step = pieces.next()) {
    const piece = step.value as { chunk: Uint8Array } | null;
    if (piece === null) await yieldToIo();
    else yield { bytes: piece.chunk };
  }
}

/**
 * `primary` while it works; after its first failure (a worker that cannot start, or died), says
 * why once and encodes with `fallback` from then on, starting with the image that failed to start.
 * While `primary` is not ready yet (a worker loading), a snapshot goes to `fallback` instead of
 * waiting: the log would grow meanwhile.
 */
export function withFallback(primary: SnapshotEncoder, fallback: SnapshotEncoder, log: (line: string) => void): SnapshotEncoder {
  let failed = false;
  const fail = (error: unknown) => {
    if (failed) return;
    failed = true;
    primary.close?.();
    log(`snapshot encoder failed (${(error as Error)?.message ?? error}); encoding snapshots on the event loop from now on`);
  };
  return {
    async encode(image) {
      if (!failed && primary.ready?.() !== false) {
        try {
          const stream = await primary.encode(image);
          return { length: stream.length, chunks: failingOver(stream.chunks, fail) };
        } catch (error) {
          fail(error);
        }
      }
      return fallback.encode(image);
    },
    close() {
      primary.close?.();
      fallback.close?.();
    },
  };
}

/** Passes chunks through; an error mid-stream still fails that snapshot, and switches encoders. */
async function* failingOver(chunks: AsyncIterable<SnapshotChunk>, fail: (error: unknown) => void): AsyncIterable<SnapshotChunk> {
  try {
    yield* chunks;
  } catch (error) {
    fail(error);
    throw error;
  }
}
