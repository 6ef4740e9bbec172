import { spawn } from "node:child_process";
import { constants } from "node:os";
import process from "node:process";

/** How a child program ended; `code` follows the shell: 128 + signal number when killed. */
export interface ChildExit {
  code: number;
  signal: NodeJS.Signals | null;
}

/** A program run on behalf of a lock, a leadership or a registration. */
export interface ChildCommand {
  readonly pid: number | undefined;
  /** Settles when the program has exited (or could not start: code 127). */
  readonly exited: Promise<ChildExit>;
  /** SIGTERM, then SIGKILL once `graceMs` passed; resolves when it has exited. */
  terminate(): Promise<ChildExit>;
}

/** What to run and how to stop it. */
export interface ChildCommandOptions {
  argv: readonly string[];
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Time between SIGTERM and SIGKILL. */
  graceMs: number;
}

const EXIT_NOT_FOUND = 127;

/**
 * Starts a program with inherited stdio. While it runs, SIGINT/SIGTERM/SIGHUP sent to paddock are
 * passed on to it (so `kill <paddock>` stops both and the lock is released cleanly after it).
 *
 * @example
 * const child = startChild({ argv: ["make", "deploy"], env: { PADDOCK_FENCING_TOKEN: "42" }, graceMs: 5000 });
 * lease.signal.addEventListener("abort", () => void child.terminate());
 * const { code } = await child.exited;
 */
export function startChild(opts: ChildCommandOptions): ChildCommand {
  const [program, ...args] = opts.argv;
  if (program === undefined) throw new Error("startChild: empty argv");
  const child = spawn(program, args, { stdio: "inherit", env: { ...process.env, ...opts.env } });
  const forwarded: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const forward = (signal: NodeJS.Signals) => {
    child.kill(signal);
  };
  for (const s of forwarded) process.on(s, forward);
  const exited = new Promise<ChildExit>((resolve) => {
    child.once("error", (error) => {
      process.stderr.write(`paddock: cannot run ${program}: ${error.message}\n`);
      resolve({ code: EXIT_NOT_FOUND, signal: null });
    });
    child.once("exit", (code, signal) => {
      const number = signal === null ? 0 : (constants.signals as Record<string, number>)[signal] ?? 0;
      resolve({ code: code ?? 128 + number, signal });
    });
  }).finally(() => {
    for (const s of forwarded) process.off(s, forward);
  });
  let terminating: Promise<ChildExit> | undefined;
  const terminate = () =>
    terminating ??= (async () => {
      child.kill("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          resolve();
        }, opts.graceMs);
      });
      await Promise.race([exited, killed]);
      clearTimeout(timer);
      return exited;
    })();
  return { pid: child.pid, exited, terminate };
}
