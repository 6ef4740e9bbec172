import { type HistoryOp, type History, HoldEnd, type LockHold, type OpResult, OpStatus, type RegisterValue } from "../history/history.ts";
import { ChaosClientError } from "./clients/chaos_client.ts";

/** Errors that are the server's definite answer: the operation did not change anything. */
const DEFINITE_FAILURES = new Set(["BADVERSION", "NONODE", "NODEEXISTS", "NOTEMPTY", "NOCHILDRENFOREPHEMERALS", "NOAUTH"]);

/** The fields an operation is invoked with. */
export type Invocation = Omit<HistoryOp, "id" | "status" | "invokedAt" | "completedAt" | "result" | "error" | "zxid">;

/**
 * Records a Jepsen-style history as the workloads run: each operation when it is invoked and
 * when its answer comes back, with the harness's clock. Errors are sorted here, once: a server's
 * definite refusal (BadVersion, NoNode, ...) is a failure, anything else (connection loss,
 * timeout, expiry) leaves the outcome unknown.
 *
 * @example const op = recorder.invoke({ process: 1, kind: "write", key, value }); recorder.ok(op, { version });
 */
export class HistoryRecorder {
  readonly #now: () => number;
  readonly #ops: HistoryOp[] = [];
  readonly #holds: LockHold[] = [];
  readonly #initial: Record<string, RegisterValue> = {};

  constructor(now: () => number) {
    this.#now = now;
  }

  /** The harness's clock, for workloads that stamp their own events (lock holds). */
  now(): number {
    return this.#now();
  }

  /** Declares a register's value before any operation on it. */
  initial(key: string, value: RegisterValue): void {
    this.#initial[key] = value;
  }

  /** Records an invocation now; the operation counts as unknown until it is answered. */
  invoke(invocation: Invocation): HistoryOp {
    const op: HistoryOp = { ...invocation, id: this.#ops.length + 1, status: OpStatus.unknown, invokedAt: this.#now() };
    this.#ops.push(op);
    return op;
  }

  /** The operation's answer came back: it happened. */
  ok(op: HistoryOp, result: OpResult = {}, zxid?: bigint): void {
    this.#complete(op, OpStatus.ok, { result, ...(zxid === undefined || zxid === 0n ? {} : { zxid }) });
  }

  /** The operation ended with an error: a failure when the server refused it, else unknown. */
  error(op: HistoryOp, err: unknown): void {
    const code = err instanceof ChaosClientError ? err.code : "SYSTEMERROR";
    this.#complete(op, DEFINITE_FAILURES.has(code) ? OpStatus.fail : OpStatus.unknown, { error: code });
  }

  /** A definite failure the workload decided (a dequeue from an empty queue). */
  fail(op: HistoryOp, error: string): void {
    this.#complete(op, OpStatus.fail, { error });
  }

  /** Records that a client held a lock from `acquiredAt` until now. */
  hold(hold: Omit<LockHold, "releasedAt" | "end">, end: HoldEnd, releasedAt = this.#now()): void {
    this.#holds.push({ ...hold, releasedAt, end });
  }

  /** The history so far (operations still in flight stay unknown). */
  history(): History {
    return { ops: [...this.#ops], holds: [...this.#holds], initial: { ...this.#initial } };
  }

  #complete(op: HistoryOp, status: OpStatus, fields: Partial<HistoryOp>): void {
    if (op.completedAt !== undefined) throw new Error(`op #${op.id} completed twice`);
    Object.assign(op, { status, completedAt: this.#now(), ...fields });
  }
}

export { HoldEnd };
