import { type Anomaly, anomalyFactory } from "./anomaly.ts";
import { type History, type LockHold, sequenceOf } from "./history.ts";

const anomaly = anomalyFactory("lock");

/**
 * Mutual exclusion of each lock: no two clients' holding intervals overlap in real time (each
 * interval runs from "my node is the lowest" to "I delete it" or "I lost my connection"). Also
 * the order the recipe implies: whoever acquires later holds a node created later (a higher
 * sequence number), since an older node still present would have been seen first.
 *
 * @example checkLocks(history) // [] when holders never overlapped
 */
export function checkLocks(history: History): Anomaly[] {
  const anomalies: Anomaly[] = [];
  const byLock = new Map<string, LockHold[]>();
  for (const hold of history.holds) byLock.set(hold.lock, [...(byLock.get(hold.lock) ?? []), hold]);
  for (const [lock, holds] of byLock) {
    const ordered = [...holds].sort((a, b) => a.acquiredAt - b.acquiredAt);
    let longest: LockHold | undefined;
    let previous: LockHold | undefined;
    for (const hold of ordered) {
      if (hold.releasedAt < hold.acquiredAt) throw new RangeError(`lock hold of ${hold.node} ends before it starts`);
      if (longest !== undefined && longest.releasedAt > hold.acquiredAt) {
        const overlapMs = Math.min(longest.releasedAt, hold.releasedAt) - hold.acquiredAt;
        anomalies.push(anomaly(lock, "lock held twice at once", `${describe(longest)} and ${describe(hold)} overlap by ${round(overlapMs)}`, []));
      }
      if (previous !== undefined && (sequenceOf(hold.node) ?? 0) < (sequenceOf(previous.node) ?? 0)) {
        anomalies.push(anomaly(lock, "lock granted out of order", `${describe(hold)} acquired after ${describe(previous)} with an older node`, []));
      }
      if (longest === undefined || hold.releasedAt > longest.releasedAt) longest = hold;
      previous = hold;
    }
  }
  return anomalies;
}

function describe(hold: LockHold): string {
  return `p${hold.process} ${hold.node} [${round(hold.acquiredAt)}, ${round(hold.releasedAt)}] (${hold.end})`;
}

function round(t: number): number {
  return Math.round(t * 10) / 10;
}
