import type { Clock } from "../io/clock.ts";
import { LogLevel, type LogSink } from "../log_level.ts";

/** How often a long recovery says how far it got. */
const PROGRESS_INTERVAL_MS = 3_000;
/** The clock is read once per this many txns: replay is a tight loop. */
const CHECK_EVERY_TXNS = 1_024;

/**
 * Tells an operator what a long start-up is doing: replaying a large log can take a while, and a
 * silent server looks hung. Logs every few seconds of replay, never more often.
 *
 * @example
 * const progress = new RecoveryProgress({ clock, log, totalTxns: txns.length });
 * for (...) { apply(txn); progress.replayed(i + 1, () => tree.nodeCount); }
 */
export class RecoveryProgress {
  readonly #clock: Clock;
  readonly #log: LogSink;
  readonly #totalTxns: number;
  readonly #startedMs: number;
  #lastReportMs: number;

  /** `startMs`: when recovery began, if before now (the snapshot was loaded as the store read it). */
  constructor({ clock, log, totalTxns, startMs }: { clock: Clock; log: LogSink; totalTxns: number; startMs?: number }) {
    this.#clock = clock;
    this.#log = log;
    this.#totalTxns = totalTxns;
    this.#startedMs = startMs ?? clock.monoMs();
    this.#lastReportMs = this.#startedMs;
  }

  /** Called after each replayed txn with the count so far. */
  replayed(count: number, znodes: () => number): void {
    if (count % CHECK_EVERY_TXNS !== 0) return;
    const now = this.#clock.monoMs();
    if (now - this.#lastReportMs < PROGRESS_INTERVAL_MS) return;
    this.#lastReportMs = now;
    const seconds = Math.round((now - this.#startedMs) / 1000);
    this.#log(`recovery: replayed ${count} of ${this.#totalTxns} txns, ${znodes()} znodes loaded (${seconds} s)`, LogLevel.info);
  }

  /** Milliseconds since recovery began. */
  elapsedMs(): number {
    return Math.round(this.#clock.monoMs() - this.#startedMs);
  }
}
