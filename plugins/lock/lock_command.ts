import { hostname } from "node:os";
import process from "node:process";
import { Mutex } from "../../recipes/mod.ts";
import { bounded, settleWithin } from "../cli/bounded.ts";
import { parseArgv } from "../cli/argv.ts";
import { CommandFailure, defineCommand, interruptSignal, isTimeout, waitSignal } from "../cli/command.ts";
import { connectionFlags, connectionHelp, connectionOptions, openClient } from "../cli/connection.ts";
import { EXIT_OWNERSHIP_LOST, runWhileHeld } from "../cli/held_command.ts";
import { holderFlags, holderHelp, holderOptions } from "../cli/holder_flags.ts";
import { parseWith, pathArgument } from "../cli/schemas.ts";
import { UsageError } from "../cli/usage_error.ts";

const usage = `Usage: paddock lock PATH [--timeout MS] [options] -- CMD [ARGS...]

Acquires the distributed mutex at PATH (Curator's InterProcessMutex layout), runs CMD while it
is held and releases it when CMD exits; paddock exits with CMD's exit code. CMD gets
  PADDOCK_FENCING_TOKEN  the lock node's czxid: larger for every later holder, so a resource
                         that remembers the largest token it saw can refuse a stale holder
  PADDOCK_LOCK_PATH      PATH
  PADDOCK_LOCK_NODE      the lock node that represents this holder
If the lock is lost while CMD runs (session disconnected beyond the safety margin, or
expired), CMD gets SIGTERM, then SIGKILL after the grace period, and paddock exits ${EXIT_OWNERSHIP_LOST}.
SIGINT/SIGTERM sent to paddock are passed on to CMD.

Options:
  --timeout MS             give up (exit 1) when the lock is not acquired within MS
${holderHelp}

${connectionHelp}

Examples:
  paddock lock /locks/nightly-report -- ./report.sh --date today
  paddock lock /locks/db-migrate --timeout 30000 -server zk1:2181,zk2:2181/prod -- npm run migrate`;

/** `paddock lock`: run a command under a distributed mutex with a fencing token. */
export const lockCommand = defineCommand({
  name: "lock",
  summary: "run a command while holding a distributed lock (fencing token in $PADDOCK_FENCING_TOKEN)",
  usage,
  async run(args) {
    const parsed = parseArgv(args, { ...connectionFlags, ...holderFlags });
    if (parsed.positionals.length !== 1) throw new UsageError("expects exactly one PATH");
    if (parsed.command.length === 0) throw new UsageError("missing -- CMD to run while holding the lock");
    const path = parseWith(pathArgument(), parsed.positionals[0]);
    const holder = holderOptions(parsed.flags);
    const conn = connectionOptions(parsed.flags);
    const interrupt = interruptSignal();
    await using client = bounded(await openClient(conn));
    await using mutex = bounded(new Mutex(client, path, {
      data: `${hostname()}:${process.pid}`,
      suspendedGraceMs: holder.suspendedGraceMs,
    }));
    let lease;
    try {
      lease = await mutex.acquire({ signal: waitSignal(interrupt.signal, holder.timeoutMs) });
    } catch (error) {
      if (isTimeout(error)) throw new CommandFailure(`lock ${path} not acquired within ${holder.timeoutMs} ms`);
      throw error;
    } finally {
      interrupt.dispose();
    }
    try {
      return await runWhileHeld({
        label: "paddock lock",
        argv: parsed.command,
        env: {
          PADDOCK_FENCING_TOKEN: String(lease.fencingToken),
          PADDOCK_LOCK_PATH: path,
          PADDOCK_LOCK_NODE: lease.path,
        },
        ownership: lease.signal,
        what: `lock ${path}`,
        graceMs: holder.graceMs,
      });
    } finally {
      await settleWithin(lease.release());
    }
  },
});
