import { parseArgs } from "node:util";
import { simulate } from "./simulation.ts";

/** `npm run sim -- --seeds 1-100 [--members 3] [--observers 0] [--ops 40] [--no-faults] [--trace]` */
const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "1-20" },
    members: { type: "string", default: "3" },
    observers: { type: "string", default: "0" },
    clients: { type: "string", default: "3" },
    ops: { type: "string", default: "40" },
    "no-faults": { type: "boolean", default: false },
    trace: { type: "boolean", default: false },
  },
});
const [from, to] = values.seeds!.includes("-") ? values.seeds!.split("-").map(Number) : [Number(values.seeds), Number(values.seeds)];
let failed = 0;
for (let seed = from!; seed <= to!; seed++) {
  const started = performance.now();
  const report = await simulate({
    seed,
    members: Number(values.members),
    observers: Number(values.observers),
    clients: Number(values.clients),
    opsPerClient: Number(values.ops),
    faults: values["no-faults"] ? null : {},
    trace: values.trace,
  });
  const ms = Math.round(performance.now() - started);
  const faults = Object.entries(report.faults).map(([k, v]) => `${k}=${v}`).join(" ");
  console.log(`seed ${seed}: ${report.violations.length === 0 ? "ok" : "FAILED"} ops ok=${report.ops.ok} fail=${report.ops.fail} unknown=${report.ops.unknown} ` +
    `leaders=${report.leaders.length} faults ${faults} virtual ${Math.round(report.virtualMs)} ms, ${report.steps} steps, ${ms} ms`);
  for (const v of report.violations) console.log(`  ${v.check}: ${v.detail}`);
  if (report.trace.length > 0 && (values.trace || report.violations.length > 0)) {
    for (const e of report.trace.slice(-200)) console.log(`  [${e.atMs.toFixed(1)}] ${e.sid}: ${e.line}`);
  }
  if (report.violations.length > 0) failed++;
}
console.log(`${to! - from! + 1 - failed} seeds ok, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
