import { LatencyStats } from "./latency_stats.ts";

/** Counters the four-letter words and the admin endpoints report. */
export class ServerMetrics {
  packetsReceived = 0;
  packetsSent = 0;
  outstandingWrites = 0;
  readonly latency = new LatencyStats();

  /** `srst`: zero the counters. */
  reset(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.latency.reset();
  }
}
