import { LatencyStats } from "./latency_stats.ts";

/** ZooKeeper keeps a uniform sample of this many values per percentile summary. */
const RECENT_SAMPLES = 4096;

/**
 * A summary with percentiles (ZooKeeper's AvgMinMaxPercentileCounter): count, sum, min and max
 * of every value, and p50/p95/p99/p999 over the most recent values, a bounded ring.
 *
 * @example const s = new PercentileStats(); s.record(3); s.percentile(0.99) // 3
 */
export class PercentileStats extends LatencyStats {
  readonly #recent: number[] = [];
  #next = 0;

  override record(value: number): void {
    super.record(value);
    if (this.#recent.length < RECENT_SAMPLES) this.#recent.push(value);
    else this.#recent[this.#next] = value;
    this.#next = (this.#next + 1) % RECENT_SAMPLES;
  }

  /**
   * The quantile of the recent values as Dropwizard's UniformSnapshot computes it (interpolated
   * between neighbours at position q(n+1)), rounded to a whole number as ZooKeeper prints it.
   */
  percentile(quantile: number): number {
    const values = [...this.#recent].sort((a, b) => a - b);
    if (values.length === 0) return 0;
    const pos = quantile * (values.length + 1);
    const index = Math.floor(pos);
    if (index < 1) return Math.round(values[0]!);
    if (index >= values.length) return Math.round(values[values.length - 1]!);
    const lower = values[index - 1]!;
    const upper = values[index]!;
    return Math.round(lower + (pos - index) * (upper - lower));
  }

  override reset(): void {
    super.reset();
    this.#recent.length = 0;
    this.#next = 0;
  }
}
