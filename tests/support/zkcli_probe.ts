import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./runtime.ts";
import { assertExitedCleanly, runProcess } from "./run_process.ts";
import { ZkCliValueNormalizer } from "./zkcli_values.ts";

/** Debian's zkCli.sh (zookeeper-bin / zookeeper packages). */
export const ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh";
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
  return existsSync(ZKCLI) ? false : `${ZKCLI} missing (apt-get install zookeeper-bin)`;
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
  const r = await runProcess({
    command: "/bin/sh",
    args: ["-c", 'exec "$0" "$@" 2>&1', ZKCLI, "-server", connectString, "-waitforconnection", "-timeout", "10000"],
    env: { CLIENT_JVMFLAGS: "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" },
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

