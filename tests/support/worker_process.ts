// Starts recipe worker processes on the runtime under test and collects their JSON lines.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { REPO_ROOT, typeScriptCommand } from "./runtime.ts";

/** A running worker: its JSON lines so far, a promise per line count, and its exit. */
export interface Worker {
  lines: Record<string, unknown>[];
  /** Resolves at the first line with `key`. */
  line(key: string): Promise<Record<string, unknown>>;
  exited: Promise<number>;
  kill(): void;
}

const WORKER = resolve(REPO_ROOT, "tests/support/recipe_worker.ts");

/**
 * Spawns `recipe_worker.ts` with the test's runtime.
 *
 * @example const w = startWorker(["consume", cs, "/q"]); await w.exited;
 */
export function startWorker(args: string[]): Worker {
  const { command, args: argv } = typeScriptCommand(WORKER, args);
  const child = spawn(command, argv, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const lines: Record<string, unknown>[] = [];
  const waiters: { key: string; resolve: (l: Record<string, unknown>) => void }[] = [];
  let buffer = "";
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8000)));
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    let nl = buffer.indexOf("\n");
    while (nl >= 0) {
      const line = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.filter((w) => w.key in line)) w.resolve(line);
      nl = buffer.indexOf("\n");
    }
  });
  const exited = new Promise<number>((resolveExit, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`worker ${args.join(" ")} exited ${code}: ${JSON.stringify(lines)} ${stderr}`));
      else resolveExit(code);
    });
  });
  exited.catch(() => undefined);
  return {
    lines,
    line: (key) => {
      const seen = lines.find((l) => key in l);
      return seen !== undefined ? Promise.resolve(seen) : new Promise((r) => waiters.push({ key, resolve: r }));
    },
    exited,
    kill: () => void child.kill("SIGKILL"),
  };
}
