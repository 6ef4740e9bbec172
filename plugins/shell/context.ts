import type { Client, Watcher } from "../../core/client/mod.ts";
import { type OptionHelp, optionHelpLines } from "./option_help.ts";

/** What a command runs against: the session, the default watcher and the two output streams. */
export interface ShellContext {
  readonly client: Client;
  /** zkCli's default watcher: prints each event it hears (when printwatches is on). */
  readonly watcher: Watcher;
  /** One line to stdout. */
  out(line: string): void;
  /** One line to stderr. */
  err(line: string): void;
  /** Text to stdout without a newline (setAcl -R prints its errors that way). */
  write(text: string): void;
  /** How many watch-removal events the watcher has heard so far. */
  removalCount(): number;
}

/** One zkCli command: the name, the option text of its usage line, and what it does. */
export interface ShellCommand {
  readonly name: string;
  /** zkCli 3.9's option string, e.g. `[-s] [-w] [-R] path`. */
  readonly optionStr: string;
  /** Options zkCli 3.9 lists under the usage line (only get and set have them). */
  readonly optionHelp?: readonly OptionHelp[];
  /** Runs with the tokens including the command name; throws CliError on failure. */
  run(ctx: ShellContext, tokens: string[]): Promise<void>;
}

/** The usage of a command (CliCommand.getUsageStr): its line, then its options' help if it has any. */
export function usageOf(command: Pick<ShellCommand, "name" | "optionStr" | "optionHelp">): string {
  const line = `${command.name} ${command.optionStr}`;
  return command.optionHelp === undefined ? line : [line, ...optionHelpLines(command.optionHelp)].join("\n");
}
