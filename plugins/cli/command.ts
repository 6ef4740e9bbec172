import process from "node:process";
import { KeeperError } from "../../mod.ts";
import type { CommandPlugin } from "../plugin.ts";
import { ConnectTimeoutError } from "./connection.ts";
import { EXIT_FAILURE, EXIT_USAGE, UsageError } from "./usage_error.ts";

/** What a recipe command declares; {@link defineCommand} adds the uniform error handling. */
export interface CommandDefinition {
  name: string;
  summary: string;
  usage: string;
  run(args: readonly string[]): Promise<number>;
}

/**
 * Builds a {@link CommandPlugin} whose errors all end the same way: a usage error prints the
 * message and the usage (exit 2); a server error, a connect timeout or a lost lock prints
 * `paddock <name>: <message>` (exit 1). Anything else is a bug and propagates with its stack.
 *
 * @example export const counterCommand = defineCommand({ name: "counter", summary, usage, run });
 */
export function defineCommand(def: CommandDefinition): CommandPlugin {
  return {
    name: def.name,
    summary: def.summary,
    usage: def.usage,
    async run(args) {
      try {
        return await def.run(args);
      } catch (error) {
        if (error instanceof UsageError) {
          process.stderr.write(`paddock ${def.name}: ${error.message}\n\n${def.usage}\n`);
          return EXIT_USAGE;
        }
        if (error instanceof KeeperError || error instanceof ConnectTimeoutError || error instanceof CommandFailure) {
          process.stderr.write(`paddock ${def.name}: ${error.message}\n`);
          return EXIT_FAILURE;
        }
        throw error;
      }
    },
  };
}

/** An expected failure with a message for the user (timeout, lost lock, no such item). */
export class CommandFailure extends Error {
  override name = "CommandFailure";
}

/**
 * An AbortSignal that fires on SIGINT or SIGTERM (Ctrl-C while waiting for a lock, a queue item,
 * a barrier), plus `dispose` to drop the handlers when the wait is over.
 *
 * @example const interrupt = interruptSignal(); try { await wait(interrupt.signal) } finally { interrupt.dispose() }
 */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => controller.abort(new CommandFailure(`interrupted by ${name}`));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/**
 * A signal that aborts on interrupt or after `timeoutMs` (when given), whichever comes first.
 *
 * @example const wait = waitSignal(interrupt.signal, opts.timeoutMs);
 */
export function waitSignal(interrupt: AbortSignal, timeoutMs: number | undefined): AbortSignal {
  if (timeoutMs === undefined) return interrupt;
  return AbortSignal.any([interrupt, AbortSignal.timeout(timeoutMs)]);
}

/** True when an error is the abort of a {@link waitSignal} timeout (not an interrupt). */
export function isTimeout(error: unknown): boolean {
  return (error as Error)?.name === "TimeoutError";
}
