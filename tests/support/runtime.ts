import { existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

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
      // tsx 4 registers its loader with --import (Node >= 20.6); resolved from the repo root (the cwd).
      return { command: executable, args: ["--import", "tsx", script, ...scriptArgs] };
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
