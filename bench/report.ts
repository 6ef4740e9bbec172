/** The benchmark's result shape (what bench/results/*.json hold) and its markdown rendering. */
import type { BenchServerKind } from "./bench_servers.ts";
import type { LoadResult } from "./load.ts";
import type { MachineFacts } from "./machine.ts";

/** Start-up and memory facts of one server. */
export interface ServerFacts {
  kind: BenchServerKind;
  version: string;
  readyMs: number;
  firstSessionMs: number;
  rssIdleKb: number;
  rssAfterZnodesKb: number;
  rssPeakKb: number;
  znodes: number;
  create100k: LoadResult;
}

/** One whole run. */
export interface RunReport {
  date: string;
  mode: "quick" | "full";
  machine: MachineFacts;
  load: { sessions: number; inFlight: number; workers: number; warmupMs: number; durationMs: number; globalWarmupMs: number };
  servers: ServerFacts[];
  /** `loadAverage`: the box's 1-minute load average before the row (the box is shared). */
  results: (LoadResult & { server: BenchServerKind; loadAverage: number })[];
}

const ZOOKEEPER = "zookeeper";

/**
 * Markdown tables: throughput/latency per workload with Paddock/ZooKeeper ratios, then start-up
 * and memory.
 *
 * @example console.log(formatReport(JSON.parse(readFileSync("bench/results/2026-01-01.json", "utf8"))));
 */
export function formatReport(report: RunReport): string {
  const lines: string[] = [];
  const m = report.machine;
  lines.push(`Run ${report.date} (${report.mode}): ${m.cpus} x ${m.cpuModel}, ${m.memoryMiB} MiB, Node ${m.node}, ${m.java}.`);
  lines.push(`Load: ${report.load.sessions} sessions x ${report.load.inFlight} requests in flight (unless noted), ${report.load.workers} client process(es); ` +
    `${report.load.warmupMs / 1000} s warm-up + ${report.load.durationMs / 1000} s measured per row, after a ${report.load.globalWarmupMs / 1000} s mixed warm-up per server.`);
  const averages = report.results.map((r) => r.loadAverage);
  lines.push(`1-minute load average before the rows: ${Math.min(...averages).toFixed(2)} to ${Math.max(...averages).toFixed(2)} (2 cores; the benchmark itself accounts for about 2, more means other work shared the CPU).`);
  lines.push("");
  lines.push("| workload | value | sessions x in flight | server | ops/s | p50 ms | p99 ms | p99.9 ms | server CPU % | client CPU % | ops/s vs ZK | p99 vs ZK |");
  lines.push("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  const key = (r: LoadResult) => `${r.workload}/${r.valueBytes}/${r.sessions}/${r.inFlight}`;
  const baseline = new Map(report.results.filter((r) => r.server === ZOOKEEPER).map((r) => [key(r), r]));
  const order = [...new Set(report.results.map(key))];
  for (const k of order) {
    for (const r of report.results.filter((x) => key(x) === k)) {
      const zk = baseline.get(k);
      const ratio = (a: number, b: number | undefined) => (r.server === ZOOKEEPER || b === undefined ? "" : `${(a / b).toFixed(2)}x`);
      const errors = Object.keys(r.errors).length > 0 ? ` (errors: ${JSON.stringify(r.errors)})` : "";
      lines.push(`| ${r.workload}${errors} | ${r.valueBytes} B | ${r.sessions} x ${r.inFlight} | ${r.server} | ${fmtInt(r.opsPerSec)} | ${fmtMs(r.p50Ms)} | ${fmtMs(r.p99Ms)} | ${fmtMs(r.p999Ms)} | ` +
        `${r.serverCpuPct === null ? "" : r.serverCpuPct.toFixed(0)} | ${r.clientCpuPct.toFixed(0)} | ${ratio(r.opsPerSec, zk?.opsPerSec)} | ${ratio(r.p99Ms, zk?.p99Ms)} |`);
    }
  }
  lines.push("");
  lines.push(`| server | version | spawn -> serving ms | first session ms | RSS idle MiB | RSS after ${report.servers[0]?.znodes ?? 0} znodes MiB | peak RSS MiB | ${report.servers[0]?.znodes ?? 0} creates ops/s |`);
  lines.push("|---|---|---:|---:|---:|---:|---:|---:|");
  for (const s of report.servers) {
    lines.push(`| ${s.kind} | ${s.version} | ${fmtInt(s.readyMs)} | ${fmtInt(s.firstSessionMs)} | ${mib(s.rssIdleKb)} | ${mib(s.rssAfterZnodesKb)} | ${mib(s.rssPeakKb)} | ${fmtInt(s.create100k.opsPerSec)} |`);
  }
  return lines.join("\n");
}

/** A whole number with thousands separators ("n/a" for NaN). */
export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a";
}

/** Milliseconds with 3 significant-ish digits. */
export function fmtMs(ms: number): string {
  return ms < 1 ? ms.toFixed(3) : ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
}

function mib(kb: number): string {
  return (kb / 1024).toFixed(0);
}
