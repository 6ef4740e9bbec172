import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { javaExecutable } from "./java_tools.ts";
import { type Command, REPO_ROOT } from "./runtime.ts";
import { noteSkip } from "./skips.ts";
import { assertExitedCleanly, runProcess } from "./run_process.ts";
import { ZkCliValueNormalizer } from "./zkcli_values.ts";
import { ORACLE_VERSION, ZooKeeperVersion, zookeeperJars, zookeeperMissing } from "./zookeeper_dist.ts";

/** Debian's zkCli.sh (zookeeper-bin / zookeeper packages): ZooKeeper 3.8.0's shell. */
const ZKCLI_SH = "/usr/share/zookeeper/bin/zkCli.sh";
/** zkCli.sh's JVM flags, made quick to start; ZooKeeperMain gets the same ones directly. */
const ZKCLI_JVM_FLAGS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"];

/**
 * The command that runs zkCli of the oracle release with `args`: for 3.9.3, its
 * `org.apache.zookeeper.ZooKeeperMain` (what zkCli.sh runs) on its jars; for 3.8.0, Debian's zkCli.sh.
 *
 * @example const { command, args } = zkCliCommand(["-server", "127.0.0.1:2181", "ls", "/"]);
 */
export function zkCliCommand(args: readonly string[]): Command & { env: Record<string, string> } {
  if (ORACLE_VERSION === ZooKeeperVersion.v380) {
    return { command: ZKCLI_SH, args: [...args], env: { CLIENT_JVMFLAGS: ZKCLI_JVM_FLAGS.join(" ") } };
  }
  const classpath = zookeeperJars(ORACLE_VERSION).join(":");
  return { command: javaExecutable() ?? "java", args: [...ZKCLI_JVM_FLAGS, "-cp", classpath, "org.apache.zookeeper.ZooKeeperMain", ...args], env: {} };
}
const SCRIPT = join(REPO_ROOT, "tests", "interop", "zkcli_script.txt");
/** A read of a path that never exists: its "Node does not exist" line marks where each command's output ends. */
const MARKER_PATH = "/__paddock_probe_step__";
const MARKER_COMMAND = `stat ${MARKER_PATH}`;
const MARKER_OUTPUT = `Node does not exist: ${MARKER_PATH}`;

/** Lines that are zkCli start-up, logging or asynchronous watch chatter, not command results. */
const NOISE = [
  /^SLF4J: /, /^Connecting to /, /^Welcome to ZooKeeper!/, /^JLine support is/, /^WATCHER::/,
  /^WatchedEvent /, /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d.*\b(TRACE|DEBUG|INFO|WARN|ERROR)\b/, /^log4j:/, /^\s*$/,
];

/**
 * Why the zkCli probe cannot run here, or false when it can.
 *
 * @example test("zkCli", { skip: zkCliSkipReason() }, ...)
 */
export function zkCliSkipReason(): string | false {
  if (ORACLE_VERSION === ZooKeeperVersion.v380) {
    return noteSkip(existsSync(ZKCLI_SH) ? false : `${ZKCLI_SH} missing (apt-get install zookeeper-bin)`);
  }
  if (javaExecutable() === undefined) return noteSkip("java not installed (apt-get install default-jdk-headless)");
  const missing = zookeeperMissing(ORACLE_VERSION);
  return noteSkip(missing === null ? false : `zkCli ${ORACLE_VERSION}: ${missing}`);
}

/** The script's commands, one per non-empty line (lines starting with # are comments). */
export function zkCliCommands(): string[] {
  return readFileSync(SCRIPT, "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
}

/**
 * Runs the zkCli script in one zkCli.sh session (commands on stdin, a marker read after each)
 * and returns "> command" lines each followed by that command's normalized output.
 *
 * @example const lines = await runZkCliProbe(zk.connectString);
 */
export async function runZkCliProbe(connectString: string): Promise<string[]> {
  const commands = zkCliCommands();
  const input = commands.map((c) => `${c}\n${MARKER_COMMAND}\n`).join("") + "quit\n";
  // sh merges stderr into stdout on one pipe so errors stay in order with results.
  const zkCli = zkCliCommand(["-server", connectString, "-waitforconnection", "-timeout", "10000"]);
  const r = await runProcess({
    command: "/bin/sh",
    args: ["-c", 'exec "$0" "$@" 2>&1', zkCli.command, ...zkCli.args],
    env: zkCli.env,
    input,
    timeoutMs: 120_000,
  });
  // zkCli exits with the status of its last command, so the code is part of the transcript.
  if (r.timedOut) assertExitedCleanly(`zkCli.sh -server ${connectString}`, r);
  return [...normalize(r.stdout, commands), `exit code ${r.code}`];
}

function normalize(output: string, commands: string[]): string[] {
  const lines = output.split("\n").filter((l) => !NOISE.some((re) => re.test(l)));
  const normalizer = new ZkCliValueNormalizer();
  const transcript: string[] = [];
  let index = 0;
  let pending: string[] = [];
  for (const line of lines) {
    if (line !== MARKER_OUTPUT) {
      pending.push(normalizer.line(line));
      continue;
    }
    transcript.push(`> ${commands[index] ?? "<extra marker>"}`, ...pending);
    pending = [];
    index++;
  }
  if (index !== commands.length) transcript.push(`!! only ${index} of ${commands.length} commands completed`);
  transcript.push(...pending);
  return transcript;
}

