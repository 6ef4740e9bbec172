import { join } from "node:path";
import { javaClientSkipReason, javaCommand, zookeeperClientJars } from "./java_tools.ts";
import { REPO_ROOT } from "./runtime.ts";
import { assertExitedCleanly, runProcess } from "./run_process.ts";

const SOURCE = join(REPO_ROOT, "tests", "interop", "java", "Probe.java");
/** The helpers Probe shares with the other Java-client probes. */
export const PROBE_BASE = join(REPO_ROOT, "tests", "interop", "java", "ProbeBase.java");

/**
 * Why the Java probe cannot run here, or false when it can.
 *
 * @example test("java probe", { skip: javaProbeSkipReason() }, ...)
 */
export function javaProbeSkipReason(): string | false {
  return javaClientSkipReason();
}

/**
 * Runs the Java-client probe (the oracle release's client) against a server and returns its
 * transcript lines.
 *
 * @example const lines = await runJavaProbe(zk.connectString);
 */
export async function runJavaProbe(connectString: string): Promise<string[]> {
  const { command, args } = await javaCommand({ source: SOURCE, with: [PROBE_BASE], classpath: zookeeperClientJars() }, [connectString]);
  const r = await runProcess({ command, args, timeoutMs: 180_000 });
  assertExitedCleanly(`java Probe ${connectString}`, r);
  return r.stdout.split("\n").filter((line) => line !== "");
}
