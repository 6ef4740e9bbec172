import { existsSync, mkdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { REPO_ROOT } from "./runtime.ts";
import { assertExitedCleanly, runProcess } from "./run_process.ts";
import { javaExecutable, ZOOKEEPER_JAR } from "./servers.ts";
import { findExecutable } from "./which.ts";

const SOURCE = join(REPO_ROOT, "tests", "interop", "java", "Probe.java");
const CLASS_DIR = join(REPO_ROOT, ".cache", "java");

/** javac, preferring Debian's. */
export function javacExecutable(): string | undefined {
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

/**
 * Compiles one Java source into `classDir` against `classpath`, unless its class there is newer
 * than the source.
 *
 * @example await compileJava({ source: "tests/interop/java/Probe.java", classDir: ".cache/java", classpath: ZOOKEEPER_JAR });
 */
export async function compileJava(opts: { source: string; classDir: string; classpath: string }): Promise<void> {
  const classFile = join(opts.classDir, basename(opts.source).replace(/\.java$/, ".class"));
  if (existsSync(classFile) && statSync(classFile).mtimeMs >= statSync(opts.source).mtimeMs) return;
  mkdirSync(opts.classDir, { recursive: true });
  const r = await runProcess({
    command: javacExecutable()!,
    args: ["-nowarn", "-cp", opts.classpath, "-d", opts.classDir, opts.source],
    timeoutMs: 120_000,
  });
  assertExitedCleanly(`javac ${basename(opts.source)}`, r);
}

/** Compiles Probe.java into .cache/java unless the class there is newer than the source. */
function compileProbe(): Promise<void> {
  return compileJava({ source: SOURCE, classDir: CLASS_DIR, classpath: ZOOKEEPER_JAR });
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
