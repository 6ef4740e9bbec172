import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import type { Command } from "./runtime.ts";
import { within } from "./server_process.ts";

/** Where a member process stands, as the harness made it. */
export const ProcessState = { running: "running", paused: "paused", dead: "dead" } as const;
/** One of {@link ProcessState}. */
export type ProcessState = (typeof ProcessState)[keyof typeof ProcessState];

const STOP_GRACE_MS = 5_000;

/** Every member process still alive: SIGKILLed when the harness exits, even after a failure. */
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) {
    try {
      process.kill(child.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

/**
 * One OS process of an ensemble member that can be started again on the same directory after
 * it dies: SIGKILL, SIGSTOP/SIGCONT, SIGTERM. Output goes to a log file (appended across
 * restarts) rather than the harness's memory, so a long chaos run keeps the whole story.
 *
 * @example const p = new MemberProcess({ command, cwd, logPath }); p.start(); p.kill(); p.start();
 */
export class MemberProcess {
  readonly #command: Command;
  readonly #cwd: string;
  readonly #logPath: string;
  #child: ChildProcess | undefined;
  #log: WriteStream | undefined;
  #exited: Promise<void> = Promise.resolve();
  #state: ProcessState = ProcessState.dead;
  /** How the last run ended, for failure messages. */
  lastExit: { code: number | null; signal: string | null } | undefined;
  /** Starts so far (1 after the first start). */
  starts = 0;

  constructor(opts: { command: Command; cwd: string; logPath: string }) {
    this.#command = opts.command;
    this.#cwd = opts.cwd;
    this.#logPath = opts.logPath;
  }

  get state(): ProcessState {
    return this.#state;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get logPath(): string {
    return this.#logPath;
  }

  /** Spawns the process; it must be dead. */
  start(): void {
    if (this.#state !== ProcessState.dead) throw new Error(`cannot start: process is ${this.#state}`);
    this.starts++;
    this.#log = createWriteStream(this.#logPath, { flags: "a" });
    this.#log.write(`\n=== start ${this.starts}: ${this.#command.command} ${this.#command.args.join(" ")}\n`);
    const child = spawn(this.#command.command, this.#command.args, { cwd: this.#cwd, stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    live.add(child);
    this.#state = ProcessState.running;
    const log = this.#log;
    child.stdout!.on("data", (chunk: Buffer) => log.write(chunk));
    child.stderr!.on("data", (chunk: Buffer) => log.write(chunk));
    this.#exited = new Promise<void>((resolve) => {
      const done = (code: number | null, signal: string | null) => {
        if (this.#child !== child) return resolve();
        live.delete(child);
        this.lastExit = { code, signal };
        this.#state = ProcessState.dead;
        log.end(`=== exit code ${code} signal ${signal}\n`);
        resolve();
      };
      child.on("error", (err) => {
        log.write(`=== spawn error: ${err.message}\n`);
        done(null, null);
      });
      child.on("exit", done);
    });
  }

  /** SIGKILL, as a crash or a power cut for the process; resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.#state === ProcessState.dead) return;
    this.#signal("SIGKILL");
    await this.#exited;
  }

  /** SIGSTOP: the process freezes with its sockets open (a long GC pause, a stalled VM). */
  pause(): void {
    if (this.#state !== ProcessState.running) throw new Error(`cannot pause: process is ${this.#state}`);
    this.#signal("SIGSTOP");
    this.#state = ProcessState.paused;
  }

  /** SIGCONT after {@link pause}. */
  resume(): void {
    if (this.#state !== ProcessState.paused) throw new Error(`cannot resume: process is ${this.#state}`);
    this.#signal("SIGCONT");
    this.#state = ProcessState.running;
  }

  /** SIGTERM (after SIGCONT if paused), SIGKILL after a grace period; resolves once it is gone. */
  async stop(): Promise<void> {
    if (this.#state === ProcessState.dead) return;
    if (this.#state === ProcessState.paused) this.resume();
    this.#signal("SIGTERM");
    if (await within(this.#exited, STOP_GRACE_MS)) return;
    await this.kill();
  }

  /**
   * process.kill by pid rather than child.kill: Deno's ChildProcess refuses any signal after the
   * first one it sent (its `killed` flag), so SIGCONT after SIGSTOP would be lost.
   */
  #signal(signal: NodeJS.Signals): void {
    try {
      process.kill(this.#child!.pid!, signal);
    } catch (err) {
      // ESRCH: it died meanwhile; the exit handler records that.
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  }

  /** Resolves when the current run ends (at once when dead). */
  exited(): Promise<void> {
    return this.#exited;
  }
}
