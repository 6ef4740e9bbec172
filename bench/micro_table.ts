/** Renders a finished tinybench run as a markdown table (ops/s first: that is what we compare). */
import type { Bench } from "tinybench";

/**
 * One row per task: ops/s, mean time per op, relative margin of error, samples.
 * Tasks loop over `defaultOpsPerCall` operations per call so that tinybench's own per-call cost
 * (a few hundred ns) does not swamp sub-microsecond operations; `opsPerCall` overrides per task.
 *
 * @example console.log(microTable(bench, { defaultOpsPerCall: 100, opsPerCall: { "parse 1000 frames": 1000 } }));
 */
export function microTable(bench: Bench, opts: { defaultOpsPerCall?: number; opsPerCall?: Record<string, number> } = {}): string {
  const opsPerCall = opts.opsPerCall ?? {};
  const lines = ["| benchmark | ops/s | ns/op mean | ns/op median | ± % | samples |", "|---|---:|---:|---:|---:|---:|"];
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== "completed") {
      lines.push(`| ${task.name} | ${result.state} | | | | |`);
      continue;
    }
    const per = opsPerCall[task.name] ?? opts.defaultOpsPerCall ?? 1;
    // ops/s from the mean period (total time / calls), so it agrees with the mean ns/op; the
    // median shows what a call costs without the GC pauses the mean includes.
    const nsPerOp = (result.period * 1e6) / per;
    const medianNsPerOp = (result.latency.p50 * 1e6) / per;
    const ns = (n: number) => n.toFixed(n < 100 ? 1 : 0);
    lines.push(`| ${task.name} | ${Math.round(1e9 / nsPerOp).toLocaleString("en-US")} | ${ns(nsPerOp)} | ${ns(medianNsPerOp)} | ${result.latency.rme.toFixed(1)} | ${result.latency.samplesCount} |`);
  }
  return lines.join("\n");
}
