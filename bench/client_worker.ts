/**
 * One Node client's side of bench/client_bench.ts, in its own process so its CPU time is its own:
 * getData or setData of one znode with N requests in flight, timed per request into a
 * LatencyHistogram, with process.cpuUsage() (user + system, all threads) read around each measured
 * window. Prints the same JSON lines as bench/java/ClientBench.java:
 *   {"event":"warm"}, then per case {"event":"start","case":i}, {"event":"end","case":i} and
 *   {"case":i,"op":"getData","inFlight":256,"ops":...,"errors":...,"elapsedMs":...,"cpuMs":...,"maxUs":...,"histogram":[[bucket,count],...]}
 *
 * Run: node --import tsx bench/client_worker.ts paddock|nzc host:port path warmupMs caseWarmupMs durationMs op:inFlight[,op:inFlight...]
 */
import zookeeper from "node-zookeeper-client";
import { createClient } from "../mod.ts";
import { LatencyHistogram } from "./histogram.ts";

/** The clients this worker can drive. */
export const NodeBenchClient = { paddock: "paddock", nzc: "nzc" } as const;
/** One of {@link NodeBenchClient}. */
export type NodeBenchClient = (typeof NodeBenchClient)[keyof typeof NodeBenchClient];

/** The two operations measured. */
export type BenchOp = "getData" | "setData";

/** One step of the benchmark: an operation at a depth. */
export interface BenchCase {
  op: BenchOp;
  inFlight: number;
}

/** What a worker (Node or Java) reports for one case. */
export interface WorkerCaseResult extends BenchCase {
  case: number;
  ops: number;
  errors: number;
  elapsedMs: number;
  cpuMs: number;
  maxUs: number;
  /** Sparse LatencyHistogram counts: [bucket, count]. */
  histogram: [number, number][];
}

/** A client reduced to what the loop needs: one request, a callback when it completes. */
interface Driver {
  send(op: BenchOp, done: (ok: boolean) => void): void;
  close(): Promise<void>;
}

const VALUE_BYTES = 100;
const DRAIN_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 30_000;
/** The same 100 bytes the Java program writes ('a'..'z' repeated). */
const VALUE = Uint8Array.from({ length: VALUE_BYTES }, (_, i) => 97 + (i % 26));

/**
 * Parses "getData:1,setData:256" into cases.
 *
 * @example parseCases("getData:1") // [{ op: "getData", inFlight: 1 }]
 */
export function parseCases(text: string): BenchCase[] {
  return text.split(",").map((part) => {
    const [op, depth] = part.split(":");
    if (op !== "getData" && op !== "setData") throw new Error(`unknown op ${op}`);
    const inFlight = Number(depth);
    if (!Number.isInteger(inFlight) || inFlight < 1) throw new Error(`bad in-flight ${depth}`);
    return { op, inFlight };
  });
}

async function paddockDriver(connectString: string, path: string): Promise<Driver> {
  const client = createClient(connectString, { sessionTimeoutMs: 30_000 });
  await client.ready({ signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS) });
  return {
    // One .then per request: what an `await` in application code costs, no more.
    send: (op, done) => {
      const request: Promise<unknown> = op === "getData" ? client.getData(path) : client.setData(path, VALUE);
      request.then(() => done(true), () => done(false));
    },
    close: () => client.close(),
  };
}

/** The part of node-zookeeper-client's (untyped) API used here. */
interface NzcClient {
  once(event: "connected", listener: () => void): void;
  connect(): void;
  close(): void;
  getData(path: string, callback: (error: unknown) => void): void;
  setData(path: string, data: Buffer, version: number, callback: (error: unknown) => void): void;
}

async function nzcDriver(connectString: string, path: string): Promise<Driver> {
  const client = zookeeper.createClient(connectString, { sessionTimeout: 30_000 }) as NzcClient;
  const connected = new Promise<void>((resolve) => client.once("connected", resolve));
  client.connect();
  await withTimeout(connected, CONNECT_TIMEOUT_MS, "nzc connect");
  const value = Buffer.from(VALUE);
  return {
    send: (op, done) => {
      if (op === "getData") client.getData(path, (error) => done(error === null || error === undefined));
      else client.setData(path, value, -1, (error) => done(error === null || error === undefined));
    },
    close: async () => client.close(),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Keeps `inFlight` requests outstanding until stopped; records latencies while `recording`. */
class Run {
  readonly histogram = new LatencyHistogram();
  recording = false;
  ops = 0;
  errors = 0;
  #stopping = false;
  #outstanding = 0;
  #drained: () => void = () => undefined;

  constructor(readonly driver: Driver, readonly op: BenchOp) {}

  start(inFlight: number): void {
    this.#outstanding = inFlight;
    for (let i = 0; i < inFlight; i++) this.#send();
  }

  #send(): void {
    const sentMs = performance.now();
    this.driver.send(this.op, (ok) => this.#completed(ok, sentMs));
  }

  #completed(ok: boolean, sentMs: number): void {
    if (this.recording) {
      if (ok) {
        this.histogram.recordMs(performance.now() - sentMs);
        this.ops++;
      } else {
        this.errors++;
      }
    }
    // A completion while running reuses its slot, so the count only falls once stopping.
    if (!this.#stopping) this.#send();
    else if (--this.#outstanding === 0) this.#drained();
  }

  stop(): Promise<void> {
    this.#stopping = true;
    if (this.#outstanding === 0) return Promise.resolve();
    return withTimeout(new Promise<void>((resolve) => (this.#drained = resolve)), DRAIN_TIMEOUT_MS, "drain");
  }
}

function emit(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function runCase(driver: Driver, c: BenchCase, timing: { warmupMs: number; durationMs: number }, index: number | undefined): Promise<void> {
  const run = new Run(driver, c.op);
  run.start(c.inFlight);
  await sleep(timing.warmupMs);
  if (index !== undefined) emit({ event: "start", case: index });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  run.recording = true;
  await sleep(timing.durationMs);
  run.recording = false;
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (index !== undefined) emit({ event: "end", case: index });
  await run.stop();
  if (index === undefined) return;
  const histogram: [number, number][] = [];
  for (let i = 0; i < run.histogram.counts.length; i++) {
    if (run.histogram.counts[i]! > 0) histogram.push([i, run.histogram.counts[i]!]);
  }
  const result: WorkerCaseResult = {
    case: index, op: c.op, inFlight: c.inFlight, ops: run.ops, errors: run.errors, elapsedMs,
    cpuMs: (cpu.user + cpu.system) / 1000, maxUs: run.histogram.maxUs, histogram,
  };
  emit(result);
}

async function main(): Promise<void> {
  const [kind, connectString, path, warmupMs, caseWarmupMs, durationMs, casesText] = process.argv.slice(2);
  if (casesText === undefined) throw new Error("usage: client_worker.ts paddock|nzc host:port path warmupMs caseWarmupMs durationMs op:inFlight,...");
  const cases = parseCases(casesText);
  const driver = kind === NodeBenchClient.paddock ? await paddockDriver(connectString!, path!)
    : kind === NodeBenchClient.nzc ? await nzcDriver(connectString!, path!)
    : undefined;
  if (driver === undefined) throw new Error(`unknown client ${kind}`);
  // Warm-up: every case briefly, so V8 has optimised the paths before anything is measured.
  const warmEachMs = Math.max(1, Math.floor(Number(warmupMs) / cases.length));
  for (const c of cases) await runCase(driver, c, { warmupMs: 0, durationMs: warmEachMs }, undefined);
  emit({ event: "warm" });
  for (const [i, c] of cases.entries()) {
    await runCase(driver, c, { warmupMs: Number(caseWarmupMs), durationMs: Number(durationMs) }, i);
  }
  await driver.close();
}

// Only when run as a program: client_bench.ts imports the types above.
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
