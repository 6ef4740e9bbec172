// The client-visible history of a run, Jepsen-style: every operation with the time it was invoked
// and the time its answer came back. Pure data, no I/O: the real-process chaos suite records it
// in milliseconds, a simulator can record it in ticks; the checkers only compare times.

/** How an operation ended. */
export const OpStatus = {
  /** It happened, and the answer says what it returned. */
  ok: "ok",
  /** It definitely did not change anything (a definite error such as BadVersion or NoNode). */
  fail: "fail",
  /** No way to know: timeout, connection loss, session expiry. It may take effect at any later time, or never. */
  unknown: "unknown",
} as const;
/** One of {@link OpStatus}. */
export type OpStatus = (typeof OpStatus)[keyof typeof OpStatus];

/**
 * What a read did first, in the same operation, to see the latest state. ZooKeeper documents that
 * only a quorum operation before a read makes it linearizable; sync is not a quorum operation
 * (ZOOKEEPER-1675): a deposed leader that has not noticed yet answers sync from its stale state.
 */
export const ReadBarrier = {
  /** sync(path), then getData. */
  sync: "sync",
  /** A quorum write that changes nothing (multi with one check of version -1), then getData. */
  quorum: "quorum",
} as const;
/** One of {@link ReadBarrier}. */
export type ReadBarrier = (typeof ReadBarrier)[keyof typeof ReadBarrier];

/** What an operation does. */
export const OpKind = {
  /** getData of a register znode, after a {@link ReadBarrier} when `barrier` says so. */
  read: "read",
  /** setData with version -1. */
  write: "write",
  /** setData with an expected version. */
  cas: "cas",
  /** create of a persistent sequential child of a queue znode. */
  enqueue: "enqueue",
  /** getData then delete(version) of a queue element: ok means this client took it. */
  dequeue: "dequeue",
  /** Any other create (lock nodes: ephemeral sequential). */
  create: "create",
} as const;
/** One of {@link OpKind}. */
export type OpKind = (typeof OpKind)[keyof typeof OpKind];

/** What an ok operation returned. */
export interface OpResult {
  /** read, dequeue: the data read. */
  value?: string;
  /** read: the Stat version; write, cas: the version the write produced. */
  version?: number;
  /** read: Stat.mzxid; write, cas: the mzxid the write produced. */
  mzxid?: bigint;
  /** create, enqueue, dequeue: the znode's name (last path segment, with its sequence suffix). */
  name?: string;
}

/** One operation, from invocation to answer. */
export interface HistoryOp {
  /** Unique within the history. */
  id: number;
  /** The client actor that issued it (one operation at a time per actor, Jepsen's process). */
  process: number;
  /** The session it was sent on (hex), when known. */
  session?: string;
  kind: OpKind;
  /** The register's path, or the parent path for queue and lock creates. */
  key: string;
  /** read: what came first in the same operation (none: a plain local read). */
  barrier?: ReadBarrier;
  /** create, enqueue: the node is sequential. */
  sequential?: boolean;
  /**
   * write, cas, create, enqueue: the data written (unique per write in these workloads);
   * dequeue: the data of the element it was deleting when it ended (known before the delete).
   */
  value?: string;
  /** cas: the version setData was given. */
  expectedVersion?: number;
  status: OpStatus;
  /** The error code name when not ok (BADVERSION, CONNECTIONLOSS, ...). */
  error?: string;
  invokedAt: number;
  /** When the answer came back; absent when none ever did. Unknown ops end at infinity for the checkers. */
  completedAt?: number;
  result?: OpResult;
  /** The session's last zxid (reply header) right after this answer, when the client exposes it. */
  zxid?: bigint;
}

/** How a lock holder stopped holding. */
export const HoldEnd = {
  /** It invoked the delete of its lock node. */
  release: "release",
  /** It learned its connection was lost (Curator's SUSPENDED: it may no longer hold the lock). */
  disconnected: "disconnected",
  /** The run ended (or the actor gave up) while it held the lock. */
  end: "end",
} as const;
/** One of {@link HoldEnd}. */
export type HoldEnd = (typeof HoldEnd)[keyof typeof HoldEnd];

/** One interval in which a client believed it held a lock. */
export interface LockHold {
  /** The lock's parent znode. */
  lock: string;
  process: number;
  session?: string;
  /** Its lock node's name (with the sequence suffix). */
  node: string;
  /** When it learned it holds the lock (its node is the lowest). */
  acquiredAt: number;
  /** When it stopped believing so. */
  releasedAt: number;
  end: HoldEnd;
}

/** A register's contents. */
export interface RegisterValue {
  value: string;
  version: number;
  mzxid?: bigint;
}

/** A queue element left at the end. */
export interface QueueElement {
  name: string;
  value: string;
}

/** What the ensemble holds once the run is over and every fault healed. */
export interface FinalState {
  registers: Record<string, RegisterValue>;
  queues: Record<string, QueueElement[]>;
}

/** Everything the checkers look at. */
export interface History {
  ops: HistoryOp[];
  holds: LockHold[];
  /** Each register's contents before the first operation. */
  initial: Record<string, RegisterValue>;
  /** Read after the run (also recorded as ordinary reads in `ops`). */
  final?: FinalState;
}

/**
 * The moment an operation's effect can be ruled out: its answer, or never for unknown outcomes.
 *
 * @example endOf({ ...op, status: "unknown" }) // Infinity
 */
export function endOf(op: HistoryOp): number {
  if (op.status === OpStatus.unknown || op.completedAt === undefined) return Number.POSITIVE_INFINITY;
  return op.completedAt;
}

/** `op #12 p3 cas /r/k1 v=... exp=4 -> ok v5` for messages. */
export function describeOp(op: HistoryOp): string {
  const parts = [`op #${op.id}`, `p${op.process}`, op.kind + (op.barrier === undefined ? "" : `(${op.barrier})`), op.key];
  if (op.value !== undefined) parts.push(`value=${op.value}`);
  if (op.expectedVersion !== undefined) parts.push(`expected=${op.expectedVersion}`);
  const result = op.result;
  const answer = op.status === OpStatus.ok && result !== undefined
    ? `ok${result.value !== undefined && op.kind !== OpKind.dequeue ? ` ${result.value}` : ""}${result.version !== undefined ? ` v${result.version}` : ""}${result.name !== undefined ? ` ${result.name}` : ""}`
    : `${op.status}${op.error !== undefined ? ` ${op.error}` : ""}`;
  const end = op.completedAt === undefined ? "..." : String(round(op.completedAt));
  return `${parts.join(" ")} -> ${answer} [${round(op.invokedAt)}, ${end}]`;
}

function round(t: number): number {
  return Math.round(t * 10) / 10;
}

/**
 * The sequence number ZooKeeper appended to a sequential node's name (its last 10 digits), or
 * undefined when the name has none.
 *
 * @example sequenceOf("item-0000000042") // 42
 */
export function sequenceOf(name: string): number | undefined {
  const match = /(\d{10})$/.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** JSON for a history (bigints as strings), to keep a failing run's history next to its report. */
export function historyToJson(history: History): string {
  return JSON.stringify(history, (_key, value: unknown) => (typeof value === "bigint" ? `${value}n` : value));
}

/**
 * The operations that pass `include`, grouped by key (register or parent path), in history order.
 *
 * @example groupByKey(history.ops, (op) => op.kind === OpKind.enqueue)
 */
export function groupByKey(ops: readonly HistoryOp[], include: (op: HistoryOp) => boolean): Map<string, HistoryOp[]> {
  const byKey = new Map<string, HistoryOp[]>();
  for (const op of ops) {
    if (!include(op)) continue;
    const list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, [op]);
    else list.push(op);
  }
  return byKey;
}
