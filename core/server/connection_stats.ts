import { OpCode } from "../proto/op_code.ts";
import { LatencyStats } from "./latency_stats.ts";

/** The short op names ZooKeeper's FinalRequestProcessor records as a connection's last op (`cons` lop=). */
const LAST_OP_NAMES = new Map<number, string>([
  [OpCode.ping, "PING"], [OpCode.createSession, "SESS"], [OpCode.multi, "MULT"], [OpCode.multiRead, "MLTR"],
  [OpCode.create, "CREA"], [OpCode.create2, "CREA"], [OpCode.createTTL, "CREA"], [OpCode.createContainer, "CREA"],
  [OpCode.delete, "DELE"], [OpCode.deleteContainer, "DELE"], [OpCode.setData, "SETD"], [OpCode.reconfig, "RECO"],
  [OpCode.setACL, "SETA"], [OpCode.closeSession, "CLOS"], [OpCode.sync, "SYNC"], [OpCode.check, "CHEC"],
  [OpCode.exists, "EXIS"], [OpCode.getData, "GETD"], [OpCode.setWatches, "SETW"], [OpCode.setWatches2, "STW2"],
  [OpCode.addWatch, "ADDW"], [OpCode.getACL, "GETA"], [OpCode.getChildren, "GETC"], [OpCode.getChildren2, "GETC"],
  [OpCode.getAllChildrenNumber, "GETACN"], [OpCode.checkWatches, "CHKW"], [OpCode.removeWatches, "REMW"],
  [OpCode.whoAmI, "HOMI"], [OpCode.getEphemerals, "GETE"],
]);

/**
 * One connection's counters for `cons`/`stat` (ZooKeeper's ServerCnxn stats): packets, the last
 * answered request and the latency of answers, all zeroed by `crst` except `established`.
 */
export class ConnectionStats {
  /** Wall-clock ms when the session was established (`est=`). */
  established = 0;
  packetsReceived = 0;
  packetsSent = 0;
  /** Short name of the last answered op (`lop=`), "NA" before any. */
  lastOp = "NA";
  /** xid of the last answered numbered request (`lcxid=`), -1 before any. */
  lastCxid = -1;
  /** Zxid the last answer carried (`lzxid=`); -1 prints as 0xffffffffffffffff, as in ZooKeeper. */
  lastZxid = -1n;
  /** Monotonic ms of the last answer (`lresp=`). */
  lastResponseMs = 0;
  lastLatencyMs = 0;
  readonly latency = new LatencyStats();

  /** An answer went out (updateStatsForResponse); latencies are whole ms as ZooKeeper keeps them. */
  answered({ xid, zxid, type, startMs, endMs }: { xid: number; zxid: bigint; type: number; startMs: number; endMs: number }): void {
    // Special xids (pings, auth, setWatches) do not replace the client's last real request id.
    if (xid >= 0) this.lastCxid = xid;
    this.lastZxid = zxid;
    this.lastOp = LAST_OP_NAMES.get(type) ?? "NA";
    this.lastResponseMs = Math.floor(endMs);
    const latencyMs = Math.max(0, Math.floor(endMs) - Math.floor(startMs));
    this.lastLatencyMs = latencyMs;
    this.latency.record(latencyMs);
  }

  /** `crst`: everything but the establishment time. */
  reset(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.lastOp = "NA";
    this.lastCxid = -1;
    this.lastZxid = -1n;
    this.lastResponseMs = 0;
    this.lastLatencyMs = 0;
    this.latency.reset();
  }

  /** Average latency in whole ms (integer division, as ZooKeeper's `avglat=`). */
  get avgLatency(): number {
    return this.latency.count === 0 ? 0 : Math.floor(this.latency.totalMs / this.latency.count);
  }
}
