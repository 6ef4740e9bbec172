import { noteSkip } from "./skips.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, typeScriptCommand } from "./runtime.ts";
import { assertExitedCleanly, runProcess } from "./run_process.ts";

const SCRIPT = join(REPO_ROOT, "tests", "interop", "nzc_probe.ts");

/**
 * Why the node-zookeeper-client probe cannot run here, or false when it can.
 *
 * @example test("nzc", { skip: nzcProbeSkipReason() }, ...)
 */
export function nzcProbeSkipReason(): string | false {
  const installed = existsSync(join(REPO_ROOT, "node_modules", "node-zookeeper-client", "package.json"));
  return noteSkip(installed ? false : "node-zookeeper-client not installed (npm ci)");
}

/**
 * Runs the node-zookeeper-client probe as a child on the runtime under test and returns its
 * transcript lines; a separate process keeps the client's sockets and timers out of the test.
 *
 * @example const lines = await runNzcProbe(zk.connectString);
 */
export async function runNzcProbe(connectString: string): Promise<string[]> {
  const { command, args } = typeScriptCommand(SCRIPT, [connectString]);
  const r = await runProcess({ command, args, cwd: REPO_ROOT, timeoutMs: 120_000 });
  assertExitedCleanly(`nzc_probe.ts ${connectString}`, r);
  return r.stdout.split("\n").filter((line) => line !== "");
}
