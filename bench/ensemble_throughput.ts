/**
 * Throughput and latency of a 3-member ensemble: the standalone benchmark's load generator
 * (bench/load.ts) pointed at one member (a follower, which forwards writes to the leader, or the
 * leader itself) or spread over all members (session i on member i mod 3).
 */
import { waitForSameZxid } from "../tests/support/ensemble_writes.ts";
import type { BenchEnsemble, EnsembleKind } from "./ensemble_members.ts";
import { type LoadResult, prepareKeys, runLoad } from "./load.ts";
import { loadAverage1m } from "./machine.ts";
import { Workload } from "./workloads.ts";

/** Which members a row's sessions connect to. */
export const Via = {
  /** All sessions on one follower: writes are forwarded to the leader. */
  follower: "follower",
  /** All sessions on the leader. */
  leader: "leader",
  /** Session i on member i mod 3. */
  all: "all members",
} as const;
/** One of {@link Via}. */
export type Via = (typeof Via)[keyof typeof Via];

/** One row of the table: a workload, a value size, and where the sessions go. */
export interface ThroughputCase {
  workload: Workload;
  valueBytes: number;
  via: Via;
}

/** What one row measured on one ensemble. */
export interface ThroughputRow extends LoadResult {
  server: EnsembleKind;
  via: Via;
  /** The member(s) the sessions connected to. */
  members: number[];
  /** The box's 1-minute load average before the row (the box is shared). */
  loadAverage: number;
}

/** How hard and how long. */
export interface ThroughputLoad {
  sessions: number;
  inFlight: number;
  warmupMs: number;
  durationMs: number;
  /** Mixed load through every member (and creates through the leader) before the first row. */
  globalWarmupMs: number;
}

/** The rows of a full run: writes both ways, reads and the mixed load over all members, two value sizes. */
export const FULL_CASES: readonly ThroughputCase[] = [
  ...[100, 1024].flatMap((valueBytes) => [
    { workload: Workload.create, valueBytes, via: Via.follower },
    { workload: Workload.create, valueBytes, via: Via.leader },
    { workload: Workload.setData, valueBytes, via: Via.follower },
    { workload: Workload.setData, valueBytes, via: Via.leader },
    { workload: Workload.getData, valueBytes, via: Via.all },
    { workload: Workload.mix, valueBytes, via: Via.all },
  ]),
];

/** The rows of a quick run: 100-byte values only. */
export const QUICK_CASES: readonly ThroughputCase[] = FULL_CASES.filter((c) => c.valueBytes === 100);

/**
 * Creates every key set the cases read (through the leader, then waits until every member has
 * applied them) and warms the ensemble up: the JVM compiles its hot paths during the first
 * seconds of load, and both kinds get the same treatment.
 */
export async function prepareAndWarm(bench: BenchEnsemble, cases: readonly ThroughputCase[], load: ThroughputLoad): Promise<void> {
  const { leader } = await bench.roles();
  for (const valueBytes of new Set(cases.map((c) => c.valueBytes))) {
    await prepareKeys({ ...bench.target(leader), valueBytes, runTag: `v${valueBytes}` });
  }
  await waitForSameZxid(bench.ensemble);
  const base = { ...bench.target(leader), valueBytes: 100, sessions: load.sessions, inFlight: load.inFlight, workers: 1, warmupMs: 0 };
  const half = Math.round(load.globalWarmupMs / 2);
  await runLoad({ ...base, targets: bench.targets(), workload: Workload.mix, durationMs: half, runTag: "warm" });
  await prepareKeys({ ...bench.target(leader), valueBytes: 100, runTag: "warm" });
  await runLoad({ ...base, workload: Workload.create, durationMs: half, runTag: "warm" });
}

/**
 * Runs one row against one ensemble: prepares the row's create parent, waits until every member
 * has it, then measures.
 */
export async function runThroughputCase(bench: BenchEnsemble, c: ThroughputCase, index: number, load: ThroughputLoad): Promise<ThroughputRow> {
  const roles = await bench.roles();
  const members = c.via === Via.all ? bench.ids : [c.via === Via.leader ? roles.leader : roles.followers[0]!];
  const runTag = `r${index}`;
  await prepareKeys({ ...bench.target(roles.leader), valueBytes: c.valueBytes, runTag });
  await waitForSameZxid(bench.ensemble);
  const loadAverage = loadAverage1m();
  const result = await runLoad({
    ...bench.target(members[0]!),
    targets: members.map((id) => bench.target(id)),
    workload: c.workload,
    valueBytes: c.valueBytes,
    sessions: load.sessions,
    inFlight: load.inFlight,
    workers: 1,
    warmupMs: load.warmupMs,
    durationMs: load.durationMs,
    runTag,
    serverPids: bench.pids(),
  });
  const row: ThroughputRow = { ...result, server: bench.kind, via: c.via, members, loadAverage };
  console.error(`[${bench.kind}] ${c.workload} ${c.valueBytes} B via ${c.via} (${members.join(",")}): ${result.opsPerSec.toFixed(0)} ops/s, ` +
    `p50 ${result.p50Ms.toFixed(2)} p99 ${result.p99Ms.toFixed(2)} p99.9 ${result.p999Ms.toFixed(2)} ms, servers CPU ${result.serverCpuPct?.toFixed(0)} %, load avg ${loadAverage}` +
    (Object.keys(result.errors).length > 0 ? `, errors ${JSON.stringify(result.errors)}` : ""));
  return row;
}
