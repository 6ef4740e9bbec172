import { resolve } from "node:path";
import { REPO_ROOT, typeScriptCommand } from "./runtime.ts";
import { runProcess, type RunResult } from "./run_process.ts";
import { PADDOCK_ENTRY } from "./servers.ts";
import { ZKCLI } from "./zkcli_probe.ts";

/** Which shell runs a session: Debian's zkCli.sh or `paddock shell` on the runtime under test. */
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
];
const TIME_SLACK_MS = 10 * 60_000;

/** Runs a shell with these arguments and stdin, stderr merged into stdout in write order. */
export function runShell(kind: ShellKind, args: string[], input: string): Promise<RunResult> {
  const { command, args: full } = kind === ShellKind.zkCli
    ? { command: ZKCLI, args }
    : typeScriptCommand(resolve(REPO_ROOT, PADDOCK_ENTRY), ["shell", ...args]);
  return runProcess({
    command: "/bin/sh",
    args: ["-c", 'exec "$0" "$@" 2>&1', command, ...full],
    cwd: REPO_ROOT,
    env: { CLIENT_JVMFLAGS: "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC", NO_COLOR: "1", FORCE_COLOR: undefined },
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
  const normalizer = new ValueNormalizer(server);
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

/** Rewrites zxids relative to the first one seen, session ids as S1.., times as T, the server as SERVER. */
class ValueNormalizer {
  private zxidBase: bigint | undefined;
  private readonly sessions = new Map<string, string>();
  constructor(private readonly server: string) {}

  line(line: string): string {
    const zxid = /^(cZxid|mZxid|pZxid) = 0x([0-9a-f]+)$/.exec(line);
    if (zxid) return `${zxid[1]} = ${this.zxid(BigInt("0x" + zxid[2]))}`;
    const time = /^(ctime|mtime) = (.+)$/.exec(line);
    if (time) return `${time[1]} = ${plausibleTime(time[2]!)}`;
    const owner = /^ephemeralOwner = 0x([0-9a-f]+)$/.exec(line);
    if (owner && owner[1] !== "0") return `ephemeralOwner = ${this.session(owner[1]!)}`;
    return line.replaceAll(this.server, "SERVER");
  }

  private zxid(z: bigint): string {
    if (z === 0n) return "0";
    this.zxidBase ??= z;
    const d = z - this.zxidBase;
    return d >= 0n ? `z+${d}` : `z${d}`;
  }

  private session(id: string): string {
    if (!this.sessions.has(id)) this.sessions.set(id, `S${this.sessions.size + 1}`);
    return this.sessions.get(id)!;
  }
}

/** Java's Date.toString(); the root's zero time stays visible as "0". */
function plausibleTime(text: string): string {
  const ms = Date.parse(text.replace(/ [A-Z]{3,4} (\d{4})$/, " $1 UTC"));
  if (Number.isNaN(ms)) return `T!unparsed(${text})`;
  if (ms === 0) return "0";
  return Math.abs(Date.now() - ms) <= TIME_SLACK_MS ? "T" : "T!implausible";
}
