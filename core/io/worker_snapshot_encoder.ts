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
import type { SnapshotJobResult } from "./snapshot_worker_main.ts";

/** What the server needs of an encoder (core/server/snapshot_encoder.ts's SnapshotEncoder). */
export interface WorkerSnapshotEncoder {
  encode(image: TreeImage): Promise<{ bytes: Uint8Array; crc32c: number }>;
  close(): void;
}

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
  const bootstrap = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
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
  let nextId = 0;
  const waiting = new Map<number, { resolve: (r: { bytes: Uint8Array; crc32c: number }) => void; reject: (e: Error) => void }>();
  const failAll = (error: Error) => {
    for (const job of waiting.values()) job.reject(error);
    waiting.clear();
    worker = null;
  };
  const start = (): Worker => {
    const w = newWorker(entry);
    w.unref();
    w.on("message", (result: SnapshotJobResult) => {
      const job = waiting.get(result.id);
      if (job === undefined) return;
      waiting.delete(result.id);
      // An idle worker must not keep the process alive; a busy one must (its answer is awaited).
      if (waiting.size === 0) w.unref();
      if ("error" in result) job.reject(new Error(`snapshot worker: ${result.error}`));
      else job.resolve({ bytes: result.bytes, crc32c: result.crc32c });
    });
    w.on("error", (error) => failAll(error instanceof Error ? error : new Error(String(error))));
    w.on("exit", (code) => failAll(new Error(`snapshot worker exited with code ${code}`)));
    return w;
  };
  return {
    encode(image) {
      return new Promise((resolve, reject) => {
        try {
          worker ??= start();
        } catch (error) {
          reject(error);
          return;
        }
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ id, image });
      });
    },
    close() {
      const w = worker;
      worker = null;
      void w?.terminate();
    },
  };
}
