import { LatencyStats } from "./latency_stats.ts";
import { PercentileStats } from "./percentile_stats.ts";

/** What a start-up measured, once (ZooKeeper's dbinittime, startup_* summaries). */
export interface StartupMetrics {
  /** Loading the newest snapshot, ms. */
  snapLoadMs: number;
  /** Replaying the txns after it, ms. */
  txnsLoadMs: number;
  /** How many txns were replayed. */
  txnsLoaded: number;
  /** The whole database initialisation, ms. */
  dbInitMs: number;
}

/**
 * Counters the four-letter words and the admin endpoints report. Everything here is measured;
 * `mntr` prints only what is (see monitor.ts).
 */
export class ServerMetrics {
  packetsReceived = 0;
  packetsSent = 0;
  outstandingWrites = 0;
  /** Every answer's latency (srvr's min/avg/max, mntr's *_latency). */
  readonly latency = new LatencyStats();
  /** Answers to reads and to writes, split as ZooKeeper's readlatency/updatelatency, with percentiles. */
  readonly readLatency = new PercentileStats();
  readonly updateLatency = new PercentileStats();
  /** Time to write each snapshot (capture to durable file), ms. */
  readonly snapshotTime = new LatencyStats();
  /** Bytes of the last, smallest and largest response (header + body, not the length prefix); -1 before any. */
  lastResponseBytes = -1;
  minResponseBytes = -1;
  maxResponseBytes = -1;
  bytesReceived = 0;
  authFailed = 0;
  /** Connections refused (too many from one address, or not serving). */
  connectionsRejected = 0;
  /** Session handshakes received. */
  connectionRequests = 0;
  readonly startupSnapLoad = new LatencyStats();
  readonly startupTxnsLoad = new LatencyStats();
  readonly startupTxnsLoaded = new LatencyStats();
  readonly dbInit = new LatencyStats();

  /** An answer went out `ms` after its request arrived. */
  answered(ms: number, isWrite: boolean): void {
    this.latency.record(ms);
    (isWrite ? this.updateLatency : this.readLatency).record(ms);
  }

  /** A reply or notification of `bytes` (without the 4-byte length) went to a client (BufferStats). */
  responded(bytes: number): void {
    this.lastResponseBytes = bytes;
    if (this.minResponseBytes === -1 || bytes < this.minResponseBytes) this.minResponseBytes = bytes;
    if (bytes > this.maxResponseBytes) this.maxResponseBytes = bytes;
  }

  /** The database was loaded at start-up. */
  started(m: StartupMetrics): void {
    this.startupSnapLoad.record(m.snapLoadMs);
    this.startupTxnsLoad.record(m.txnsLoadMs);
    this.startupTxnsLoaded.record(m.txnsLoaded);
    this.dbInit.record(m.dbInitMs);
  }

  /** `srst`: zero the counters, as ZooKeeper's ServerStats.reset() (which resets all metrics). */
  reset(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    for (const stats of [this.latency, this.readLatency, this.updateLatency, this.snapshotTime, this.startupSnapLoad,
      this.startupTxnsLoad, this.startupTxnsLoaded, this.dbInit]) stats.reset();
    this.lastResponseBytes = this.minResponseBytes = this.maxResponseBytes = -1;
    this.bytesReceived = this.authFailed = this.connectionsRejected = this.connectionRequests = 0;
  }
}
