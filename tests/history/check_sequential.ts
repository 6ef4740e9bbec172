import { type Anomaly, anomalyFactory } from "./anomaly.ts";
import { describeOp, groupByKey, type History, type HistoryOp, OpStatus, sequenceOf } from "./history.ts";

const anomaly = anomalyFactory("sequential");

/**
 * Sequential creates under one parent: each name carries a 10-digit suffix, no suffix is handed
 * out twice, and a create that was answered before another was invoked got the lower number.
 *
 * @example checkSequential(history) // [] when every parent's numbers are unique and in real-time order
 */
export function checkSequential(history: History): Anomaly[] {
  const anomalies: Anomaly[] = [];
  const created = groupByKey(history.ops, (op) => op.sequential === true && op.status === OpStatus.ok);
  for (const [parent, ops] of created) {
    const numbered: { op: HistoryOp; seq: number }[] = [];
    for (const op of ops) {
      const seq = sequenceOf(op.result?.name ?? "");
      if (seq === undefined) anomalies.push(anomaly(parent, "sequential name without a sequence number", `${describeOp(op)} returned no 10-digit suffix`, [op]));
      else numbered.push({ op, seq });
    }
    anomalies.push(...duplicates(parent, numbered), ...outOfOrder(parent, numbered));
  }
  return anomalies;
}

function duplicates(parent: string, numbered: readonly { op: HistoryOp; seq: number }[]): Anomaly[] {
  const bySeq = new Map<number, HistoryOp>();
  const found: Anomaly[] = [];
  for (const { op, seq } of numbered) {
    const first = bySeq.get(seq);
    if (first === undefined) bySeq.set(seq, op);
    else found.push(anomaly(parent, "sequence number handed out twice", `${describeOp(first)} and ${describeOp(op)} both got ${seq}`, [first, op]));
  }
  return found;
}

/** In descending number order, the earliest answer among higher numbers must not precede this invocation. */
function outOfOrder(parent: string, numbered: readonly { op: HistoryOp; seq: number }[]): Anomaly[] {
  const found: Anomaly[] = [];
  const descending = [...numbered].sort((a, b) => b.seq - a.seq);
  let earliest: { op: HistoryOp; seq: number } | undefined;
  for (const entry of descending) {
    if (earliest !== undefined && earliest.op.completedAt! < entry.op.invokedAt && earliest.seq > entry.seq) {
      const message = `${describeOp(earliest.op)} was answered before ${describeOp(entry.op)} was invoked, yet got the higher number`;
      found.push(anomaly(parent, "sequence numbers out of real-time order", message, [earliest.op, entry.op]));
    }
    if (earliest === undefined || entry.op.completedAt! < earliest.op.completedAt!) earliest = entry;
  }
  return found;
}
