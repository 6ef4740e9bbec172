import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { runProcess, type RunResult } from "./run_process.ts";
import { type Command, REPO_ROOT, typeScriptCommand } from "./runtime.ts";

/** How to start `paddock`: its TypeScript source on the test's runtime, or a built executable. */
export type PaddockLauncher = (args: string[]) => Command;

/** `plugins/main.ts` on the runtime running this test (Node via tsx, Deno, Bun). */
export const sourceLauncher: PaddockLauncher = (args) => typeScriptCommand(join(REPO_ROOT, "plugins", "main.ts"), args);

/** A built executable such as dist/paddock. */
export function executableLauncher(path: string): PaddockLauncher {
  return (args) => ({ command: path, args });
}

const RUN_TIMEOUT_MS = 60_000;

/**
 * Runs one paddock command to completion (killed after the timeout).
 *
 * @example const r = await runPaddock(sourceLauncher, ["counter", "get", "/c", "-server", cs]);
 */
export function runPaddock(
  launch: PaddockLauncher,
  args: string[],
  opts: { input?: string; timeoutMs?: number; cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<RunResult> {
  const { command, args: argv } = launch(args);
  return runProcess({
    command,
    args: argv,
    cwd: opts.cwd ?? REPO_ROOT,
    env: opts.env,
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? RUN_TIMEOUT_MS,
  });
}

/** A paddock process left running: its output so far, how it ended, and a way to stop it. */
export interface PaddockProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stderr (or stdout) contains `text`; rejects on exit or timeout. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (128 + signal when killed). */
  readonly exited: Promise<number>;
  /** SIGKILL if still running (idempotent). */
  kill(signal?: NodeJS.Signals): void;
}

const alive = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of alive) child.kill("SIGKILL");
});

const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
const POLL_MS = 20;

/**
 * Starts a long-running paddock command (lock, elect, watch, registry) for a test to observe.
 * Every process started here is SIGKILLed when the test process exits, whatever happened.
 *
 * @example const w = startPaddock(sourceLauncher, ["watch", "/a", "-server", cs]); await w.waitForOutput("watching");
 */
export function startPaddock(
  launch: PaddockLauncher,
  args: string[],
  env: Record<string, string> = {},
  cwd: string = REPO_ROOT,
): PaddockProcess {
  const { command, args: argv } = launch(args);
  const child = spawn(command, argv, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  alive.add(child);
  let out = "";
  let err = "";
  let done = false;
  child.stdout!.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr!.on("data", (c: Buffer) => (err += c.toString("utf8")));
  const exited = new Promise<number>((resolve) => {
    child.once("error", () => {
      done = true;
      alive.delete(child);
      resolve(127);
    });
    child.once("close", (code, signal) => {
      done = true;
      alive.delete(child);
      resolve(code ?? 128 + (SIGNAL_NUMBERS[signal ?? ""] ?? 0));
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: (signal = "SIGKILL") => {
      if (!done) child.kill(signal);
    },
    async waitForOutput(text, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!out.includes(text) && !err.includes(text)) {
        if (done) throw new Error(`paddock ${args[0]} exited before printing ${JSON.stringify(text)}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`);
        if (Date.now() > deadline) throw new Error(`paddock ${args[0]} did not print ${JSON.stringify(text)} within ${timeoutMs} ms\n--- stdout ---\n${out}\n--- stderr ---\n${err}`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    },
  };
}
