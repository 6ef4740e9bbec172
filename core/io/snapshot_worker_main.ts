/**
 * The snapshot worker's entry module (a thread of its own: node:worker_threads on Node, Deno and
 * Bun). It receives frozen tree images (tree_image.ts: SharedArrayBuffers, read in place), encodes
 * each as a Paddock snapshot and checksums it, and hands the bytes back without copying them. The
 * encoding is pure (core/server/snapshot_codec.ts); this module is only its thread.
 */
import { parentPort } from "node:worker_threads";
import { encodeSnapshotSlices, finishSlices } from "../server/snapshot_codec.ts";
import { crc32c } from "../storage/crc32c.ts";
import type { TreeImage } from "../tree/tree_image.ts";

/** A request: encode this image. */
export interface SnapshotJob {
  readonly id: number;
  readonly image: TreeImage;
}

/** The answer to a job: the bytes and their CRC-32C, or why not. */
export type SnapshotJobResult =
  | { readonly id: number; readonly bytes: Uint8Array; readonly crc32c: number }
  | { readonly id: number; readonly error: string };

const port = parentPort;
if (port !== null) {
  port.on("message", (job: SnapshotJob) => {
    let result: SnapshotJobResult;
    try {
      const bytes = finishSlices(encodeSnapshotSlices(job.image));
      result = { id: job.id, bytes, crc32c: crc32c(0, bytes) };
    } catch (error) {
      port.postMessage({ id: job.id, error: (error as Error)?.stack ?? String(error) } satisfies SnapshotJobResult);
      return;
    }
    port.postMessage(result, [result.bytes.buffer as ArrayBuffer]);
  });
}
