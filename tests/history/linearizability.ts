// Linearizability of one object's history: the Wing-Gong-Lowe search with Lowe's memoization, as
// porcupine (anishathalye/porcupine) and Knossos do it. Iterative (an explicit stack, no
// recursion), bounded by a step and a cache budget so it answers "undecided" instead of hanging.
// Pure: no clock, no I/O; the caller may pass `timeUp` to stop on its own deadline.

/** A sequential specification: what each operation does to the state, given what it returned. */
export interface Model<State, Op> {
  init: State;
  /** The state after `op`, or undefined when `op` could not have returned what it did in `state`. */
  step(state: State, op: Op): State | undefined;
  /** Equal for equal states: the memoization key. */
  key(state: State): string;
}

/** One operation with its real-time window; `returnedAt` is Infinity when no answer is known. */
export interface TimedOp<Op> {
  id: number;
  op: Op;
  invokedAt: number;
  returnedAt: number;
  /**
   * Operations with an unknown outcome and the same class are interchangeable: the model treats
   * them identically. The memo then counts them instead of telling them apart, which turns the
   * 2^n subsets of n unknown writes into n + 1 counts (symmetry reduction).
   */
  symmetryClass?: string;
}

/** The outcome of a search. */
export const Verdict = { linearizable: "linearizable", violation: "violation", undecided: "undecided" } as const;
/** One of {@link Verdict}. */
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** How much work a search may do. */
export interface SearchBudget {
  /** Search steps (one per operation tried or undone). Default 5,000,000. */
  maxSteps?: number;
  /** Memoized (linearized set, state) pairs. Default 1,000,000. */
  maxCacheEntries?: number;
  /** Polled every few thousand steps; true stops the search as undecided. */
  timeUp?: () => boolean;
}

/** What a search found. */
export interface LinearizabilityResult {
  verdict: Verdict;
  steps: number;
  /** Why the search stopped undecided. */
  reason?: string;
  /** On violation: the longest sequence of ids the search could linearize... */
  longestPrefix?: number[];
  /** ...and the operation whose answer came back before it could be placed after that prefix. */
  blockedId?: number;
}

const DEFAULT_MAX_STEPS = 5_000_000;
const DEFAULT_MAX_CACHE = 1_000_000;
const TIME_CHECK_EVERY = 4096;

/** A node of the doubly linked list of call and return events (dancing links). */
interface Entry {
  index: number;
  isCall: boolean;
  /** On a call: its return entry. */
  match: Entry | undefined;
  prev: Entry | undefined;
  next: Entry | undefined;
}

/**
 * Decides whether the operations can be put in one order that respects real time (an op that
 * returned before another was invoked comes first) and the model. Operations with an unknown
 * outcome (returnedAt = Infinity) may be placed anywhere after their invocation, including
 * after everything else, which is how "it never happened" is expressed; the model must accept
 * every outcome for them.
 *
 * @example checkLinearizable(ops, registerModel(initial), { maxSteps: 1e6 }).verdict // "linearizable"
 */
export function checkLinearizable<State, Op>(
  ops: readonly TimedOp<Op>[],
  model: Model<State, Op>,
  budget: SearchBudget = {},
): LinearizabilityResult {
  const maxSteps = budget.maxSteps ?? DEFAULT_MAX_STEPS;
  const maxCache = budget.maxCacheEntries ?? DEFAULT_MAX_CACHE;
  const head = buildEntries(ops);
  const classes = symmetryClasses(ops);
  const linearized = new Uint16Array(Math.ceil(ops.length / 16) + 1);
  const classCounts = new Uint16Array(classes.count);
  const cache = new Set<string>();
  const stack: { entry: Entry; state: State }[] = [];
  let definiteLeft = ops.filter((o) => o.returnedAt !== Number.POSITIVE_INFINITY).length;
  let state = model.init;
  let entry = head.next;
  let steps = 0;
  let longestPrefix: number[] = [];
  let blockedId: number | undefined;
  /** Interchangeable operations are counted per class, the others marked one by one. */
  const mark = (index: number, on: boolean) => {
    const cls = classes.of[index]!;
    if (cls < 0) setBit(linearized, index, on);
    else classCounts[cls] = classCounts[cls]! + (on ? 1 : -1);
  };
  // Every step either places an operation or undoes one; the budget bounds the loop.
  while (entry !== undefined && definiteLeft > 0) {
    steps++;
    if (steps > maxSteps) return { verdict: Verdict.undecided, steps, reason: `step budget of ${maxSteps} spent` };
    if (steps % TIME_CHECK_EVERY === 0 && budget.timeUp?.() === true) return { verdict: Verdict.undecided, steps, reason: "time budget spent" };
    if (entry.isCall) {
      const next = model.step(state, ops[entry.index]!.op);
      if (next !== undefined) {
        mark(entry.index, true);
        const memo = bitsKey(linearized) + "\u0000" + bitsKey(classCounts) + "\u0000" + model.key(next);
        if (!cache.has(memo)) {
          if (cache.size >= maxCache) return { verdict: Verdict.undecided, steps, reason: `cache budget of ${maxCache} states spent` };
          cache.add(memo);
          stack.push({ entry, state });
          if (ops[entry.index]!.returnedAt !== Number.POSITIVE_INFINITY) definiteLeft--;
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        mark(entry.index, false);
      }
      entry = entry.next;
      continue;
    }
    // A return event: its operation should have been placed by now. Undo the last placement.
    if (blockedId === undefined || stack.length > longestPrefix.length) {
      longestPrefix = stack.map((s) => ops[s.entry.index]!.id);
      blockedId = ops[entry.index]!.id;
    }
    const top = stack.pop();
    if (top === undefined) return { verdict: Verdict.violation, steps, longestPrefix, blockedId };
    if (ops[top.entry.index]!.returnedAt !== Number.POSITIVE_INFINITY) definiteLeft++;
    state = top.state;
    mark(top.entry.index, false);
    unlift(top.entry);
    entry = top.entry.next;
  }
  return { verdict: Verdict.linearizable, steps };
}

/** Each operation's class number (-1: none); only unknown outcomes can be interchangeable. */
function symmetryClasses<Op>(ops: readonly TimedOp<Op>[]): { of: Int32Array; count: number } {
  const numbers = new Map<string, number>();
  const of = new Int32Array(ops.length).fill(-1);
  for (const [index, op] of ops.entries()) {
    if (op.symmetryClass === undefined || op.returnedAt !== Number.POSITIVE_INFINITY) continue;
    if (!numbers.has(op.symmetryClass)) numbers.set(op.symmetryClass, numbers.size);
    of[index] = numbers.get(op.symmetryClass)!;
  }
  return { of, count: numbers.size };
}

/** Call and return entries sorted by time; at equal times calls first (touching ops overlap). */
function buildEntries<Op>(ops: readonly TimedOp<Op>[]): Entry {
  const events: { time: number; isCall: boolean; index: number }[] = [];
  for (const [index, op] of ops.entries()) {
    if (!(op.returnedAt >= op.invokedAt)) throw new RangeError(`op ${op.id}: returned at ${op.returnedAt} before its invocation at ${op.invokedAt}`);
    events.push({ time: op.invokedAt, isCall: true, index }, { time: op.returnedAt, isCall: false, index });
  }
  events.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.index - b.index);
  const head: Entry = { index: -1, isCall: false, match: undefined, prev: undefined, next: undefined };
  const calls = new Map<number, Entry>();
  let last = head;
  for (const event of events) {
    const entry: Entry = { index: event.index, isCall: event.isCall, match: undefined, prev: last, next: undefined };
    last.next = entry;
    last = entry;
    if (event.isCall) calls.set(event.index, entry);
    else calls.get(event.index)!.match = entry;
  }
  return head;
}

/** Takes a call and its return out of the list; their own links stay for {@link unlift}. */
function lift(call: Entry): void {
  call.prev!.next = call.next;
  if (call.next !== undefined) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next !== undefined) ret.next.prev = ret.prev;
}

/** Puts them back, in the reverse order of {@link lift}. */
function unlift(call: Entry): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next !== undefined) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next !== undefined) call.next.prev = call;
}

function setBit(bits: Uint16Array, index: number, on: boolean): void {
  const word = index >>> 4;
  const mask = 1 << (index & 15);
  bits[word] = on ? bits[word]! | mask : bits[word]! & ~mask;
}

function bitsKey(bits: Uint16Array): string {
  if (bits.length === 0) return "";
  return String.fromCharCode(...bits);
}
