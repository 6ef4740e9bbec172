/**
 * A cumulative-bucket histogram as Prometheus exposes one: counts of observations at or below
 * each upper bound, plus their sum and count. Fixed buckets keep recording O(buckets) and the
 * memory constant however many values arrive.
 *
 * @example
 * const h = new Histogram([1, 5, 10]);
 * h.record(3); // h.counts -> [0, 1, 1] (cumulative at exposition time)
 */
export class Histogram {
  /** Upper bounds, ascending; +Inf is implied after the last. */
  readonly bounds: readonly number[];
  /** Per-bucket (not cumulative) counts; the last slot counts values above every bound. */
  readonly #counts: number[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new Error("histogram bounds must ascend");
    }
    this.bounds = bounds;
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  record(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.#counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** Cumulative counts per bound, then the +Inf count (= count). */
  cumulative(): number[] {
    const out: number[] = [];
    let running = 0;
    for (const c of this.#counts) {
      running += c;
      out.push(running);
    }
    return out;
  }

  reset(): void {
    this.#counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/** Latency buckets in ms: sub-millisecond reads up to ten-second stalls. */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
];

/** Group-commit batch sizes (txns per fsync). */
export const BATCH_SIZE_BUCKETS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];
