/**
 * Durability benchmark: Apache ZooKeeper (fsync on) and Paddock on FileStore (forceSync on), data
 * dirs on the same disk, the same load in the same run. Measures sequential write latency (1
 * session, 1 in flight), write throughput (many sessions, many in flight) next to the disk's raw
 * fsyncs/second, Paddock's group-commit batch size (mntr), and then the restart time and newest
 * snapshot size of a tree of N znodes with 100-byte data.
 *
 * Run: npx tsx bench/storage_vs_zookeeper.ts [--znodes 1000000] [--seconds 10] [--sessions 32] [--inflight 32]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fourLetterWord } from "../tests/support/four_letter.ts";
import { freePort } from "../tests/support/ports.ts";
import { REPO_ROOT, typeScriptCommand } from "../tests/support/runtime.ts";
import { javaExecutable, PADDOCK_ENTRY } from "../tests/support/servers.ts";
import { ORACLE_VERSION, zookeeperClasspath } from "../tests/support/zookeeper_dist.ts";
import { writeZooCfg } from "../tests/support/zoo_cfg.ts";
import { type LoadResult, prepareKeys, runLoad } from "./load.ts";
import { rawFsyncsPerSecond } from "./machine.ts";

const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 600_000;
const STOP_TIMEOUT_MS = 60_000;

/** The two servers compared. */
const Kind = { zookeeper: `ZooKeeper ${ORACLE_VERSION}`, paddock: "Paddock FileStore" } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/** A server process on a data dir that outlives it (so it can be restarted). */
interface Running {
  kind: Kind;
  port: number;
  dir: string;
  child: ChildProcess;
  readyMs: number;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Starts (or restarts, given the same dir) one server; resolves once `srvr` says it serves. */
async function launch(kind: Kind, dir: string | undefined): Promise<Running> {
  const cfg = writeZooCfg({ clientPort: await freePort(), tickTimeMs: 2000, dir, extra: { forceSync: "yes" } });
  const command = kind === Kind.zookeeper
    ? {
      command: javaExecutable() ?? "java",
      args: [
        "-Xmx2g", "-Djava.net.preferIPv4Stack=true", `-Dzookeeper.log.dir=${cfg.dir}`, "-Dzookeeper.admin.enableServer=false",
        "-cp", zookeeperClasspath(ORACLE_VERSION), "org.apache.zookeeper.server.ZooKeeperServerMain", cfg.path,
      ],
    }
    : typeScriptCommand(resolve(REPO_ROOT, PADDOCK_ENTRY), ["server", cfg.path]);
  const t0 = performance.now();
  const child = spawn(command.command, command.args, { cwd: kind === Kind.zookeeper ? cfg.dir : REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] });
  live.add(child);
  let output = "";
  child.stderr!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-10_000)));
  child.once("exit", () => live.delete(child));
  const deadline = performance.now() + READY_TIMEOUT_MS;
  // Bounded by the deadline.
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${kind} exited:\n${output}`);
    const srvr = await fourLetterWord({ host: HOST, port: cfg.clientPort, word: "srvr", timeoutMs: 1000 }).catch(() => "");
    if (srvr.startsWith("Zookeeper version")) return { kind, port: cfg.clientPort, dir: cfg.dir, child, readyMs: performance.now() - t0 };
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill("SIGKILL");
  throw new Error(`${kind} not serving within ${READY_TIMEOUT_MS} ms:\n${output}`);
}

async function stop(server: Running): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((r) => server.child.once("exit", r));
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Paddock's group-commit counters from mntr (ZooKeeper's own keys; its values there are timings we do not compare). */
async function syncCounters(port: number): Promise<{ fsyncs: number; txns: number }> {
  const mntr = await fourLetterWord({ host: HOST, port, word: "mntr", timeoutMs: 5000 });
  const value = (key: string) => Number(new RegExp(`^zk_${key}\\t(\\S+)$`, "m").exec(mntr)?.[1] ?? 0);
  return { fsyncs: value("cnt_sync_processor_batch_size"), txns: value("sum_sync_processor_batch_size") };
}

/** The newest snapshot file under `dir` (ZooKeeper keeps them in version-2/) and its size. */
function newestSnapshot(dir: string): { name: string; bytes: number } {
  const found: { name: string; path: string }[] = [];
  for (const sub of [dir, join(dir, "version-2")]) {
    let names: string[] = [];
    try {
      names = readdirSync(sub);
    } catch {
      continue;
    }
    for (const name of names) if (name.startsWith("snapshot.") && !name.endsWith(".tmp")) found.push({ name, path: join(sub, name) });
  }
  const zxidOf = (name: string) => BigInt(`0x${name.slice("snapshot.".length)}`);
  found.sort((a, b) => (zxidOf(a.name) < zxidOf(b.name) ? -1 : 1));
  const newest = found.at(-1);
  return newest === undefined ? { name: "(none)", bytes: 0 } : { name: newest.name, bytes: statSync(newest.path).size };
}

interface Measured {
  kind: Kind;
  sequential: LoadResult;
  throughput: LoadResult;
  avgBatch: number | null;
  build: LoadResult;
  restartMs: number;
  snapshot: { name: string; bytes: number };
}

async function measure(kind: Kind, opts: { seconds: number; sessions: number; inFlight: number; znodes: number }): Promise<Measured> {
  const server = await launch(kind, undefined);
  const dir = server.dir;
  try {
    const base = { host: HOST, port: server.port, valueBytes: 100, workers: 1, serverPids: [server.child.pid!] };
    await prepareKeys({ host: HOST, port: server.port, valueBytes: 100, runTag: "seq" });
    const sequential = await runLoad({ ...base, workload: "setData", sessions: 1, inFlight: 1, warmupMs: 1000, durationMs: opts.seconds * 1000, runTag: "seq" });
    const before = kind === Kind.paddock ? await syncCounters(server.port) : null;
    const throughput = await runLoad({ ...base, workload: "setData", sessions: opts.sessions, inFlight: opts.inFlight, workers: 2, warmupMs: 1000, durationMs: opts.seconds * 1000, runTag: "seq" });
    const after = kind === Kind.paddock ? await syncCounters(server.port) : null;
    const avgBatch = before && after && after.fsyncs > before.fsyncs ? (after.txns - before.txns) / (after.fsyncs - before.fsyncs) : null;
    await prepareKeys({ host: HOST, port: server.port, valueBytes: 100, runTag: "tree", keyCount: 1 });
    const build = await runLoad({ ...base, workload: "create", sessions: 32, inFlight: 64, workers: 2, warmupMs: 0, durationMs: 0, count: opts.znodes, runTag: "tree" });
    await stop(server);
    const restarted = await launch(kind, dir);
    const restartMs = restarted.readyMs;
    await stop(restarted);
    return { kind, sequential, throughput, avgBatch, build, restartMs, snapshot: newestSnapshot(join(dir, "data")) };
  } finally {
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  }
}

function table(rows: Measured[], fsyncsPerSec: number, opts: { sessions: number; inFlight: number; znodes: number }): string {
  const ms = (v: number) => v.toFixed(2);
  const lines = [
    `| | ${rows.map((r) => r.kind).join(" | ")} |`,
    `|---|${rows.map(() => "---:").join("|")}|`,
    `| sequential setData (1 session, 1 in flight) ops/s | ${rows.map((r) => Math.round(r.sequential.opsPerSec)).join(" | ")} |`,
    `| sequential p50 / p99 / p99.9 ms | ${rows.map((r) => `${ms(r.sequential.p50Ms)} / ${ms(r.sequential.p99Ms)} / ${ms(r.sequential.p999Ms)}`).join(" | ")} |`,
    `| setData throughput (${opts.sessions} sessions x ${opts.inFlight} in flight) ops/s | ${rows.map((r) => Math.round(r.throughput.opsPerSec)).join(" | ")} |`,
    `| throughput p50 / p99 ms | ${rows.map((r) => `${ms(r.throughput.p50Ms)} / ${ms(r.throughput.p99Ms)}`).join(" | ")} |`,
    `| txns per fsync (group commit) | ${rows.map((r) => (r.avgBatch === null ? "n/a" : r.avgBatch.toFixed(1))).join(" | ")} |`,
    `| build ${opts.znodes} znodes (100 B), creates/s | ${rows.map((r) => Math.round(r.build.opsPerSec)).join(" | ")} |`,
    `| restart to serving with ${opts.znodes} znodes | ${rows.map((r) => `${(r.restartMs / 1000).toFixed(1)} s`).join(" | ")} |`,
    `| newest snapshot on disk | ${rows.map((r) => `${(r.snapshot.bytes / 1048576).toFixed(1)} MiB (${r.snapshot.name})`).join(" | ")} |`,
  ];
  return `${lines.join("\n")}\n\nDisk: ${Math.round(fsyncsPerSec)} raw fdatasync/s (100-byte append loop in the same temp dir).\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      znodes: { type: "string", default: "1000000" },
      seconds: { type: "string", default: "10" },
      sessions: { type: "string", default: "32" },
      inflight: { type: "string", default: "32" },
    },
  });
  const opts = { znodes: Number(values.znodes), seconds: Number(values.seconds), sessions: Number(values.sessions), inFlight: Number(values.inflight) };
  const fsyncsPerSec = rawFsyncsPerSecond(3);
  console.error(`disk: ${Math.round(fsyncsPerSec)} fdatasync/s`);
  const rows: Measured[] = [];
  for (const kind of [Kind.zookeeper, Kind.paddock]) {
    console.error(`measuring ${kind} ...`);
    rows.push(await measure(kind, opts));
  }
  console.log(table(rows, fsyncsPerSec, opts));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    for (const child of live) child.kill("SIGKILL");
    process.exit(1);
  },
);
