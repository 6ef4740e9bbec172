import type { DataTree } from "../../core/tree/data_tree.ts";
import { type History, type HistoryOp, OpKind, OpStatus, ReadBarrier } from "../history/mod.ts";
import type { HistoryEntry } from "./sim_ops.ts";
import { QUEUE, REGISTERS } from "./workload.ts";

const decoder = new TextDecoder();

/**
 * The clients' history in the shape tests/history's checkers read (Jepsen's: invocation and
 * completion times, here exact virtual milliseconds): register writes, CAS, reads (plain, and
 * after a sync), and queue enqueues; with the registers' initial contents (created empty) and,
 * when the ensemble converged, the final state read from a member's tree.
 */
export function toCheckedHistory(entries: readonly HistoryEntry[], finalTree: DataTree | null): History {
  const ops: HistoryOp[] = [];
  for (const entry of entries) {
    const op = toHistoryOp(entry, ops.length);
    if (op !== null) ops.push(op);
  }
  const initial = Object.fromEntries(REGISTERS.map((key) => [key, { value: "", version: 0 }]));
  return { ops, holds: [], initial, final: finalTree === null ? undefined : finalState(finalTree) };
}

function toHistoryOp(entry: HistoryEntry, id: number): HistoryOp | null {
  const op = entry.op;
  if (entry.outcome === "pending") return null;
  const base = {
    id,
    process: entry.client,
    session: entry.sessionId === 0n ? undefined : entry.sessionId.toString(16),
    status: entry.outcome === "ok" ? OpStatus.ok : entry.outcome === "fail" ? OpStatus.fail : OpStatus.unknown,
    error: entry.error,
    invokedAt: entry.invokeMs,
    completedAt: entry.completeMs ?? undefined,
    zxid: entry.outcome === "ok" ? entry.replyZxid : undefined,
  };
  const result = entry.outcome !== "ok" ? undefined : { value: entry.value, version: entry.version, mzxid: entry.txnZxid };
  switch (op.kind) {
    case "write":
      return { ...base, kind: OpKind.write, key: op.key, value: op.value, result };
    case "cas":
      return { ...base, kind: OpKind.cas, key: op.key, value: op.value, expectedVersion: op.version, result };
    case "read":
    case "watchRead":
      return { ...base, kind: OpKind.read, key: op.key, result };
    case "syncRead":
      return { ...base, kind: OpKind.read, key: op.key, barrier: ReadBarrier.sync, result };
    case "enqueue": {
      const name = entry.created?.slice(entry.created.lastIndexOf("/") + 1);
      return { ...base, kind: OpKind.enqueue, key: op.queue, sequential: true, value: op.value, result: result === undefined ? undefined : { name } };
    }
    default:
      return null;
  }
}

function finalState(tree: DataTree): NonNullable<History["final"]> {
  const registers: NonNullable<History["final"]>["registers"] = {};
  for (const key of REGISTERS) {
    const node = tree.getNode(key);
    if (node !== undefined) registers[key] = { value: decoder.decode(node.data), version: node.version, mzxid: node.mzxid };
  }
  const prefix = `${QUEUE}/`;
  const elements = [...tree.nodes.keys()].filter((p) => p.startsWith(prefix)).sort()
    .map((p) => ({ name: p.slice(prefix.length), value: decoder.decode(tree.getNode(p)!.data) }));
  return { registers, queues: { [QUEUE]: elements } };
}
