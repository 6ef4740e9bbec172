/**
 * Client benchmark (issue #4): the same workload from three ZooKeeper clients against the same
 * server in the same run: the Paddock client, node-zookeeper-client and the ZooKeeper Java client
 * (async API). Each client runs in its own process (bench/client_worker.ts on Node,
 * bench/java/ClientBench.java on the JVM, compiled here into .cache/java) so its CPU time is
 * its own. Cases: getData and setData of one 100-byte znode with 1 request in flight (sequential
 * latency) and with many in flight (throughput). Each worker warms up first (the JIT needs ~5 s),
 * then measures each case after a short per-case warm-up. Servers: Paddock in memory and Apache
 * ZooKeeper (3.9.3 unless PADDOCK_ORACLE says otherwise, fsync on). Prints a markdown table and writes bench/results/clients-*.json.
 *
 * Run: npx tsx bench/client_bench.ts [--quick] [--only paddock-memory,zookeeper]
 *        [--clients paddock,nzc,java] [--inflight 256] [--rounds 2] [--profile]
 * --profile runs the Paddock client's worker under `node --cpu-prof` (profiles in .cache/client-prof).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createClient } from "../mod.ts";
import { REPO_ROOT } from "../tests/support/runtime.ts";
import { compileJava, javaExecutable, type JavaProgram, javaRunCommand, zookeeperClientJars } from "../tests/support/java_tools.ts";
import { ORACLE_VERSION, zookeeperAvailable, zookeeperSkipReason } from "../tests/support/servers.ts";
import { type BenchServer, BenchServerKind, killAllServers, startBenchServer } from "./bench_servers.ts";
import type { BenchCase, WorkerCaseResult } from "./client_worker.ts";
import { LatencyHistogram } from "./histogram.ts";
import { processCpuMs } from "./proc_stats.ts";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
/** The JVM's defaults (tiered JIT, ergonomic GC): what an application gets. */
const JAVA_PROGRAM: JavaProgram = { source: join(BENCH_DIR, "java", "ClientBench.java"), classpath: zookeeperClientJars(), jvmFlags: [] };
const PROFILE_DIR = join(REPO_ROOT, ".cache", "client-prof");
const WORKER = join(BENCH_DIR, "client_worker.ts");
const ZNODE = "/client-bench";
const VALUE_BYTES = 100;
/** A worker gets this long beyond its planned time before it is killed. */
const WORKER_SLACK_MS = 60_000;

/** The clients compared. */
export const BenchClient = { paddock: "paddock", nzc: "node-zookeeper-client", java: "java" } as const;
/** One of {@link BenchClient}. */
export type BenchClient = (typeof BenchClient)[keyof typeof BenchClient];

interface Mode {
  name: "quick" | "full";
  /** Per server, before the first client: unmeasured load so the server's JIT is warm for every client alike. */
  serverWarmupMs: number;
  /** Per worker, before anything is measured: every case in turn. */
  warmupMs: number;
  /** Per case, right before its window. */
  caseWarmupMs: number;
  durationMs: number;
}

const QUICK: Mode = { name: "quick", serverWarmupMs: 6000, warmupMs: 5000, caseWarmupMs: 500, durationMs: 2000 };
const FULL: Mode = { name: "full", serverWarmupMs: 12000, warmupMs: 8000, caseWarmupMs: 1000, durationMs: 5000 };

/** One row: a client's case against a server. */
export interface ClientBenchRow {
  server: BenchServerKind;
  client: BenchClient;
  op: BenchCase["op"];
  inFlight: number;
  ops: number;
  errors: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Client process CPU (user + system, all threads) per completed request. */
  clientCpuUsPerOp: number;
  /** Server process CPU per completed request over (about) the same window, from /proc. */
  serverCpuUsPerOp: number;
  /** 1-minute load average before the client's worker started (the box is shared). */
  loadAverage: number;
  /** Which round (1-based) this row comes from. */
  round?: number;
}

/** What bench/results/clients-*.json holds. */
export interface ClientBenchReport {
  date: string;
  mode: Mode;
  machine: { cpus: number; cpuModel: string; memoryMiB: number; node: string; java: string };
  note: string;
  rounds: number;
  /** Per server, client, op and depth: the round with the most ops/s (what the table shows). */
  rows: ClientBenchRow[];
  /** Every round's rows. */
  allRows: ClientBenchRow[];
}

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});
// Exit through the handlers above (and bench_servers.ts's) on Ctrl-C.
process.on("SIGINT", () => process.exit(130));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string", default: `${BenchServerKind.paddockMemory},${BenchServerKind.zookeeper}` },
      clients: { type: "string", default: "paddock,nzc,java" },
      inflight: { type: "string", default: "256" },
      profile: { type: "boolean", default: false },
      rounds: { type: "string", default: "1" },
    },
  });
  const mode = values.quick ? QUICK : FULL;
  const servers = values.only.split(",") as BenchServerKind[];
  const clients = values.clients.split(",").map((c) => (c === "nzc" ? BenchClient.nzc : c) as BenchClient);
  const deep = Number(values.inflight);
  const cases: BenchCase[] = [
    { op: "getData", inFlight: 1 },
    { op: "setData", inFlight: 1 },
    { op: "getData", inFlight: deep },
    { op: "setData", inFlight: deep },
  ];
  if (servers.includes(BenchServerKind.zookeeper) && !zookeeperAvailable()) throw new Error(`ZooKeeper ${ORACLE_VERSION} cannot run: ${zookeeperSkipReason()}`);
  if (clients.includes(BenchClient.java)) await compileJava(JAVA_PROGRAM);
  const started = new Date();
  const allRows: ClientBenchRow[] = [];
  for (const kind of servers) {
    const server = await startBenchServer(kind);
    try {
      const connectString = `${server.host}:${server.port}`;
      await createZnode(connectString);
      const warmClient = clients.includes(BenchClient.java) ? BenchClient.java : clients[0]!;
      console.error(`[${kind}] server warm-up: ${mode.serverWarmupMs / 1000} s of unmeasured load from the ${warmClient} client`);
      const warm: Mode = { ...mode, warmupMs: mode.serverWarmupMs, caseWarmupMs: 0, durationMs: 200 };
      await runWorker({ client: warmClient, connectString, server, cases, mode: warm, profile: false });
      // Later rounds reverse the client order, so no client always runs right after the warm-up.
      for (let round = 0; round < Number(values.rounds); round++) {
        for (const client of round % 2 === 0 ? clients : [...clients].reverse()) {
          const loadAverage = loadAverage1m();
          console.error(`[${kind}] ${client}: round ${round + 1} (load average ${loadAverage})`);
          const results = await runWorker({ client, connectString, server, cases, mode, profile: values.profile });
          for (const r of results) allRows.push({ ...toRow(r, { server: kind, client, loadAverage }), round: round + 1 });
        }
      }
    } finally {
      await server.stop();
    }
  }
  const report: ClientBenchReport = { date: started.toISOString(), mode, machine: machineFacts(), note: NOTE, rounds: Number(values.rounds), rows: bestRounds(allRows, clients), allRows };
  console.log(formatClientReport(report));
  const file = join(BENCH_DIR, "results", `clients-${started.toISOString().slice(0, 10)}${mode.name === "quick" ? "-quick" : ""}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
  console.log(`\nresults written to ${relative(process.cwd(), file)}`);
}

const NOTE = "2 cores shared by the client process and the server process (and anything else running): " +
  "with many requests in flight both saturate the CPU, so ops/s there measures client + server cost together.";

/** Creates (or resets) the 100-byte znode every client reads and writes. */
async function createZnode(connectString: string): Promise<void> {
  await using client = createClient(connectString);
  await client.ready({ signal: AbortSignal.timeout(30_000) });
  const value = new Uint8Array(VALUE_BYTES).fill(120);
  if ((await client.exists(ZNODE)) === null) await client.create(ZNODE, value);
  else await client.setData(ZNODE, value);
}

interface WorkerSpec {
  client: BenchClient;
  connectString: string;
  server: BenchServer;
  cases: BenchCase[];
  mode: Mode;
  profile: boolean;
}

function workerCommand(spec: WorkerSpec): { command: string; args: string[] } {
  const { mode } = spec;
  const args = [spec.connectString, ZNODE, String(mode.warmupMs), String(mode.caseWarmupMs), String(mode.durationMs),
    spec.cases.map((c) => `${c.op}:${c.inFlight}`).join(",")];
  if (spec.client === BenchClient.java) {
    return javaRunCommand(JAVA_PROGRAM, args);
  }
  const profile = spec.profile && spec.client === BenchClient.paddock ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const which = spec.client === BenchClient.paddock ? "paddock" : "nzc";
  return { command: process.execPath, args: [...profile, "--import", "tsx", WORKER, which, ...args] };
}

/**
 * Runs one client's worker, reading the server's CPU time when the worker says a window starts
 * and ends; returns the worker's per-case results with the server CPU added.
 */
function runWorker(spec: WorkerSpec): Promise<(WorkerCaseResult & { serverCpuMs: number })[]> {
  const { command, args } = workerCommand(spec);
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const plannedMs = spec.mode.warmupMs + spec.cases.length * (spec.mode.caseWarmupMs + spec.mode.durationMs);
  const timer = setTimeout(() => child.kill("SIGKILL"), plannedMs + WORKER_SLACK_MS);
  const serverCpuAtStart = new Map<number, number>();
  const results: (WorkerCaseResult & { serverCpuMs: number })[] = [];
  let stdout = "";
  let stderr = "";
  const onLine = (line: string) => {
    if (!line.startsWith("{")) return;
    const msg = JSON.parse(line) as { event?: string; case?: number } & Partial<WorkerCaseResult>;
    if (msg.event === "start") serverCpuAtStart.set(msg.case!, processCpuMs(spec.server.pid));
    else if (msg.event === "end") serverCpuAtStart.set(msg.case!, processCpuMs(spec.server.pid) - serverCpuAtStart.get(msg.case!)!);
    else if (msg.event === undefined) results.push({ ...(msg as WorkerCaseResult), serverCpuMs: serverCpuAtStart.get(msg.case!)! });
  };
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    let nl = stdout.indexOf("\n");
    for (let guard = 0; nl >= 0 && guard < 1000; guard++) {
      onLine(stdout.slice(0, nl));
      stdout = stdout.slice(nl + 1);
      nl = stdout.indexOf("\n");
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString("utf8")).slice(-8000)));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0 && results.length === spec.cases.length) resolve(results);
      else reject(new Error(`${spec.client} worker exited ${code ?? signal} with ${results.length}/${spec.cases.length} results\n${stderr}`));
    });
  });
}

/** The round with the most ops/s for each server, op, depth and client; run order, clients as given. */
function bestRounds(rows: ClientBenchRow[], clients: BenchClient[]): ClientBenchRow[] {
  const best = new Map<string, ClientBenchRow>();
  const order = new Map<string, number>();
  for (const r of rows) {
    const caseKey = `${r.server}/${r.op}/${r.inFlight}`;
    if (!order.has(caseKey)) order.set(caseKey, order.size);
    const seen = best.get(`${caseKey}/${r.client}`);
    if (seen === undefined || r.opsPerSec > seen.opsPerSec) best.set(`${caseKey}/${r.client}`, r);
  }
  const rank = (r: ClientBenchRow) => order.get(`${r.server}/${r.op}/${r.inFlight}`)! * clients.length + clients.indexOf(r.client);
  return [...best.values()].sort((a, b) => rank(a) - rank(b));
}

function toRow(r: WorkerCaseResult & { serverCpuMs: number }, at: { server: BenchServerKind; client: BenchClient; loadAverage: number }): ClientBenchRow {
  const histogram = new LatencyHistogram();
  const counts = new Uint32Array(histogram.counts.length);
  for (const [bucket, count] of r.histogram) counts[bucket] = count;
  histogram.merge({ counts, maxUs: r.maxUs });
  const perOpUs = (ms: number) => (r.ops > 0 ? (ms * 1000) / r.ops : Number.NaN);
  return {
    ...at, op: r.op, inFlight: r.inFlight, ops: r.ops, errors: r.errors,
    opsPerSec: r.ops / (r.elapsedMs / 1000),
    p50Ms: histogram.percentileMs(50),
    p99Ms: histogram.percentileMs(99),
    clientCpuUsPerOp: perOpUs(r.cpuMs),
    serverCpuUsPerOp: perOpUs(r.serverCpuMs),
  };
}

/**
 * The markdown table of a run, with the machine and load-average notes.
 *
 * @example console.log(formatClientReport(JSON.parse(readFileSync("bench/results/clients-2026-01-01.json", "utf8"))));
 */
export function formatClientReport(report: ClientBenchReport): string {
  const m = report.machine;
  const averages = report.rows.map((r) => r.loadAverage);
  const lines = [
    `Run ${report.date} (${report.mode.name}): ${m.cpus} x ${m.cpuModel}, ${m.memoryMiB} MiB, Node ${m.node}, ${m.java}.`,
    `Each client in its own process; ${report.mode.warmupMs / 1000} s warm-up per client, then per case ${report.mode.caseWarmupMs / 1000} s warm-up + ${report.mode.durationMs / 1000} s measured. ` +
      `One ${VALUE_BYTES}-byte znode. ${report.note}`,
    `1-minute load average before each client: ${Math.min(...averages).toFixed(2)} to ${Math.max(...averages).toFixed(2)}.` +
      (report.rounds > 1 ? ` ${report.rounds} rounds (client order reversed every other round); each row is the client's round with the most ops/s.` : ""),
    "",
    "| server | client | op | in flight | ops/s | p50 ms | p99 ms | client CPU µs/request | server CPU µs/request |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|",
  ];
  const order = [...new Set(report.rows.map((r) => `${r.server}/${r.op}/${r.inFlight}`))];
  for (const key of order) {
    for (const r of report.rows.filter((x) => `${x.server}/${x.op}/${x.inFlight}` === key)) {
      const errors = r.errors > 0 ? ` (${r.errors} errors)` : "";
      lines.push(`| ${r.server} | ${r.client}${errors} | ${r.op} | ${r.inFlight} | ${fmtInt(r.opsPerSec)} | ${fmtMs(r.p50Ms)} | ${fmtMs(r.p99Ms)} | ` +
        `${r.clientCpuUsPerOp.toFixed(1)} | ${r.serverCpuUsPerOp.toFixed(1)} |`);
    }
  }
  return lines.join("\n");
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function fmtMs(ms: number): string {
  return ms < 1 ? ms.toFixed(3) : ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
}

function loadAverage1m(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

function machineFacts(): ClientBenchReport["machine"] {
  const executable = javaExecutable();
  let java = "?";
  try {
    // `java -version` writes to stderr.
    if (executable !== undefined) java = execFileSync("sh", ["-c", `"${executable}" -version 2>&1`], { encoding: "utf8" }).split("\n")[0] ?? "?";
  } catch {
    java = "?";
  }
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "?", memoryMiB: Math.round(totalmem() / 2 ** 20), node: process.version, java };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    for (const child of children) child.kill("SIGKILL");
    killAllServers();
    process.exit(1);
  },
);
