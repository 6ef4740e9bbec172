import { hostname } from "node:os";
import process from "node:process";
import { electionParticipants, Mutex, MUTEX_LOCK_NAME } from "../../recipes/mod.ts";
import { bounded, settleWithin } from "../cli/bounded.ts";
import { FlagKind, parseArgv } from "../cli/argv.ts";
import { CommandFailure, defineCommand, interruptSignal, isTimeout, waitSignal } from "../cli/command.ts";
import { connectionFlags, connectionHelp, connectionOptions, openClient } from "../cli/connection.ts";
import { EXIT_OWNERSHIP_LOST, runWhileHeld } from "../cli/held_command.ts";
import { holderFlags, holderHelp, holderOptions } from "../cli/holder_flags.ts";
import { parseWith, pathArgument } from "../cli/schemas.ts";
import { UsageError } from "../cli/usage_error.ts";
import { participantsJson, participantsText } from "../cli/participant_list.ts";
import { announceWait, sinceText } from "../cli/waiting.ts";

const usage = `Usage: paddock lock PATH [--timeout MS] [options] -- CMD [ARGS...]
       paddock lock PATH --list [--json]

Acquires the distributed mutex at PATH (Curator's InterProcessMutex layout), runs CMD while it
is held and releases it when CMD exits; paddock exits with CMD's exit code. CMD gets
  PADDOCK_FENCING_TOKEN  the lock node's czxid: larger for every later holder, so a resource
                         that remembers the largest token it saw can refuse a stale holder
  PADDOCK_LOCK_PATH      PATH
  PADDOCK_LOCK_NODE      the lock node that represents this holder
If the lock is lost while CMD runs (session disconnected beyond the safety margin, or
expired), CMD gets SIGTERM, then SIGKILL after the grace period, and paddock exits ${EXIT_OWNERSHIP_LOST}.
SIGINT/SIGTERM sent to paddock are passed on to CMD. CMD never outlives paddock: if paddock
itself is killed (SIGKILL included), the kernel kills CMD too (a parent-death signal), so two
holders never run at once. While it waits, paddock says on stderr who holds the lock.

--list prints the holder and the waiters in queue order, as elect --list does ("ID holder",
"ID"; ID is host:pid), or with --json {"holder":ID|null,"participants":[{"id":ID,"node":...,
"isHolder":true,"since":TIME},...]}.

Options:
  --timeout MS             give up (exit 1) when the lock is not acquired within MS
${holderHelp}

${connectionHelp}

Examples:
  paddock lock /locks/nightly-report -- ./report.sh --date today
  paddock lock /locks/db-migrate --timeout 30000 -server zk1:2181,zk2:2181/prod -- npm run migrate
  paddock lock /locks/nightly-report --list`;

const flags = { ...connectionFlags, ...holderFlags, list: FlagKind.boolean, json: FlagKind.boolean };

/** `paddock lock`: run a command under a distributed mutex with a fencing token. */
export const lockCommand = defineCommand({
  name: "lock",
  summary: "run a command while holding a distributed lock (fencing token in $PADDOCK_FENCING_TOKEN)",
  usage,
  async run(args) {
    const parsed = parseArgv(args, flags);
    if (parsed.positionals.length !== 1) throw new UsageError("expects exactly one PATH");
    const path = parseWith(pathArgument(), parsed.positionals[0]);
    const conn = connectionOptions(parsed.flags);
    if (parsed.flags.list === true) {
      if (parsed.command.length > 0) throw new UsageError("--list takes no CMD");
      await using client = bounded(await openClient(conn));
      const participants = await electionParticipants(client, path, MUTEX_LOCK_NAME);
      process.stdout.write(parsed.flags.json === true ? participantsJson(participants, "holder") : participantsText(participants, "holder"));
      return 0;
    }
    if (parsed.command.length === 0) throw new UsageError("missing -- CMD to run while holding the lock");
    const holder = holderOptions(parsed.flags);
    const interrupt = interruptSignal();
    await using client = bounded(await openClient(conn));
    await using mutex = bounded(new Mutex(client, path, {
      data: `${hostname()}:${process.pid}`,
      suspendedGraceMs: holder.suspendedGraceMs,
    }));
    let lease;
    try {
      const acquiring = mutex.acquire({ signal: waitSignal(interrupt.signal, holder.timeoutMs) });
      announceWait(acquiring, "paddock lock", async () => {
        const [first] = await electionParticipants(client, path, MUTEX_LOCK_NAME);
        return first === undefined ? null : `waiting for ${path}, held by ${first.id} since ${sinceText(first.sinceMs)}`;
      });
      lease = await acquiring;
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

