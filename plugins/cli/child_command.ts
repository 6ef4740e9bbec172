import { spawn } from "node:child_process";
import { accessSync, constants as fsConstants } from "node:fs";
import { constants } from "node:os";
import { delimiter, join } from "node:path";
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
/** util-linux setpriv (essential on Debian): sets the parent-death signal, then execs the program. */
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"];

/**
 * The prefix that makes the kernel SIGKILL the program when paddock dies, however it dies
 * (SIGKILL included): `setpriv --pdeathsig SIGKILL --`. Empty where there is no such mechanism,
 * after saying so once.
 */
function parentDeathPrefix(): string[] {
  const setpriv = process.platform === "linux" ? SETPRIV.find(isExecutable) : undefined;
  if (setpriv !== undefined) return [setpriv, "--pdeathsig", "SIGKILL", "--"];
  if (!warnedNoParentDeath) {
    warnedNoParentDeath = true;
    process.stderr.write("paddock: no parent-death signal here (Linux setpriv not found): CMD may outlive a killed paddock\n");
  }
  return [];
}
let warnedNoParentDeath = false;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The program as the shell would find it (a path, or a name on PATH), or undefined. */
function resolveProgram(program: string): string | undefined {
  if (program.includes("/")) return isExecutable(program) ? program : undefined;
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  return dirs.map((d) => join(d, program)).find(isExecutable);
}

/**
 * Starts a program with inherited stdio. While it runs, SIGINT/SIGTERM/SIGHUP sent to paddock are
 * passed on to it (so `kill <paddock>` stops both and the lock is released cleanly after it). It
 * never outlives paddock: on Linux the kernel SIGKILLs it when paddock dies, SIGKILL included, so
 * a lock or a leadership is never held by a program whose holder is gone.
 *
 * @example
 * const child = startChild({ argv: ["make", "deploy"], env: { PADDOCK_FENCING_TOKEN: "42" }, graceMs: 5000 });
 * lease.signal.addEventListener("abort", () => void child.terminate());
 * const { code } = await child.exited;
 */
export function startChild(opts: ChildCommandOptions): ChildCommand {
  const [program, ...args] = opts.argv;
  if (program === undefined) throw new Error("startChild: empty argv");
  if (resolveProgram(program) === undefined) {
    process.stderr.write(`paddock: cannot run ${program}: not found\n`);
    const notFound = Promise.resolve({ code: EXIT_NOT_FOUND, signal: null });
    return { pid: undefined, exited: notFound, terminate: () => notFound };
  }
  // setpriv execs the program in place (looking it up on PATH as a shell would): the pid is the
  // program's, signals reach it directly.
  const argv = [...parentDeathPrefix(), program, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: "inherit", env: { ...process.env, ...opts.env } });
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
