/**
 * The write matrix through node-zookeeper-client, the client most Node users run, in its own
 * process so its CPU is its own: N client sessions, each keeping M requests in flight through the
 * library's callback API (one connection per session, pipelined as the library does), latency per
 * request into a LatencyHistogram. Paths follow bench/workloads.ts's scheme, so a delete run removes
 * exactly what a create run made (each session its own nodes, counted).
 *
 * Run (one JSON spec in argv, one JSON result on stdout):
 *   node --import tsx bench/nzc_load.ts '{"connect":"127.0.0.1:2181","workload":"create","valueBytes":100,"sessions":8,"inFlight":16,"warmupMs":2000,"durationMs":8000,"runTag":"n1"}'
 */
import zookeeper from "node-zookeeper-client";
import { LatencyHistogram } from "./histogram.ts";
import { KEY_COUNT_DEFAULT, MULTI_CREATES, valueOf, type Workload, workloadPaths } from "./workloads.ts";
import { suffixedPath } from "./wire.ts";

/** One nzc run. */
export interface NzcLoadSpec {
  connect: string;
  workload: Workload;
  valueBytes: number;
  sessions: number;
  inFlight: number;
  warmupMs: number;
  durationMs: number;
  runTag: string;
  /** Count mode, one quota per session (a delete run removing what a create run made). */
  sessionQuotas?: number[];
}

/** What an nzc run measured. */
export interface NzcLoadResult {
  ops: number;
  seconds: number;
  errors: number;
  firstError: string | null;
  cpuMs: number;
  maxUs: number;
  /** Sparse histogram counts: [bucket, count]. */
  histogram: [number, number][];
  sentPerSession: number[];
}

/** The part of node-zookeeper-client's (untyped) API used here. */
interface NzcClient {
  once(event: "connected", listener: () => void): void;
  connect(): void;
  close(): void;
  create(path: string, data: Buffer, acls: unknown, mode: number, callback: (error: unknown) => void): void;
  setData(path: string, data: Buffer, version: number, callback: (error: unknown) => void): void;
  getData(path: string, callback: (error: unknown) => void): void;
  remove(path: string, version: number, callback: (error: unknown) => void): void;
  transaction(): { create(path: string, data: Buffer, acls: unknown, mode: number): unknown; commit(callback: (error: unknown) => void): void };
}

const CONNECT_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 60_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One session: its client, what it sends next, how many it sent. */
class NzcSession {
  sent = 0;
  outstanding = 0;
  constructor(readonly client: NzcClient, readonly index: number, readonly quota: number) {}
}

/** Sends the seq-th request of a session's workload; calls back when it completes. */
function requester(spec: NzcLoadSpec): (s: NzcSession, seq: number, done: (error: unknown) => void) => void {
  const data = Buffer.from(valueOf(spec.valueBytes));
  const paths = workloadPaths(spec.valueBytes, spec.runTag);
  const acl = zookeeper.ACL.OPEN_ACL_UNSAFE;
  const persistent = zookeeper.CreateMode.PERSISTENT;
  const own = (s: NzcSession, n: number) => suffixedPath(`${paths.createParent}/n0-s${s.index}-`, n);
  const key = (s: NzcSession, seq: number) => suffixedPath(paths.keyPrefix, ((s.index * 104_729) + seq * 31) % KEY_COUNT_DEFAULT);
  switch (spec.workload) {
    case "create":
      return (s, seq, done) => s.client.create(own(s, seq), data, acl, persistent, done);
    case "delete":
      return (s, seq, done) => s.client.remove(own(s, seq), -1, done);
    case "setData":
      return (s, seq, done) => s.client.setData(key(s, seq), data, -1, done);
    case "getData":
      return (s, seq, done) => s.client.getData(key(s, seq), done);
    case "mix":
      return (s, seq, done) => (seq % 10 === 9 ? s.client.setData(key(s, seq), data, -1, done) : s.client.getData(key(s, seq), done));
    case "multiCreate":
      return (s, seq, done) => {
        const t = s.client.transaction();
        for (let i = 0; i < MULTI_CREATES; i++) {
          t.create(suffixedPath(`${paths.createParent}/nm0-s${s.index}-`, seq * MULTI_CREATES + i), data, acl, persistent);
        }
        t.commit(done);
      };
    default:
      throw new Error(`nzc load: workload ${spec.workload} is not supported`);
  }
}

async function connectSession(connect: string): Promise<NzcClient> {
  const client = zookeeper.createClient(connect, { sessionTimeout: 30_000, retries: 0 }) as NzcClient;
  const connected = new Promise<void>((resolve) => client.once("connected", resolve));
  client.connect();
  await withTimeout(connected, CONNECT_TIMEOUT_MS, "nzc connect");
  return client;
}

/**
 * Runs one spec against a server.
 * @example const result = await runNzcLoad({ connect: "127.0.0.1:2181", workload: "setData", ... });
 */
export async function runNzcLoad(spec: NzcLoadSpec): Promise<NzcLoadResult> {
  const quotas = spec.sessionQuotas;
  const sessionCount = quotas?.length ?? spec.sessions;
  const clients = await Promise.all(Array.from({ length: sessionCount }, () => connectSession(spec.connect)));
  const sessions = clients.map((client, i) => new NzcSession(client, i, quotas?.[i] ?? Infinity));
  const send = requester(spec);
  const histogram = new LatencyHistogram();
  let measuring = quotas !== undefined;
  let stopping = false;
  let ops = 0;
  let errors = 0;
  let firstError: string | null = null;
  let drained: () => void = () => {};
  let outstanding = 0;
  const issue = (s: NzcSession) => {
    const seq = s.sent++;
    const sentMs = performance.now();
    s.outstanding++;
    outstanding++;
    send(s, seq, (error) => {
      s.outstanding--;
      outstanding--;
      if (measuring) {
        if (error === null || error === undefined) {
          histogram.recordMs(performance.now() - sentMs);
          ops++;
        } else {
          errors++;
          firstError ??= String(error);
        }
      }
      if (!stopping && s.sent < s.quota) issue(s);
      else if (outstanding === 0) drained();
    });
  };
  const allDone = new Promise<void>((resolve) => (drained = resolve));
  const cpu0 = process.cpuUsage();
  let t0 = performance.now();
  for (const s of sessions) for (let i = 0; i < Math.min(spec.inFlight, s.quota); i++) issue(s);
  if (outstanding === 0) drained();
  let seconds: number;
  let cpuMs: number;
  if (quotas !== undefined) {
    await withTimeout(allDone, 600_000, "nzc count run");
    seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    cpuMs = (cpu.user + cpu.system) / 1000;
  } else {
    await sleep(spec.warmupMs);
    measuring = true;
    t0 = performance.now();
    const cpu1 = process.cpuUsage();
    await sleep(spec.durationMs);
    measuring = false;
    seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu1);
    cpuMs = (cpu.user + cpu.system) / 1000;
    stopping = true;
    await withTimeout(allDone, DRAIN_TIMEOUT_MS, "nzc drain");
  }
  for (const client of clients) client.close();
  const sparse: [number, number][] = [];
  for (let i = 0; i < histogram.counts.length; i++) if (histogram.counts[i]! > 0) sparse.push([i, histogram.counts[i]!]);
  return { ops, seconds, errors, firstError, cpuMs, maxUs: histogram.maxUs, histogram: sparse, sentPerSession: sessions.map((s) => s.sent) };
}

// Only when run as a program: write_matrix.ts imports the types above.
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  runNzcLoad(JSON.parse(process.argv[2]!) as NzcLoadSpec).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
