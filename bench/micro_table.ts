/** Renders a finished tinybench run as a markdown table (ops/s first: that is what we compare). */
import type { Bench } from "tinybench";

/**
 * One row per task: ops/s, mean time per op, relative margin of error, samples.
 * `opsPerCall` scales a task that does several operations per call (e.g. frames per push).
 *
 * @example console.log(microTable(bench, { "parse 1000 frames": 1000 }));
 */
export function microTable(bench: Bench, opsPerCall: Record<string, number> = {}): string {
  const lines = ["| benchmark | ops/s | ns/op | ± % | samples |", "|---|---:|---:|---:|---:|"];
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== "completed") {
      lines.push(`| ${task.name} | ${result.state} | | | |`);
      continue;
    }
    const per = opsPerCall[task.name] ?? 1;
    const opsPerSec = result.throughput.mean * per;
    const nsPerOp = (result.latency.mean * 1e6) / per;
    lines.push(`| ${task.name} | ${Math.round(opsPerSec).toLocaleString("en-US")} | ${nsPerOp.toFixed(nsPerOp < 100 ? 1 : 0)} | ${result.latency.rme.toFixed(1)} | ${result.latency.samplesCount} |`);
  }
  return lines.join("\n");
}
