import { KeeperError } from "../../core/client/mod.ts";
import { CliError, wrapError, wrapped } from "./cli_error.ts";
import { parseOptions } from "./cli_options.ts";
import { type ShellCommand, usageOf } from "./context.ts";

/** zkCli waits this long for a sync (SyncCommand.SYNC_TIMEOUT). */
const SYNC_TIMEOUT_MS = 30_000;

/** getEphemerals path (without a path: all of the session's ephemerals) */
export const getEphemeralsCommand: ShellCommand = {
  name: "getEphemerals",
  optionStr: "path",
  async run(ctx, tokens) {
    const { args } = parseOptions(tokens, []);
    const ephemerals = await wrapped(() => ctx.client.getEphemerals(args[1] ?? "/"));
    ctx.out(`[${ephemerals.join(", ")}]`);
  },
};

/** getAllChildrenNumber path */
export const getAllChildrenNumberCommand: ShellCommand = {
  name: "getAllChildrenNumber",
  optionStr: "path",
  async run(ctx, tokens) {
    const { args } = parseOptions(tokens, []);
    if (args.length < 2) throw new CliError(usageOf(this));
    ctx.out(String(await wrapped(() => ctx.client.getAllChildrenNumber(args[1]!))));
  },
};

/** sync path */
export const syncCommand: ShellCommand = {
  name: "sync",
  optionStr: "path",
  async run(ctx, tokens) {
    const { args } = parseOptions(tokens, []);
    if (args.length < 2) throw new CliError(usageOf(this));
    const path = args[1]!;
    try {
      await ctx.client.sync(path, { signal: AbortSignal.timeout(SYNC_TIMEOUT_MS) });
      ctx.out("Sync is OK");
    } catch (error) {
      if (!(error instanceof KeeperError) || error.name === "BadPathError") throw wrapError(error);
      ctx.out(`Sync has failed. rc=${error.code}`);
    }
  },
};

/** close: ends the session; later commands print "Not connected" until `connect`. */
export const closeCommand: ShellCommand = {
  name: "close",
  optionStr: "",
  async run(ctx) {
    await ctx.client.close();
  },
};
