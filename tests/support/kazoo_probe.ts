import { join } from "node:path";
import { REPO_ROOT } from "./runtime.ts";
import { assertExitedCleanly, runProcess } from "./run_process.ts";
import { noteSkip } from "./skips.ts";
import { findExecutable } from "./which.ts";
import { spawnSync } from "node:child_process";

const SCRIPT = join(REPO_ROOT, "tests", "interop", "kazoo_probe.py");
/** Debian's interpreter: the python3 first on PATH may be another one without python3-kazoo. */
const DEBIAN_PYTHON = "/usr/bin/python3";

let cachedSkipReason: string | false | undefined;

/**
 * Why the kazoo probe cannot run here, or false when it can (checked once per process).
 *
 * @example test("kazoo", { skip: kazooProbeSkipReason() }, ...)
 */
export function kazooProbeSkipReason(): string | false {
  if (cachedSkipReason !== undefined) return noteSkip(cachedSkipReason);
  const python = findExecutable("python3", [DEBIAN_PYTHON]);
  if (python === undefined) return noteSkip(cachedSkipReason = "python3 not installed");
  const r = spawnSync(python, ["-c", "import kazoo"], { timeout: 20_000 });
  cachedSkipReason = r.status === 0 ? false : `kazoo not importable by ${python} (apt-get install python3-kazoo)`;
  return noteSkip(cachedSkipReason);
}

/**
 * Runs the kazoo probe against a server and returns its transcript lines.
 *
 * @example const lines = await runKazooProbe(zk.connectString);
 */
export function runKazooProbe(connectString: string): Promise<string[]> {
  return runKazooScript([SCRIPT, connectString], 180_000);
}

/**
 * Runs python (the interpreter that has kazoo) with these arguments (a script file or `-c` code
 * and its arguments) and returns its non-empty stdout lines; fails unless it exits 0.
 *
 * @example const lines = await runKazooScript(["-c", code, zk.connectString], 60_000);
 */
export async function runKazooScript(args: string[], timeoutMs: number): Promise<string[]> {
  const r = await runProcess({
    command: findExecutable("python3", [DEBIAN_PYTHON])!,
    args,
    env: { PYTHONDONTWRITEBYTECODE: "1" },
    timeoutMs,
  });
  assertExitedCleanly(`python3 ${args.join(" ").slice(0, 80)}`, r);
  return r.stdout.split("\n").filter((line) => line !== "");
}
