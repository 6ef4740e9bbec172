import type { TreeImage } from "../tree/tree_image.ts";
import { encodeSnapshotSlices } from "./snapshot_codec.ts";

/** A snapshot's bytes, and their CRC-32C when the encoder computed it on the way. */
export interface EncodedSnapshot {
  readonly bytes: Uint8Array;
  readonly crc32c?: number;
}

/**
 * Turns a captured image into snapshot bytes. The image stays frozen until the promise settles,
 * so an encoder may take its time, in slices or in another thread. A runtime with threads injects
 * one that encodes in a worker (core/io/worker_snapshot_encoder.ts); without, the server encodes
 * in slices between requests.
 */
export interface SnapshotEncoder {
  encode(image: TreeImage): Promise<EncodedSnapshot>;
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
      const slices = encodeSnapshotSlices(image);
      let step = slices.next();
      // Bounded by the generator: it ends after its last slice.
      for (; !step.done; step = slices.next()) await yieldToIo();
      return { bytes: step.value };
    },
  };
}

/**
 * `primary` while it works; after its first failure (a worker that cannot start, or died), says
 * why once and encodes with `fallback` from then on, starting with the image that failed.
 */
export function withFallback(primary: SnapshotEncoder, fallback: SnapshotEncoder, log: (line: string) => void): SnapshotEncoder {
  let failed = false;
  return {
    async encode(image) {
      if (!failed) {
        try {
          return await primary.encode(image);
        } catch (error) {
          failed = true;
          primary.close?.();
          log(`snapshot encoder failed (${(error as Error).message}); encoding snapshots on the event loop from now on`);
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
