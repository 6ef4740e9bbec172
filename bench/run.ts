/**
 * The benchmark: Apache ZooKeeper, Paddock in memory and Paddock on its durable FileStore, one at a
 * time on this machine, each under the same load from the same raw-protocol client. Prints
 * markdown tables (throughput, latency, Paddock/ZooKeeper ratios, start-up, memory) and writes
 * them as JSON to bench/results/.
 *
 * Run: npm run bench            (full, ~7 min)
 *      npm run bench -- --quick (~2 min)
 *      options: --sessions 8 --inflight 16 --workers 1 --only zookeeper,paddock-memory
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { zookeeperAvailable, zookeeperSkipReason } from "../tests/support/servers.ts";
import { type BenchServer, BenchServerKind, killAllServers, startBenchServer } from "./bench_servers.ts";
import { LoadConnection } from "./load_connection.ts";
import { type LoadResult, prepareKeys, runLoad, withTimeout } from "./load.ts";
import { LatencyHistogram } from "./histogram.ts";
import { loadAverage1m, machineFacts } from "./machine.ts";
import { vmKb } from "./proc_stats.ts";
import { requestTemplate } from "./wire.ts";
import { Workload } from "./workloads.ts";
import { OpCode } from "../core/proto/op_code.ts";
import { formatReport, type ServerFacts, type RunReport } from "./report.ts";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/** How long and how hard; the quick mode trades precision for a ~2 minute run. */
interface Mode {
  name: "quick" | "full";
  globalWarmupMs: number;
  warmupMs: number;
  durationMs: number;
  cases: { workload: Workload; valueBytes: number; sessions?: number; inFlight?: number }[];
}

const QUICK: Mode = {
  name: "quick",
  globalWarmupMs: 3000,
  warmupMs: 1000,
  durationMs: 3000,
  cases: [
    { workload: Workload.create, valueBytes: 100 },
    { workload: Workload.setData, valueBytes: 100 },
    { workload: Workload.getData, valueBytes: 100 },
    { workload: Workload.exists, valueBytes: 100 },
    { workload: Workload.mix, valueBytes: 100 },
    { workload: Workload.getData, valueBytes: 1024 },
    { workload: Workload.existsMissing, valueBytes: 100 },
  ],
};

const FULL: Mode = {
  name: "full",
  globalWarmupMs: 5000,
  warmupMs: 2000,
  durationMs: 8000,
  cases: [
    ...[100, 1024].flatMap((valueBytes) =>
      [Workload.create, Workload.setData, Workload.getData, Workload.exists, Workload.mix].map((workload) => ({ workload, valueBytes }))
    ),
    { workload: Workload.existsMissing, valueBytes: 100 },
    // One request at a time: the round trip without queueing.
    { workload: Workload.getData, valueBytes: 100, sessions: 1, inFlight: 1 },
    { workload: Workload.setData, valueBytes: 100, sessions: 1, inFlight: 1 },
  ],
};

const RSS_ZNODES = 100_000;
const RSS_VALUE_BYTES = 100;
const SETTLE_MS = 2000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      sessions: { type: "string", default: "8" },
      inflight: { type: "string", default: "16" },
      workers: { type: "string", default: "1" },
      only: { type: "string" },
    },
  });
  const mode = values.quick ? QUICK : FULL;
  const load = { sessions: Number(values.sessions), inFlight: Number(values.inflight), workers: Number(values.workers) };
  const kinds = (values.only?.split(",") as BenchServerKind[] | undefined) ?? Object.values(BenchServerKind);
  if (kinds.includes(BenchServerKind.zookeeper) && !zookeeperAvailable()) throw new Error(`ZooKeeper cannot run: ${zookeeperSkipReason()}`);
  const started = new Date();
  console.error(`bench: ${mode.name} mode, ${load.sessions} sessions x ${load.inFlight} in flight, ${load.workers} client process(es), servers: ${kinds.join(", ")}`);
  const servers: ServerFacts[] = [];
  const results: RunReport["results"] = [];
  const running: BenchServer[] = [];
  try {
    // All servers stay up and each workload runs against them back to back: this box is shared,
    // so background load then hits every server alike instead of whichever ran during it.
    for (const kind of kinds) {
      const { server, facts } = await startAndMeasure(kind, load);
      running.push(server);
      servers.push(facts);
    }
    for (const server of running) await prepareAndWarm(server, mode, load);
    for (const [i, c] of mode.cases.entries()) {
      for (const server of running) results.push({ ...(await runCase(server, c, i, mode, load)), server: server.kind });
    }
  } finally {
    for (const server of running) await server.stop();
  }
  const report: RunReport = {
    date: started.toISOString(),
    mode: mode.name,
    machine: machineFacts(),
    load: { ...load, warmupMs: mode.warmupMs, durationMs: mode.durationMs, globalWarmupMs: mode.globalWarmupMs },
    servers,
    results,
  };
  console.log(formatReport(report));
  const file = join(BENCH_DIR, "results", `${started.toISOString().slice(0, 10)}${mode.name === "quick" ? "-quick" : ""}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
  console.log(`\nresults written to ${relative(process.cwd(), file)}`);
}

type LoadShape = { sessions: number; inFlight: number; workers: number };
type Case = Mode["cases"][number];

/** Starts a server and measures start-up, idle memory, and memory after RSS_ZNODES creates. */
async function startAndMeasure(kind: BenchServerKind, load: LoadShape): Promise<{ server: BenchServer; facts: ServerFacts }> {
  console.error(`[${kind}] starting`);
  const server = await startBenchServer(kind);
  try {
    const firstSessionMs = server.readyMs + (await sessionHandshakeMs(server));
    await sleep(SETTLE_MS);
    const rssIdleKb = vmKb(server.pid, "VmRSS");
    console.error(`[${kind}] serving after ${server.readyMs.toFixed(0)} ms, idle RSS ${(rssIdleKb / 1024).toFixed(1)} MiB; creating ${RSS_ZNODES} znodes`);
    await prepareKeys({ host: server.host, port: server.port, valueBytes: RSS_VALUE_BYTES, runTag: "rss" });
    const create100k = await runLoad({
      ...loadBase(server, load), workload: Workload.create, valueBytes: RSS_VALUE_BYTES, sessions: load.sessions, inFlight: load.inFlight,
      warmupMs: 0, durationMs: 0, count: RSS_ZNODES, runTag: "rss",
    });
    await sleep(SETTLE_MS);
    const rssAfterKb = vmKb(server.pid, "VmRSS");
    console.error(`[${kind}] ${RSS_ZNODES} creates at ${create100k.opsPerSec.toFixed(0)}/s, RSS now ${(rssAfterKb / 1024).toFixed(1)} MiB`);
    const facts: ServerFacts = {
      kind,
      version: versionOf(server),
      readyMs: server.readyMs,
      firstSessionMs,
      rssIdleKb,
      rssAfterZnodesKb: rssAfterKb,
      rssPeakKb: vmKb(server.pid, "VmHWM"),
      znodes: RSS_ZNODES,
      create100k,
    };
    return { server, facts };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

function loadBase(server: BenchServer, load: LoadShape) {
  return { host: server.host, port: server.port, workers: load.workers, serverPids: [server.pid] };
}

/** Creates every key set the cases read, then warms the server up with the mixed workload. */
async function prepareAndWarm(server: BenchServer, mode: Mode, load: LoadShape): Promise<void> {
  for (const valueBytes of new Set(mode.cases.map((c) => c.valueBytes))) {
    await prepareKeys({ host: server.host, port: server.port, valueBytes, runTag: `v${valueBytes}` });
  }
  // The JVM compiles its hot paths during the first seconds of load; Node's JIT needs it less,
  // but both get the same treatment.
  await runLoad({ ...loadBase(server, load), workload: Workload.mix, valueBytes: 100, sessions: load.sessions, inFlight: load.inFlight, warmupMs: 0, durationMs: mode.globalWarmupMs, runTag: "warm" });
}

async function runCase(server: BenchServer, c: Case, i: number, mode: Mode, load: LoadShape): Promise<LoadResult & { loadAverage: number }> {
  const runTag = `w${i}`;
  await prepareKeys({ host: server.host, port: server.port, valueBytes: c.valueBytes, runTag });
  const loadAverage = loadAverage1m();
  const result = await runLoad({
    ...loadBase(server, load),
    workload: c.workload,
    valueBytes: c.valueBytes,
    sessions: c.sessions ?? load.sessions,
    inFlight: c.inFlight ?? load.inFlight,
    warmupMs: mode.warmupMs,
    durationMs: mode.durationMs,
    runTag,
  });
  console.error(`[${server.kind}] ${c.workload} ${c.valueBytes} B ${result.sessions}x${result.inFlight}: ${result.opsPerSec.toFixed(0)} ops/s, p50 ${result.p50Ms.toFixed(3)} ms, p99 ${result.p99Ms.toFixed(3)} ms, server CPU ${result.serverCpuPct?.toFixed(0)} %, client CPU ${result.clientCpuPct.toFixed(0)} %, load avg ${loadAverage}`);
  if (Object.keys(result.errors).length > 0) console.error(`[${server.kind}]   errors: ${JSON.stringify(result.errors)}`);
  return { ...result, loadAverage };
}

/** Time for one new session's handshake (and its close) against a serving server. */
async function sessionHandshakeMs(server: BenchServer): Promise<number> {
  const tally = { measuring: false, stopping: false, completed: 0, histogram: new LatencyHistogram(), errors: new Map(), tolerated: new Set<number>() };
  const plan = { templates: [requestTemplate("/", { op: OpCode.exists }, false)], templateFor: () => 0, suffixFor: () => 0 };
  const t0 = performance.now();
  const connection = new LoadConnection({ host: server.host, port: server.port, inFlight: 1, quota: 0, sessionTimeoutMs: 30_000 }, plan, tally);
  await withTimeout(connection.ready(), 10_000, "first session");
  const ms = performance.now() - t0;
  connection.start();
  await withTimeout(connection.done, 10_000, "first session close");
  return ms;
}

function versionOf(server: BenchServer): string {
  const line = server.srvr.split("\n").find((l) => l.toLowerCase().startsWith("zookeeper version"));
  return line?.split(":").slice(1).join(":").trim() ?? "?";
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

process.on("SIGINT", () => {
  killAllServers();
  process.exit(130);
});

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  killAllServers();
  process.exit(1);
});
