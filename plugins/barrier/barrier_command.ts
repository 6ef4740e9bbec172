import process from "node:process";
import * as v from "valibot";
import { DoubleBarrier } from "../../recipes/mod.ts";
import { bounded } from "../cli/bounded.ts";
import { FlagKind, parseArgv } from "../cli/argv.ts";
import { CommandFailure, defineCommand, interruptSignal, isTimeout, waitSignal } from "../cli/command.ts";
import { connectionFlags, connectionHelp, connectionOptions, openClient } from "../cli/connection.ts";
import { startChild } from "../cli/child_command.ts";
import { KILL_GRACE_DEFAULT_MS } from "../cli/held_command.ts";
import { intFlag, msFlag, parseWith, pathArgument } from "../cli/schemas.ts";
import { UsageError } from "../cli/usage_error.ts";
import { announceWait } from "../cli/waiting.ts";

const usage = `Usage: paddock barrier PATH --members N [--id ID] [--timeout MS] [options] [-- CMD [ARGS...]]

A double barrier (the ZooKeeper recipe; Curator's DistributedDoubleBarrier layout): waits until
N members have entered PATH, runs CMD (if given), then waits until all N have left. Exits with
CMD's code (0 without CMD); 1 when --timeout passes while waiting to enter or to leave.
Members are ephemeral nodes, so a member that dies leaves by itself.

Options:
  --members N              how many members the barrier waits for
  --id ID                  this member's node name (default: a random UUID)
  --timeout MS             give up waiting (at entry, and again at exit) after MS

${connectionHelp}

Examples:
  paddock barrier /barriers/batch-7 --members 3 -- ./process-shard.sh
  paddock barrier /barriers/start --members 10 --timeout 60000`;

const flags = { ...connectionFlags, members: FlagKind.value, id: FlagKind.value, timeout: FlagKind.value };
const schema = v.object({
  path: pathArgument(),
  members: intFlag("--members", { min: 1, max: 100_000 }),
  timeout: v.optional(msFlag("--timeout")),
});

/** `paddock barrier`: enter a double barrier, run a command, leave. */
export const barrierCommand = defineCommand({
  name: "barrier",
  summary: "wait for N members at a double barrier, optionally run a command, then leave together",
  usage,
  async run(args) {
    const parsed = parseArgv(args, flags);
    if (parsed.positionals.length !== 1) throw new UsageError("expects exactly one PATH");
    if (parsed.flags.members === undefined) throw new UsageError("missing --members N");
    const opts = parseWith(schema, { path: parsed.positionals[0], members: parsed.flags.members, timeout: parsed.flags.timeout });
    const id = typeof parsed.flags.id === "string" ? parsed.flags.id : undefined;
    const conn = connectionOptions(parsed.flags);
    const interrupt = interruptSignal();
    await using client = bounded(await openClient(conn));
    await using barrier = bounded(new DoubleBarrier(client, opts.path, { memberQty: opts.members, id }));
    await barrier.start();
    try {
      await waitFor("enter", () => {
        const entering = barrier.enter({ signal: waitSignal(interrupt.signal, opts.timeout) });
        announceWait(entering, "paddock barrier", async () => {
          const { children } = await client.getChildren(opts.path);
          return `waiting at ${opts.path} for ${opts.members} members (${children.filter((c) => c !== "ready").length} there)`;
        });
        return entering;
      }, opts.timeout);
      process.stderr.write(`paddock barrier: entered ${opts.path} (${opts.members} members)\n`);
    } finally {
      interrupt.dispose();
    }
    let code = 0;
    if (parsed.command.length > 0) {
      code = (await startChild({ argv: parsed.command, graceMs: KILL_GRACE_DEFAULT_MS }).exited).code;
    }
    const leaving = interruptSignal();
    try {
      await waitFor("leave", () => barrier.leave({ signal: waitSignal(leaving.signal, opts.timeout) }), opts.timeout);
    } finally {
      leaving.dispose();
    }
    return code;
  },
});

async function waitFor(what: string, wait: () => Promise<void>, timeoutMs: number | undefined): Promise<void> {
  try {
    await wait();
  } catch (error) {
    if (isTimeout(error)) throw new CommandFailure(`could not ${what} the barrier within ${timeoutMs} ms`);
    throw error;
  }
}
