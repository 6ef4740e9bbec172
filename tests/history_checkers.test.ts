// The history checkers against hand-written histories that are and are not linearizable (the
// stale read after a partition among them), and against seeded random histories of a real
// register: every one of those must pass, and each must fail once one read is made stale.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkHistory,
  checkLinearizable,
  checkLocks,
  checkLostRegisterWrites,
  checkQueues,
  checkRegisters,
  checkSequential,
  checkSessions,
  type History,
  HoldEnd,
  type HistoryOp,
  type LockHold,
  LOST_WRITE,
  OpKind,
  OpStatus,
  describeOp,
  ReadBarrier,
  registerModel,
  type RegisterValue,
  STALE_SYNC_READ,
  stepRegister,
  SyncReads,
  Verdict,
} from "./history/mod.ts";
import { SeededRandom } from "./support/seeded_random.ts";

const R = "/r";
const INITIAL: RegisterValue = { value: "init", version: 0 };

/** Builds operations with increasing ids; times are [invoked, completed] or [invoked] for no answer. */
class Ops {
  readonly list: HistoryOp[] = [];

  add(op: Omit<HistoryOp, "id">): HistoryOp {
    const full = { id: this.list.length + 1, ...op };
    this.list.push(full);
    return full;
  }

  write(p: number, value: string, at: [number, number?], version?: number, extra: Partial<HistoryOp> = {}): HistoryOp {
    return this.add({ process: p, kind: OpKind.write, key: R, value, ...answer(at, version === undefined ? undefined : { version }), ...extra });
  }

  cas(p: number, expected: number, value: string, at: [number, number?], outcome: number | "BADVERSION"): HistoryOp {
    const base = { process: p, kind: OpKind.cas, key: R, value, expectedVersion: expected, invokedAt: at[0], completedAt: at[1] };
    if (outcome === "BADVERSION") return this.add({ ...base, status: OpStatus.fail, error: outcome });
    return this.add({ ...base, status: OpStatus.ok, result: { version: outcome } });
  }

  read(p: number, at: [number, number], value: string, version: number, extra: Partial<HistoryOp> = {}): HistoryOp {
    return this.add({ process: p, kind: OpKind.read, key: R, barrier: ReadBarrier.quorum, status: OpStatus.ok, invokedAt: at[0], completedAt: at[1], result: { value, version }, ...extra });
  }

  history(extra: Partial<History> = {}): History {
    return { ops: this.list, holds: [], initial: { [R]: INITIAL }, ...extra };
  }
}

function answer(at: [number, number?], result: HistoryOp["result"]): Pick<HistoryOp, "status" | "invokedAt" | "completedAt" | "result" | "error"> {
  if (at[1] === undefined) return { status: OpStatus.unknown, invokedAt: at[0], error: "CONNECTIONLOSS" };
  return { status: OpStatus.ok, invokedAt: at[0], completedAt: at[1], result };
}

function verdict(history: History): string {
  return checkRegisters(history).verdicts[0]!.result.verdict;
}

test("linearizable: a write, then a read of it; a read overlapping a write may see either value", () => {
  const ops = new Ops();
  ops.write(1, "a", [0, 10], 1);
  ops.read(2, [20, 30], "a", 1);
  ops.write(1, "b", [40, 60], 2);
  ops.read(2, [45, 50], "a", 1);
  ops.read(3, [45, 55], "b", 2);
  assert.equal(verdict(ops.history()), Verdict.linearizable);
});

test("violation: the stale read after a partition (a minority member answers with the old value)", () => {
  // p1 writes through the majority and is acknowledged; later p2, whose server sits in the
  // minority side of a partition and still believes it follows the old leader, reads the old value.
  const ops = new Ops();
  ops.read(2, [0, 5], "init", 0);
  ops.write(1, "a", [10, 20], 1);
  ops.read(1, [25, 30], "a", 1);
  ops.read(2, [40, 50], "init", 0);
  const report = checkRegisters(ops.history());
  assert.equal(report.verdicts[0]!.result.verdict, Verdict.violation);
  const message = report.anomalies[0]!.message;
  assert.match(message, /op #4 p2 read\(quorum\) \/r -> ok init v0 \[40, 50\]/, message);
});

test("a read overlapping nothing that returns a value never written is a violation", () => {
  const ops = new Ops();
  ops.write(1, "a", [0, 10], 1);
  ops.read(2, [20, 30], "zzz", 1);
  assert.equal(verdict(ops.history()), Verdict.violation);
});

test("unknown writes: may never happen, may happen late, but once seen cannot un-happen", () => {
  const never = new Ops();
  never.write(1, "a", [0]);
  never.read(2, [50, 60], "init", 0);
  assert.equal(verdict(never.history()), Verdict.linearizable);

  const late = new Ops();
  late.write(1, "a", [0]);
  late.read(2, [50, 60], "init", 0);
  late.read(2, [70, 80], "a", 1);
  assert.equal(verdict(late.history()), Verdict.linearizable);

  const undone = new Ops();
  undone.write(1, "a", [0]);
  undone.read(2, [50, 60], "a", 1);
  undone.read(3, [70, 80], "init", 0);
  assert.equal(verdict(undone.history()), Verdict.violation);
});

test("CAS: two successes from one version, or BadVersion when the version matched, are violations", () => {
  const twice = new Ops();
  twice.cas(1, 0, "a", [0, 10], 1);
  twice.cas(2, 0, "b", [20, 30], 1);
  assert.equal(verdict(twice.history()), Verdict.violation);

  const racing = new Ops();
  racing.cas(1, 0, "a", [0, 10], 1);
  racing.cas(2, 0, "b", [5, 30], "BADVERSION");
  racing.read(3, [40, 50], "a", 1);
  assert.equal(verdict(racing.history()), Verdict.linearizable);

  const wrongly = new Ops();
  wrongly.cas(1, 0, "a", [0, 10], "BADVERSION");
  assert.equal(verdict(wrongly.history()), Verdict.violation);
});

test("versions and mzxids must follow the writes: a write returning a skipped version or an older mzxid fails", () => {
  const skipped = new Ops();
  skipped.write(1, "a", [0, 10], 2);
  assert.equal(verdict(skipped.history()), Verdict.violation);

  const zxids = new Ops();
  zxids.write(1, "a", [0, 10], 1, { result: { version: 1, mzxid: 0x105n } });
  zxids.write(1, "b", [20, 30], 2, { result: { version: 2, mzxid: 0x104n } });
  assert.equal(verdict(zxids.history()), Verdict.violation);

  const readZxid = new Ops();
  readZxid.write(1, "a", [0, 10], 1, { result: { version: 1, mzxid: 0x105n } });
  readZxid.read(2, [20, 30], "a", 1, { result: { value: "a", version: 1, mzxid: 0x106n } });
  assert.equal(verdict(readZxid.history()), Verdict.violation);
});

test("plain reads are left to the session checker; reads after sync count, or are only reported when asked", () => {
  const plain = new Ops();
  plain.write(1, "a", [0, 10], 1);
  plain.read(2, [20, 30], "init", 0, { barrier: undefined });
  assert.equal(verdict(plain.history()), Verdict.linearizable);

  // A deposed leader that has not noticed yet answers sync from its stale state (ZOOKEEPER-1675).
  const zombie = new Ops();
  zombie.write(1, "a", [0, 10], 1);
  zombie.read(2, [20, 30], "init", 0, { barrier: ReadBarrier.sync });
  const strict = checkHistory(zombie.history());
  assert.deepEqual(strict.anomaliesByKind, { "non-linearizable register": 1 });
  const reported = checkHistory(zombie.history(), { syncReads: SyncReads.report });
  assert.equal(reported.valid, true);
  assert.deepEqual(reported.staleSyncReads.map((a) => [a.kind, a.key]), [[STALE_SYNC_READ, R]]);
  zombie.read(3, [40, 50], "init", 0);
  assert.deepEqual(checkHistory(zombie.history(), { syncReads: SyncReads.report }).anomaliesByKind, { "non-linearizable register": 1 }, "a stale quorum read still counts");
});

test("the search stops undecided at its budget instead of running on", () => {
  const ops = new Ops();
  for (let i = 0; i < 40; i++) ops.write(i, `w${i}`, [i]);
  for (let i = 0; i < 40; i++) ops.read(100 + i, [1000 + i, 5000], `w${39 - i}`, 1);
  const result = checkRegisters(ops.history(), { maxSteps: 500 }).verdicts[0]!.result;
  assert.equal(result.verdict, Verdict.undecided);
  assert.match(result.reason!, /step budget/);
  let polls = 0;
  const timed = checkRegisters(ops.history(), { timeUp: () => ++polls > 1 }).verdicts[0]!.result;
  assert.equal(timed.verdict, Verdict.undecided);
  assert.match(timed.reason!, /time budget/);
});

test("unknown writes nobody read are counted, not enumerated: 40 of them decide in a few thousand steps", () => {
  const ops = new Ops();
  for (let i = 0; i < 40; i++) ops.write(i, `lost${i}`, [i * 10]);
  ops.write(100, "seen", [500, 510], 31);
  ops.read(101, [600, 610], "seen", 31);
  ops.read(102, [700, 710], "seen", 31);
  const result = checkRegisters(ops.history(), { maxSteps: 20_000 }).verdicts[0]!.result;
  assert.equal(result.verdict, Verdict.linearizable, JSON.stringify(result));
  const impossible = new Ops();
  for (let i = 0; i < 40; i++) impossible.write(i, `lost${i}`, [i * 10]);
  impossible.read(101, [600, 610], "lost3", 42);
  assert.equal(checkRegisters(impossible.history(), { maxSteps: 200_000 }).verdicts[0]!.result.verdict, Verdict.violation, "42 writes cannot come from 40");
});

/**
 * A random history of a real register: each process runs its operations one after the other,
 * each takes effect at a random instant inside its window, and some answers are lost.
 */
function randomRegisterHistory(seed: number, shape = { processes: 4, opsPerProcess: 12 }): History {
  const random = new SeededRandom(seed);
  const effects: { at: number; op: Omit<HistoryOp, "id" | "status" | "result" | "completedAt">; lost: boolean; completedAt: number }[] = [];
  for (let p = 0; p < shape.processes; p++) {
    let t = random.int(5);
    for (let i = 0; i < shape.opsPerProcess; i++) {
      const invokedAt = t;
      const completedAt = t + 1 + random.int(30);
      const at = invokedAt + random.next() * (completedAt - invokedAt);
      const kind = random.pick([OpKind.read, OpKind.write, OpKind.cas]);
      const op = { process: p, kind, key: R, barrier: ReadBarrier.quorum, invokedAt, value: kind === OpKind.read ? undefined : `p${p}-${i}`, expectedVersion: kind === OpKind.cas ? random.int(6) : undefined };
      effects.push({ at, op, lost: kind !== OpKind.read && random.chance(0.1), completedAt });
      t = completedAt + random.int(10);
    }
  }
  effects.sort((a, b) => a.at - b.at);
  let state = { ...INITIAL };
  const ops: HistoryOp[] = [];
  for (const [id, e] of effects.entries()) {
    const before = state;
    let outcome: Pick<HistoryOp, "status" | "result" | "error">;
    if (e.op.kind === OpKind.read) outcome = { status: OpStatus.ok, result: { value: before.value, version: before.version } };
    else if (e.op.kind === OpKind.cas && e.op.expectedVersion !== before.version) outcome = { status: OpStatus.fail, error: "BADVERSION" };
    else {
      state = { value: e.op.value!, version: before.version + 1 };
      outcome = { status: OpStatus.ok, result: { version: state.version } };
    }
    if (e.lost) ops.push({ ...e.op, id, status: OpStatus.unknown, error: "CONNECTIONLOSS" });
    else ops.push({ ...e.op, id, completedAt: e.completedAt, ...outcome });
  }
  return { ops, holds: [], initial: { [R]: INITIAL } };
}

/** Makes one read return the state before a write that had already answered when the read began. */
function withStaleRead(history: History): History | undefined {
  const writes = history.ops.filter((op) => op.status === OpStatus.ok && op.kind !== OpKind.read);
  for (const read of history.ops) {
    if (read.kind !== OpKind.read || read.result!.version === 0) continue;
    const producer = writes.find((w) => w.result!.version === read.result!.version);
    if (producer === undefined || producer.completedAt! >= read.invokedAt) continue;
    const previous = writes.find((w) => w.result!.version === read.result!.version! - 1);
    const stale = { value: previous?.value ?? INITIAL.value, version: read.result!.version! - 1 };
    return { ...history, ops: history.ops.map((op) => (op === read ? { ...op, result: stale } : op)) };
  }
  return undefined;
}

test("200 random histories of a real register are linearizable; each with one stale read is not", () => {
  let mutated = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const history = randomRegisterHistory(seed);
    const result = checkRegisters(history).verdicts[0]!.result;
    assert.equal(result.verdict, Verdict.linearizable, `seed ${seed}: ${JSON.stringify(result)}`);
    const stale = withStaleRead(history);
    if (stale === undefined) continue;
    mutated++;
    assert.equal(checkRegisters(stale).verdicts[0]!.result.verdict, Verdict.violation, `seed ${seed} with a stale read`);
  }
  assert.ok(mutated > 150, `only ${mutated} histories had a read to make stale`);
});

/** Every order of the operations that respects real time, with every subset of unknown ones left out. */
function bruteForceLinearizable(history: History): boolean {
  const ops = history.ops.filter((op) => !(op.kind === OpKind.read && op.status !== OpStatus.ok));
  const unknown = ops.filter((op) => op.status === OpStatus.unknown);
  const end = (op: HistoryOp) => (op.status === OpStatus.unknown ? Infinity : op.completedAt!);
  for (let mask = 0; mask < 1 << unknown.length; mask++) {
    const chosen = ops.filter((op) => op.status !== OpStatus.unknown || (mask & (1 << unknown.indexOf(op))) !== 0);
    if (someOrder(chosen, [], registerModel(INITIAL).init, end)) return true;
  }
  return false;
}

function someOrder(left: HistoryOp[], placed: HistoryOp[], state: ReturnType<typeof registerModel>["init"] | undefined, end: (op: HistoryOp) => number): boolean {
  if (state === undefined) return false;
  if (left.length === 0) return true;
  return left.some((op) => {
    // op can go next only if nothing still left had answered before op was invoked.
    if (left.some((other) => other !== op && end(other) < op.invokedAt)) return false;
    return someOrder(left.filter((o) => o !== op), [...placed, op], stepRegister(state, op), end);
  });
}

/** A small random history: a real register's, then with random answers bent, so both verdicts come up. */
function smallRandomHistory(seed: number): History {
  const history = randomRegisterHistory(seed, { processes: 3, opsPerProcess: 2 });
  const random = new SeededRandom(seed * 31 + 7);
  const ops = history.ops.map((op) => {
    if (op.status !== OpStatus.ok || !random.chance(0.25)) return op;
    const version = Math.max(0, op.result!.version! + random.pick([-1, 1]));
    return { ...op, result: { ...op.result, version, ...(op.kind === OpKind.read ? { value: random.pick(["init", op.result!.value!]) } : {}) } };
  });
  return { ...history, ops };
}

test("the search agrees with brute force on 600 small random histories, linearizable or not", () => {
  const verdicts = { linearizable: 0, violation: 0 };
  for (let seed = 1; seed <= 600; seed++) {
    const history = smallRandomHistory(seed);
    const expected = bruteForceLinearizable(history) ? Verdict.linearizable : Verdict.violation;
    const result = checkRegisters(history).verdicts[0]?.result.verdict ?? Verdict.linearizable;
    assert.equal(result, expected, `seed ${seed}: ${history.ops.map(describeOp).join("; ")}`);
    verdicts[expected]++;
  }
  assert.ok(verdicts.linearizable > 100 && verdicts.violation > 100, JSON.stringify(verdicts));
});

test("the generic search works on any model: a counter whose increments return the new value", () => {
  const model = { init: 0, step: (n: number, op: { returns: number }) => (op.returns === n + 1 ? n + 1 : undefined), key: String };
  const ok = [
    { id: 1, op: { returns: 2 }, invokedAt: 0, returnedAt: 10 },
    { id: 2, op: { returns: 1 }, invokedAt: 5, returnedAt: 15 },
  ];
  assert.equal(checkLinearizable(ok, model).verdict, Verdict.linearizable);
  const bad = [
    { id: 1, op: { returns: 2 }, invokedAt: 0, returnedAt: 10 },
    { id: 2, op: { returns: 1 }, invokedAt: 20, returnedAt: 30 },
  ];
  const result = checkLinearizable(bad, model);
  assert.equal(result.verdict, Verdict.violation);
  assert.equal(result.blockedId, 1);
  assert.equal(registerModel(INITIAL).key(registerModel(INITIAL).init), "0\u0000\u0000init");
});

test("lost acknowledged writes: below the final version, or a version handed out twice", () => {
  const rolledBack = new Ops();
  rolledBack.write(1, "a", [0, 10], 1);
  rolledBack.write(1, "b", [20, 30], 2);
  const final = { registers: { [R]: { value: "a", version: 1 } }, queues: {} };
  const lost = checkLostRegisterWrites(rolledBack.history({ final }));
  assert.deepEqual(lost.map((a) => [a.kind, a.ops]), [[LOST_WRITE, [2]]]);

  const reused = new Ops();
  reused.write(1, "a", [0, 10], 1);
  reused.read(2, [20, 30], "x", 1, { barrier: undefined });
  assert.equal(checkLostRegisterWrites(reused.history()).length, 1);

  const kept = new Ops();
  kept.write(1, "a", [0, 10], 1);
  kept.write(2, "b", [5, 15]);
  assert.deepEqual(checkLostRegisterWrites(kept.history({ final: { registers: { [R]: { value: "b", version: 2 } }, queues: {} } })), []);
});

function create(ops: Ops, p: number, at: [number, number?], name: string | undefined, extra: Partial<HistoryOp> = {}): HistoryOp {
  return ops.add({ process: p, kind: OpKind.enqueue, key: "/q", sequential: true, value: `v-${p}-${at[0]}`, ...answer(at, name === undefined ? undefined : { name }), ...extra });
}

test("sequential creates: unique numbers that follow real time", () => {
  const good = new Ops();
  create(good, 1, [0, 10], "item-0000000000");
  create(good, 2, [5, 8], "item-0000000001");
  create(good, 1, [20, 30], "item-0000000003");
  assert.deepEqual(checkSequential(good.history()), []);

  const bad = new Ops();
  create(bad, 1, [0, 10], "item-0000000005");
  create(bad, 2, [20, 30], "item-0000000004");
  create(bad, 3, [40, 50], "item-0000000005");
  create(bad, 3, [60, 70], "item-");
  const kinds = checkSequential(bad.history()).map((a) => a.kind).sort();
  assert.deepEqual(kinds, ["sequence number handed out twice", "sequence numbers out of real-time order", "sequential name without a sequence number"]);
});

test("queue: phantoms, double takes and lost acknowledged enqueues are found; unknown enqueues may go either way", () => {
  const ops = new Ops();
  const a = create(ops, 1, [0, 10], "item-0000000000");
  const b = create(ops, 1, [20, 30], "item-0000000001");
  const c = create(ops, 2, [25], undefined);
  const d = create(ops, 2, [40, 50], "item-0000000003");
  const take = (p: number, op: HistoryOp, at: [number, number], name = op.result?.name) =>
    ops.add({ process: p, kind: OpKind.dequeue, key: "/q", status: OpStatus.ok, invokedAt: at[0], completedAt: at[1], result: { name, value: op.value } });
  take(3, a, [60, 70]);
  take(3, c, [80, 90], "item-0000000002");
  const clean = checkQueues(ops.history({ final: { registers: {}, queues: { "/q": [{ name: "item-0000000003", value: d.value! }] } } }));
  assert.deepEqual(clean.map((x) => x.message), [`op #${b.id} p1 enqueue /q value=${b.value} -> ok item-0000000001 [20, 30] was acknowledged, never dequeued, and is not in the final queue`]);
  const untaken = checkQueues(ops.history({ final: { registers: {}, queues: { "/q": [{ name: "item-0000000003", value: d.value! }] } } }));
  assert.equal(untaken.length, 1);
  ops.add({ process: 5, kind: OpKind.dequeue, key: "/q", value: b.value, status: OpStatus.unknown, invokedAt: 95, error: "CONNECTIONLOSS" });
  assert.deepEqual(checkQueues(ops.history({ final: { registers: {}, queues: { "/q": [{ name: "item-0000000003", value: d.value! }] } } })), [], "an unknown dequeue of it may have taken it");
  take(4, a, [100, 110]);
  ops.add({ process: 4, kind: OpKind.dequeue, key: "/q", status: OpStatus.ok, invokedAt: 120, completedAt: 130, result: { name: "item-0000000009", value: "never" } });
  const kinds = checkQueues(ops.history({ final: { registers: {}, queues: { "/q": [{ name: "item-0000000003", value: d.value! }, { name: "item-0000000000", value: a.value! }] } } }))
    .map((x) => x.kind).sort();
  assert.deepEqual(kinds, ["dequeued element still present", "element dequeued twice", "phantom element"]);
});

function hold(p: number, node: string, acquiredAt: number, releasedAt: number): LockHold {
  return { lock: "/lock", process: p, node, acquiredAt, releasedAt, end: HoldEnd.release };
}

test("locks: overlapping holders and out-of-order grants are found, back-to-back holders are fine", () => {
  const fine = checkLocks({ ops: [], initial: {}, holds: [hold(1, "lock-0000000001", 0, 10), hold(2, "lock-0000000002", 10, 20), hold(1, "lock-0000000004", 25, 30)] });
  assert.deepEqual(fine, []);
  const overlap = checkLocks({ ops: [], initial: {}, holds: [hold(1, "lock-0000000001", 0, 50), hold(2, "lock-0000000002", 10, 20), hold(3, "lock-0000000003", 30, 60)] });
  assert.equal(overlap.length, 2);
  assert.match(overlap[0]!.message, /overlap by 10/);
  const order = checkLocks({ ops: [], initial: {}, holds: [hold(1, "lock-0000000005", 0, 10), hold(2, "lock-0000000002", 20, 30)] });
  assert.deepEqual(order.map((a) => a.kind), ["lock granted out of order"]);
});

test("sessions: zxids never go back, a session reads its own writes and never reads backwards", () => {
  const ops = new Ops();
  ops.write(1, "a", [0, 10], 1, { session: "s1", zxid: 0x10n });
  ops.read(1, [20, 30], "a", 1, { session: "s1", zxid: 0x11n, barrier: undefined });
  ops.write(2, "b", [40, 50], 2, { session: "s2", zxid: 0x12n });
  ops.read(1, [60, 70], "b", 2, { session: "s1", zxid: 0x12n, barrier: undefined });
  assert.deepEqual(checkSessions(ops.history()), []);
  ops.read(1, [80, 90], "a", 1, { session: "s1", zxid: 0x11n, barrier: undefined });
  ops.write(2, "c", [100, 110], 3, { session: "s2", zxid: 0x13n });
  ops.read(2, [120, 130], "b", 2, { session: "s2", zxid: 0x13n, barrier: undefined });
  const kinds = checkSessions(ops.history()).map((a) => a.kind).sort();
  assert.deepEqual(kinds, ["session did not read its own write", "session read went back", "session zxid went back"]);
});

test("checkHistory: a clean history is valid, and one stale read makes it invalid with the reason", () => {
  const ops = new Ops();
  ops.write(1, "a", [0, 10], 1, { session: "s1", zxid: 5n });
  ops.read(2, [20, 30], "a", 1, { session: "s2", zxid: 5n });
  const final = { registers: { [R]: { value: "a", version: 1 } }, queues: {} };
  const good = checkHistory(ops.history({ final }));
  assert.equal(good.valid, true, JSON.stringify(good.anomalies));
  assert.deepEqual(good.ops, { total: 2, ok: 2, fail: 0, unknown: 0, byKind: { write: 1, read: 1 } });
  ops.read(3, [40, 50], "init", 0, { session: "s3" });
  const bad = checkHistory(ops.history({ final }));
  assert.equal(bad.valid, false);
  assert.deepEqual(bad.anomaliesByKind, { "non-linearizable register": 1 });
  assert.equal(bad.lostWrites, 0);
});
