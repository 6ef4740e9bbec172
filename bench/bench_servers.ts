/**
 * Starts the servers under test as real processes from one generated zoo.cfg, times spawn ->
 * serving, and keeps their pids so memory and CPU can be read from /proc. It reuses the test
 * harness's pieces (zoo.cfg writer, 4lw client, runtime command) but not its launcher: that one
 * hides the pid, polls every 100 ms (too coarse to time a start-up) and runs the JVM with C1 only
 * and a 256 MiB heap, which is right for quick tests and wrong for a throughput comparison.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { fourLetterWord } from "../tests/support/four_letter.ts";
import { freePort } from "../tests/support/ports.ts";
import { type Command, REPO_ROOT, typeScriptCommand } from "../tests/support/runtime.ts";
import { javaExecutable, PADDOCK_ENTRY } from "../tests/support/servers.ts";
import { ORACLE_VERSION, zookeeperClasspath } from "../tests/support/zookeeper_dist.ts";
import { type CfgValue, writeZooCfg } from "../tests/support/zoo_cfg.ts";

/** The servers a benchmark run compares. */
export const BenchServerKind = {
  zookeeper: "zookeeper",
  paddockMemory: "paddock-memory",
  paddockFile: "paddock-file",
} as const;
/** One of {@link BenchServerKind}. */
export type BenchServerKind = (typeof BenchServerKind)[keyof typeof BenchServerKind];

/** A started server. */
export interface BenchServer {
  kind: BenchServerKind;
  pid: number;
  host: string;
  port: number;
  /** spawn -> first `imok` with `srvr` reporting it serves. */
  readyMs: number;
  /** `srvr` output at start (carries ZooKeeper's version). */
  srvr: string;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";
const READY_POLL_MS = 10;
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
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

/**
 * Starts one server kind on a fresh zoo.cfg and data dir (under the OS temp dir, the same disk
 * for all) and waits until it serves.
 *
 * @example const zk = await startBenchServer(BenchServerKind.zookeeper);
 */
export async function startBenchServer(kind: BenchServerKind): Promise<BenchServer> {
  const extra: Record<string, CfgValue> = kind === BenchServerKind.paddockMemory ? { inMemory: true } : {};
  // tickTime 2000 is ZooKeeper's default; the tests' 200 ms only speeds up expiry scenarios.
  const cfg = writeZooCfg({ clientPort: await freePort(), tickTimeMs: 2000, extra });
  const command = kind === BenchServerKind.zookeeper ? zookeeperCommand(cfg.path, cfg.dir) : paddockServerCommand(cfg.path);
  const t0 = performance.now();
  const child = spawn(command.command, command.args, { cwd: kind === BenchServerKind.zookeeper ? cfg.dir : REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let output = "";
  const collect = (chunk: Buffer) => (output = (output + chunk.toString("utf8")).slice(-20_000));
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
    rmSync(cfg.dir, { recursive: true, force: true });
  };
  try {
    const srvr = await waitServing(cfg.clientPort, () => child.exitCode !== null);
    const readyMs = performance.now() - t0;
    return { kind, pid: child.pid!, host: HOST, port: cfg.clientPort, readyMs, srvr, stop };
  } catch (error) {
    await stop();
    throw new Error(`${kind} did not start: ${(error as Error).message}\n${output}`);
  }
}

let bundleBuilt = false;

/**
 * Paddock as users run it: the Node bundle `npm start` runs (dist/paddock.mjs, built here once
 * per benchmark run). Running from source under tsx measured tsx as much as Paddock: tsx keeps
 * function names, so every closure the server creates per request costs an
 * Object.defineProperty (durable setData: 18.9k ops/s under tsx, 68k from the bundle).
 * PADDOCK_BENCH_FROM_SOURCE=1 measures the sources on the current runtime instead.
 *
 * @example const { command, args } = paddockServerCommand("/tmp/zoo.cfg"); spawn(command, args);
 */
export function paddockServerCommand(cfgPath: string): Command {
  if (process.env.PADDOCK_BENCH_FROM_SOURCE === "1") {
    return typeScriptCommand(resolve(REPO_ROOT, PADDOCK_ENTRY), ["server", cfgPath]);
  }
  if (!bundleBuilt) {
    execFileSync("npm", ["run", "--silent", "build:node"], { cwd: REPO_ROOT, stdio: "inherit" });
    bundleBuilt = true;
  }
  return { command: process.execPath, args: [resolve(REPO_ROOT, "dist", "paddock.mjs"), "server", cfgPath] };
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
      "-Dzookeeper.admin.enableServer=false",
      "-cp", zookeeperClasspath(ORACLE_VERSION),
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
