import { existsSync, mkdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { type Command, REPO_ROOT } from "./runtime.ts";
import { noteSkip } from "./skips.ts";
import { assertExitedCleanly, runProcess } from "./run_process.ts";
import { findExecutable } from "./which.ts";
import { ORACLE_VERSION, zookeeperJars, zookeeperMissing } from "./zookeeper_dist.ts";

/** The java binary, preferring $JAVA_HOME's, then Debian's. */
export function javaExecutable(): string | undefined {
  const fromHome = process.env.JAVA_HOME ? [join(process.env.JAVA_HOME, "bin", "java")] : [];
  return findExecutable("java", [...fromHome, "/usr/bin/java"]);
}

/** javac, preferring $JAVA_HOME's, then Debian's. */
export function javacExecutable(): string | undefined {
  const fromHome = process.env.JAVA_HOME ? [join(process.env.JAVA_HOME, "bin", "javac")] : [];
  return findExecutable("javac", [...fromHome, "/usr/bin/javac"]);
}

/**
 * The ZooKeeper client jars of the oracle release (3.9.3 unless PADDOCK_ORACLE says otherwise),
 * so the Java client, zkCli and Curator are the same release as the server they are compared on.
 */
export function zookeeperClientJars(): string[] {
  return zookeeperJars(ORACLE_VERSION);
}

/**
 * Why a Java program built against the ZooKeeper client cannot run here, or false.
 *
 * @example test("java probe", { skip: javaClientSkipReason() }, ...)
 */
export function javaClientSkipReason(): string | false {
  if (javaExecutable() === undefined) return noteSkip("java not installed (apt-get install default-jdk-headless)");
  if (javacExecutable() === undefined) return noteSkip("javac not installed (apt-get install default-jdk-headless)");
  const missing = zookeeperMissing(ORACLE_VERSION);
  return noteSkip(missing === null ? false : `ZooKeeper ${ORACLE_VERSION} client: ${missing}`);
}

/** A Java source compiled into the cache, per oracle release (the classes link against its jars). */
export interface JavaProgram {
  /** The main class's source file. */
  source: string;
  /** Other sources compiled with it (shared helpers such as ProbeBase.java). */
  with?: readonly string[];
  /** Jars it compiles and runs against (besides its own class directory). */
  classpath: readonly string[];
  /** JVM flags; default: a small quick-starting JVM (serial GC, C1 only), right for short probes. */
  jvmFlags?: readonly string[];
}

const QUICK_START_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"];

/** Where a program's classes go: .cache/java/<name>-<release>. */
function classDir(program: JavaProgram): string {
  return join(REPO_ROOT, ".cache", "java", `${basename(program.source, ".java")}-${ORACLE_VERSION}`);
}

/** Compiles the program into the cache unless its class there is newer than the source. */
export async function compileJava(program: JavaProgram): Promise<void> {
  const dir = classDir(program);
  const classFile = join(dir, `${basename(program.source, ".java")}.class`);
  const sources = [program.source, ...(program.with ?? [])];
  const newestSourceMs = Math.max(...sources.map((source) => statSync(source).mtimeMs));
  if (existsSync(classFile) && statSync(classFile).mtimeMs >= newestSourceMs) return;
  mkdirSync(dir, { recursive: true });
  const r = await runProcess({
    command: javacExecutable()!,
    args: ["-nowarn", "-cp", program.classpath.join(":"), "-d", dir, ...sources],
    timeoutMs: 120_000,
  });
  assertExitedCleanly(`javac ${basename(program.source)}`, r);
}

/** The command that runs a compiled program's main class (see {@link compileJava}). */
export function javaRunCommand(program: JavaProgram, args: readonly string[]): Command {
  return {
    command: javaExecutable()!,
    args: [...(program.jvmFlags ?? QUICK_START_FLAGS), "-Djava.net.preferIPv4Stack=true",
      "-cp", [classDir(program), ...program.classpath].join(":"), basename(program.source, ".java"), ...args],
  };
}

/**
 * Compiles the program if needed and returns the command that runs it with the given arguments.
 *
 * @example const cmd = await javaCommand({ source, classpath: zookeeperClientJars() }, ["127.0.0.1:2181"]);
 */
export async function javaCommand(program: JavaProgram, args: readonly string[]): Promise<Command> {
  await compileJava(program);
  return javaRunCommand(program, args);
}
