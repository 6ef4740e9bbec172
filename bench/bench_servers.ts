/**
 * Starts the servers under test as real processes from one generated zoo.cfg, times spawn ->
 * serving, and keeps their pids so memory and CPU can be read from /proc. ZooKeeper is 3.9.3 (the
 * oracle's jars on this machine's Java, `-Xmx1000m` as its own zkEnv.sh gives it, default GC and
 * JIT); Paddock runs as users run it, `node dist/paddock.mjs server` (the bundle `npm start` runs).
 * Both fsync every write (forceSync=yes). A server can be stopped and started again on the same
 * directory, to time a restart.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fourLetterWord } from "../tests/support/four_letter.ts";
import { freePort } from "../tests/support/ports.ts";
import { type Command, REPO_ROOT, typeScriptCommand } from "../tests/support/runtime.ts";
import { javaExecutable, PADDOCK_ENTRY } from "../tests/support/servers.ts";
import { zookeeperClasspath, zookeeperMissing } from "../tests/support/zookeeper_dist.ts";

/** The servers a benchmark run compares. */
export const BenchServerKind = {
  zookeeper: "zookeeper",
  paddockMemory: "paddock-memory",
  paddockFile: "paddock-file",
} as const;
/** One of {@link BenchServerKind}. */
export type BenchServerKind = (typeof BenchServerKind)[keyof typeof BenchServerKind];

/** The ZooKeeper release every run compares with. */
export const ZOOKEEPER_VERSION = "3.9.3";

/** A zoo.cfg value. */
export type CfgValue = string | number | boolean;

/** How to start a server. */
export interface BenchServerOptions {
  /** zoo.cfg keys on top of the defaults (snapCount, admin.*, superDigest, ...). */
  readonly extra?: Readonly<Record<string, CfgValue>>;
  /** Start on this directory again (its data, a fresh zoo.cfg): a restart. Default: a new temp dir. */
  readonly dir?: string;
  /** Keep the directory when the server stops (to start it again). */
  readonly keepDir?: boolean;
}

/** A started server. */
export interface BenchServer {
  kind: BenchServerKind;
  pid: number;
  host: string;
  port: number;
  /** Where its zoo.cfg and data live. */
  dir: string;
  /** spawn -> first `imok` with `srvr` reporting it serves. */
  readyMs: number;
  /** `srvr` output at start (carries ZooKeeper's version). */
  srvr: string;
  /** The server's output so far (the last 200 KB). */
  output(): string;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";
const READY_POLL_MS = 10;
const READY_TIMEOUT_MS = 600_000;
const STOP_GRACE_MS = 30_000;
/**
 * The JVM flags ZooKeeper's own scripts start a server with: zkEnv.sh's heap (ZK_SERVER_HEAP,
 * 1000 MiB) and zkServer.sh's out-of-memory handling; default GC and JIT.
 */
export const ZOOKEEPER_JVM_FLAGS: readonly string[] = ["-Xmx1000m", "-XX:+HeapDumpOnOutOfMemoryError", "-XX:OnOutOfMemoryError=kill -9 %p"];

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Kills every server still running (for SIGINT and error paths). */
export function killAllServers(): void {
  for (const child of live) child.kill("SIGKILL");
}

/** Why ZooKeeper 3.9.3 cannot run here, or null. */
export function zookeeperUnavailable(): string | null {
  if (javaExecutable() === undefined) return "java not found";
  return zookeeperMissing(ZOOKEEPER_VERSION);
}

/**
 * Starts one server kind on a zoo.cfg (fresh, or on `options.dir` again) and waits until it serves.
 *
 * @example const zk = await startBenchServer(BenchServerKind.zookeeper, { extra: { snapCount: 1_000_000 } });
 */
export async function startBenchServer(kind: BenchServerKind, options: BenchServerOptions = {}): Promise<BenchServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "paddock-bench-"));
  const port = await freePort();
  const cfgPath = writeCfg(dir, port, kind === BenchServerKind.paddockMemory ? { inMemory: true, ...options.extra } : { ...options.extra });
  const command = kind === BenchServerKind.zookeeper ? zookeeperCommand(cfgPath, dir) : paddockServerCommand(cfgPath);
  const t0 = performance.now();
  const child = spawn(command.command, command.args, { cwd: kind === BenchServerKind.zookeeper ? dir : REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let output = "";
  const collect = (chunk: Buffer) => (output = (output + chunk.toString("utf8")).slice(-200_000));
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<void>((done) => child.once("exit", () => (live.delete(child), done())));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const srvr = await waitServing(port, () => child.exitCode !== null);
    const readyMs = performance.now() - t0;
    return { kind, pid: child.pid!, host: HOST, port, dir, readyMs, srvr, output: () => output, stop };
  } catch (error) {
    await stop();
    throw new Error(`${kind} did not start: ${(error as Error).message}\n${output}`);
  }
}

/** Writes `dir`/zoo.cfg (data in `dir`/data): ZooKeeper's defaults, fsync on, 4lw open, no AdminServer unless asked. */
function writeCfg(dir: string, port: number, extra: Readonly<Record<string, CfgValue>>): string {
  const dataDir = join(dir, "data");
  mkdirSync(dataDir, { recursive: true });
  const settings: Record<string, CfgValue> = {
    // tickTime 2000 is ZooKeeper's default; the tests' 200 ms only speeds up expiry scenarios.
    tickTime: 2000,
    clientPort: port,
    clientPortAddress: HOST,
    dataDir,
    "4lw.commands.whitelist": "*",
    "admin.enableServer": false,
    forceSync: "yes",
    ...extra,
  };
  const path = join(dir, "zoo.cfg");
  writeFileSync(path, Object.entries(settings).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
  return path;
}

let bundleBuilt = false;

/**
 * Paddock as users run it: the Node bundle `npm start` runs (dist/paddock.mjs, built here once
 * per benchmark run). Running from source under tsx measured tsx as much as Paddock: tsx keeps
 * function names, so every closure the server creates per request costs an
 * Object.defineProperty (durable setData: 18.9k ops/s under tsx, 68k from the bundle).
 * PADDOCK_BENCH_FROM_SOURCE=1 measures the sources on the current runtime instead;
 * PADDOCK_BENCH_NODE_FLAGS adds Node flags to every Paddock server (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof`: each member writes its profile when it stops).
 * PADDOCK_BENCH_BUNDLE runs a bundle built elsewhere instead (an A/B of two builds, or one built
 * without --minify for a readable profile); its snapshot worker must sit next to it.
 *
 * @example const { command, args } = paddockServerCommand("/tmp/zoo.cfg"); spawn(command, args);
 */
export function paddockServerCommand(cfgPath: string): Command {
  if (process.env.PADDOCK_BENCH_FROM_SOURCE === "1") {
    return typeScriptCommand(resolve(REPO_ROOT, PADDOCK_ENTRY), ["server", cfgPath]);
  }
  const flags = process.env.PADDOCK_BENCH_NODE_FLAGS?.split(/\s+/).filter((f) => f !== "") ?? [];
  const bundle = process.env.PADDOCK_BENCH_BUNDLE;
  if (bundle !== undefined && bundle !== "") return { command: process.execPath, args: [...flags, resolve(bundle), "server", cfgPath] };
  if (!bundleBuilt) {
    execFileSync("npm", ["run", "--silent", "build:node"], { cwd: REPO_ROOT, stdio: "inherit" });
    bundleBuilt = true;
  }
  return { command: process.execPath, args: [...flags, resolve(REPO_ROOT, "dist", "paddock.mjs"), "server", cfgPath] };
}

function zookeeperCommand(cfgPath: string, dir: string): Command {
  const java = javaExecutable();
  if (java === undefined) throw new Error("java not found");
  return {
    command: java,
    args: [
      ...ZOOKEEPER_JVM_FLAGS,
      "-Djava.net.preferIPv4Stack=true",
      `-Dzookeeper.log.dir=${dir}`,
      "-cp", zookeeperClasspath(ZOOKEEPER_VERSION),
      "org.apache.zookeeper.server.ZooKeeperServerMain", cfgPath,
    ],
  };
}

/** Polls `ruok` until `imok` and `srvr` says it serves; returns the `srvr` answer. */
async function waitServing(port: number, hasExited: () => boolean): Promise<string> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  let last = "no attempt";
  while (performance.now() < deadline) {
    if (hasExited()) throw new Error("exited before serving");
    try {
      if ((await fourLetterWord({ host: HOST, port, word: "ruok", timeoutMs: 1000 })) === "imok") {
        const srvr = await fourLetterWord({ host: HOST, port, word: "srvr", timeoutMs: 1000 });
        if (!srvr.includes("not currently serving")) return srvr;
        last = srvr;
      }
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
  throw new Error(`not serving within ${READY_TIMEOUT_MS} ms (last: ${last})`);
}
