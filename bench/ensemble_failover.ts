/**
 * Leader failover under load: one client session that knows every member keeps creates
 * pipelined; the leader is SIGKILLed; the figure is the time from the kill to the first create
 * acknowledged with a zxid of the new leader's epoch. The new leader's own election time comes
 * from its mntr (election_time, which ZooKeeper and Paddock both keep). The killed member is then
 * restarted and the ensemble left to settle before the next round.
 */
import type { Stat } from "../mod.ts";
import { PipelinedWriter } from "../tests/support/ensemble_writes.ts";
import { type BenchEnsemble, type EnsembleKind, summaryOf } from "./ensemble_members.ts";
import { loadAverage1m } from "./machine.ts";

/** How a failover round runs. */
export interface FailoverLoad {
  /** Creates in flight from the writer's session. */
  window: number;
  /** Steady writing before the kill. */
  steadyMs: number;
  /** Longest wait for the new leader's first acknowledgement. */
  timeoutMs: number;
  /**
   * The client's largest wait between reconnect attempts: small, so the figure measures the
   * servers rather than the client's backoff (its default is up to 1 s).
   */
  reconnectDelayMaxMs: number;
}

/** Defaults for {@link FailoverLoad}. */
export const FAILOVER_LOAD: FailoverLoad = { window: 16, steadyMs: 3000, timeoutMs: 120_000, reconnectDelayMaxMs: 20 };

/** One round's figures. */
export interface FailoverRound {
  server: EnsembleKind;
  round: number;
  killedLeader: number;
  newLeader: number;
  oldEpoch: number;
  newEpoch: number;
  /** SIGKILL of the leader to the first create acknowledged in the new epoch. */
  failoverMs: number;
  /** The new leader's election time for this election (mntr election_time), when it reported one. */
  electionMs: number | null;
  /** Creates acknowledged during the steady phase (the load the kill interrupted), per second. */
  steadyOpsPerSec: number;
  /** Creates whose outcome the client could not know (connection lost while in flight). */
  unknownWrites: number;
  /** Creates refused (must be 0). */
  refusedWrites: number;
  /** The killed member restarted: until it follows again with the leader's zxid, ms. */
  restartRejoinMs: number;
  loadAverage: number;
}

const SETTLE_MS = 2000;

function epochOf(zxid: bigint): number {
  return Number(zxid >> 32n);
}

/**
 * Runs one failover round on `bench` and leaves it with three members serving.
 *
 * @example const round = await failoverRound(zk, 1, FAILOVER_LOAD);
 */
export async function failoverRound(bench: BenchEnsemble, round: number, load: FailoverLoad): Promise<FailoverRound> {
  const { leader, followers } = await bench.roles();
  const loadAverage = loadAverage1m();
  let killedAt = Number.POSITIVE_INFINITY;
  let oldEpoch = Number.POSITIVE_INFINITY;
  let firstNewEpochAck: { at: number; epoch: number } | undefined;
  const onAck = (_name: string, stat: Stat) => {
    const epoch = epochOf(stat.czxid);
    if (firstNewEpochAck === undefined && epoch > oldEpoch) firstNewEpochAck = { at: performance.now(), epoch };
  };
  const writer = await PipelinedWriter.start(bench.ensemble.connectString(), `/failover-${round}`, {
    window: load.window,
    sessionTimeoutMs: 30_000,
    prefix: "f",
    onAck,
    client: { reconnectDelayMaxMs: load.reconnectDelayMaxMs },
  });
  let report;
  const elections = new Map<number, { count: number; sum: number }>();
  try {
    const ackedBefore = writer.ackedCount;
    await sleep(load.steadyMs);
    const steadyOpsPerSec = ((writer.ackedCount - ackedBefore) * 1000) / load.steadyMs;
    for (const id of followers) elections.set(id, summaryOf(await bench.mntr(id), "election_time"));
    oldEpoch = epochOf((await bench.ensemble.status(leader)).zxid ?? 0n);
    killedAt = performance.now();
    await bench.ensemble.kill(leader);
    await waitFor(() => firstNewEpochAck !== undefined, load.timeoutMs, `${bench.kind}: no create acknowledged by a new leader`);
    const failoverMs = firstNewEpochAck!.at - killedAt;
    report = await writer.stop();
    const newLeader = (await bench.roles()).leader;
    const before = elections.get(newLeader);
    const after = summaryOf(await bench.mntr(newLeader), "election_time");
    const electionMs = before !== undefined && after.count === before.count + 1 ? after.sum - before.sum : null;
    const restartRejoinMs = await restartAndSettle(bench, leader);
    const result: FailoverRound = {
      server: bench.kind, round, killedLeader: leader, newLeader, oldEpoch, newEpoch: firstNewEpochAck!.epoch, failoverMs, electionMs,
      steadyOpsPerSec, unknownWrites: report.unknown.size, refusedWrites: report.refused.length, restartRejoinMs, loadAverage,
    };
    console.error(`[${bench.kind}] failover ${round}: leader ${leader} killed, ${newLeader} leads; first write acknowledged after ${failoverMs.toFixed(0)} ms ` +
      `(election ${electionMs ?? "?"} ms), ${report.unknown.size} writes unknown, killed member back in ${restartRejoinMs.toFixed(0)} ms, load avg ${loadAverage}`);
    return result;
  } finally {
    if (report === undefined) await writer.stop().catch(() => undefined);
  }
}

/** Restarts the killed member and waits until it follows with the leader's zxid; returns restart -> caught up, ms. */
async function restartAndSettle(bench: BenchEnsemble, id: number): Promise<number> {
  const t0 = performance.now();
  await bench.ensemble.restart(id);
  const { caughtUpMs } = await bench.waitCaughtUp(id, t0);
  await bench.roles();
  await sleep(SETTLE_MS);
  return caughtUpMs;
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(2);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
