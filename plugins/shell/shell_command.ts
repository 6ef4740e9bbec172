import process from "node:process";
import type { CommandPlugin } from "../plugin.ts";
import { runRepl } from "./repl.ts";
import { Shell, type ShellOutput } from "./shell.ts";

const usage = `Usage: paddock shell [-server host:port[,host:port...][/chroot]] [-timeout ms] [-waitforconnection] [command args...]

ZooKeeper's zkCli.sh: the same commands, options, output and error texts (run 'help' for the list).
With a command it runs that one command and exits with its status (0, 1 on failure, 127 for an
unknown command). Without one it reads commands: at a terminal with a prompt, history (up/down,
'history', 'redo N') and tab completion of commands and znode paths; from a pipe one command per
line, going on after a failure and exiting with the last command's status, as zkCli does.
The server defaults to $PADDOCK_SERVER, else localhost:2181 (zkCli's default); --server works too.

Examples:
  paddock shell -server zk1:2181,zk2:2181
  paddock shell ls -R /app
  PADDOCK_SERVER=zk1:2181/app paddock shell get -s /config
  printf 'create /a x\nget /a\n' | paddock shell -server 127.0.0.1:2181`;

/** zkCli's command-line options (ZooKeeperMain.MyCommandOptions.parseOptions). */
export interface MainOptions {
  server: string;
  timeoutMs: number;
  waitForConnection: boolean;
  /** The command and its arguments, when one was given. */
  command: string[] | undefined;
}

/**
 * Parses `[-server s] [-timeout ms] [-r] [-waitforconnection] [-client-configuration f] [cmd args...]`;
 * the first word not starting with "-" begins the command. Unknown flags are ignored, as in zkCli.
 * Without -server, $PADDOCK_SERVER names the servers (as for every paddock command).
 *
 * @example parseMainOptions(["-server", "h:2181", "ls", "/"]).command // ["ls", "/"]
 */
export function parseMainOptions(args: readonly string[]): MainOptions | string {
  const server = process.env.PADDOCK_SERVER || "localhost:2181";
  const options: MainOptions = { server, timeoutMs: 30_000, waitForConnection: false, command: undefined };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const takesValue = arg === "-server" || arg === "--server" || arg === "-timeout" || arg === "-client-configuration";
    if (takesValue && i + 1 >= args.length) return `Error: no argument found for option ${arg}`;
    if (arg === "-server" || arg === "--server") options.server = args[++i]!;
    else if (arg === "-timeout") {
      const ms = Number(args[++i]);
      if (!Number.isInteger(ms) || ms <= 0) return `Error: -timeout needs a number of milliseconds, not ${args[i]}`;
      options.timeoutMs = ms;
    } else if (arg === "-client-configuration") i++;
    else if (arg === "-waitforconnection") options.waitForConnection = true;
    else if (!arg.startsWith("-")) {
      options.command = args.slice(i);
      break;
    }
  }
  return options;
}

const processOutput: ShellOutput = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/** `paddock shell`: zkCli.sh for Paddock and ZooKeeper. */
export const shellCommand: CommandPlugin = {
  name: "shell",
  summary: "zkCli-compatible shell: one command from the arguments, or a prompt / commands on stdin",
  usage,
  async run(args) {
    const options = parseMainOptions(args);
    if (typeof options === "string") {
      process.stderr.write(`${options}\n`);
      return 2;
    }
    processOutput.stdout(`Connecting to ${options.server}\n`);
    const shell = new Shell({ server: options.server, timeoutMs: options.timeoutMs, output: processOutput });
    if (options.waitForConnection && !(await shell.waitForConnection())) {
      await shell.close();
      process.stderr.write("KeeperErrorCode = ConnectionLoss\n");
      return 1;
    }
    if (options.command !== undefined) {
      await shell.processCommand(options.command);
      if (!shell.quit) await shell.close();
      return shell.exitCode;
    }
    processOutput.stdout("Welcome to ZooKeeper!\n");
    return runRepl(shell, { input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
  },
};
