import type { Clock } from "../../core/io/clock.ts";
import type { Scheduler } from "./scheduler.ts";

/**
 * A member's clock on virtual time: monotonic time is the scheduler's, skewed by a per-member
 * drift (parts per million, as real oscillators drift) and offset; wall time adds a base date
 * so ctime/mtime look like dates.
 */
export class SimClock implements Clock {
  readonly #scheduler: Scheduler;
  readonly #driftPpm: number;
  readonly #wallBaseMs: number;

  constructor(scheduler: Scheduler, { driftPpm = 0, wallBaseMs = 1_767_225_600_000 }: { driftPpm?: number; wallBaseMs?: number } = {}) {
    this.#scheduler = scheduler;
    this.#driftPpm = driftPpm;
    this.#wallBaseMs = wallBaseMs;
  }

  monoMs(): number {
    const t = this.#scheduler.nowMs;
    return t + (t * this.#driftPpm) / 1_000_000;
  }

  wallMs(): number {
    return this.#wallBaseMs + Math.floor(this.monoMs());
  }
}
