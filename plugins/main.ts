import process from "node:process";
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
  return `Usage: paddock <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun 'paddock <command> --help' for a command's options.\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
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
    process.stderr.write(`paddock: ${(error as Error)?.stack ?? error}\n`);
    process.exit(1);
  },
);
