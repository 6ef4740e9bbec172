import process from "node:process";
import { Buffer } from "node:buffer";
import * as v from "valibot";
import { type Client, EventType, KeeperError, KeeperState, ErrorCode, type WatchedEvent } from "../../mod.ts";
import { bounded } from "../cli/bounded.ts";
import { FlagKind, parseArgv } from "../cli/argv.ts";
import { CommandFailure, defineCommand, interruptSignal } from "../cli/command.ts";
import { connectionFlags, connectionHelp, connectionOptions, openClient } from "../cli/connection.ts";
import { intFlag, parseWith, pathArgument } from "../cli/schemas.ts";
import { UsageError } from "../cli/usage_error.ts";

const usage = `Usage: paddock watch PATH [--recursive] [--data] [--count N] [options]

Prints one JSON line per change of PATH (and with --recursive of every node below it),
from a persistent watch, until SIGINT/SIGTERM (or N events with --count):
  {"type":"NodeDataChanged","path":"/app/config","zxid":4294967301,"data":"v2"}
type is the ZooKeeper event type; zxid is the zxid of the change (sent with the event by
Paddock and ZooKeeper 3.9; against 3.8 it is read back right after the event: czxid for
NodeCreated, mzxid or pzxid otherwise, null once the node is gone); data (with --data) is the
node's data as UTF-8 (or dataBase64 when it is not text). Connection changes print
{"type":"None","state":"Disconnected"}; an expired session ends the command with exit 1.

Options:
  --recursive              watch the whole subtree (PersistentRecursive)
  --data                   include the node data in each line
  --count N                exit 0 after N node events

${connectionHelp}

Examples:
  paddock watch /app/config --data
  paddock watch /services --recursive -server zk1:2181,zk2:2181 | jq .path`;

const flags = { ...connectionFlags, recursive: FlagKind.boolean, data: FlagKind.boolean, count: FlagKind.value };
const schema = v.object({
  path: pathArgument(),
  count: v.optional(intFlag("--count", { min: 1 })),
});

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** One output line; `zxid` is a number (zxids stay far below 2^53 in practice) or null. */
interface EventLine {
  type: string;
  path?: string;
  state?: string;
  zxid?: number | null;
  data?: string | null;
  dataBase64?: string;
}

async function describe(client: Client, event: WatchedEvent, withData: boolean): Promise<EventLine> {
  const type = event.type;
  if (event.type === EventType.None) return { type, state: event.state };
  // Paddock and ZooKeeper 3.9 send the change's zxid with the event; 3.8 does not.
  const line: EventLine = { type, path: event.path, zxid: event.zxid === undefined ? null : Number(event.zxid) };
  if (event.type === EventType.NodeDeleted) {
    if (withData) line.data = null;
    return line;
  }
  if (event.zxid !== undefined && !withData) return line;
  try {
    const { data, stat } = await client.getData(event.path);
    // Without a zxid from the server, read it back: czxid is exact for a creation; a later change
    // may already show in mzxid/pzxid.
    const readBack = event.type === EventType.NodeCreated ? stat.czxid : event.type === EventType.NodeChildrenChanged ? stat.pzxid : stat.mzxid;
    line.zxid ??= Number(readBack);
    if (withData) setData(line, data);
  } catch (error) {
    if (!(error instanceof KeeperError && error.code === ErrorCode.NONODE)) throw error;
    if (withData) line.data = null;
  }
  return line;
}

function setData(line: EventLine, data: Uint8Array | null): void {
  if (data === null) {
    line.data = null;
    return;
  }
  try {
    line.data = strictUtf8.decode(data);
  } catch {
    line.dataBase64 = Buffer.from(data).toString("base64");
  }
}

/** `paddock watch`: a persistent (recursive) watch printed as JSON lines. */
export const watchCommand = defineCommand({
  name: "watch",
  summary: "print changes under a path as JSON lines (persistent, optionally recursive watch)",
  usage,
  async run(args) {
    const parsed = parseArgv(args, flags);
    if (parsed.positionals.length > 1 || parsed.command.length > 0) throw new UsageError("expects exactly one PATH");
    const opts = parseWith(schema, { path: parsed.positionals[0], count: parsed.flags.count });
    const conn = connectionOptions(parsed.flags);
    const interrupt = interruptSignal();
    await using client = bounded(await openClient(conn));
    const events = client.watch(opts.path, { recursive: parsed.flags.recursive === true, signal: interrupt.signal });
    try {
      await events.ready;
      process.stderr.write(`paddock watch: watching ${opts.path}${parsed.flags.recursive ? " (recursive)" : ""}\n`);
      let printed = 0;
      for await (const event of events) {
        const line = await describe(client, event, parsed.flags.data === true);
        process.stdout.write(JSON.stringify(line) + "\n");
        if (event.type === EventType.None && event.state === KeeperState.Expired) throw new CommandFailure("session expired");
        if (event.type !== EventType.None && ++printed === opts.count) break;
      }
    } catch (error) {
      if (!interrupt.signal.aborted) throw error;
    } finally {
      interrupt.dispose();
    }
    return 0;
  },
});
