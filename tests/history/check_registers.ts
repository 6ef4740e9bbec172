import { describeOp, endOf, groupByKey, type History, type HistoryOp, OpKind, OpStatus, ReadBarrier } from "./history.ts";
import { checkLinearizable, type LinearizabilityResult, type SearchBudget, type TimedOp, Verdict } from "./linearizability.ts";
import { registerModel } from "./register_model.ts";
import type { Anomaly } from "./anomaly.ts";

/** One register's verdict. */
export interface RegisterVerdict {
  key: string;
  /** Operations that took part (checked reads, writes, CAS; unanswered reads left out). */
  ops: number;
  result: LinearizabilityResult;
}

/** What the register checker found. */
export interface RegisterReport {
  verdicts: RegisterVerdict[];
  anomalies: Anomaly[];
  /** Keys the search could not decide within its budget. */
  undecided: string[];
}

const CONTEXT_OPS = 12;

/** Whether reads after a sync() are held to linearizability, or only reported. */
export const SyncReads = {
  /** Checked like quorum reads: a stale one is an anomaly (Paddock's bar, issue 11). */
  linearizable: "linearizable",
  /** Checked apart and reported, not counted: ZooKeeper documents they can be stale (ZOOKEEPER-1675). */
  report: "report",
} as const;
/** One of {@link SyncReads}. */
export type SyncReads = (typeof SyncReads)[keyof typeof SyncReads];

/**
 * Reads, writes and CAS that constrain the register: answered reads after a quorum barrier, and
 * after a sync when `withSyncReads`; plain reads and unanswered reads never.
 */
export function registerOpsByKey(history: History, withSyncReads: boolean): Map<string, HistoryOp[]> {
  const checkedRead = (op: HistoryOp) =>
    op.kind === OpKind.read && op.status === OpStatus.ok && (op.barrier === ReadBarrier.quorum || (withSyncReads && op.barrier === ReadBarrier.sync));
  return groupByKey(history.ops, (op) => op.kind === OpKind.write || op.kind === OpKind.cas || checkedRead(op));
}

/**
 * Checks every register for linearizability on its own (P-compositionality: a history is
 * linearizable iff each object's sub-history is), each search within `budget`. Reads after a
 * sync count only with `withSyncReads` (default true).
 *
 * @example const report = checkRegisters(history, { maxSteps: 2e6 }); report.anomalies.length === 0
 */
export function checkRegisters(history: History, budget: SearchBudget = {}, withSyncReads = true): RegisterReport {
  const verdicts: RegisterVerdict[] = [];
  const anomalies: Anomaly[] = [];
  const undecided: string[] = [];
  for (const [key, ops] of registerOpsByKey(history, withSyncReads)) {
    const initial = history.initial[key];
    if (initial === undefined) throw new Error(`register ${key}: no initial value in the history`);
    const timed = timedWithSymmetry(ops);
    const result = checkLinearizable(timed, registerModel(initial), budget);
    verdicts.push({ key, ops: ops.length, result });
    if (result.verdict === Verdict.undecided) undecided.push(`${key}: ${result.reason}`);
    if (result.verdict === Verdict.violation) anomalies.push(explain(key, ops, result));
  }
  return { verdicts, anomalies, undecided };
}

/** Stands for the data of unknown writes nobody read: which one of them happened cannot matter. */
const UNOBSERVED = "\u0000unobserved";

/**
 * The operations with their windows. Unknown writes whose data no read returned differ only in
 * when they may happen: their data becomes one placeholder and they share a symmetry class
 * (per kind and expected version), so the search counts them instead of trying every subset.
 */
export function timedWithSymmetry(ops: readonly HistoryOp[]): TimedOp<HistoryOp>[] {
  const observed = new Set(ops.filter((op) => op.kind === OpKind.read && op.status === OpStatus.ok).map((op) => op.result?.value));
  return ops.map((op) => {
    const timed = { id: op.id, op, invokedAt: op.invokedAt, returnedAt: endOf(op) };
    if (op.status !== OpStatus.unknown || op.kind === OpKind.read || observed.has(op.value)) return timed;
    return { ...timed, op: { ...op, value: UNOBSERVED }, symmetryClass: `${op.kind}:${op.expectedVersion ?? ""}` };
  });
}

/** The violation with the story around it: the end of the longest order found, and the op that broke it. */
function explain(key: string, ops: readonly HistoryOp[], result: LinearizabilityResult): Anomaly {
  const byId = new Map(ops.map((op) => [op.id, op]));
  const prefix = result.longestPrefix ?? [];
  const blocked = result.blockedId === undefined ? undefined : byId.get(result.blockedId);
  const lines = [
    `register ${key} is not linearizable (${ops.length} ops, ${result.steps} search steps).`,
    `Longest linearizable order found: ${prefix.length} ops; its last ones:`,
    ...prefix.slice(-CONTEXT_OPS).map((id) => `  ${describeOp(byId.get(id)!)}`),
  ];
  if (blocked !== undefined) {
    lines.push(`No operation can come next without contradicting this one, which had already answered:`, `  ${describeOp(blocked)}`);
    const concurrent = ops.filter((op) => op !== blocked && op.invokedAt <= (blocked.completedAt ?? Infinity) && endOf(op) >= blocked.invokedAt);
    lines.push(`Operations overlapping it (${concurrent.length}):`, ...concurrent.slice(0, CONTEXT_OPS).map((op) => `  ${describeOp(op)}`));
  }
  return { checker: "linearizability", kind: "non-linearizable register", key, message: lines.join("\n"), ops: blocked === undefined ? prefix.slice(-1) : [blocked.id] };
}
