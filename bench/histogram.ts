/**
 * A log-linear latency histogram in the spirit of HdrHistogram: values in microseconds, exact
 * below 128 µs and within 1/64 (~1.6 %) above, up to ~2^31 µs. Recording is one index computation
 * and one increment in a preallocated Uint32Array, so it costs next to nothing in the load loop,
 * and histograms from several worker processes merge by adding their counts.
 */

const LINEAR_BUCKETS = 128;
const SUB_BUCKETS = 64;
const SUB_BITS = 6;
const MAX_SHIFT = 25;
const BUCKET_COUNT = LINEAR_BUCKETS + MAX_SHIFT * SUB_BUCKETS;
const MAX_VALUE_US = 2 ** 31 - 1;

/** Bucket of a whole number of microseconds. */
function bucketOf(valueUs: number): number {
  if (valueUs < LINEAR_BUCKETS) return valueUs;
  const msb = 31 - Math.clz32(valueUs);
  const shift = msb - SUB_BITS;
  return LINEAR_BUCKETS + (shift - 1) * SUB_BUCKETS + ((valueUs >>> shift) - SUB_BUCKETS);
}

/** The middle of a bucket's value range, in microseconds. */
function bucketMidUs(bucket: number): number {
  if (bucket < LINEAR_BUCKETS) return bucket;
  const shift = Math.floor((bucket - LINEAR_BUCKETS) / SUB_BUCKETS) + 1;
  const low = ((bucket - LINEAR_BUCKETS) % SUB_BUCKETS + SUB_BUCKETS) * 2 ** shift;
  return low + 2 ** (shift - 1);
}

/**
 * Latency histogram.
 *
 * @example
 * const h = new LatencyHistogram();
 * h.recordMs(0.25);
 * h.percentileMs(99); // ~0.25
 */
export class LatencyHistogram {
  readonly counts: Uint32Array;
  total = 0;
  maxUs = 0;

  constructor(counts?: Uint32Array) {
    this.counts = counts ?? new Uint32Array(BUCKET_COUNT);
    for (let i = 0; i < this.counts.length; i++) this.total += this.counts[i]!;
  }

  /** Records one latency given in milliseconds (what performance.now() differences are). */
  recordMs(latencyMs: number): void {
    let us = Math.round(latencyMs * 1000);
    if (us < 0) us = 0;
    if (us > MAX_VALUE_US) us = MAX_VALUE_US;
    this.counts[bucketOf(us)]!++;
    this.total++;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** Adds another histogram's counts (e.g. from a worker process). */
  merge(other: { counts: ArrayLike<number>; maxUs: number }): void {
    for (let i = 0; i < BUCKET_COUNT; i++) {
      const c = other.counts[i] ?? 0;
      this.counts[i]! += c;
      this.total += c;
    }
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
  }

  /** The latency below which `percent` of the samples fall, in ms (NaN when empty). */
  percentileMs(percent: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((percent / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketMidUs(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.maxUs = 0;
  }
}
