/**
 * The load generator: N ZooKeeper sessions, each keeping M requests in flight, for a duration
 * (after a warm-up) or for a fixed count, optionally spread over several worker processes when
 * one client event loop would saturate before the server does. Reports ops/s, latency
 * percentiles, and the CPU the client (and, given its pid, the server) burnt meanwhile.
 *
 * Run: npx tsx bench/load.ts --port 2181 --workload mix --value 100 --sessions 8 --inflight 16 \
 *        [--duration 10] [--warmup 5] [--count N] [--workers 1] [--pid SERVER_PID[,PID...]]
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { errorName } from "../core/proto/error_code.ts";
import { LatencyHistogram } from "./histogram.ts";
import { LoadConnection, type LoadTally, type Timeline } from "./load_connection.ts";
import { processCpuMs } from "./proc_stats.ts";
import {
  KEY_COUNT_DEFAULT,
  PREPARE_TOLERATED,
  prepareCount,
  preparePlan,
  toleratedErrors,
  type Workload,
  workloadPaths,
  workloadPlan,
} from "./workloads.ts";

/** A server the load generator connects to. */
export interface LoadTarget {
  host: string;
  port: number;
}

/** One load run. */
export interface LoadSpec {
  host: string;
  port: number;
  /**
   * Spread the sessions round-robin over these servers (ensemble members) instead of
   * `host:port`: session i of the run connects to `targets[i % targets.length]`.
   */
  targets?: readonly LoadTarget[];
  workload: Workload;
  valueBytes: number;
  sessions: number;
  inFlight: number;
  warmupMs: number;
  durationMs: number;
  /** Count mode: this many requests in all, no warm-up; duration is ignored. */
  count?: number;
  /** Client processes; 1 runs in this process. */
  workers: number;
  keyCount?: number;
  /** Makes create paths unique per run on a long-lived server. */
  runTag: string;
  /** The server's pids (an ensemble's members), to report their CPU use over the measured window. */
  serverPids?: readonly number[];
  /**
   * Count mode with a quota per session (one client process): e.g. a delete run that removes
   * exactly what each session of a create run made. `count` is ignored.
   */
  sessionQuotas?: readonly number[];
  /** Keep every measured reply's arrival time and latency (one client process). */
  timeline?: Timeline;
}

/** What a run measured. */
export interface LoadResult {
  workload: Workload;
  valueBytes: number;
  sessions: number;
  inFlight: number;
  workers: number;
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Error replies by name (should be empty). */
  errors: Record<string, number>;
  /** Client CPU over the window, in % of one core (all workers together). */
  clientCpuPct: number;
  /** Server CPU over the window, in % of one core (all its threads, all pids summed), when pids were given. */
  serverCpuPct: number | null;
  /** Requests each session sent (one client process), in session order. */
  sentPerSession?: number[];
}

/** What one worker sends back. */
interface WorkerReport {
  completed: number;
  counts: number[];
  maxUs: number;
  errors: [number, number][];
  cpuMs: number;
  seconds: number;
  sentPerSession: number[];
}

const SESSION_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * Creates the key set of a value size and the run's create parent (idempotent).
 *
 * @example await prepareKeys({ host: "127.0.0.1", port, valueBytes: 100, runTag: "r1" });
 */
export async function prepareKeys(opts: { host: string; port: number; valueBytes: number; runTag: string; keyCount?: number }): Promise<void> {
  const keyCount = opts.keyCount ?? KEY_COUNT_DEFAULT;
  const tally = newTally(PREPARE_TOLERATED);
  const plan = preparePlan({ valueBytes: opts.valueBytes, keyCount, paths: workloadPaths(opts.valueBytes, opts.runTag) });
  const connection = new LoadConnection(
    { host: opts.host, port: opts.port, inFlight: 64, quota: prepareCount(keyCount), sessionTimeoutMs: SESSION_TIMEOUT_MS },
    plan,
    tally,
  );
  await connection.ready();
  connection.start();
  await withTimeout(connection.done, DRAIN_TIMEOUT_MS, "prepare");
  if (tally.errors.size > 0) throw new Error(`prepare failed: ${describeErrors(tally.errors)}`);
}

/**
 * Runs one load and reports it.
 *
 * @example const r = await runLoad({ host, port, workload: "getData", valueBytes: 100, sessions: 8, inFlight: 16, warmupMs: 2000, durationMs: 10000, workers: 1, runTag: "r1" });
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (spec.sessionQuotas !== undefined || spec.timeline !== undefined) {
    if (spec.workers !== 1) throw new Error("sessionQuotas and timeline need one client process");
    if (spec.sessionQuotas !== undefined) {
      spec = { ...spec, sessions: spec.sessionQuotas.length, count: spec.sessionQuotas.reduce((a, b) => a + b, 0) };
    }
  }
  const workers = Math.max(1, Math.min(spec.workers, spec.sessions));
  const cpu0 = { server: 0 };
  const cpu1 = { server: 0 };
  const pids = spec.serverPids ?? [];
  const serverCpu = () => pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
  // The server's CPU is sampled on this process's clock, aligned with the workers' windows.
  const windowHooks = {
    onMeasureStart: () => (cpu0.server = serverCpu()),
    onMeasureEnd: () => (cpu1.server = serverCpu()),
  };
  const reports = workers === 1
    ? [await runWorker(spec, 0, spec.sessions, Promise.resolve(), windowHooks)]
    : await runForkedWorkers(spec, workers, windowHooks);
  return summarize(spec, workers, reports, pids.length === 0 ? null : cpu1.server - cpu0.server);
}

interface WindowHooks {
  onMeasureStart(): void;
  onMeasureEnd(): void;
}

/** Runs `sessions` sessions in this process; resolves with the tallies once all have closed. */
async function runWorker(spec: LoadSpec, worker: number, sessions: number, go: Promise<void>, hooks: WindowHooks): Promise<WorkerReport> {
  const tally = newTally(toleratedErrors(spec.workload), spec.timeline);
  const paths = workloadPaths(spec.valueBytes, spec.runTag);
  const keyCount = spec.keyCount ?? KEY_COUNT_DEFAULT;
  const total = spec.count ?? Infinity;
  const connections: LoadConnection[] = [];
  // Sessions are numbered across workers (worker w's first is w * (S / W) plus the remainders
  // before it), so spreading over targets is round-robin over the whole run.
  const firstSession = worker * Math.floor(spec.sessions / spec.workers) + Math.min(worker, spec.sessions % spec.workers);
  try {
    for (let s = 0; s < sessions; s++) {
      const target = spec.targets === undefined ? spec : spec.targets[(firstSession + s) % spec.targets.length]!;
      // Count mode splits the count evenly; the first workers and sessions take the remainders.
      const perWorker = Math.floor(total / spec.workers) + (worker < total % spec.workers ? 1 : 0);
      const quota = spec.sessionQuotas !== undefined
        ? spec.sessionQuotas[s]!
        : Number.isFinite(total) ? Math.floor(perWorker / sessions) + (s < perWorker % sessions ? 1 : 0) : Infinity;
      const plan = workloadPlan({ workload: spec.workload, valueBytes: spec.valueBytes, keyCount, paths, slot: { worker, session: s } });
      connections.push(new LoadConnection({ host: target.host, port: target.port, inFlight: spec.inFlight, quota, sessionTimeoutMs: SESSION_TIMEOUT_MS }, plan, tally));
    }
    await withTimeout(Promise.all(connections.map((c) => c.ready())), 10_000, "connect");
    await go;
    const window = spec.count === undefined
      ? await timedWindow(spec, tally, connections, hooks)
      : await countedWindow(tally, connections, hooks);
    await withTimeout(Promise.all(connections.map((c) => c.done)), DRAIN_TIMEOUT_MS, "drain");
    return report(tally, window, connections.map((c) => c.sent));
  } catch (error) {
    for (const c of connections) c.destroy();
    throw error;
  }
}

/** The measured span of one worker and the client CPU it burnt. */
interface MeasuredWindow {
  seconds: number;
  cpuMs: number;
}

async function timedWindow(spec: LoadSpec, tally: LoadTally, connections: LoadConnection[], hooks: WindowHooks): Promise<MeasuredWindow> {
  for (const c of connections) c.start();
  await sleep(spec.warmupMs);
  tally.measuring = true;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  hooks.onMeasureStart();
  await sleep(spec.durationMs);
  tally.measuring = false;
  hooks.onMeasureEnd();
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  for (const c of connections) c.stop();
  return { seconds, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function countedWindow(tally: LoadTally, connections: LoadConnection[], hooks: WindowHooks): Promise<MeasuredWindow> {
  tally.measuring = true;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  hooks.onMeasureStart();
  for (const c of connections) c.start();
  await withTimeout(Promise.all(connections.map((c) => c.done)), 600_000, "count run");
  hooks.onMeasureEnd();
  const cpu = process.cpuUsage(cpu0);
  return { seconds: (performance.now() - t0) / 1000, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function report(tally: LoadTally, window: MeasuredWindow, sentPerSession: number[]): WorkerReport {
  return {
    sentPerSession,
    completed: tally.completed,
    counts: Array.from(tally.histogram.counts),
    maxUs: tally.histogram.maxUs,
    errors: [...tally.errors],
    cpuMs: window.cpuMs,
    seconds: window.seconds,
  };
}

/** Worker processes: each connects its sessions, says ready, starts on "go", reports once. */
async function runForkedWorkers(spec: LoadSpec, workers: number, hooks: WindowHooks): Promise<WorkerReport[]> {
  const self = fileURLToPath(import.meta.url);
  const children = Array.from({ length: workers }, () => fork(self, ["--worker"], { execArgv: ["--import", "tsx"], stdio: "inherit" }));
  try {
    const ready: Promise<void>[] = [];
    const results: Promise<WorkerReport>[] = [];
    children.forEach((child, worker) => {
      const sessions = Math.floor(spec.sessions / workers) + (worker < spec.sessions % workers ? 1 : 0);
      ready.push(new Promise((resolve, reject) => {
        child.once("message", (m: { ready?: boolean; error?: string }) => (m.ready ? resolve() : reject(new Error(m.error))));
        child.once("exit", (code) => reject(new Error(`load worker exited with ${code}`)));
      }));
      results.push(new Promise((resolve, reject) => {
        child.on("message", (m: { report?: WorkerReport; error?: string }) => {
          if (m.report) resolve(m.report);
          if (m.error) reject(new Error(m.error));
        });
        child.once("exit", (code) => reject(new Error(`load worker exited with ${code}`)));
      }));
      child.send({ spec, worker, sessions });
    });
    await withTimeout(Promise.all(ready), 30_000, "workers ready");
    for (const child of children) child.send({ go: true });
    // This process's own window mirrors the workers' so server CPU covers the same span.
    if (spec.count === undefined) {
      await sleep(spec.warmupMs);
      hooks.onMeasureStart();
      await sleep(spec.durationMs);
      hooks.onMeasureEnd();
    } else {
      hooks.onMeasureStart();
    }
    const reports = await withTimeout(Promise.all(results), spec.durationMs + spec.warmupMs + 600_000, "worker reports");
    if (spec.count !== undefined) hooks.onMeasureEnd();
    return reports;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  }
}

/** Entry of a forked worker process. */
function workerMain(): void {
  let go: () => void = () => {};
  const started = new Promise<void>((resolve) => (go = resolve));
  process.on("message", (m: { spec?: LoadSpec; worker?: number; sessions?: number; go?: boolean }) => {
    if (m.go) return go();
    if (m.spec === undefined) return;
    const hooks = { onMeasureStart: () => {}, onMeasureEnd: () => {} };
    const readyGate = Promise.resolve().then(() => process.send!({ ready: true })).then(() => started);
    runWorker(m.spec, m.worker!, m.sessions!, readyGate, hooks).then(
      (r) => process.send!({ report: r }, () => process.exit(0)),
      (e: Error) => process.send!({ error: e.message }, () => process.exit(1)),
    );
  });
}

function summarize(spec: LoadSpec, workers: number, reports: WorkerReport[], serverCpuMs: number | null): LoadResult {
  const histogram = new LatencyHistogram();
  const errors = new Map<number, number>();
  let ops = 0;
  let cpuMs = 0;
  let seconds = 0;
  for (const r of reports) {
    histogram.merge({ counts: r.counts, maxUs: r.maxUs });
    for (const [code, n] of r.errors) errors.set(code, (errors.get(code) ?? 0) + n);
    ops += r.completed;
    cpuMs += r.cpuMs;
    seconds = Math.max(seconds, r.seconds);
  }
  return {
    workload: spec.workload,
    valueBytes: spec.valueBytes,
    sessions: spec.sessions,
    inFlight: spec.inFlight,
    workers,
    ops,
    seconds,
    opsPerSec: ops / seconds,
    p50Ms: histogram.percentileMs(50),
    p99Ms: histogram.percentileMs(99),
    p999Ms: histogram.percentileMs(99.9),
    maxMs: histogram.maxUs / 1000,
    errors: Object.fromEntries([...errors].map(([code, n]) => [errorName(code), n])),
    clientCpuPct: (cpuMs / 1000 / seconds) * 100,
    serverCpuPct: serverCpuMs === null ? null : (serverCpuMs / 1000 / seconds) * 100,
    sentPerSession: reports.flatMap((r) => r.sentPerSession),
  };
}

function newTally(tolerated: ReadonlySet<number>, timeline?: Timeline): LoadTally {
  return { measuring: false, stopping: false, completed: 0, histogram: new LatencyHistogram(), errors: new Map(), tolerated, timeline };
}

function describeErrors(errors: Map<number, number>): string {
  return [...errors].map(([code, n]) => `${errorName(code)} x${n}`).join(", ");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects when `promise` has not settled within `ms` (the timer never keeps the process alive). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function cliMain(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "2181" },
      workload: { type: "string", default: "getData" },
      value: { type: "string", default: "100" },
      sessions: { type: "string", default: "8" },
      inflight: { type: "string", default: "16" },
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "5" },
      count: { type: "string" },
      workers: { type: "string", default: "1" },
      pid: { type: "string" },
    },
  });
  const spec: LoadSpec = {
    host: values.host!,
    port: Number(values.port),
    workload: values.workload as Workload,
    valueBytes: Number(values.value),
    sessions: Number(values.sessions),
    inFlight: Number(values.inflight),
    warmupMs: Number(values.warmup) * 1000,
    durationMs: Number(values.duration) * 1000,
    count: values.count === undefined ? undefined : Number(values.count),
    workers: Number(values.workers),
    runTag: `cli${Date.now().toString(36)}`,
    serverPids: values.pid === undefined ? undefined : values.pid.split(",").map(Number),
  };
  await prepareKeys({ host: spec.host, port: spec.port, valueBytes: spec.valueBytes, runTag: spec.runTag });
  console.log(JSON.stringify(await runLoad(spec), null, 2));
}

if (process.argv.includes("--worker")) workerMain();
else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cliMain().catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
