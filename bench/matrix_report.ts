/** What bench/write_matrix.ts measures (bench/results/write-matrix-*.json) and its markdown rendering with the goals. */
import type { BenchServerKind } from "./bench_servers.ts";

/** One row on one server. */
export interface MatrixRow {
  /** empty, 100k, 1m or nzc. */
  phase: string;
  /** Znodes in the tree besides the benchmark's own keys. */
  treeZnodes: number;
  /** The load generator: the lean raw-protocol one, or node-zookeeper-client. */
  client: "lean" | "nzc";
  server: BenchServerKind;
  workload: string;
  valueBytes: number;
  sessions: number;
  inFlight: number;
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  errors: Record<string, number>;
  serverCpuPct: number | null;
  clientCpuPct: number;
  /** The box's 1-minute load average before the row. */
  loadAverage: number;
}

/** A whole run. */
export interface MatrixReport {
  date: string;
  mode: "quick" | "full";
  machine: { cpus: number; cpuModel: string; memoryMiB: number; node: string; java: string };
  zookeeperVersion: string;
  rows: MatrixRow[];
  bulkLoads: { server: BenchServerKind; znodes: number; seconds: number; opsPerSec: number; p99Ms: number; p999Ms: number; loadAverage: number }[];
  memory: { server: BenchServerKind; znodes: number; rssKb: number; peakRssKb: number }[];
  snapshots: {
    server: BenchServerKind;
    znodes: number;
    snapshotMs: number;
    p999BeforeMs: number;
    p999DuringMs: number;
    p999AfterMs: number;
    repliesDuring: number;
    opsPerSec: number;
    loadAverage: number;
  }[];
  restarts: { server: BenchServerKind; znodes: number; txns: number; readyMs: number; loadAverage: number; log: string[] }[];
}

const ZOOKEEPER = "zookeeper";

/**
 * Markdown: one table per phase (ZooKeeper and Paddock rows side by side with ratios and whether
 * the goal is met), then bulk load, memory, the snapshot under load and the restart.
 */
export function formatMatrix(report: MatrixReport): string {
  const lines: string[] = [];
  const m = report.machine;
  lines.push(`Write matrix ${report.date} (${report.mode}): ${m.cpus} x ${m.cpuModel}, ${m.memoryMiB} MiB, Node ${m.node}, ${m.java}; ZooKeeper ${report.zookeeperVersion} (-Xmx1000m), fsync on for both.`);
  const averages = [...report.rows.map((r) => r.loadAverage), ...report.bulkLoads.map((b) => b.loadAverage)];
  if (averages.length > 0) lines.push(`1-minute load average before the rows: ${Math.min(...averages).toFixed(2)} to ${Math.max(...averages).toFixed(2)} (2 cores shared by client and servers).`);
  lines.push("");
  lines.push("Goals (issue 12): ops/s >= 2.0x ZooKeeper's; writes p99 and p99.9 <= 1/3 of ZooKeeper's (mix: p99.9 only; multi: ops/s only).");
  lines.push("");
  const key = (r: MatrixRow) => `${r.phase}/${r.client}/${r.workload}/${r.valueBytes}/${r.sessions}x${r.inFlight}`;
  const zk = new Map(report.rows.filter((r) => r.server === ZOOKEEPER).map((r) => [key(r), r]));
  for (const phase of [...new Set(report.rows.map((r) => r.phase))]) {
    const rows = report.rows.filter((r) => r.phase === phase);
    lines.push(`#### ${phaseTitle(phase, rows[0]!)}`);
    lines.push("");
    lines.push("| workload | value | sessions x in flight | server | ops/s | p50 ms | p99 ms | p99.9 ms | server CPU % | load | ops/s vs ZK | p99 vs ZK | p99.9 vs ZK | goal |");
    lines.push("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (const r of rows) {
      const base = r.server === ZOOKEEPER ? undefined : zk.get(key(r));
      const ratio = (a: number, b: number | undefined) => (b === undefined ? "" : `${(a / b).toFixed(2)}x`);
      const errors = Object.keys(r.errors).length > 0 ? ` (errors ${JSON.stringify(r.errors)})` : "";
      lines.push(`| ${r.workload}${errors} | ${r.valueBytes} B | ${r.sessions} x ${r.inFlight} | ${r.server} | ${int(r.opsPerSec)} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${ms(r.p999Ms)} | ` +
        `${r.serverCpuPct === null ? "" : r.serverCpuPct.toFixed(0)} | ${r.loadAverage.toFixed(1)} | ${ratio(r.opsPerSec, base?.opsPerSec)} | ${ratio(r.p99Ms, base?.p99Ms)} | ${ratio(r.p999Ms, base?.p999Ms)} | ${base === undefined ? "" : verdict(r, base)} |`);
    }
    lines.push("");
  }
  if (report.bulkLoads.length > 0) {
    lines.push("| bulk load (8 x 16 creates, 100 B) | znodes | seconds | creates/s | p99 ms | p99.9 ms | time vs ZK (goal <= 0.5x) |");
    lines.push("|---|---:|---:|---:|---:|---:|---:|");
    const base = report.bulkLoads.find((b) => b.server === ZOOKEEPER);
    for (const b of report.bulkLoads) {
      lines.push(`| ${b.server} | ${int(b.znodes)} | ${b.seconds.toFixed(1)} | ${int(b.opsPerSec)} | ${ms(b.p99Ms)} | ${ms(b.p999Ms)} | ${b.server === ZOOKEEPER || base === undefined ? "" : goal(b.seconds / base.seconds, 0.5)} |`);
    }
    lines.push("");
  }
  if (report.memory.length > 0) {
    lines.push("| memory | znodes (100 B) | RSS MiB | peak RSS MiB | RSS vs ZK (goal <= 0.5x) |");
    lines.push("|---|---:|---:|---:|---:|");
    const base = report.memory.find((b) => b.server === ZOOKEEPER);
    for (const b of report.memory) {
      lines.push(`| ${b.server} | ${int(b.znodes)} | ${int(b.rssKb / 1024)} | ${int(b.peakRssKb / 1024)} | ${b.server === ZOOKEEPER || base === undefined ? "" : goal(b.rssKb / base.rssKb, 0.5)} |`);
    }
    lines.push("");
  }
  if (report.snapshots.length > 0) {
    lines.push("| snapshot during setData 8 x 16 | znodes | snapshot ms | replies during it | p99.9 before ms | p99.9 during ms | p99.9 after ms | during / before (goal <= 2x) |");
    lines.push("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const s of report.snapshots) {
      lines.push(`| ${s.server} | ${int(s.znodes)} | ${int(s.snapshotMs)} | ${int(s.repliesDuring)} | ${ms(s.p999BeforeMs)} | ${ms(s.p999DuringMs)} | ${ms(s.p999AfterMs)} | ${goal(s.p999DuringMs / s.p999BeforeMs, 2, s.server === ZOOKEEPER)} |`);
    }
    lines.push("");
  }
  if (report.restarts.length > 0) {
    lines.push("| restart to serving | znodes | txns of log after the snapshot | ms | time vs ZK (goal <= 0.5x) |");
    lines.push("|---|---:|---:|---:|---:|");
    const base = report.restarts.find((b) => b.server === ZOOKEEPER);
    for (const r of report.restarts) {
      lines.push(`| ${r.server} | ${int(r.znodes)} | ${int(r.txns)} | ${int(r.readyMs)} | ${r.server === ZOOKEEPER || base === undefined ? "" : goal(r.readyMs / base.readyMs, 0.5)} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

function phaseTitle(phase: string, row: MatrixRow): string {
  const client = row.client === "nzc" ? "node-zookeeper-client as the load generator" : "lean raw-protocol load generator";
  const tree = row.treeZnodes === 0 ? "no znodes besides the benchmark's keys" : `${int(row.treeZnodes)} znodes in the tree`;
  return `${phase}: ${tree}, ${client}`;
}

/** Whether a Paddock row meets its goal against ZooKeeper's row. */
function verdict(r: MatrixRow, zk: MatrixRow): string {
  const throughput = r.opsPerSec / zk.opsPerSec >= 2;
  const p99 = r.p99Ms / zk.p99Ms <= 1 / 3;
  const p999 = r.p999Ms / zk.p999Ms <= 1 / 3;
  const met = r.workload === "multiCreate" ? throughput : r.workload === "mix" || r.workload === "getData" ? throughput && p999 : throughput && p99 && p999;
  if (met) return "met";
  const missed = [!throughput && "ops/s", r.workload !== "multiCreate" && r.workload !== "mix" && !p99 && "p99", r.workload !== "multiCreate" && !p999 && "p99.9"].filter(Boolean);
  return `missed (${missed.join(", ")})`;
}

function goal(ratio: number, limit: number, informational = false): string {
  const text = `${ratio.toFixed(2)}x`;
  if (informational) return text;
  return `${text} ${ratio <= limit ? "met" : "missed"}`;
}

function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-";
}

function ms(value: number): string {
  if (!Number.isFinite(value)) return "-";
  return value < 1 ? value.toFixed(3) : value < 10 ? value.toFixed(2) : value.toFixed(1);
}
