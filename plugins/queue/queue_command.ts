import { Buffer } from "node:buffer";
import process from "node:process";
import { DistributedQueue } from "../../recipes/mod.ts";
import { bounded } from "../cli/bounded.ts";
import { FlagKind, parseArgv } from "../cli/argv.ts";
import { CommandFailure, defineCommand, interruptSignal, isTimeout, waitSignal } from "../cli/command.ts";
import { connectionFlags, connectionHelp, connectionOptions, openClient } from "../cli/connection.ts";
import { msFlag, parseWith, pathArgument } from "../cli/schemas.ts";
import { UsageError } from "../cli/usage_error.ts";
import { announceWait } from "../cli/waiting.ts";
import * as v from "valibot";

const usage = `Usage: paddock queue put PATH DATA [options]
       paddock queue take PATH [--timeout MS] [options]
       paddock queue size PATH [options]

A distributed FIFO queue (the ZooKeeper recipe; Curator's DistributedQueue layout): put adds
DATA ("-" reads it from stdin) and prints the item's node; take waits for the oldest item,
removes it and prints its data. Each item is taken by exactly one taker. take exits 1 when
--timeout passes without an item.

Options:
  --timeout MS             (take) give up after MS

${connectionHelp}

Examples:
  paddock queue put /queues/jobs '{"job":42}'
  paddock queue take /queues/jobs --timeout 5000 | jq .job`;

const schema = v.object({ path: pathArgument(), timeout: v.optional(msFlag("--timeout")) });

async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  return Buffer.concat(chunks).toString("utf8");
}

/** `paddock queue`: put to and take from a distributed queue. */
export const queueCommand = defineCommand({
  name: "queue",
  summary: "put items into / take items from a distributed FIFO queue (each taken exactly once)",
  usage,
  async run(args) {
    const parsed = parseArgv(args, { ...connectionFlags, timeout: FlagKind.value });
    const [action, path, data, ...rest] = parsed.positionals;
    const opts = parseWith(schema, { path, timeout: parsed.flags.timeout });
    const expected = action === "put" ? 1 : 0;
    if (rest.length > 0 || (expected === 1) !== (data !== undefined)) throw new UsageError(`wrong arguments for queue ${action}`);
    if (action !== "put" && action !== "take" && action !== "size") throw new UsageError(`unknown action ${action ?? "(none)"}: put, take or size`);
    const conn = connectionOptions(parsed.flags);
    const interrupt = interruptSignal();
    try {
      await using client = bounded(await openClient(conn));
      await using queue = bounded(new DistributedQueue(client, opts.path));
      await queue.start();
      if (action === "put") {
        const item = await queue.put(data === "-" ? await readStdin() : data!);
        process.stdout.write(`${item}\n`);
      } else if (action === "size") {
        process.stdout.write(`${await queue.size()}\n`);
      } else {
        const bytes = await take(queue, opts.path, waitSignal(interrupt.signal, opts.timeout), opts.timeout);
        process.stdout.write(Buffer.concat([bytes, Buffer.from("\n")]));
      }
      return 0;
    } finally {
      interrupt.dispose();
    }
  },
});

async function take(queue: DistributedQueue, path: string, signal: AbortSignal, timeoutMs: number | undefined): Promise<Uint8Array> {
  try {
    const taking = queue.take({ signal });
    announceWait(taking, "paddock queue", () => Promise.resolve(`waiting for an item in ${path}`));
    return await taking;
  } catch (error) {
    if (isTimeout(error)) throw new CommandFailure(`no item within ${timeoutMs} ms`);
    throw error;
  }
}
