/** One thing a checker found wrong, with enough context to find it in the history. */
export interface Anomaly {
  /** Which checker: linearizability, lost-writes, sequential, queue, lock, session. */
  checker: string;
  /** What went wrong, in a few words (the key for counting). */
  kind: string;
  /** The register, queue, lock or session concerned. */
  key?: string;
  /** A readable explanation. */
  message: string;
  /** Ids of the operations involved. */
  ops?: number[];
}

/**
 * A factory of anomalies for one checker, so each checker names itself once.
 *
 * @example const anomaly = anomalyFactory("queue"); anomaly("/q", "phantom element", "...", [op])
 */
export function anomalyFactory(checker: string): (key: string, kind: string, message: string, ops: readonly { id: number }[]) => Anomaly {
  return (key, kind, message, ops) => ({ checker, kind, key, message, ops: ops.map((op) => op.id) });
}

/**
 * Counts anomalies by kind, for reports.
 *
 * @example countByKind(anomalies) // { "lost acknowledged write": 2 }
 */
export function countByKind(anomalies: readonly Anomaly[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of anomalies) counts[a.kind] = (counts[a.kind] ?? 0) + 1;
  return counts;
}
