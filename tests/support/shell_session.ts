import { resolve } from "node:path";
import { REPO_ROOT, typeScriptCommand } from "./runtime.ts";
import { runProcess, type RunResult } from "./run_process.ts";
import { PADDOCK_ENTRY } from "./servers.ts";
import { zkCliCommand } from "./zkcli_probe.ts";
import { ZkCliValueNormalizer } from "./zkcli_values.ts";

/** Which shell runs a session: the oracle's zkCli or `paddock shell` on the runtime under test. */
export const ShellKind = { zkCli: "zkCli", paddock: "paddock" } as const;
/** One of {@link ShellKind}. */
export type ShellKind = (typeof ShellKind)[keyof typeof ShellKind];

/**
 * Sent after each command: its error line marks where that command's output ends. A redo out of
 * range fails the same way connected or not (after `close`, a read would say "Not connected").
 */
const MARKER_COMMAND = "redo -1";
const MARKER_OUTPUT = "Command index out of range";
/** zkCli start-up and logging chatter, connection banners, and the blank lines around events. */
const NOISE = [
  /^SLF4J: /, /^Connecting to /, /^Welcome to ZooKeeper!/, /^JLine support is/, /^WATCHER::/,
  /^WatchedEvent state:\w+ type:None /, /^log4j:/, /^\s*$/, /^npm warn/,
  /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d.*\b(TRACE|DEBUG|INFO|WARN|ERROR)\b/,
  // What a JVM may print on some machines before zkCli says anything.
  /^OpenJDK .*VM warning:/, /^Picked up (_JAVA_OPTIONS|JAVA_TOOL_OPTIONS|JDK_JAVA_OPTIONS):/,
  /^WARNING: (An illegal reflective|A terminally deprecated|System::|Please consider reporting|Use --illegal-access|All illegal access|.* will be removed in a future release)/,
];

/** Runs a shell with these arguments and stdin, stderr merged into stdout in write order. */
export function runShell(kind: ShellKind, args: string[], input: string): Promise<RunResult> {
  const { command, args: full, env } = kind === ShellKind.zkCli
    ? zkCliCommand(args)
    : { ...typeScriptCommand(resolve(REPO_ROOT, PADDOCK_ENTRY), ["shell", ...args]), env: {} };
  return runProcess({
    command: "/bin/sh",
    args: ["-c", 'exec "$0" "$@" 2>&1', command, ...full],
    cwd: REPO_ROOT,
    env: { ...env, NO_COLOR: "1", FORCE_COLOR: undefined },
    input,
    timeoutMs: 120_000,
  });
}

/**
 * One shell session fed `commands` on stdin (a marker after each but the last two, so the exit
 * code is that of the command before the final `quit`), as "> command" lines each followed by
 * its normalized output, then the exit code, then "events:" and every watch event in the order
 * printed. Events are kept apart because the Java client prints them from its event thread,
 * which can lag a few commands behind; their order among themselves is fixed.
 *
 * @example const lines = await shellSession(ShellKind.zkCli, zk.connectString, ["ls /"]);
 */
export async function shellSession(kind: ShellKind, server: string, commands: string[]): Promise<string[]> {
  const marked = commands.length - 2;
  const input = commands.map((c, i) => (i < marked ? `${c}\n${MARKER_COMMAND}\n` : `${c}\n`)).join("");
  const r = await runShell(kind, ["-server", server], input);
  if (r.timedOut) throw new Error(`${kind} timed out:\n${r.stdout}`);
  const normalizer = new ZkCliValueNormalizer(server);
  const transcript: string[] = [];
  let output: string[] = [];
  const events: string[] = [];
  let index = 0;
  for (const raw of r.stdout.split("\n")) {
    if (NOISE.some((re) => re.test(raw))) continue;
    if (raw === MARKER_OUTPUT) {
      transcript.push(`> ${commands[index++] ?? "<extra marker>"}`, ...output);
      output = [];
    } else if (raw.startsWith("WatchedEvent ")) events.push(raw);
    else output.push(normalizer.line(raw));
  }
  if (index < marked) transcript.push(`!! only ${index} of ${marked} marked commands completed`);
  transcript.push(...commands.slice(marked).map((c) => `> ${c}`), ...output, `exit code ${r.code}`, "events:", ...events);
  return transcript;
}

/** One command given as arguments: its normalized output lines and exit code. */
export async function shellOneShot(kind: ShellKind, server: string, command: string[]): Promise<string[]> {
  const r = await runShell(kind, ["-server", server, ...command], "");
  const lines = r.stdout.split("\n").filter((l) => !NOISE.some((re) => re.test(l)) && !l.startsWith("WatchedEvent "));
  return [`> ${command.join(" ")}`, ...lines, `exit code ${r.code}`];
}

