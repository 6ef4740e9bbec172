import type { Anomaly } from "./anomaly.ts";
import { describeOp, groupByKey, type History, type HistoryOp, OpKind, OpStatus } from "./history.ts";

/** The kind every checker uses for an acknowledged write that is gone, so reports can count them. */
export const LOST_WRITE = "lost acknowledged write";

const isRegisterOp = (op: HistoryOp) => op.kind === OpKind.read || op.kind === OpKind.write || op.kind === OpKind.cas;

/**
 * Acknowledged register writes whose effect is gone. A write acked with version k is lost when
 * another acked write or any read shows version k with other data (version k was handed out
 * twice: one of them was rolled back), or when the final state has a version below k.
 *
 * @example checkLostRegisterWrites(history).length // 0
 */
export function checkLostRegisterWrites(history: History): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (const [key, ops] of groupByKey(history.ops, isRegisterOp)) {
    const seen = ops.filter((op) => op.status === OpStatus.ok && op.result?.version !== undefined);
    const byVersion = new Map<number, HistoryOp[]>();
    for (const op of seen) byVersion.set(op.result!.version!, [...(byVersion.get(op.result!.version!) ?? []), op]);
    const final = history.final?.registers[key];
    for (const write of seen.filter((op) => op.kind !== OpKind.read)) {
      const version = write.result!.version!;
      const contradiction = byVersion.get(version)!.find((other) => other !== write && dataOf(other) !== write.value);
      let why: string | undefined;
      if (contradiction !== undefined) why = `version ${version} also shows other data: ${describeOp(contradiction)}`;
      else if (final !== undefined && final.version < version) why = `the final state has version ${final.version} < ${version}`;
      else if (final !== undefined && final.version === version && final.value !== write.value) why = `the final state has version ${version} with data ${final.value}`;
      if (why === undefined) continue;
      const ids = contradiction === undefined ? [write.id] : [write.id, contradiction.id];
      anomalies.push({ checker: "lost-writes", kind: LOST_WRITE, key, message: `${describeOp(write)} is lost: ${why}`, ops: ids });
    }
  }
  return anomalies;
}

/** What the operation says the register held at its version: read data, or written data. */
function dataOf(op: HistoryOp): string | undefined {
  return op.kind === OpKind.read ? op.result?.value : op.value;
}
