import process from "node:process";
import { PADDOCK_RELEASE, PADDOCK_VERSION } from "../core/version.ts";
import type { CommandPlugin } from "./plugin.ts";
import { serverCommand } from "./server/server_command.ts";
import { shellCommand } from "./shell/shell_command.ts";
import { purgeCommand } from "./purge/purge_command.ts";
import { watchCommand } from "./watch/watch_command.ts";
import { lockCommand } from "./lock/lock_command.ts";
import { electCommand } from "./elect/elect_command.ts";
import { queueCommand } from "./queue/queue_command.ts";
import { barrierCommand } from "./barrier/barrier_command.ts";
import { counterCommand } from "./counter/counter_command.ts";
import { registryCommand } from "./registry/registry_command.ts";
import { ensembleCommand } from "./ensemble/ensemble_command.ts";

/** Every command of the executable; a plugin registers itself by being listed here. */
const commands: readonly CommandPlugin[] = [
  serverCommand,
  ensembleCommand,
  purgeCommand,
  watchCommand,
  lockCommand,
  electCommand,
  queueCommand,
  barrierCommand,
  counterCommand,
  registryCommand,
  shellCommand,
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: paddock <command> [options]
       paddock --version

Commands:
${lines.join("\n")}

Every command that talks to a server takes -server HOST:PORT[,...][/CHROOT] (default
$PADDOCK_SERVER, else 127.0.0.1:2181; the shell's default is zkCli's localhost:2181).
Exit status: 0 success, 1 failure (no server reachable, timeout, server error), 2 usage error,
3 lock/leadership/session lost while CMD ran; otherwise CMD's own status.

Examples:
  paddock server
  paddock shell ls /
  paddock lock /locks/nightly -- ./report.sh

Run 'paddock <command> --help' for a command's options and examples.
`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === "--version" || name === "-v" || name === "version") {
    process.stdout.write(`paddock ${PADDOCK_RELEASE} (ZooKeeper ${PADDOCK_VERSION.split("-")[0]} compatible)\n`);
    return 0;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(help());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`paddock: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  // Flags after "--" belong to the child program of lock/elect/barrier/registry.
  const own = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  if (own.includes("--help") || own.includes("-h")) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Expected failures are reported by each command; this is a bug or an unforeseen condition.
    // One line for the user; the stack only when asked for (PADDOCK_DEBUG=1), for a bug report.
    const message = error instanceof Error ? error.message : String(error);
    const stack = process.env.PADDOCK_DEBUG ? `\n${(error as Error)?.stack ?? ""}` : " (PADDOCK_DEBUG=1 shows where)";
    process.stderr.write(`paddock: unexpected error: ${message}${stack}\n`);
    process.exit(1);
  },
);
