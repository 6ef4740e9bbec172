import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { connect } from "node:net";
import process from "node:process";
import type { CommandPlugin } from "../plugin.ts";
import { selfCommand } from "../cli/self_command.ts";
import { FlagKind, parseArgv } from "../cli/argv.ts";
import { EXIT_USAGE, UsageError } from "../cli/usage_error.ts";
import { type LocalMember, writeEnsembleLayout } from "./ensemble_layout.ts";

const usage = `Usage: paddock ensemble [--members N] [--observers K] [--dir DIR] [--client-port P]
                        [--peer-port P] [--admin-port P] [--host ADDR] [--tick-time MS] [--fresh]

Starts a local ensemble for development and for trying failover: one zoo.cfg and myid per
member under DIR (default ./ensemble, reused by the next run unless --fresh), each member its
own 'paddock server' process. Prints every member's pid and ports, then each change of role
(looking, follower, leader); Ctrl-C stops them all.

  --members N      voting members (default 3)
  --observers K    observers on top (default 0)
  --client-port P  first client port (default 2181; member N gets P + N - 1)
  --peer-port P    quorum ports P + N, election ports P + 1000 + N (default 2888)
  --admin-port P   first AdminServer port (default 8080; member N gets P + N - 1)

Examples:
  paddock ensemble --members 3
  paddock ensemble --members 5 --observers 1 --fresh
  paddock shell -server 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
  kill -9 <the leader's pid>      # and watch another member take over`;

interface Options {
  members: number;
  observers: number;
  dir: string;
  host: string;
  clientPortBase: number;
  peerPortBase: number;
  adminPortBase: number;
  tickTime: number;
  fresh: boolean;
}

const FLAGS = {
  members: FlagKind.value,
  observers: FlagKind.value,
  dir: FlagKind.value,
  host: FlagKind.value,
  "client-port": FlagKind.value,
  "peer-port": FlagKind.value,
  "admin-port": FlagKind.value,
  "tick-time": FlagKind.value,
  fresh: FlagKind.boolean,
} as const;

function parseOptions(args: readonly string[]): Options {
  const { flags, positionals } = parseArgv(args, FLAGS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const number = (name: keyof typeof FLAGS, fallback: number, min: number, max: number): number => {
    const text = flags[name];
    if (text === undefined) return fallback;
    const value = Number(text);
    if (typeof text !== "string" || !Number.isInteger(value) || value < min || value > max) {
      throw new UsageError(`--${name} needs a whole number from ${min} to ${max}`);
    }
    return value;
  };
  return {
    members: number("members", 3, 1, 9),
    observers: number("observers", 0, 0, 9),
    dir: typeof flags.dir === "string" ? flags.dir : "./ensemble",
    host: typeof flags.host === "string" ? flags.host : "127.0.0.1",
    clientPortBase: number("client-port", 2181, 1, 65000),
    peerPortBase: number("peer-port", 2888, 1, 64000),
    adminPortBase: number("admin-port", 8080, 1, 65000),
    tickTime: number("tick-time", 2000, 10, 60_000),
    fresh: flags.fresh === true,
  };
}

/** `srvr`'s Mode line, or "down"/"looking" when the member does not answer or does not serve. */
function modeOf(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const socket = connect({ host, port });
    const done = (mode: string) => {
      socket.destroy();
      resolve(mode);
    };
    socket.setTimeout(1000, () => done("down"));
    socket.on("connect", () => socket.write("srvr"));
    socket.on("data", (chunk) => (text += chunk.toString()));
    socket.on("error", () => done("down"));
    socket.on("close", () => done(/Mode: (\w+)/.exec(text)?.[1] ?? "looking"));
  });
}

function startMember(member: LocalMember): ChildProcess {
  const [program, ...args] = selfCommand(["server", member.cfgPath]);
  const child = spawn(program!, args, { stdio: ["ignore", "pipe", "pipe"] });
  const prefix = `[member ${member.sid}] `;
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = "";
    stream.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) process.stderr.write(prefix + line + "\n");
    });
  }
  return child;
}

/** `paddock ensemble`: a local N-member ensemble until Ctrl-C. */
export const ensembleCommand: CommandPlugin = {
  name: "ensemble",
  summary: "run a local N-member ensemble for development and failover drills",
  usage,
  async run(args) {
    let options: Options;
    try {
      options = parseOptions(args);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      process.stderr.write(`paddock ensemble: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (options.fresh) rmSync(options.dir, { recursive: true, force: true });
    const members = writeEnsembleLayout(options);
    const children = new Map(members.map((m) => [m.sid, startMember(m)]));
    process.stdout.write(`Ensemble of ${options.members} voting member(s) and ${options.observers} observer(s) in ${options.dir}:\n`);
    for (const m of members) {
      process.stdout.write(`  member ${m.sid}${m.observer ? " (observer)" : ""}: pid ${children.get(m.sid)!.pid}, ` +
        `client ${options.host}:${m.clientPort}, quorum ${m.quorumPort}, election ${m.electionPort}, ` +
        `admin http://127.0.0.1:${m.adminPort}/commands\n`);
    }
    process.stdout.write(`Connect string: ${members.map((m) => `${options.host}:${m.clientPort}`).join(",")}\nCtrl-C stops them all.\n`);
    const modes = new Map<number, string>();
    const poll = setInterval(async () => {
      for (const m of members) {
        const mode = await modeOf(options.host, m.clientPort);
        if (modes.get(m.sid) === mode) continue;
        modes.set(m.sid, mode);
        process.stdout.write(`member ${m.sid}: ${mode}\n`);
      }
    }, 1000);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    clearInterval(poll);
    process.stdout.write("stopping the ensemble\n");
    await Promise.all([...children.values()].map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    })));
    return 0;
  },
};
