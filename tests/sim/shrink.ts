import type { FaultEvent } from "./faults.ts";
import { simulate, type SimOptions, type SimReport } from "./simulation.ts";

/**
 * Shrinks a failing run's fault schedule (delta debugging): drops chunks of faults, halving the
 * chunk size down to single faults, keeping each removal after which the same seed still fails
 * a checker. Bounded by `maxRuns` simulations. Returns the smallest failing schedule found and
 * its report.
 */
export async function shrinkSchedule(
  options: Partial<SimOptions>,
  failing: SimReport,
  { maxRuns = 200 }: { maxRuns?: number } = {},
): Promise<{ schedule: readonly FaultEvent[]; report: SimReport; runs: number }> {
  let schedule = [...failing.schedule];
  let report = failing;
  let runs = 0;
  for (let chunk = Math.ceil(schedule.length / 2); chunk >= 1 && runs < maxRuns; chunk = Math.floor(chunk / 2)) {
    for (let start = 0; start < schedule.length && runs < maxRuns;) {
      const candidate = [...schedule.slice(0, start), ...schedule.slice(start + chunk)];
      runs++;
      const attempt = await simulate({ ...options, faultSchedule: candidate });
      if (attempt.violations.length > 0) {
        schedule = candidate;
        report = attempt;
      } else {
        start += chunk;
      }
    }
  }
  return { schedule, report, runs };
}
