import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./runtime.ts";
import { assertExitedCleanly, runProcess } from "./run_process.ts";
import { javaExecutable, ZOOKEEPER_JAR } from "./servers.ts";
import { findExecutable } from "./which.ts";

const SOURCE = join(REPO_ROOT, "tests", "interop", "java", "Probe.java");
const CLASS_DIR = join(REPO_ROOT, ".cache", "java");
const CLASS_FILE = join(CLASS_DIR, "Probe.class");

/** javac, preferring Debian's. */
function javacExecutable(): string | undefined {
  const fromHome = process.env.JAVA_HOME ? [join(process.env.JAVA_HOME, "bin", "javac")] : [];
  return findExecutable("javac", [...fromHome, "/usr/bin/javac"]);
}

/**
 * Why the Java probe cannot run here, or false when it can.
 *
 * @example test("java probe", { skip: javaProbeSkipReason() }, ...)
 */
export function javaProbeSkipReason(): string | false {
  if (javaExecutable() === undefined) return "java not installed";
  if (javacExecutable() === undefined) return "javac not installed";
  if (!existsSync(ZOOKEEPER_JAR)) return `${ZOOKEEPER_JAR} missing (apt-get install zookeeper)`;
  return false;
}

/** Compiles Probe.java into .cache/java unless the class there is newer than the source. */
async function compileProbe(): Promise<void> {
  if (existsSync(CLASS_FILE) && statSync(CLASS_FILE).mtimeMs >= statSync(SOURCE).mtimeMs) return;
  mkdirSync(CLASS_DIR, { recursive: true });
  const r = await runProcess({
    command: javacExecutable()!,
    args: ["-nowarn", "-cp", ZOOKEEPER_JAR, "-d", CLASS_DIR, SOURCE],
    timeoutMs: 120_000,
  });
  assertExitedCleanly("javac Probe.java", r);
}

/**
 * Runs the Java-client probe against a server and returns its transcript lines.
 *
 * @example const lines = await runJavaProbe(zk.connectString);
 */
export async function runJavaProbe(connectString: string): Promise<string[]> {
  await compileProbe();
  const r = await runProcess({
    command: javaExecutable()!,
    args: ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", `${CLASS_DIR}:${ZOOKEEPER_JAR}`, "Probe", connectString],
    timeoutMs: 180_000,
  });
  assertExitedCleanly(`java Probe ${connectString}`, r);
  return r.stdout.split("\n").filter((line) => line !== "");
}
