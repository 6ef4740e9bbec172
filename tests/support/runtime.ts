import { existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The JavaScript runtimes the suite runs on. */
export const Runtime = { node: "node", deno: "deno", bun: "bun" } as const;
/** One of {@link Runtime}. */
export type Runtime = (typeof Runtime)[keyof typeof Runtime];

/** Absolute path of the repository root (this file lives in tests/support). */
export const REPO_ROOT: string = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The runtime executing this test process: child TypeScript processes are
 * started with the same one, so each runtime is tested end to end.
 *
 * @example if (currentRuntime() === Runtime.deno) { ... }
 */
export function currentRuntime(): Runtime {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Bun !== undefined) return Runtime.bun;
  if (g.Deno !== undefined) return Runtime.deno;
  return Runtime.node;
}

/** tsx's loader (its package's "." export), by URL; the bare name where it is not installed. */
const TSX_LOADER: string = existsSync(join(REPO_ROOT, "node_modules", "tsx", "dist", "loader.mjs"))
  ? pathToFileURL(join(REPO_ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href
  : "tsx";

/** A program and its arguments, ready for `spawn`. */
export interface Command {
  command: string;
  args: string[];
}

/**
 * Builds the command that runs a TypeScript file on the current runtime:
 * Node via `--import tsx`, Deno via `deno run -A`, Bun directly.
 *
 * @example const { command, args } = typeScriptCommand("plugins/main.ts", ["server", cfg]);
 */
export function typeScriptCommand(script: string, scriptArgs: string[], runtime: Runtime = currentRuntime()): Command {
  const executable = runtimeExecutable(runtime);
  switch (runtime) {
    case Runtime.node:
      // tsx 4 registers its loader with --import (Node >= 20.6); named by absolute URL so the
      // child may run in any directory.
      return { command: executable, args: ["--import", TSX_LOADER, script, ...scriptArgs] };
    case Runtime.deno:
      return { command: executable, args: ["run", "-A", "--no-check", script, ...scriptArgs] };
    case Runtime.bun:
      return { command: executable, args: [script, ...scriptArgs] };
  }
}

/**
 * The runtime's own executable when we are running on it (so no PATH lookup is needed),
 * else the copy in node_modules/.bin, else the bare name for PATH.
 */
function runtimeExecutable(runtime: Runtime): string {
  if (runtime === currentRuntime()) return process.execPath;
  const local = join(REPO_ROOT, "node_modules", ".bin", runtime);
  return existsSync(local) ? local : runtime;
}
