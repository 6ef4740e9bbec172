import { addAuthCommand, getAclCommand, setAclCommand, whoAmICommand } from "./acl_commands.ts";
import { CliError } from "./cli_error.ts";
import type { ShellCommand } from "./context.ts";
import {
  closeCommand, configCommand, getAllChildrenNumberCommand, getEphemeralsCommand, syncCommand, versionCommand,
} from "./info_commands.ts";
import { createCommand, deleteCommand, getCommand, setCommand, statCommand } from "./node_commands.ts";
import { delQuotaCommand, listQuotaCommand, setQuotaCommand } from "./quota_commands.ts";
import { deleteAllCommand, lsCommand } from "./tree_commands.ts";
import { addWatchCommand, removeWatchesCommand } from "./watch_commands.ts";

/** zkCli commands Paddock's shell knows by name but does not run (cluster reconfiguration). */
function unsupported(name: string, optionStr: string): ShellCommand {
  return {
    name,
    optionStr,
    run() {
      return Promise.reject(new CliError(`${name} is not supported by paddock shell`));
    },
  };
}

/** The commands that talk to the server, as zkCli's CommandFactory lists them. */
export const SERVER_COMMANDS: readonly ShellCommand[] = [
  addAuthCommand, addWatchCommand, closeCommand, createCommand, deleteCommand, deleteAllCommand, delQuotaCommand,
  getCommand, getAclCommand, getAllChildrenNumberCommand, getEphemeralsCommand, listQuotaCommand, lsCommand,
  removeWatchesCommand, setCommand, setAclCommand, setQuotaCommand, statCommand, syncCommand, whoAmICommand,
  configCommand, versionCommand,
  unsupported("reconfig", "[-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | " +
    "[-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]"),
];

/** The commands the shell itself handles (ZooKeeperMain's own), with their option strings. */
export const SHELL_COMMANDS: Readonly<Record<string, string>> = {
  connect: "host:port",
  history: "",
  redo: "cmdno",
  printwatches: "on|off",
  quit: "",
};

/** Every command name, sorted as zkCli sorts them (by UTF-16 code unit: `addWatch` before `addauth`). */
export function commandNames(): string[] {
  return [...Object.keys(SHELL_COMMANDS), ...SERVER_COMMANDS.map((c) => c.name)].sort();
}

/**
 * What zkCli prints to stderr for an unknown or empty command (ZooKeeperMain.usage).
 *
 * @example usageText().split("\n")[0] // "ZooKeeper -server host:port -client-configuration properties-file cmd args"
 */
export function usageText(): string[] {
  const optionsOf = (name: string) => SHELL_COMMANDS[name] ?? SERVER_COMMANDS.find((c) => c.name === name)!.optionStr;
  return ["ZooKeeper -server host:port -client-configuration properties-file cmd args",
    ...commandNames().map((name) => `\t${name} ${optionsOf(name)}`)];
}
