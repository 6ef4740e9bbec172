import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { connect } from "node:net";
import { fourLetterWord } from "./four_letter.ts";
import type { Command } from "./runtime.ts";

/** Which server a handle runs: the Apache ZooKeeper oracle or Paddock. */
export const ServerKind = { zookeeper: "zookeeper", paddock: "paddock" } as const;
/** One of {@link ServerKind}. */
export type ServerKind = (typeof ServerKind)[keyof typeof ServerKind];

/** A running server process, the same shape for both kinds. */
export interface ServerHandle {
  kind: ServerKind;
  host: string;
  port: number;
  /** `host:port`, what every ZooKeeper client takes. */
  connectString: string;
  /** The directory holding zoo.cfg and data/. */
  dir: string;
  /** SIGTERM, then SIGKILL after a grace period; removes `dir` unless `keepDir` or the caller supplied it. */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
  /** SIGKILL now, like a crash: no cleanup, `dir` stays for a restart. */
  kill(): void;
  /** The last output of the process (stdout and stderr), for failure messages. */
  output(): string;
}

/** How to launch and when to give up waiting for readiness. */
export interface LaunchOptions {
  kind: ServerKind;
  command: Command;
  cwd: string;
  port: number;
  dir: string;
  removeDirOnStop: boolean;
  readyTimeoutMs: number;
  /**
   * More ports that must accept connections before the server counts as ready (a Paddock server
   * opens its AdminServer and metrics listeners just after its client port).
   */
  alsoListening?: readonly number[];
}

const HOST = "127.0.0.1";
const OUTPUT_MAX_CHARS = 64_000;
const STOP_GRACE_MS = 5_000;
const POLL_INTERVAL_MS = 100;
const NOT_SERVING = "not currently serving";

/** Children still alive: killed when the test process exits, even after a failed assertion. */
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/**
 * Spawns a server and resolves once it answers `ruok` with `imok`. If the process
 * dies or the deadline passes first, it is killed and the error carries its output.
 */
export async function launchServer(opts: LaunchOptions): Promise<ServerHandle> {
  const child = spawn(opts.command.command, opts.command.args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_MAX_CHARS);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  let exited = false;
  let exitStatus = "";
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.on("error", (err) => {
      spawnError = err;
      exited = true;
      live.delete(child);
      resolve();
    });
    child.on("exit", (code, signal) => {
      exitStatus = signal === null ? `exit code ${code}` : `signal ${signal}`;
      exited = true;
      live.delete(child);
      resolve();
    });
  });
  const handle: ServerHandle = {
    kind: opts.kind,
    host: HOST,
    port: opts.port,
    connectString: `${HOST}:${opts.port}`,
    dir: opts.dir,
    output: () => output,
    kill: () => {
      if (!exited) child.kill("SIGKILL");
    },
    stop: async (stopOpts) => {
      await terminate(child, () => exited, exitPromise);
      if (opts.removeDirOnStop && !stopOpts?.keepDir) rmSync(opts.dir, { recursive: true, force: true });
    },
  };
  try {
    await waitReady(opts, () => exited || spawnError !== undefined);
  } catch (err) {
    await handle.stop();
    const why = spawnError ? `${spawnError.message}; ` : exitStatus === "" ? "" : `${exitStatus}; `;
    throw new Error(`${opts.kind} did not become ready: ${why}${(err as Error).message}\n--- ${opts.kind} output ---\n${output}`);
  }
  return handle;
}

async function waitReady(opts: LaunchOptions, hasExited: () => boolean): Promise<void> {
  const deadline = Date.now() + opts.readyTimeoutMs;
  let lastError = "no attempt yet";
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error("process exited before it was ready");
    try {
      const answer = await fourLetterWord({ host: HOST, port: opts.port, word: "ruok", timeoutMs: 1_000 });
      // ZooKeeper says imok while still loading its database; srvr tells when it really serves.
      const status = answer === "imok" ? await fourLetterWord({ host: HOST, port: opts.port, word: "srvr", timeoutMs: 1_000 }) : "";
      const closed = [];
      for (const port of opts.alsoListening ?? []) if (!(await accepts(port))) closed.push(port);
      if (answer === "imok" && !status.includes(NOT_SERVING) && closed.length === 0) return;
      lastError = closed.length > 0
        ? `port ${closed.join(", ")} not listening yet`
        : `ruok answered ${JSON.stringify(answer)}, srvr ${JSON.stringify(status.slice(0, 80))}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`no "imok" within ${opts.readyTimeoutMs} ms (last: ${lastError})`);
}

/** Whether a TCP connection to 127.0.0.1:`port` is accepted (closed at once). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.setTimeout(1_000, () => done(false));
  });
}

async function terminate(child: ChildProcess, hasExited: () => boolean, exitPromise: Promise<void>): Promise<void> {
  if (hasExited()) return;
  child.kill("SIGTERM");
  if (await within(exitPromise, STOP_GRACE_MS)) return;
  child.kill("SIGKILL");
  await within(exitPromise, STOP_GRACE_MS);
}

/** True when the promise settled before the timeout. The timer is cleared so it cannot keep the process alive. */
export async function within(promise: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
