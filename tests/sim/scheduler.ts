/** One scheduled callback. */
interface Event {
  readonly atMs: number;
  readonly seq: number;
  readonly run: () => void;
}

/** A binary heap of events by (time, insertion order): ties run in the order they were scheduled. */
class EventHeap {
  readonly #items: Event[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(event: Event): void {
    const items = this.#items;
    items.push(event);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): Event | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && before(items[l]!, items[m]!)) m = l;
        if (r < items.length && before(items[r]!, items[m]!)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m]!, items[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Event, b: Event): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

/**
 * Virtual time for the simulator: callbacks run in time order, and between two callbacks every
 * promise continuation they started runs to completion (a macrotask boundary drains the
 * microtask queue) before the clock moves. Nothing real is waited for, so a run takes as long as
 * its computation, and the same schedule always runs the same way.
 */
export class Scheduler {
  readonly #heap = new EventHeap();
  #nowMs = 0;
  #seq = 0;
  #steps = 0;
  /** Exceptions thrown by callbacks: a simulated process must never throw into the event loop. */
  readonly errors: unknown[] = [];

  get nowMs(): number {
    return this.#nowMs;
  }

  get steps(): number {
    return this.#steps;
  }

  /** Runs `run` after `delayMs` of virtual time (0: after everything already due now). */
  after(delayMs: number, run: () => void): void {
    this.#heap.push({ atMs: this.#nowMs + Math.max(0, delayMs), seq: this.#seq++, run });
  }

  /** Runs between steps, once each step's microtasks have settled (the simulation's observers). */
  betweenSteps: (() => void) | null = null;

  /** Runs events until virtual time `untilMs`, or until `stop` says so, or `maxSteps` events. */
  async runUntil(untilMs: number, { stop, maxSteps = Number.MAX_SAFE_INTEGER }: { stop?: () => boolean; maxSteps?: number } = {}): Promise<void> {
    for (let i = 0; i < maxSteps; i++) {
      await drainMicrotasks();
      this.betweenSteps?.();
      if (stop?.() === true) return;
      const next = this.#heap.pop();
      if (next === undefined) break;
      if (next.atMs > untilMs) {
        this.#heap.push(next);
        break;
      }
      this.#nowMs = next.atMs;
      this.#steps++;
      try {
        next.run();
      } catch (error) {
        this.errors.push(error);
      }
    }
    await drainMicrotasks();
    if (this.#nowMs < untilMs) this.#nowMs = untilMs;
  }
}

/**
 * The one real macrotask the simulator uses, taken once at load: the test that proves nothing
 * inside a simulation touches real time replaces the global and would otherwise see this call.
 */
const macrotask: (run: () => void) => unknown = globalThis.setImmediate.bind(globalThis);

/** Lets every queued promise continuation run (they may queue more; a macrotask waits for all). */
function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => macrotask(resolve));
}
