import { type Anomaly, countByKind } from "./anomaly.ts";
import { checkLocks } from "./check_locks.ts";
import { checkLostRegisterWrites, LOST_WRITE } from "./check_lost_writes.ts";
import { checkQueues } from "./check_queue.ts";
import { checkRegisters, type RegisterVerdict } from "./check_registers.ts";
import { checkSequential } from "./check_sequential.ts";
import { checkSessions } from "./check_sessions.ts";
import { type History, OpStatus } from "./history.ts";
import type { SearchBudget } from "./linearizability.ts";

/** Every checker's findings over one history. */
export interface HistoryReport {
  ops: { total: number; ok: number; fail: number; unknown: number; byKind: Record<string, number> };
  lockHolds: number;
  registers: RegisterVerdict[];
  anomalies: Anomaly[];
  anomaliesByKind: Record<string, number>;
  /** Acknowledged writes (register writes, enqueues) whose effect is gone. */
  lostWrites: number;
  /** Registers whose linearizability search ran out of budget: neither passed nor failed. */
  undecided: string[];
  /** True when nothing was found wrong and everything was decided. */
  valid: boolean;
}

/**
 * Runs every checker: linearizability per register, lost acknowledged writes, sequential
 * numbering, queue integrity, lock mutual exclusion, per-session zxid and read-your-writes.
 *
 * @example const report = checkHistory(history); if (!report.valid) console.log(report.anomalies);
 */
export function checkHistory(history: History, budget: SearchBudget = {}): HistoryReport {
  const registers = checkRegisters(history, budget);
  const anomalies = [
    ...registers.anomalies,
    ...checkLostRegisterWrites(history),
    ...checkSequential(history),
    ...checkQueues(history),
    ...checkLocks(history),
    ...checkSessions(history),
  ];
  const byKind: Record<string, number> = {};
  for (const op of history.ops) byKind[op.kind] = (byKind[op.kind] ?? 0) + 1;
  const count = (status: OpStatus) => history.ops.filter((op) => op.status === status).length;
  return {
    ops: { total: history.ops.length, ok: count(OpStatus.ok), fail: count(OpStatus.fail), unknown: count(OpStatus.unknown), byKind },
    lockHolds: history.holds.length,
    registers: registers.verdicts,
    anomalies,
    anomaliesByKind: countByKind(anomalies),
    lostWrites: anomalies.filter((a) => a.kind === LOST_WRITE).length,
    undecided: registers.undecided,
    valid: anomalies.length === 0 && registers.undecided.length === 0,
  };
}
