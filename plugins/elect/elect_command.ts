import process from "node:process";
import { electionParticipants, LATCH_NAME, LeaderLatch } from "../../recipes/mod.ts";
import { bounded } from "../cli/bounded.ts";
import { FlagKind, parseArgv } from "../cli/argv.ts";
import { CommandFailure, defineCommand, interruptSignal, isTimeout, waitSignal } from "../cli/command.ts";
import { connectionFlags, connectionHelp, connectionOptions, openClient } from "../cli/connection.ts";
import { EXIT_OWNERSHIP_LOST, runWhileHeld } from "../cli/held_command.ts";
import { holderFlags, holderHelp, holderOptions } from "../cli/holder_flags.ts";
import { parseWith, pathArgument } from "../cli/schemas.ts";
import { UsageError } from "../cli/usage_error.ts";
import { participantsJson, participantsText } from "../cli/participant_list.ts";
import { announceWait, sinceText } from "../cli/waiting.ts";

const usage = `Usage: paddock elect PATH --id NAME [--timeout MS] [options] -- CMD [ARGS...]
       paddock elect PATH --list [--json]

Joins the leader election at PATH (Curator's LeaderLatch layout, NAME stored in the node),
waits to become the leader, then runs CMD for as long as it leads. When CMD exits, paddock
leaves the election and exits with CMD's code. When leadership is lost (session disconnected
beyond the safety margin, or expired), CMD gets SIGTERM, then SIGKILL after the grace period,
and paddock exits ${EXIT_OWNERSHIP_LOST}: run it under a supervisor to rejoin. CMD gets
PADDOCK_LEADER_ID (NAME), PADDOCK_ELECTION_PATH (PATH) and PADDOCK_FENCING_TOKEN (the term's
czxid, larger for every later term).

--list prints the participants in election order, the leader first ("NAME leader", "NAME"),
or with --json {"leader":NAME|null,"participants":[{"id":NAME,"node":...,"isLeader":true,
"since":TIME},...]}. CMD never outlives paddock: if paddock is killed (SIGKILL included), the
kernel kills CMD too (a parent-death signal). While it waits, paddock says who leads.

Options:
  --id NAME                this participant's name (default: host name and pid)
  --timeout MS             give up (exit 1) when not elected within MS
${holderHelp}

${connectionHelp}

Examples:
  paddock elect /election/scheduler --id "$(hostname)" -- ./scheduler
  paddock elect /election/scheduler --list`;

const flags = { ...connectionFlags, ...holderFlags, id: FlagKind.value, list: FlagKind.boolean, json: FlagKind.boolean };

/** `paddock elect`: run a command while leader, or list an election's participants. */
export const electCommand = defineCommand({
  name: "elect",
  summary: "run a command while elected leader (leader latch), or --list the participants",
  usage,
  async run(args) {
    const parsed = parseArgv(args, flags);
    if (parsed.positionals.length !== 1) throw new UsageError("expects exactly one PATH");
    const path = parseWith(pathArgument(), parsed.positionals[0]);
    const conn = connectionOptions(parsed.flags);
    if (parsed.flags.list === true) {
      if (parsed.command.length > 0) throw new UsageError("--list takes no CMD");
      await using client = bounded(await openClient(conn));
      const participants = await electionParticipants(client, path, LATCH_NAME);
      process.stdout.write(parsed.flags.json === true ? participantsJson(participants, "leader") : participantsText(participants, "leader"));
      return 0;
    }
    if (parsed.command.length === 0) throw new UsageError("missing -- CMD to run while leader");
    const id = typeof parsed.flags.id === "string" ? parsed.flags.id : `${process.pid}`;
    const holder = holderOptions(parsed.flags);
    const interrupt = interruptSignal();
    await using client = bounded(await openClient(conn));
    await using latch = bounded(new LeaderLatch(client, path, { id, suspendedGraceMs: holder.suspendedGraceMs }));
    latch.start();
    let term;
    try {
      const electing = latch.await({ signal: waitSignal(interrupt.signal, holder.timeoutMs) });
      announceWait(electing, "paddock elect", async () => {
        const leader = (await electionParticipants(client, path, LATCH_NAME)).find((p) => p.isLeader && p.id !== id);
        return leader === undefined ? null : `waiting to lead ${path}, led by ${leader.id} since ${sinceText(leader.sinceMs)}`;
      });
      term = await electing;
    } catch (error) {
      if (isTimeout(error)) throw new CommandFailure(`not elected at ${path} within ${holder.timeoutMs} ms`);
      throw error;
    } finally {
      interrupt.dispose();
    }
    process.stderr.write(`paddock elect: ${id} leads ${path}\n`);
    return await runWhileHeld({
      label: "paddock elect",
      argv: parsed.command,
      env: { PADDOCK_LEADER_ID: id, PADDOCK_ELECTION_PATH: path, PADDOCK_FENCING_TOKEN: String(term.fencingToken) },
      ownership: term.signal,
      what: `leadership of ${path}`,
      graceMs: holder.graceMs,
    });
  },
});

