import { type Anomaly, countByKind } from "./anomaly.ts";
import { checkLocks } from "./check_locks.ts";
import { checkLostRegisterWrites, LOST_WRITE } from "./check_lost_writes.ts";
import { checkQueues } from "./check_queue.ts";
import { checkRegisters, type RegisterVerdict, SyncReads } from "./check_registers.ts";
import { checkSequential } from "./check_sequential.ts";
import { checkSessions } from "./check_sessions.ts";
import { type History, OpStatus } from "./history.ts";
import type { SearchBudget } from "./linearizability.ts";

/** The kind of a reported (not counted) stale read after sync. */
export const STALE_SYNC_READ = "stale read after sync";

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
  /**
   * With `syncReads: "report"`: registers whose history stops being linearizable once the reads
   * after a sync are added (stale synced reads), reported and not counted as anomalies.
   */
  staleSyncReads: Anomaly[];
  /** True when nothing was found wrong and everything was decided. */
  valid: boolean;
}

/** How to check a history. */
export interface CheckOptions {
  budget?: SearchBudget;
  /** Default "linearizable": reads after a sync are held to linearizability like quorum reads. */
  syncReads?: SyncReads;
}

/**
 * Runs every checker: linearizability per register, lost acknowledged writes, sequential
 * numbering, queue integrity, lock mutual exclusion, per-session zxid and read-your-writes.
 *
 * @example const report = checkHistory(history); if (!report.valid) console.log(report.anomalies);
 */
export function checkHistory(history: History, options: CheckOptions = {}): HistoryReport {
  const strictSync = (options.syncReads ?? SyncReads.linearizable) === SyncReads.linearizable;
  const registers = checkRegisters(history, options.budget, strictSync);
  // Reported, not counted: the same search once more with the synced reads in.
  const staleSyncReads = strictSync ? [] : checkRegisters(history, options.budget, true).anomalies
    .filter((a) => !registers.anomalies.some((strict) => strict.key === a.key))
    .map((a) => ({ ...a, kind: STALE_SYNC_READ }));
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
    staleSyncReads,
    valid: anomalies.length === 0 && registers.undecided.length === 0,
  };
}
