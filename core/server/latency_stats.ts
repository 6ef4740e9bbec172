/**
 * Min/max/total/count of answer latencies in whole ms, as ZooKeeper keeps them for the server
 * (`srvr`, `mntr`) and for each connection (`cons`). Both reset on `srst`/`crst`.
 */
export class LatencyStats {
  #minMs = Number.POSITIVE_INFINITY;
  maxMs = 0;
  totalMs = 0;
  count = 0;

  record(ms: number): void {
    if (ms < this.#minMs) this.#minMs = ms;
    if (ms > this.maxMs) this.maxMs = ms;
    this.totalMs += ms;
    this.count++;
  }

  /** The smallest latency, 0 before any answer. */
  get minMs(): number {
    return this.count === 0 ? 0 : this.#minMs;
  }

  reset(): void {
    this.#minMs = Number.POSITIVE_INFINITY;
    this.maxMs = 0;
    this.totalMs = 0;
    this.count = 0;
  }
}
