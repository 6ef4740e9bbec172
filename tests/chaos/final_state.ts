import { type Anomaly, anomalyFactory } from "../history/anomaly.ts";
import { type FinalState, OpKind, type QueueElement, ReadBarrier, type RegisterValue, sequenceOf } from "../history/history.ts";
import type { Ensemble } from "../support/ensemble.ts";
import type { ChaosClientLibrary, ChaosSession } from "./clients/chaos_client.ts";
import type { HistoryRecorder } from "./recorder.ts";
import { sleep, withTimeout } from "./workloads/actor.ts";

/** What the final reads need. */
export interface FinalReadOptions {
  ensemble: Ensemble;
  library: ChaosClientLibrary;
  recorder: HistoryRecorder;
  registers: readonly string[];
  queues: readonly string[];
  sessionTimeoutMs: number;
  opTimeoutMs: number;
  /** History process of the final reads of member `id`: base - id, apart from every actor. */
  processBase: number;
}

/** Each member's contents after the run, and where they differ. */
export interface FinalReads {
  /** What most members hold (all agree when `disagreements` is empty). */
  final: FinalState;
  byMember: Map<number, FinalState>;
  disagreements: Anomaly[];
}

const ATTEMPTS = 5;
const RETRY_MS = 500;
const anomaly = anomalyFactory("convergence");

/**
 * Once every fault is healed: connects to each member alone, passes a quorum barrier and reads
 * every register (recorded as quorum reads, so they take part in the linearizability check) and
 * every queue element, then compares the members: they must hold the same data.
 *
 * @example const { final, disagreements } = await readFinalState({ ensemble, library, recorder, ... });
 */
export async function readFinalState(opts: FinalReadOptions): Promise<FinalReads> {
  const byMember = new Map<number, FinalState>();
  for (const member of opts.ensemble.members) {
    const session = await openOn(opts, member.id);
    try {
      byMember.set(member.id, await readMember(opts, session, opts.processBase - member.id));
    } finally {
      await session.close();
    }
  }
  const [referenceId, reference] = majorityState(byMember);
  const disagreements: Anomaly[] = [];
  for (const [id, state] of byMember) if (id !== referenceId) disagreements.push(...compare(referenceId, reference, id, state));
  return { final: reference, byMember, disagreements };
}

/**
 * The contents most members hold (the first such member on a tie): the ensemble's state, so that
 * one diverged member shows as a disagreement rather than as every write it lacks being lost.
 */
function majorityState(byMember: ReadonlyMap<number, FinalState>): [number, FinalState] {
  const json = (state: FinalState) => JSON.stringify(state, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  const counts = new Map<string, { id: number; state: FinalState; count: number }>();
  for (const [id, state] of byMember) {
    const key = json(state);
    const seen = counts.get(key);
    if (seen === undefined) counts.set(key, { id, state, count: 1 });
    else seen.count++;
  }
  const best = [...counts.values()].reduce((a, b) => (b.count > a.count ? b : a));
  return [best.id, best.state];
}

function openOn(opts: FinalReadOptions, id: number): Promise<ChaosSession> {
  return retry(() => opts.library.open(opts.ensemble.connectString([id]), opts.sessionTimeoutMs));
}

async function readMember(opts: FinalReadOptions, zk: ChaosSession, process: number): Promise<FinalState> {
  const registers: Record<string, RegisterValue> = {};
  for (const key of opts.registers) registers[key] = await readRegister(opts, zk, process, key);
  const queues: Record<string, QueueElement[]> = {};
  for (const queue of opts.queues) queues[queue] = await retry(() => readQueue(opts, zk, queue));
  return { registers, queues };
}

/** Quorum barrier + getData, recorded like any quorum read; retried (as new operations) on errors. */
async function readRegister(opts: FinalReadOptions, zk: ChaosSession, process: number, key: string): Promise<RegisterValue> {
  return retry(async () => {
    const op = opts.recorder.invoke({ process, session: zk.sessionId, kind: OpKind.read, barrier: ReadBarrier.quorum, key });
    try {
      await withTimeout(zk.barrier(key), opts.opTimeoutMs);
      const data = await withTimeout(zk.getData(key), opts.opTimeoutMs);
      const value = { value: data.value ?? "", version: data.version, mzxid: data.mzxid };
      opts.recorder.ok(op, value, zk.lastZxid());
      return value;
    } catch (err) {
      opts.recorder.error(op, err);
      throw err;
    }
  });
}

async function readQueue(opts: FinalReadOptions, zk: ChaosSession, queue: string): Promise<QueueElement[]> {
  await withTimeout(zk.barrier(queue), opts.opTimeoutMs);
  const names = (await withTimeout(zk.getChildren(queue), opts.opTimeoutMs)).sort((a, b) => (sequenceOf(a) ?? 0) - (sequenceOf(b) ?? 0));
  const elements: QueueElement[] = [];
  for (const name of names) elements.push({ name, value: (await withTimeout(zk.getData(`${queue}/${name}`), opts.opTimeoutMs)).value ?? "" });
  return elements;
}

async function retry<T>(call: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      return await call();
    } catch (err) {
      last = err;
      await sleep(RETRY_MS);
    }
  }
  throw last;
}

function compare(firstId: number, first: FinalState, id: number, state: FinalState): Anomaly[] {
  const found: Anomaly[] = [];
  for (const [key, value] of Object.entries(first.registers)) {
    const other = state.registers[key];
    if (other?.value !== value.value || other.version !== value.version || other.mzxid !== value.mzxid) {
      found.push(anomaly(key, "members disagree", `${key}: member ${firstId} has ${show(value)}, member ${id} has ${other === undefined ? "nothing" : show(other)}`, []));
    }
  }
  for (const [queue, elements] of Object.entries(first.queues)) {
    const mine = JSON.stringify(elements);
    const theirs = JSON.stringify(state.queues[queue] ?? []);
    if (mine !== theirs) found.push(anomaly(queue, "members disagree", `${queue}: member ${firstId} has ${elements.length} elements, member ${id} ${state.queues[queue]?.length ?? 0} (or other ones)`, []));
  }
  return found;
}

function show(value: RegisterValue): string {
  return `${value.value} v${value.version} mzxid 0x${value.mzxid?.toString(16)}`;
}
