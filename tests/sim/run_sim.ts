import { parseArgs } from "node:util";
import { describeFault } from "./faults.ts";
import { shrinkSchedule } from "./shrink.ts";
import { simulate, type SimOptions, type SimReport } from "./simulation.ts";

const usage = `npm run sim -- [--seeds A-B] [--members 3|5] [--observers K] [--clients N] [--ops N]
                  [--no-faults] [--trace] [--no-shrink]

Runs the deterministic simulation for each seed: an ensemble and its clients on virtual time
with injected faults, then every checker. A failing seed prints its violations, the smallest
fault schedule that still fails (shrunk), and the end of its trace; rerun one seed with
--trace to see everything it did (messages, persists, commits).`;

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "1-20" },
    members: { type: "string", default: "3" },
    observers: { type: "string", default: "0" },
    clients: { type: "string", default: "3" },
    ops: { type: "string", default: "40" },
    "no-faults": { type: "boolean", default: false },
    trace: { type: "boolean", default: false },
    "no-shrink": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const [from, to] = values.seeds!.includes("-") ? values.seeds!.split("-").map(Number) : [Number(values.seeds), Number(values.seeds)];
const totals: Record<string, number> = {};
let failed = 0;
const startedAll = performance.now();
for (let seed = from!; seed <= to!; seed++) {
  const options: Partial<SimOptions> = {
    seed,
    members: Number(values.members),
    observers: Number(values.observers),
    clients: Number(values.clients),
    opsPerClient: Number(values.ops),
    faults: values["no-faults"] ? null : {},
    trace: values.trace,
  };
  const started = performance.now();
  const report = await simulate(options);
  for (const [kind, n] of Object.entries(report.faults)) totals[kind] = (totals[kind] ?? 0) + n;
  console.log(summary(report, Math.round(performance.now() - started)));
  if (report.violations.length === 0) {
    if (values.trace) printTrace(report, Infinity);
    continue;
  }
  failed++;
  for (const v of report.violations) console.log(`  ${v.check}: ${v.detail}`);
  const shrunk = values["no-shrink"] ? { schedule: report.schedule, report, runs: 0 } : await shrinkSchedule(options, report);
  console.log(`  smallest failing fault schedule (${shrunk.schedule.length} of ${report.schedule.length} faults, ${shrunk.runs} runs to shrink):`);
  for (const event of shrunk.schedule) console.log(`    ${describeFault(event)}`);
  for (const v of shrunk.report.violations) console.log(`  with it: ${v.check}: ${v.detail}`);
  printTrace(shrunk.report, values.trace ? Infinity : 150);
}
const seconds = ((performance.now() - startedAll) / 1000).toFixed(1);
console.log(`${to! - from! + 1 - failed} seeds ok, ${failed} failed (${seconds} s); faults injected: ` +
  Object.entries(totals).map(([k, v]) => `${k}=${v}`).join(" "));
process.exitCode = failed > 0 ? 1 : 0;

function summary(report: SimReport, ms: number): string {
  const faults = Object.entries(report.faults).map(([k, v]) => `${k}=${v}`).join(" ");
  return `seed ${report.seed}: ${report.violations.length === 0 ? "ok" : "FAILED"} ops ok=${report.ops.ok} fail=${report.ops.fail} ` +
    `unknown=${report.ops.unknown} leaders=${report.leaders.length} faults ${faults || "none"}, virtual ${Math.round(report.virtualMs)} ms, ` +
    `${report.steps} steps, ${ms} ms`;
}

function printTrace(report: SimReport, last: number): void {
  const lines = report.trace.slice(-last);
  for (const e of lines) console.log(`  [${e.atMs.toFixed(1)}] ${e.sid}: ${e.line}`);
}
