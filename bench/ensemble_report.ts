/** The ensemble benchmark's result shape (bench/results/<date>-ensemble.json) and its markdown. */
import type { EnsembleKind } from "./ensemble_members.ts";
import type { FailoverLoad, FailoverRound } from "./ensemble_failover.ts";
import type { RejoinFill, RejoinLoad, RejoinRound } from "./ensemble_rejoin.ts";
import type { ThroughputLoad, ThroughputRow } from "./ensemble_throughput.ts";
import type { MachineFacts } from "./machine.ts";
import { fmtInt, fmtMs } from "./report.ts";

/** What every part records about when and where it ran. */
export interface PartContext {
  /** When the part started (ISO). */
  date: string;
  machine: MachineFacts;
  /** The disk's raw fdatasync/s right before the part (a busy shared disk shows here). */
  fsyncsPerSec: number;
  /** Server versions as `srvr` reports them. */
  versions: Partial<Record<EnsembleKind, string>>;
}

/** Throughput and latency rows. */
export interface ThroughputPart extends PartContext {
  load: ThroughputLoad;
  rows: ThroughputRow[];
}

/** Leader failovers. */
export interface FailoverPart extends PartContext {
  load: FailoverLoad;
  rounds: FailoverRound[];
}

/** Rejoin of a wiped follower by snapshot. */
export interface RejoinPart extends PartContext {
  load: RejoinLoad;
  fills: RejoinFill[];
  rounds: RejoinRound[];
}

/** A results file: the parts measured (a run that skips a part keeps the day's earlier one). */
export interface EnsembleReport {
  /** The ensembles: 3 members each, on the same disk, started as their operators would. */
  setup: string;
  throughput?: ThroughputPart;
  failover?: FailoverPart;
  rejoin?: RejoinPart;
}

const ZK = "zookeeper";
const PADDOCK = "paddock";

/**
 * Markdown tables for every part the report holds.
 *
 * @example console.log(formatEnsembleReport(JSON.parse(readFileSync("bench/results/2026-01-01-ensemble.json", "utf8"))));
 */
export function formatEnsembleReport(report: EnsembleReport): string {
  const out: string[] = [report.setup, ""];
  if (report.throughput) out.push(...throughputTable(report.throughput), "");
  if (report.failover) out.push(...failoverTable(report.failover), "");
  if (report.rejoin) out.push(...rejoinTable(report.rejoin), "");
  return out.join("\n");
}

function contextLine(part: PartContext): string {
  const m = part.machine;
  const versions = Object.entries(part.versions).map(([k, v]) => `${k} ${v}`).join("; ");
  return `Run ${part.date}: ${m.cpus} x ${m.cpuModel}, ${m.memoryMiB} MiB, Node ${m.node}, ${m.java}; ${versions}. ` +
    `Disk before the part: ${fmtInt(part.fsyncsPerSec)} raw fdatasync/s.`;
}

function loadRange(values: number[]): string {
  return `${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)}`;
}

function throughputTable(part: ThroughputPart): string[] {
  const l = part.load;
  const lines = [
    `### Throughput and latency (${l.sessions} sessions x ${l.inFlight} in flight, ${l.warmupMs / 1000} s warm-up + ${l.durationMs / 1000} s measured per row)`,
    "",
    contextLine(part),
    `1-minute load average before the rows: ${loadRange(part.rows.map((r) => r.loadAverage))} (2 cores; the benchmark alone accounts for about 2).`,
    "",
    "| workload | value | sessions on | server | ops/s | p50 ms | p99 ms | p99.9 ms | servers CPU % | client CPU % | load avg | ops/s vs ZK | p99 vs ZK | p99.9 vs ZK |",
    "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const key = (r: ThroughputRow) => `${r.workload}/${r.valueBytes}/${r.via}`;
  const zk = new Map(part.rows.filter((r) => r.server === ZK).map((r) => [key(r), r]));
  for (const k of new Set(part.rows.map(key))) {
    for (const r of part.rows.filter((x) => key(x) === k)) {
      const base = zk.get(k);
      const ratio = (a: number, b: number | undefined) => (r.server === ZK || b === undefined ? "" : `${(a / b).toFixed(2)}x`);
      const errors = Object.keys(r.errors).length > 0 ? ` (errors: ${JSON.stringify(r.errors)})` : "";
      lines.push(`| ${r.workload}${errors} | ${r.valueBytes} B | ${r.via} | ${r.server} | ${fmtInt(r.opsPerSec)} | ${fmtMs(r.p50Ms)} | ${fmtMs(r.p99Ms)} | ${fmtMs(r.p999Ms)} | ` +
        `${r.serverCpuPct === null ? "" : r.serverCpuPct.toFixed(0)} | ${r.clientCpuPct.toFixed(0)} | ${r.loadAverage.toFixed(1)} | ` +
        `${ratio(r.opsPerSec, base?.opsPerSec)} | ${ratio(r.p99Ms, base?.p99Ms)} | ${ratio(r.p999Ms, base?.p999Ms)} |`);
    }
  }
  return lines;
}

/** The median (upper middle for an even count) and the largest of some figures. */
export function medianAndWorst(values: readonly number[]): { median: number; worst: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN, worst: sorted.at(-1) ?? Number.NaN };
}

function failoverTable(part: FailoverPart): string[] {
  const lines = [
    `### Leader failover (SIGKILL of the leader under ${part.load.window} pipelined creates from one session that knows all members, to the first create acknowledged in the new epoch)`,
    "",
    contextLine(part),
    "",
    "| server | rounds | failover median ms | failover worst ms | election median ms | election worst ms | killed member caught up again, median ms | writes in doubt (all rounds) | load avg | median vs ZK | worst vs ZK |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const stats = (kind: string) => {
    const rounds = part.rounds.filter((r) => r.server === kind);
    const elections = rounds.flatMap((r) => (r.electionMs === null ? [] : [r.electionMs]));
    return { rounds, failover: medianAndWorst(rounds.map((r) => r.failoverMs)), election: medianAndWorst(elections), rejoin: medianAndWorst(rounds.map((r) => r.restartRejoinMs)) };
  };
  const zk = stats(ZK);
  for (const kind of [ZK, PADDOCK]) {
    const s = stats(kind);
    if (s.rounds.length === 0) continue;
    const ratio = (a: number, b: number) => (kind === ZK ? "" : `${(a / b).toFixed(2)}x`);
    lines.push(`| ${kind} | ${s.rounds.length} | ${fmtInt(s.failover.median)} | ${fmtInt(s.failover.worst)} | ${fmtInt(s.election.median)} | ${fmtInt(s.election.worst)} | ` +
      `${fmtInt(s.rejoin.median)} | ${s.rounds.reduce((n, r) => n + r.unknownWrites, 0)} | ${loadRange(s.rounds.map((r) => r.loadAverage))} | ` +
      `${ratio(s.failover.median, zk.failover.median)} | ${ratio(s.failover.worst, zk.failover.worst)} |`);
  }
  lines.push("", `Rounds (failover ms): ${[ZK, PADDOCK].map((k) => `${k} ${stats(k).rounds.map((r) => fmtInt(r.failoverMs)).join(", ")}`).join("; ")}.`);
  return lines;
}

function rejoinTable(part: RejoinPart): string[] {
  const l = part.load;
  const lines = [
    `### Rejoin by snapshot (${fmtInt(l.znodes)} znodes of ${l.valueBytes} B; a follower stopped, its data dir wiped but myid, started again)`,
    "",
    contextLine(part),
    "",
    "| server | znodes | fill creates/s | RSS per member after fill MiB | rounds | snapshots sent | serving median ms | caught up median ms | caught up worst ms | load avg | median vs ZK | worst vs ZK |",
    "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const stats = (kind: string) => {
    const rounds = part.rounds.filter((r) => r.server === kind);
    return { rounds, fill: part.fills.find((f) => f.server === kind), serving: medianAndWorst(rounds.map((r) => r.servingMs)), caughtUp: medianAndWorst(rounds.map((r) => r.caughtUpMs)) };
  };
  const zk = stats(ZK);
  for (const kind of [ZK, PADDOCK]) {
    const s = stats(kind);
    if (s.fill === undefined) continue;
    const ratio = (a: number, b: number) => (kind === ZK ? "" : `${(a / b).toFixed(2)}x`);
    lines.push(`| ${kind} | ${fmtInt(s.fill.nodeCount)} | ${fmtInt(s.fill.fill.opsPerSec)} | ${s.fill.rssMiB.join(" / ")} | ${s.rounds.length} | ` +
      `${s.rounds.map((r) => r.snapsSent).join(", ")} | ${fmtInt(s.serving.median)} | ${fmtInt(s.caughtUp.median)} | ${fmtInt(s.caughtUp.worst)} | ` +
      `${loadRange([s.fill.loadAverage, ...s.rounds.map((r) => r.loadAverage)])} | ${ratio(s.caughtUp.median, zk.caughtUp.median)} | ${ratio(s.caughtUp.worst, zk.caughtUp.worst)} |`);
  }
  return lines;
}
