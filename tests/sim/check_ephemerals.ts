import { OpCode } from "../../core/proto/op_code.ts";
import { EphemeralKind, ephemeralKind } from "../../core/tree/ephemeral_type.ts";
import type { DataTree } from "../../core/tree/data_tree.ts";
import { checkLinearizable, type EphemeralOp, ephemeralModel, type TimedOp, Verdict } from "../history/mod.ts";
import type { Violation } from "./checks.ts";
import { type CommittedTxn, flatTxns } from "./committed_history.ts";
import type { SessionLife } from "./sim_client.ts";
import { type HistoryEntry, isWriteOp } from "./sim_ops.ts";

/** What the ephemeral checks look at. */
export interface EphemeralRecord {
  readonly entries: readonly HistoryEntry[];
  readonly sessions: readonly SessionLife[];
  readonly committed: readonly CommittedTxn[];
  /** The converged ensemble's tree and live sessions (null: it did not converge). */
  readonly final: { readonly tree: DataTree; readonly liveSessions: ReadonlySet<bigint>; readonly atMs: number } | null;
}

const hex = (n: bigint) => `0x${n.toString(16)}`;

/**
 * Ephemerals vanish exactly when their session closes or expires:
 * - in the committed history no ephemeral is created for a session after that session's close;
 * - to clients, each ephemeral's life is linearizable (its create, its session's end, and every
 *   sync+exists of it fit one order in real time: it is there from its create until its session
 *   ends, and never before or after); a sync+exists that sees it names its creator as owner;
 * - in the final state, an ephemeral remains exactly when its session lives.
 */
export function checkEphemerals(record: EphemeralRecord): Violation[] {
  return [...createdAfterClose(record.committed), ...clientLives(record), ...finalState(record)].slice(0, 8);
}

function createdAfterClose(committed: readonly CommittedTxn[]): Violation[] {
  const closed = new Map<bigint, bigint>();
  const violations: Violation[] = [];
  for (const { header, txn } of committed) {
    if (txn.type === OpCode.closeSession) closed.set(header.sessionId, header.zxid);
    for (const sub of flatTxns(txn)) {
      if (!("ephemeralOwner" in sub) || ephemeralKind(sub.ephemeralOwner, false) !== EphemeralKind.session) continue;
      const closedAt = closed.get(sub.ephemeralOwner);
      if (closedAt !== undefined) {
        violations.push({ check: "ephemerals", detail: `${sub.path} created at ${hex(header.zxid)} for session ${hex(sub.ephemeralOwner)}, closed at ${hex(closedAt)}` });
      }
    }
  }
  return violations;
}

function clientLives(record: EphemeralRecord): Violation[] {
  const violations: Violation[] = [];
  const creates = record.entries.filter((e) => e.op.kind === "ephemeral" && e.outcome !== "fail" && e.outcome !== "pending");
  const checks = record.entries.filter((e) => e.op.kind === "checkEphemeral" && e.outcome === "ok");
  for (const create of creates) {
    const path = (create.op as { path: string }).path;
    const reads = checks.filter((e) => (e.op as { path: string }).path === path);
    for (const read of reads) {
      if (read.exists === true && read.owner !== create.sessionId) {
        violations.push({ check: "ephemerals", detail: `${path} (created by session ${hex(create.sessionId)}) was seen owned by ${hex(read.owner ?? 0n)}` });
      }
    }
    const ops = lifeOps(record, create, reads);
    const result = checkLinearizable(ops, ephemeralModel(), { maxSteps: 200_000 });
    if (result.verdict === Verdict.linearizable) continue;
    violations.push({ check: "ephemerals", detail: `${path}: ${result.verdict === Verdict.violation ? "its life is not linearizable" : `undecided (${result.reason})`}: ${describeLife(ops)}` });
  }
  return violations;
}

/** The create, the session's end (certain when closeSession was answered), and the reads, with their windows. */
function lifeOps(record: EphemeralRecord, create: HistoryEntry, reads: readonly HistoryEntry[]): TimedOp<EphemeralOp>[] {
  const ops: TimedOp<EphemeralOp>[] = [];
  const end = (e: HistoryEntry | null) => (e !== null && e.outcome === "ok" ? e.completeMs! : Number.POSITIVE_INFINITY);
  ops.push({ id: 0, op: { kind: "create", certain: create.outcome === "ok" }, invokedAt: create.invokeMs, returnedAt: end(create) });
  const session = create.sessionId;
  const close = record.entries.find((e) => e.sessionId === session && e.op.kind === "close" && e.outcome === "ok") ?? null;
  if (close !== null) {
    ops.push({ id: 1, op: { kind: "end", certain: true }, invokedAt: close.invokeMs, returnedAt: close.completeMs! });
  } else {
    // An expiry (or a close never answered) can happen any time after the session's last write
    // began: that write's txn was prepared while the session lived, so the close comes after it.
    ops.push({ id: 1, op: { kind: "end", certain: false }, invokedAt: lastWriteInvoked(record, session), returnedAt: Number.POSITIVE_INFINITY });
  }
  reads.forEach((read, i) => ops.push({ id: 2 + i, op: { kind: "exists", present: read.exists === true }, invokedAt: read.invokeMs, returnedAt: read.completeMs! }));
  return ops;
}

function lastWriteInvoked(record: EphemeralRecord, session: bigint): number {
  let last = record.sessions.find((s) => s.sessionId === session)?.startMs ?? 0;
  for (const e of record.entries) {
    if (e.sessionId === session && e.outcome === "ok" && isWriteOp(e.op) && e.op.kind !== "close" && e.invokeMs > last) last = e.invokeMs;
  }
  return last;
}

function describeLife(ops: readonly TimedOp<EphemeralOp>[]): string {
  return ops.map((o) => {
    const what = o.op.kind === "exists" ? `exists=${o.op.present}` : `${o.op.kind}${o.op.certain ? "" : "?"}`;
    return `${what} [${o.invokedAt.toFixed(1)}, ${o.returnedAt === Number.POSITIVE_INFINITY ? "..." : o.returnedAt.toFixed(1)}]`;
  }).join(", ");
}

/** At the end: every ephemeral's owner lives, and every acknowledged ephemeral of a live session is there. */
function finalState(record: EphemeralRecord): Violation[] {
  const final = record.final;
  if (final === null) return [];
  const violations: Violation[] = [];
  for (const [owner, paths] of final.tree.ephemerals) {
    if (ephemeralKind(owner, false) !== EphemeralKind.session || paths.size === 0 || final.liveSessions.has(owner)) continue;
    violations.push({ check: "ephemerals", detail: `at the end, ${[...paths].join(", ")} remain(s) of session ${hex(owner)}, which is gone` });
  }
  for (const create of record.entries) {
    if (create.op.kind !== "ephemeral" || create.outcome !== "ok" || !final.liveSessions.has(create.sessionId)) continue;
    if (final.tree.getNode(create.op.path) === undefined) {
      violations.push({ check: "ephemerals", detail: `at the end, ${create.op.path} is gone though its session ${hex(create.sessionId)} lives` });
    }
  }
  return violations;
}
