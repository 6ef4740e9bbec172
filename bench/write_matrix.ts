/**
 * Issue 12's write matrix: durable writes (fsync on) against Apache ZooKeeper 3.9.3 and Paddock in
 * the same run, same machine, same disk, same load generators, every row on both servers back to
 * back:
 *
 *   create, setData, delete; 100 B and 1 KiB; 4 x 32, 8 x 16 and 1 x 1 in flight;
 *     trees of (almost) no znodes, 100,000 and 1,000,000
 *   90/10 getData/setData mix (100 B, 8 x 16) and multi of 10 creates, at 100,000 znodes
 *   bulk load of 1,000,000 znodes of 100 B; RSS with them
 *   a snapshot taken (AdminServer `snapshot`) during 8 x 16 setData at 1,000,000 znodes: p99.9 of
 *     the replies during it against p99.9 before it
 *   restart to serving with 1,000,000 znodes: a snapshot plus 100,000 txns of log
 *   create/setData/delete/mix through node-zookeeper-client (its own process) at 100,000 znodes
 *
 * A delete row removes exactly the nodes the create row before it made (each session its own),
 * so trees return to their size. Results go to bench/results/write-matrix-<date>[-quick].json and
 * print as markdown tables with the Paddock/ZooKeeper ratios and the issue's goals.
 *
 * Run: npx tsx bench/write_matrix.ts [--quick] [--phases empty,100k,nzc,1m] [--only zookeeper,paddock-file]
 *        [--shapes 4x32,8x16,1x1] [--values 100,1024] [--fill-small 100000] [--fill-large 1000000] [--restart-txns 100000]
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { digestId } from "../core/acl/digest.ts";
import { REPO_ROOT } from "../tests/support/runtime.ts";
import { freePort } from "../tests/support/ports.ts";
import { type BenchServer, BenchServerKind, type CfgValue, killAllServers, startBenchServer, ZOOKEEPER_VERSION, zookeeperUnavailable } from "./bench_servers.ts";
import { LatencyHistogram } from "./histogram.ts";
import { Timeline } from "./load_connection.ts";
import { type LoadResult, prepareKeys, runLoad } from "./load.ts";
import type { NzcLoadResult, NzcLoadSpec } from "./nzc_load.ts";
import { processCpuMs, vmKb } from "./proc_stats.ts";
import { formatMatrix, type MatrixReport, type MatrixRow } from "./matrix_report.ts";
import { Workload } from "./workloads.ts";
import { machineFacts } from "./machine.ts";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const SUPER = "super:bench";
const SETTLE_MS = 3000;

/** A load shape: sessions x requests in flight each. */
interface Shape {
  sessions: number;
  inFlight: number;
}

const SHAPES: readonly Shape[] = [{ sessions: 4, inFlight: 32 }, { sessions: 8, inFlight: 16 }, { sessions: 1, inFlight: 1 }];
const VALUES = [100, 1024] as const;

interface Mode {
  name: "quick" | "full";
  warmupMs: number;
  durationMs: number;
  fillSmall: number;
  fillLarge: number;
  restartTxns: number;
  shapes: readonly Shape[];
  values: readonly number[];
}

const FULL: Mode = { name: "full", warmupMs: 2000, durationMs: 8000, fillSmall: 100_000, fillLarge: 1_000_000, restartTxns: 100_000, shapes: SHAPES, values: VALUES };
const QUICK: Mode = { name: "quick", warmupMs: 1000, durationMs: 3000, fillSmall: 100_000, fillLarge: 1_000_000, restartTxns: 100_000, shapes: SHAPES, values: VALUES };

/** The two servers of every row. */
interface Pair {
  servers: BenchServer[];
  adminPorts: Map<BenchServer, number>;
}

const report: MatrixReport = {
  date: new Date().toISOString(),
  mode: "full",
  machine: machineFacts(),
  zookeeperVersion: ZOOKEEPER_VERSION,
  rows: [],
  bulkLoads: [],
  memory: [],
  snapshots: [],
  restarts: [],
};

const USAGE = `usage: npx tsx bench/write_matrix.ts [--quick] [--phases empty,100k,nzc,1m] [--only zookeeper,paddock-file]
  [--shapes 4x32,8x16,1x1] [--values 100,1024] [--fill-small 100000] [--fill-large 1000000] [--restart-txns 100000]`;

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    console.log(USAGE);
    return;
  }
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      phases: { type: "string", default: "empty,100k,nzc,1m" },
      only: { type: "string" },
      shapes: { type: "string" },
      values: { type: "string" },
      "fill-small": { type: "string" },
      "fill-large": { type: "string" },
      "restart-txns": { type: "string" },
    },
  });
  const base = values.quick ? QUICK : FULL;
  const mode: Mode = {
    ...base,
    shapes: values.shapes?.split(",").map((s) => ({ sessions: Number(s.split("x")[0]), inFlight: Number(s.split("x")[1]) })) ?? base.shapes,
    values: values.values?.split(",").map(Number) ?? base.values,
    fillSmall: Number(values["fill-small"] ?? base.fillSmall),
    fillLarge: Number(values["fill-large"] ?? base.fillLarge),
    restartTxns: Number(values["restart-txns"] ?? base.restartTxns),
  };
  report.mode = mode.name;
  const kinds = (values.only?.split(",") as BenchServerKind[] | undefined) ?? [BenchServerKind.zookeeper, BenchServerKind.paddockFile];
  const missing = zookeeperUnavailable();
  if (kinds.includes(BenchServerKind.zookeeper) && missing !== null) throw new Error(`ZooKeeper ${ZOOKEEPER_VERSION} cannot run: ${missing}`);
  const phases = new Set(values.phases!.split(","));
  log(`write matrix (${mode.name}): servers ${kinds.join(", ")}, phases ${[...phases].join(", ")}`);
  if (phases.has("empty") || phases.has("100k") || phases.has("nzc")) {
    const pair = await startPair(kinds, {});
    try {
      if (phases.has("empty")) await matrix(pair, mode, "empty", 0);
      if (phases.has("100k") || phases.has("nzc")) await fill(pair, mode.fillSmall, "fill100k");
      if (phases.has("100k")) {
        await matrix(pair, mode, "100k", mode.fillSmall);
        await extraRows(pair, mode, mode.fillSmall);
      }
      if (phases.has("nzc")) await nzcRows(pair, mode, mode.fillSmall);
    } finally {
      await stopPair(pair);
    }
  }
  if (phases.has("1m")) await largeTree(kinds, mode);
  finish();
}

// ---- servers ----

async function startPair(kinds: readonly BenchServerKind[], extra: Record<string, CfgValue>, dirs?: Map<BenchServerKind, string>): Promise<Pair> {
  const servers: BenchServer[] = [];
  const adminPorts = new Map<BenchServer, number>();
  for (const kind of kinds) {
    const adminPort = await freePort();
    const server = await startBenchServer(kind, { extra: { ...serverCfg(kind, adminPort), ...extra }, dir: dirs?.get(kind), keepDir: true });
    adminPorts.set(server, adminPort);
    log(`[${kind}] serving after ${server.readyMs.toFixed(0)} ms (pid ${server.pid}, ${server.dir})`);
    servers.push(server);
    running.add(server);
  }
  return { servers, adminPorts };
}

/** Both servers get the same settings: the super digest for the AdminServer's snapshot, its port. */
function serverCfg(kind: BenchServerKind, adminPort: number): Record<string, CfgValue> {
  const cfg: Record<string, CfgValue> = {
    "admin.enableServer": true,
    "admin.serverAddress": "127.0.0.1",
    "admin.serverPort": adminPort,
    "DigestAuthenticationProvider.superDigest": digestId(SUPER),
  };
  // ZooKeeper reads the super digest as a system property; the file carries it for Paddock.
  if (kind === BenchServerKind.zookeeper) cfg["admin.rateLimiterIntervalInMS"] = 1000;
  return cfg;
}

async function stopPair(pair: Pair, keep = false): Promise<void> {
  for (const server of pair.servers) {
    running.delete(server);
    await server.stop();
    if (!keep) execFileSync("rm", ["-rf", server.dir]);
  }
}

// ---- rows ----

/** The matrix of create/delete/setData rows at one tree size. */
async function matrix(pair: Pair, mode: Mode, phase: string, treeZnodes: number): Promise<void> {
  for (const valueBytes of mode.values) {
    for (const server of pair.servers) await prepareKeys({ host: server.host, port: server.port, valueBytes, runTag: "keys" });
    for (const shape of mode.shapes) {
      const tag = `${phase}-${valueBytes}-${shape.sessions}x${shape.inFlight}`;
      const created = new Map<BenchServer, number[]>();
      for (const server of pair.servers) {
        await prepareKeys({ host: server.host, port: server.port, valueBytes, runTag: tag });
        const r = await timedRow(server, mode, { workload: Workload.create, valueBytes, shape, runTag: tag }, phase, treeZnodes);
        created.set(server, r.sentPerSession ?? []);
      }
      for (const server of pair.servers) {
        await countedRow(server, { workload: Workload.delete, valueBytes, sessionQuotas: created.get(server)!, runTag: tag, shape }, phase, treeZnodes);
      }
      for (const server of pair.servers) {
        await timedRow(server, mode, { workload: Workload.setData, valueBytes, shape, runTag: tag }, phase, treeZnodes);
      }
    }
  }
}

/** The 90/10 mix and multi of 10 creates (100 B, 8 x 16). */
async function extraRows(pair: Pair, mode: Mode, treeZnodes: number): Promise<void> {
  const shape = { sessions: 8, inFlight: 16 };
  for (const workload of [Workload.mix, Workload.multiCreate]) {
    for (const server of pair.servers) {
      await prepareKeys({ host: server.host, port: server.port, valueBytes: 100, runTag: `x-${workload}` });
      await timedRow(server, mode, { workload, valueBytes: 100, shape, runTag: `x-${workload}` }, "100k", treeZnodes);
    }
  }
}

interface RowSpec {
  workload: Workload;
  valueBytes: number;
  shape: Shape;
  runTag: string;
}

async function timedRow(server: BenchServer, mode: Mode, row: RowSpec, phase: string, treeZnodes: number): Promise<LoadResult> {
  await quiesce();
  const loadAverage = loadAverage1m();
  const result = await runLoad({
    host: server.host, port: server.port, workload: row.workload, valueBytes: row.valueBytes,
    sessions: row.shape.sessions, inFlight: row.shape.inFlight, warmupMs: mode.warmupMs, durationMs: mode.durationMs,
    workers: 1, runTag: row.runTag, serverPids: [server.pid],
  });
  record(server, result, phase, treeZnodes, "lean", loadAverage);
  return result;
}

async function countedRow(server: BenchServer, row: Omit<RowSpec, "shape"> & { shape: Shape; sessionQuotas: number[] }, phase: string, treeZnodes: number): Promise<LoadResult> {
  await quiesce();
  const loadAverage = loadAverage1m();
  const result = await runLoad({
    host: server.host, port: server.port, workload: row.workload, valueBytes: row.valueBytes,
    sessions: row.shape.sessions, inFlight: row.shape.inFlight, warmupMs: 0, durationMs: 0,
    workers: 1, runTag: row.runTag, serverPids: [server.pid], sessionQuotas: row.sessionQuotas,
  });
  record(server, { ...result, sessions: row.shape.sessions }, phase, treeZnodes, "lean", loadAverage);
  return result;
}

function record(server: BenchServer, r: LoadResult, phase: string, treeZnodes: number, client: MatrixRow["client"], loadAverage: number): void {
  const row: MatrixRow = {
    phase, treeZnodes, client, server: server.kind, workload: r.workload, valueBytes: r.valueBytes, sessions: r.sessions, inFlight: r.inFlight,
    ops: r.ops, seconds: r.seconds, opsPerSec: r.opsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, p999Ms: r.p999Ms, maxMs: r.maxMs,
    errors: r.errors, serverCpuPct: r.serverCpuPct, clientCpuPct: r.clientCpuPct, loadAverage,
  };
  report.rows.push(row);
  log(`[${server.kind}] ${phase} ${client} ${r.workload} ${r.valueBytes} B ${r.sessions}x${r.inFlight}: ${r.opsPerSec.toFixed(0)} ops/s, p50 ${r.p50Ms.toFixed(3)}, p99 ${r.p99Ms.toFixed(2)}, p99.9 ${r.p999Ms.toFixed(2)} ms, server CPU ${r.serverCpuPct?.toFixed(0)} %, load ${loadAverage}` +
    (Object.keys(r.errors).length > 0 ? ` errors ${JSON.stringify(r.errors)}` : ""));
}

/** Creates `count` znodes of 100 B on every server (8 x 16); returns what each load measured. */
async function fill(pair: Pair, count: number, runTag: string): Promise<Map<BenchServer, LoadResult>> {
  const results = new Map<BenchServer, LoadResult>();
  for (const server of pair.servers) {
    await prepareKeys({ host: server.host, port: server.port, valueBytes: 100, runTag });
    await quiesce();
    const t0 = performance.now();
    const r = await runLoad({
      host: server.host, port: server.port, workload: Workload.create, valueBytes: 100, sessions: 8, inFlight: 16,
      warmupMs: 0, durationMs: 0, count, workers: 1, runTag, serverPids: [server.pid],
    });
    log(`[${server.kind}] filled ${count} znodes in ${((performance.now() - t0) / 1000).toFixed(1)} s (${r.opsPerSec.toFixed(0)} creates/s, p99 ${r.p99Ms.toFixed(1)} ms)`);
    results.set(server, r);
  }
  return results;
}

// ---- node-zookeeper-client ----

let nzcBundle: string | null = null;

/** nzc_load.ts bundled once (tsx would wrap every per-request closure of the load loop). */
function nzcScript(): string {
  if (nzcBundle !== null) return nzcBundle;
  const out = join(REPO_ROOT, ".cache", "bench", "nzc_load.mjs");
  mkdirSync(dirname(out), { recursive: true });
  execFileSync(join(REPO_ROOT, "node_modules", ".bin", "esbuild"), [
    join(BENCH_DIR, "nzc_load.ts"), "--bundle", "--platform=node", "--format=esm", `--outfile=${out}`, "--log-level=warning",
    // node-zookeeper-client is CommonJS and requires Node built-ins: give the ESM bundle a require.
    "--banner:js=import { createRequire as __createRequire } from \"node:module\"; const require = __createRequire(import.meta.url);",
  ]);
  nzcBundle = out;
  return out;
}

function runNzc(spec: NzcLoadSpec): Promise<NzcLoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nzcScript(), JSON.stringify(spec)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!) as NzcLoadResult) : reject(new Error(`nzc load exited ${code}: ${err}`))));
  });
}

async function nzcRow(server: BenchServer, spec: Omit<NzcLoadSpec, "connect">, phase: string, treeZnodes: number): Promise<NzcLoadResult> {
  await quiesce();
  const loadAverage = loadAverage1m();
  const cpu0 = processCpu(server.pid);
  const t0 = performance.now();
  const r = await runNzc({ ...spec, connect: `${server.host}:${server.port}` });
  const wallS = (performance.now() - t0) / 1000;
  const serverCpuPct = ((processCpu(server.pid) - cpu0) / 1000 / wallS) * 100;
  const h = new LatencyHistogram();
  for (const [bucket, count] of r.histogram) h.counts[bucket] = count;
  h.total = r.ops;
  h.maxUs = r.maxUs;
  const sessions = spec.sessionQuotas?.length ?? spec.sessions;
  const result: LoadResult = {
    workload: spec.workload, valueBytes: spec.valueBytes, sessions, inFlight: spec.inFlight, workers: 1, ops: r.ops, seconds: r.seconds,
    opsPerSec: r.ops / r.seconds, p50Ms: h.percentileMs(50), p99Ms: h.percentileMs(99), p999Ms: h.percentileMs(99.9), maxMs: r.maxUs / 1000,
    errors: r.errors > 0 ? { [r.firstError ?? "error"]: r.errors } : {}, clientCpuPct: (r.cpuMs / 1000 / r.seconds) * 100,
    serverCpuPct, sentPerSession: r.sentPerSession,
  };
  record(server, result, phase, treeZnodes, "nzc", loadAverage);
  return r;
}

/** create, delete, setData (100 B, 8 x 16 and 4 x 32) and the mix through node-zookeeper-client. */
async function nzcRows(pair: Pair, mode: Mode, treeZnodes: number): Promise<void> {
  for (const shape of [{ sessions: 8, inFlight: 16 }, { sessions: 4, inFlight: 32 }]) {
    const tag = `nzc-${shape.sessions}x${shape.inFlight}`;
    const base = { valueBytes: 100, sessions: shape.sessions, inFlight: shape.inFlight, warmupMs: mode.warmupMs, durationMs: mode.durationMs, runTag: tag };
    const created = new Map<BenchServer, number[]>();
    for (const server of pair.servers) {
      await prepareKeys({ host: server.host, port: server.port, valueBytes: 100, runTag: tag });
      created.set(server, (await nzcRow(server, { ...base, workload: Workload.create }, "nzc", treeZnodes)).sentPerSession);
    }
    for (const server of pair.servers) await nzcRow(server, { ...base, workload: Workload.delete, sessionQuotas: created.get(server)! }, "nzc", treeZnodes);
    for (const workload of [Workload.setData, Workload.mix]) {
      for (const server of pair.servers) await nzcRow(server, { ...base, workload }, "nzc", treeZnodes);
    }
  }
}

// ---- a million znodes: bulk load, memory, snapshot under load, restart ----

async function largeTree(kinds: readonly BenchServerKind[], mode: Mode): Promise<void> {
  let pair = await startPair(kinds, {});
  const dirs = new Map(pair.servers.map((s) => [s.kind, s.dir]));
  try {
    const loads = await fill(pair, mode.fillLarge, "fill1m");
    for (const server of pair.servers) {
      const r = loads.get(server)!;
      report.bulkLoads.push({ server: server.kind, znodes: mode.fillLarge, seconds: r.seconds, opsPerSec: r.opsPerSec, p99Ms: r.p99Ms, p999Ms: r.p999Ms, loadAverage: loadAverage1m() });
    }
    await sleep(SETTLE_MS);
    for (const server of pair.servers) {
      report.memory.push({ server: server.kind, znodes: mode.fillLarge, rssKb: vmKb(server.pid, "VmRSS"), peakRssKb: vmKb(server.pid, "VmHWM") });
      log(`[${server.kind}] RSS with ${mode.fillLarge} znodes: ${(vmKb(server.pid, "VmRSS") / 1024).toFixed(0)} MiB (peak ${(vmKb(server.pid, "VmHWM") / 1024).toFixed(0)} MiB)`);
    }
    await matrix(pair, mode, "1m", mode.fillLarge);
    // From here on only the snapshots the benchmark asks for: no automatic one mid-measurement.
    await stopPair(pair, true);
    pair = await startPair(kinds, { snapCount: 100_000_000 }, dirs);
    await snapshotUnderLoad(pair, mode);
    for (const server of pair.servers) await adminSnapshot(pair, server);
    for (const server of pair.servers) {
      await prepareKeys({ host: server.host, port: server.port, valueBytes: 100, runTag: "restart" });
      await runLoad({ host: server.host, port: server.port, workload: Workload.setData, valueBytes: 100, sessions: 8, inFlight: 16, warmupMs: 0, durationMs: 0, count: mode.restartTxns, workers: 1, runTag: "restart" });
    }
    await stopPair(pair, true);
    for (const kind of kinds) {
      const loadAverage = loadAverage1m();
      const single = await startPair([kind], { snapCount: 100_000_000 }, dirs);
      const server = single.servers[0]!;
      report.restarts.push({ server: kind, znodes: mode.fillLarge, txns: mode.restartTxns, readyMs: server.readyMs, loadAverage, log: recoveryLines(server.output()) });
      log(`[${kind}] restart with ${mode.fillLarge} znodes and ${mode.restartTxns} txns of log: serving after ${server.readyMs.toFixed(0)} ms`);
      await stopPair(single, true);
    }
    pair = { servers: [], adminPorts: new Map() };
  } finally {
    await stopPair(pair);
    for (const dir of dirs.values()) execFileSync("rm", ["-rf", dir]);
  }
}

/** The server's own lines about what it recovered (snapshot, txns replayed), for the record. */
function recoveryLines(output: string): string[] {
  return output.split("\n").filter((l) => /recovered|txns loaded|Snapshot loaded|Snapshotting|snapshot/i.test(l)).slice(0, 8).map((l) => l.slice(0, 300));
}

/** Takes a snapshot through the AdminServer; resolves when the server says it is done. */
async function adminSnapshot(pair: Pair, server: BenchServer): Promise<{ startMs: number; endMs: number }> {
  const port = pair.adminPorts.get(server)!;
  const startMs = performance.now();
  // Both only take the snapshot (into their data dirs); neither sends it back.
  const url = `http://127.0.0.1:${port}/commands/snapshot?streaming=false`;
  const response = await fetch(url, { headers: { Authorization: `digest ${SUPER}` } });
  await response.arrayBuffer();
  const endMs = performance.now();
  if (!response.ok) throw new Error(`[${server.kind}] snapshot: HTTP ${response.status}`);
  log(`[${server.kind}] admin snapshot took ${(endMs - startMs).toFixed(0)} ms`);
  return { startMs, endMs };
}

/**
 * setData 8 x 16 at a million znodes; half way, a snapshot through the AdminServer. Compares the
 * p99.9 of replies that arrived while the snapshot ran with the p99.9 of those before it.
 */
async function snapshotUnderLoad(pair: Pair, mode: Mode): Promise<void> {
  const beforeMs = Math.max(mode.durationMs, 6000);
  for (const server of pair.servers) {
    await prepareKeys({ host: server.host, port: server.port, valueBytes: 100, runTag: "snap" });
    await quiesce();
    const timeline = new Timeline();
    const loadAverage = loadAverage1m();
    let window: { startMs: number; endMs: number } | null = null;
    const t0 = performance.now();
    const load = runLoad({
      host: server.host, port: server.port, workload: Workload.setData, valueBytes: 100, sessions: 8, inFlight: 16,
      warmupMs: mode.warmupMs, durationMs: beforeMs + 30_000, workers: 1, runTag: "snap", serverPids: [server.pid], timeline,
    });
    await sleep(mode.warmupMs + beforeMs);
    window = await adminSnapshot(pair, server);
    const result = await load;
    const measureStart = t0 + mode.warmupMs;
    const before = percentile(timeline.between(measureStart, window.startMs), 99.9);
    const during = percentile(timeline.between(window.startMs, window.endMs), 99.9);
    const after = percentile(timeline.between(window.endMs, window.endMs + 60_000), 99.9);
    report.snapshots.push({
      server: server.kind, znodes: report.memory.find((m) => m.server === server.kind)?.znodes ?? 0, snapshotMs: window.endMs - window.startMs,
      p999BeforeMs: before, p999DuringMs: during, p999AfterMs: after, opsPerSec: result.opsPerSec, loadAverage,
      repliesDuring: timeline.between(window.startMs, window.endMs).length,
    });
    log(`[${server.kind}] setData 8x16 at 1M: p99.9 before ${before.toFixed(2)} ms, during the snapshot ${during.toFixed(2)} ms (${(window.endMs - window.startMs).toFixed(0)} ms), after ${after.toFixed(2)} ms`);
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// ---- bookkeeping ----

/**
 * Prints the tables and writes them to bench/results/. A run that measured nothing writes
 * nothing, and a later run of the same day gets its time in the name: results are kept, never
 * replaced (a failed run used to overwrite the day's results with empty tables).
 */
function finish(): void {
  const measured = report.rows.length + report.bulkLoads.length + report.memory.length + report.snapshots.length + report.restarts.length;
  if (measured === 0) {
    console.log("nothing measured: no results written");
    return;
  }
  const text = formatMatrix(report);
  console.log(text);
  const stem = `write-matrix-${report.date.slice(0, 10)}${report.mode === "quick" ? "-quick" : ""}`;
  let file = join(BENCH_DIR, "results", `${stem}.json`);
  if (existsSync(file)) file = join(BENCH_DIR, "results", `${stem}-${report.date.slice(11, 16).replace(":", "")}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
  writeFileSync(file.replace(/\.json$/, ".md"), text + "\n");
  console.log(`\nresults written to ${relative(process.cwd(), file)} (and .md)`);
}

function loadAverage1m(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

function processCpu(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function log(line: string): void {
  console.error(`${new Date().toISOString().slice(11, 19)} ${line}`);
}

/** Servers running now: each row waits until all of them are idle. */
const running = new Set<BenchServer>();

/**
 * Waits, up to 20 s, until every running server has been idle for 250 ms (under 5 % of a core),
 * then has the kernel write back every dirty page (`sync`). A row must not pay for background work
 * the previous rows left behind, whichever server did it: after a row of 100,000 txns at a million
 * znodes each server takes a snapshot of about 200 MB, and ZooKeeper does not fsync its periodic
 * snapshots, so with this machine's memory hundreds of MB sat dirty until the kernel's 30 s
 * write-back flushed them during some later row, competing with its log fsyncs on the same disk.
 */
async function quiesce(): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    const before = [...running].map((server) => processCpuMs(server.pid));
    await sleep(250);
    if (![...running].some((server, i) => processCpuMs(server.pid) - before[i]! > 250 * 0.05)) break;
    if (performance.now() - t0 > 20_000) {
      log("a server is still busy after 20 s; measuring anyway");
      break;
    }
  }
  const dirty = dirtyKb();
  execFileSync("sync");
  const waited = performance.now() - t0;
  if (waited > 1000) log(`waited ${(waited / 1000).toFixed(1)} s for the servers to go idle and ${(dirty / 1024).toFixed(0)} MiB of dirty pages to be written`);
}

/** Dirty plus write-back page cache, KiB (/proc/meminfo; 0 where unavailable). */
function dirtyKb(): number {
  try {
    const meminfo = readFileSync("/proc/meminfo", "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(meminfo)?.[1] ?? 0);
    return field("Dirty") + field("Writeback");
  } catch {
    return 0;
  }
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
  try {
    finish();
  } catch {
    // Nothing measured yet.
  }
  killAllServers();
  process.exit(1);
});
