import { type Anomaly, anomalyFactory } from "./anomaly.ts";
import { LOST_WRITE } from "./check_lost_writes.ts";
import { describeOp, groupByKey, type History, type HistoryOp, OpKind, OpStatus } from "./history.ts";

const anomaly = anomalyFactory("queue");

/**
 * A queue of sequential znodes: every dequeued or remaining element was enqueued (no phantoms),
 * no element is taken twice or taken and still there, none is taken before its enqueue was
 * invoked, and every acknowledged enqueue was taken, is still there, or was being deleted by a
 * dequeue whose outcome is unknown (else it is lost; this part needs the final state).
 *
 * @example checkQueues(history).filter((a) => a.kind === LOST_WRITE).length // lost elements
 */
export function checkQueues(history: History): Anomaly[] {
  const anomalies: Anomaly[] = [];
  const enqueues = groupByKey(history.ops, (op) => op.kind === OpKind.enqueue && op.status !== OpStatus.fail);
  const dequeues = groupByKey(history.ops, (op) => op.kind === OpKind.dequeue && op.status === OpStatus.ok);
  // A dequeue with an unknown outcome names the element it was deleting (its `value`): it may have taken it.
  const maybeTaken = new Set(history.ops.filter((op) => op.kind === OpKind.dequeue && op.status === OpStatus.unknown && op.value !== undefined).map((op) => `${op.key}\u0000${op.value}`));
  const parents = new Set([...enqueues.keys(), ...dequeues.keys(), ...Object.keys(history.final?.queues ?? {})]);
  for (const parent of parents) {
    const byValue = new Map((enqueues.get(parent) ?? []).map((op) => [op.value!, op]));
    const taken = checkDequeues(parent, byValue, dequeues.get(parent) ?? [], anomalies);
    const remaining = history.final?.queues[parent];
    if (remaining === undefined) continue;
    const left = new Set<string>();
    for (const element of remaining) {
      left.add(element.value);
      if (!byValue.has(element.value)) anomalies.push(anomaly(parent, "phantom element", `${element.name} (${element.value}) remains but was never enqueued`, []));
      const took = taken.get(element.value);
      if (took !== undefined) anomalies.push(anomaly(parent, "dequeued element still present", `${element.name} remains after ${describeOp(took)}`, [took]));
    }
    for (const op of byValue.values()) {
      if (op.status !== OpStatus.ok || taken.has(op.value!) || left.has(op.value!) || maybeTaken.has(`${parent}\u0000${op.value}`)) continue;
      anomalies.push(anomaly(parent, LOST_WRITE, `${describeOp(op)} was acknowledged, never dequeued, and is not in the final queue`, [op]));
    }
  }
  return anomalies;
}

/** Checks each successful dequeue against the enqueues; returns the dequeues by value. */
function checkDequeues(parent: string, byValue: ReadonlyMap<string, HistoryOp>, dequeues: readonly HistoryOp[], anomalies: Anomaly[]): Map<string, HistoryOp> {
  const taken = new Map<string, HistoryOp>();
  for (const op of dequeues) {
    const value = op.result!.value!;
    const enqueue = byValue.get(value);
    const first = taken.get(value);
    if (enqueue === undefined) anomalies.push(anomaly(parent, "phantom element", `${describeOp(op)} took ${value}, which was never enqueued`, [op]));
    else if (op.completedAt! < enqueue.invokedAt) anomalies.push(anomaly(parent, "dequeued before enqueued", `${describeOp(op)} answered before ${describeOp(enqueue)} was invoked`, [op, enqueue]));
    else if (enqueue.status === OpStatus.ok && enqueue.result?.name !== op.result?.name) {
      anomalies.push(anomaly(parent, "element under another name", `${describeOp(op)} took ${value} as ${op.result?.name}, enqueued as ${enqueue.result?.name}`, [op, enqueue]));
    }
    if (first !== undefined) anomalies.push(anomaly(parent, "element dequeued twice", `${describeOp(first)} and ${describeOp(op)}`, [first, op]));
    else taken.set(value, op);
  }
  return taken;
}
