/** Time as the core receives it; the simulator injects a virtual one. */
export interface Clock {
  /** Wall-clock ms since the epoch: znode ctime/mtime. */
  wallMs(): number;
  /** Monotonic ms: session expiry and latency. */
  monoMs(): number;
}

/** The real clock (Date.now/performance.now exist on Node, Deno and Bun). */
export const systemClock: Clock = {
  wallMs: () => Date.now(),
  monoMs: () => performance.now(),
};
