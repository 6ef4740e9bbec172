import { type Anomaly, anomalyFactory } from "./anomaly.ts";
import { describeOp, type History, type HistoryOp, OpKind, OpStatus } from "./history.ts";

const anomaly = anomalyFactory("session");

/**
 * ZooKeeper's per-session guarantees, which hold across reconnects to other servers: the zxid a
 * session sees never goes back; after its own write of a znode answers, its later reads of that
 * znode (synced or not) see that version or a newer one; its reads of a znode never go back.
 *
 * @example checkSessions(history) // [] for a history where no session ever saw the past
 */
export function checkSessions(history: History): Anomaly[] {
  const anomalies: Anomaly[] = [];
  const bySession = new Map<string, HistoryOp[]>();
  for (const op of history.ops) {
    if (op.session === undefined || op.status !== OpStatus.ok) continue;
    bySession.set(op.session, [...(bySession.get(op.session) ?? []), op]);
  }
  for (const [session, ops] of bySession) {
    const ordered = [...ops].sort((a, b) => a.completedAt! - b.completedAt!);
    anomalies.push(...zxidRegressions(session, ordered), ...staleOwnReads(session, ordered));
  }
  return anomalies;
}

function zxidRegressions(session: string, ordered: readonly HistoryOp[]): Anomaly[] {
  const found: Anomaly[] = [];
  let highest: HistoryOp | undefined;
  for (const op of ordered) {
    if (op.zxid === undefined) continue;
    if (highest !== undefined && op.zxid < highest.zxid!) {
      found.push(anomaly(session, "session zxid went back", `session ${session}: ${describeOp(op)} saw zxid 0x${op.zxid.toString(16)} after ${describeOp(highest)} saw 0x${highest.zxid!.toString(16)}`, [highest, op]));
    }
    if (highest === undefined || op.zxid > highest.zxid!) highest = op;
  }
  return found;
}

/** Per znode: the newest version this session wrote or read; a later read must not be older. */
function staleOwnReads(session: string, ordered: readonly HistoryOp[]): Anomaly[] {
  const found: Anomaly[] = [];
  const newest = new Map<string, HistoryOp>();
  for (const op of ordered) {
    const version = op.result?.version;
    if (version === undefined || (op.kind !== OpKind.read && op.kind !== OpKind.write && op.kind !== OpKind.cas)) continue;
    const before = newest.get(op.key);
    const seen = before?.result?.version;
    if (op.kind === OpKind.read && before !== undefined && seen !== undefined && version < seen && op.invokedAt >= before.completedAt!) {
      const kind = before.kind === OpKind.read ? "session read went back" : "session did not read its own write";
      found.push(anomaly(session, kind, `session ${session}: ${describeOp(op)} after ${describeOp(before)}`, [before, op]));
    }
    if (seen === undefined || version > seen) newest.set(op.key, op);
  }
  return found;
}
