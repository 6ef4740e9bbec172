import { SyncReads } from "../history/check_registers.ts";
import type { ChaosReport } from "./run_chaos.ts";

const ANOMALIES_SHOWN = 10;

/**
 * A chaos run as a few lines of text: ops by outcome and kind, faults by kind, what the
 * checkers found, where the history is.
 *
 * @example console.log(formatReport(report));
 */
export function formatReport(report: ChaosReport): string {
  const ops = report.ops;
  const byKind = Object.entries(ops.byKind).map(([k, n]) => `${k} ${n}`).join(", ");
  const faults = Object.entries(report.faults).map(([k, n]) => `${k} ${n}`).join(", ");
  const faultTotal = Object.values(report.faults).reduce((a, b) => a + b, 0);
  const lines = [
    `chaos ${report.valid ? "PASSED" : "FAILED"}: ${report.memberKinds.join("+")} (${report.members} voting), seed ${report.seed}, ${Math.round(report.durationMs / 1000)} s under faults, clients ${report.clients.join("+")}`,
    `  ops: ${ops.total} (ok ${ops.ok}, fail ${ops.fail}, unknown ${ops.unknown}): ${byKind}; lock holds ${report.lockHolds}; sessions opened ${report.sessionsOpened}`,
    `  faults: ${faultTotal} (${faults || "none"})`,
    `  registers: ${report.registersChecked} checked for linearizability, largest search ${report.maxSearchSteps} steps`,
    `  anomalies: ${report.anomalies.length}${report.anomalies.length > 0 ? ` (${Object.entries(report.anomaliesByKind).map(([k, n]) => `${k} ${n}`).join(", ")})` : ""}`,
    `  lost acknowledged writes: ${report.lostWrites}`,
    syncReadsLine(report),
    `  undecided: ${report.undecided.length}${report.undecided.length > 0 ? ` (${report.undecided.join("; ")})` : ""}`,
    ...report.knownIssues.map((issue) => `  known ZooKeeper issue met (reported, not counted): ${issue}`),
    `  history and member logs: ${report.outDir}`,
  ];
  for (const finding of report.staleSyncReads.slice(0, ANOMALIES_SHOWN)) lines.push(`  - [reported] ${finding.message.split("\n").join("\n      ")}`);
  for (const anomaly of report.anomalies.slice(0, ANOMALIES_SHOWN)) lines.push(`  - [${anomaly.checker}] ${anomaly.kind}: ${anomaly.message.split("\n").join("\n      ")}`);
  if (report.anomalies.length > ANOMALIES_SHOWN) lines.push(`  ... ${report.anomalies.length - ANOMALIES_SHOWN} more in report.json`);
  return lines.join("\n");
}


function syncReadsLine(report: ChaosReport): string {
  if (report.syncReads === SyncReads.linearizable) return "  reads after sync: held to linearizability (counted above)";
  const stale = report.staleSyncReads.length;
  return `  reads after sync: ${stale === 0 ? "none stale" : `stale on ${stale} register(s)`} (reported, not counted: ZooKeeper's sync is not a quorum operation, ZOOKEEPER-1675)`;
}
