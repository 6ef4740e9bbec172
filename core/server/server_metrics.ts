/** Counters the four-letter words and the admin endpoints report. */
export class ServerMetrics {
  packetsReceived = 0;
  packetsSent = 0;
  outstandingWrites = 0;
  latencyMinMs = Number.POSITIVE_INFINITY;
  latencyMaxMs = 0;
  latencyTotalMs = 0;
  latencyCount = 0;

  recordLatency(ms: number): void {
    if (ms < this.latencyMinMs) this.latencyMinMs = ms;
    if (ms > this.latencyMaxMs) this.latencyMaxMs = ms;
    this.latencyTotalMs += ms;
    this.latencyCount++;
  }

  get latencyAvgMs(): number {
    return this.latencyCount === 0 ? 0 : this.latencyTotalMs / this.latencyCount;
  }

  /** `srst`: zero the counters. */
  reset(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.latencyMinMs = Number.POSITIVE_INFINITY;
    this.latencyMaxMs = 0;
    this.latencyTotalMs = 0;
    this.latencyCount = 0;
  }
}
