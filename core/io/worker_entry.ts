/**
 * Where a worker thread's entry module is and how to start it, on every way Paddock runs: from
 * source (Node through tsx, Deno, Bun), from the Node bundle (dist/, where `npm run build:node`
 * puts each worker's bundle next to paddock.mjs) and from the `bun build --compile` executable
 * (which embeds each worker entry under its path from the project root).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

/** A worker's entry module under its three names. */
export interface WorkerEntryNames {
  /** Its source file, next to this module (core/io/): `snapshot_worker_main.ts`. */
  readonly source: string;
  /** Its Node bundle, next to dist/paddock.mjs: `paddock-snapshot-worker.mjs`. */
  readonly bundle: string;
}

/** The entry module's URL, or null when this build does not carry it. */
export function workerEntry(names: WorkerEntryNames): URL | null {
  const candidates = [
    new URL(`./${names.source}`, import.meta.url),
    new URL(`./${names.bundle}`, import.meta.url),
    new URL(`./core/io/${names.source.replace(/\.ts$/, ".js")}`, import.meta.url),
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
 * Starts a worker on `entry`. Node runs TypeScript sources through a loader (tsx) that its worker
 * threads do not inherit (Node 20): such a worker registers the loader before it imports the
 * entry. Deno and Bun run .ts themselves, and a bundle's entry is plain JavaScript. Loading the
 * sources through tsx takes CPU-seconds on a busy machine: with `lowerPriority` the thread lowers
 * its priority first, so a server starting up keeps the CPU (the log writer's thread must not:
 * every durable write waits for it).
 */
export function startWorker(entry: URL, options: { readonly lowerPriority: boolean }): Worker {
  const nodeFromSource = entry.pathname.endsWith(".ts") && !("Deno" in globalThis) && !("Bun" in globalThis);
  if (!nodeFromSource) return new Worker(entry);
  const lower = options.lowerPriority
    ? `try { (await import("node:os")).setPriority(Number((await import("node:fs")).readlinkSync("/proc/thread-self").split("/").pop()), 10); } catch {}`
    : "";
  const bootstrap = `(async () => { ${lower} const tsx = await import("tsx/esm/api"); tsx.register(); await import(${JSON.stringify(entry.href)}); })();`;
  return new Worker(bootstrap, { eval: true });
}
