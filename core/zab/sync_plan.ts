import type { CommittedHistory, HistoryEntry } from "./history.ts";
import { counterOf, epochOf } from "../proto/zxid.ts";

/** How a leader brings one learner up to date. */
export const SyncMode = { diff: "DIFF", trunc: "TRUNC", snap: "SNAP" } as const;
/** One of {@link SyncMode}. */
export type SyncMode = (typeof SyncMode)[keyof typeof SyncMode];

/**
 * The leader's plan for a learner: the packet that opens the sync (DIFF or TRUNC with its zxid,
 * or SNAP), then the committed txns to send as PROPOSAL+COMMIT pairs (empty for SNAP).
 */
export interface SyncPlan {
  readonly mode: SyncMode;
  /** DIFF: the leader's last committed zxid; TRUNC: where the learner must cut its log. */
  readonly zxid: bigint;
  readonly entries: readonly HistoryEntry[];
  /** The zxid the learner holds once the plan is carried out (before forwarding starts). */
  readonly syncedTo: bigint;
}

/**
 * Decides DIFF, TRUNC or SNAP the way ZooKeeper's LearnerHandler.syncFollower does, from the
 * learner's last logged zxid and the leader's in-memory committed history:
 * - already in sync: an empty DIFF;
 * - ahead of everything the leader has (same epoch history): TRUNC to the leader's last zxid;
 * - inside the window: DIFF with the txns after it, or TRUNC to the last common zxid first when the
 *   learner holds txns the leader never committed, unless that would cross an epoch (then SNAP);
 * - older than the window: SNAP.
 * A learner whose zxid starts an epoch (counter 0) has no txn at that zxid: it gets a DIFF.
 */
export function planSync(history: CommittedHistory, peerLastZxid: bigint, lastCommitted: bigint): SyncPlan {
  const isPeerNewEpochZxid = counterOf(peerLastZxid) === 0n;
  const minCommitted = history.minZxid ?? lastCommitted;
  const maxCommitted = history.maxZxid ?? lastCommitted;
  const snap: SyncPlan = { mode: SyncMode.snap, zxid: lastCommitted, entries: [], syncedTo: lastCommitted };
  if (peerLastZxid === lastCommitted) return { mode: SyncMode.diff, zxid: peerLastZxid, entries: [], syncedTo: peerLastZxid };
  if (peerLastZxid > maxCommitted && !isPeerNewEpochZxid) {
    return { mode: SyncMode.trunc, zxid: maxCommitted, entries: [], syncedTo: maxCommitted };
  }
  if (peerLastZxid < minCommitted || history.size === 0) return snap;
  return planFromWindow(history, peerLastZxid, maxCommitted, isPeerNewEpochZxid) ?? snap;
}

/** queueCommittedProposals: walk the window from the learner's zxid; null means "send a SNAP". */
function planFromWindow(
  history: CommittedHistory,
  peerLastZxid: bigint,
  maxCommitted: bigint,
  isPeerNewEpochZxid: boolean,
): SyncPlan | null {
  let opening: { mode: SyncMode; zxid: bigint } | null = null;
  let previous = -1n;
  const entries: HistoryEntry[] = [];
  for (const entry of history.entries()) {
    if (entry.zxid < peerLastZxid) {
      previous = entry.zxid;
      continue;
    }
    if (opening === null) {
      if (entry.zxid === peerLastZxid) {
        opening = { mode: SyncMode.diff, zxid: maxCommitted };
        continue;
      }
      if (isPeerNewEpochZxid) {
        opening = { mode: SyncMode.diff, zxid: maxCommitted };
      } else {
        // The learner holds txns we never committed: cut back to the last common one, but never
        // across an epoch (the learner cannot truncate into another epoch's history).
        if (epochOf(entry.zxid) !== epochOf(peerLastZxid) || previous < 0n) return null;
        opening = { mode: SyncMode.trunc, zxid: previous };
      }
    }
    entries.push(entry);
  }
  if (opening === null) {
    if (!isPeerNewEpochZxid) return null;
    opening = { mode: SyncMode.diff, zxid: maxCommitted };
  }
  return { ...opening, entries, syncedTo: maxCommitted };
}
