import { WatcherType } from "../../core/client/mod.ts";
import { CliError, wrapped } from "./cli_error.ts";
import { flag, optionValue, parseOptions, valued } from "./cli_options.ts";
import { type ShellCommand, usageOf } from "./context.ts";

const ADD_WATCH_MODES = ["PERSISTENT", "PERSISTENT_RECURSIVE"] as const;

/** addWatch [-m mode] path */
export const addWatchCommand: ShellCommand = {
  name: "addWatch",
  optionStr: `[-m mode] path # optional mode is one of [${ADD_WATCH_MODES.join(", ")}] - default is PERSISTENT_RECURSIVE`,
  async run(ctx, tokens) {
    const parsed = parseOptions(tokens, [valued("m")]);
    if (parsed.args.length !== 2) throw new CliError(usageOf(this));
    const mode = (optionValue(parsed, "m") ?? "PERSISTENT_RECURSIVE").toUpperCase();
    if (!(ADD_WATCH_MODES as readonly string[]).includes(mode)) throw new CliError(usageOf(this));
    const recursive = mode === "PERSISTENT_RECURSIVE";
    await wrapped(() => ctx.client.addWatch(parsed.args[1]!, ctx.watcher, { recursive }));
  },
};

/** removewatches path [-c|-d|-a] [-l] */
export const removeWatchesCommand: ShellCommand = {
  name: "removewatches",
  optionStr: "path [-c|-d|-a] [-l]",
  async run(ctx, tokens) {
    const parsed = parseOptions(tokens, [flag("c"), flag("d"), flag("a"), flag("l")]);
    if (parsed.args.length < 2) throw new CliError(usageOf(this));
    const has = (name: string) => parsed.options.has(name);
    const type = has("c") ? WatcherType.Children : has("d") ? WatcherType.Data : WatcherType.Any;
    const path = parsed.args[1]!;
    const before = ctx.removalCount();
    await wrapped(() => ctx.client.removeWatches(path, type, { local: has("l") }));
    // The Java client fails when it held no watch of that type, even if the server removed one
    // (a persistent watch answers a Data removal there); our client removes quietly.
    if (ctx.removalCount() === before) throw new CliError(`KeeperErrorCode = No such watcher for ${path}`);
  },
};
