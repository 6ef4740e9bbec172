import type { DataTree } from "../../core/tree/data_tree.ts";
import { checkHistory, SyncReads } from "../history/mod.ts";
import type { Violation } from "./checks.ts";
import { toCheckedHistory } from "./sim_history.ts";
import type { HistoryEntry } from "./sim_ops.ts";

/** Search budget per register: a run's registers see a few dozen operations each. */
const BUDGET = { maxSteps: 2_000_000, maxCacheEntries: 500_000 };

/**
 * The client-visible history through tests/history's checkers, exact on virtual time:
 * linearizability per register for writes, CAS and sync+read (held to it: Paddock's sync is
 * linearizable), lost acknowledged writes against the final state, sequential numbering of the
 * queue in real-time order, no acknowledged enqueue lost, and per session: zxids never go back,
 * a session reads its own writes. A register the search cannot decide within its budget is
 * reported too (it neither passed nor failed).
 */
export function checkClientHistory(entries: readonly HistoryEntry[], finalTree: DataTree | null): Violation[] {
  const report = checkHistory(toCheckedHistory(entries, finalTree), { budget: BUDGET, syncReads: SyncReads.linearizable });
  return [
    ...report.anomalies.slice(0, 5).map((a) => ({ check: `history: ${a.checker}`, detail: `${a.kind}: ${a.message}` })),
    ...report.undecided.map((why) => ({ check: "history: linearizability", detail: `undecided within the search budget: ${why}` })),
  ];
}
