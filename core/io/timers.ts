/** One-shot timers, injected where core code needs a deadline (real ones here; a simulation brings its own). */
export interface Timers {
  /** Runs `fn` after `ms`; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
}

/** setTimeout/clearTimeout, which Node, Deno and Bun all have. */
export const realTimers: Timers = {
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
