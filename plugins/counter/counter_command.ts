import process from "node:process";
import * as v from "valibot";
import { AtomicLong } from "../../recipes/mod.ts";
import { bounded } from "../cli/bounded.ts";
import { parseArgv } from "../cli/argv.ts";
import { CommandFailure, defineCommand } from "../cli/command.ts";
import { connectionFlags, connectionHelp, connectionOptions, openClient } from "../cli/connection.ts";
import { parseWith, pathArgument } from "../cli/schemas.ts";
import { UsageError } from "../cli/usage_error.ts";

const usage = `Usage: paddock counter get PATH [options]
       paddock counter add PATH N [options]
       paddock counter set PATH N [options]

A 64-bit counter in one znode, changed optimistically with the znode version (Curator's
DistributedAtomicLong layout: 8 bytes, big-endian). get prints the value (0 when the node does
not exist yet), add adds N (may be negative) and prints the new value, set stores N and prints
it. Exits 1 when contention outlasts the retries, or when the sum would leave the signed 64-bit
range (the counter never wraps around; it is left unchanged).

${connectionHelp}

Examples:
  paddock counter add /counters/builds 1
  paddock counter get /counters/builds
  paddock counter set /counters/builds 0`;

const int64 = v.pipe(
  v.string("missing N"),
  v.regex(/^-?\d+$/, "N must be an integer"),
  v.transform((text: string) => BigInt(text)),
  v.check((n) => BigInt.asIntN(64, n) === n, "N must fit in 64 bits"),
);

/** `paddock counter`: read and change a distributed 64-bit counter. */
export const counterCommand = defineCommand({
  name: "counter",
  summary: "get, add to or set a distributed 64-bit counter",
  usage,
  async run(args) {
    const parsed = parseArgv(args, connectionFlags);
    const [action, pathText, amount, ...rest] = parsed.positionals;
    if (action !== "get" && action !== "add" && action !== "set") throw new UsageError(`unknown action ${action ?? "(none)"}: get, add or set`);
    if (rest.length > 0 || parsed.command.length > 0 || (action === "get") !== (amount === undefined)) {
      throw new UsageError(`wrong arguments for counter ${action}`);
    }
    const path = parseWith(pathArgument(), pathText);
    const n = action === "get" ? 0n : parseWith(int64, amount);
    const conn = connectionOptions(parsed.flags);
    await using client = bounded(await openClient(conn));
    await using counter = bounded(new AtomicLong(client, path));
    await counter.start();
    if (action === "get") {
      process.stdout.write(`${await counter.get()}\n`);
      return 0;
    }
    let result;
    try {
      result = action === "add" ? await counter.add(n) : await counter.set(n);
    } catch (error) {
      // A 64-bit counter does not wrap around silently: say so and change nothing.
      if (error instanceof RangeError) throw new CommandFailure(`add ${path}: ${error.message}; the counter is unchanged`);
      throw error;
    }
    if (!result.succeeded) throw new CommandFailure(`${action} ${path}: gave up under contention`);
    process.stdout.write(`${result.postValue}\n`);
    return 0;
  },
});
