/**
 * Rejoin by snapshot: an ensemble is filled with N znodes (one million by default), then a
 * follower is stopped, its data dir wiped (myid kept) and started again; the figure is the time
 * from its start to serving as a follower with the leader's last zxid. An empty member is too far
 * behind any txn log, so the leader sends a full snapshot (SNAP); the leader's mntr snap_count
 * (a counter both servers keep) confirms it did.
 */
import { waitForSameZxid } from "../tests/support/ensemble_writes.ts";
import type { BenchEnsemble, EnsembleKind } from "./ensemble_members.ts";
import { type LoadResult, prepareKeys, runLoad } from "./load.ts";
import { loadAverage1m } from "./machine.ts";
import { vmKb } from "./proc_stats.ts";
import { Workload } from "./workloads.ts";

/** How the tree is built and how often a member rejoins. */
export interface RejoinLoad {
  znodes: number;
  valueBytes: number;
  rounds: number;
  /** The fill's load shape: many in flight, it is a bulk load. */
  sessions: number;
  inFlight: number;
}

/** Defaults for {@link RejoinLoad}. */
export const REJOIN_LOAD: RejoinLoad = { znodes: 1_000_000, valueBytes: 100, rounds: 3, sessions: 8, inFlight: 64 };

/** How the tree was built on one ensemble. */
export interface RejoinFill {
  server: EnsembleKind;
  fill: LoadResult;
  /** What the leader reports once every member has the tree. */
  nodeCount: number;
  zxid: string;
  /** Resident memory of each member after the fill, MiB. */
  rssMiB: number[];
  loadAverage: number;
}

/** One rejoin. */
export interface RejoinRound {
  server: EnsembleKind;
  round: number;
  member: number;
  /** Start of the wiped member to its first `srvr` as a follower, ms. */
  servingMs: number;
  /** Start of the wiped member to serving as a follower with the leader's zxid, ms. */
  caughtUpMs: number;
  /** Snapshots the leader sent meanwhile (mntr snap_count): 1 means the member came back by SNAP. */
  snapsSent: number;
  /** Resident memory of the rejoined member, MiB. */
  rssMiB: number;
  loadAverage: number;
}

/**
 * Builds the tree: `znodes` creates of `valueBytes` through the leader, then waits until every
 * member has applied them.
 */
export async function fillEnsemble(bench: BenchEnsemble, load: RejoinLoad): Promise<RejoinFill> {
  const { leader } = await bench.roles();
  const loadAverage = loadAverage1m();
  await prepareKeys({ ...bench.target(leader), valueBytes: load.valueBytes, runTag: "fill", keyCount: 1 });
  console.error(`[${bench.kind}] creating ${load.znodes} znodes of ${load.valueBytes} B through leader ${leader}`);
  const fill = await runLoad({
    ...bench.target(leader), workload: Workload.create, valueBytes: load.valueBytes, sessions: load.sessions, inFlight: load.inFlight,
    workers: 1, warmupMs: 0, durationMs: 0, count: load.znodes, runTag: "fill", serverPids: bench.pids(),
  });
  if (Object.keys(fill.errors).length > 0) throw new Error(`${bench.kind}: the fill failed: ${JSON.stringify(fill.errors)}`);
  await waitForSameZxid(bench.ensemble, 600_000);
  const status = await bench.ensemble.status(leader);
  const rssMiB = bench.pids().map((pid) => Math.round(vmKb(pid, "VmRSS") / 1024));
  console.error(`[${bench.kind}] ${fill.ops} creates at ${fill.opsPerSec.toFixed(0)}/s; ${status.nodeCount} znodes, RSS ${rssMiB.join("/")} MiB`);
  return { server: bench.kind, fill, nodeCount: status.nodeCount ?? 0, zxid: `0x${status.zxid?.toString(16)}`, rssMiB, loadAverage };
}

/**
 * Stops a follower, wipes its data dir, starts it and times it back to a caught-up follower.
 *
 * @example const round = await rejoinRound(zk, 1);
 */
export async function rejoinRound(bench: BenchEnsemble, round: number): Promise<RejoinRound> {
  const { leader, followers } = await bench.roles();
  const member = followers[(round - 1) % followers.length]!;
  const snapsBefore = Number((await bench.mntr(leader)).get("snap_count") ?? 0);
  await bench.ensemble.member(member).process.stop();
  bench.wipeData(member);
  const loadAverage = loadAverage1m();
  const t0 = performance.now();
  bench.ensemble.member(member).process.start();
  const { servingMs, caughtUpMs } = await bench.waitCaughtUp(member, t0);
  const snapsSent = Number((await bench.mntr(leader)).get("snap_count") ?? 0) - snapsBefore;
  const rssMiB = Math.round(vmKb(bench.ensemble.member(member).process.pid!, "VmRSS") / 1024);
  console.error(`[${bench.kind}] rejoin ${round}: member ${member} wiped, serving after ${servingMs.toFixed(0)} ms, caught up after ${caughtUpMs.toFixed(0)} ms, ` +
    `${snapsSent} snapshot(s) sent, RSS ${rssMiB} MiB, load avg ${loadAverage}`);
  return { server: bench.kind, round, member, servingMs, caughtUpMs, snapsSent, rssMiB, loadAverage };
}
