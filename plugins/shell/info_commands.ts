import { KeeperError } from "../../core/client/mod.ts";
import { CliError, wrapError, wrapped } from "./cli_error.ts";
import { flag, parseOptions } from "./cli_options.ts";
import { formatStat } from "./stat_format.ts";
import { PADDOCK_VERSION } from "../../mod.ts";
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

/** version: the shell's own version, as zkCli prints its client's. */
export const versionCommand: ShellCommand = {
  name: "version",
  optionStr: "",
  run(ctx) {
    ctx.out(`ZooKeeper CLI version: ${PADDOCK_VERSION}`);
    return Promise.resolve();
  },
};

/** config [-c] [-w] [-s]: the ensemble's configuration (/zookeeper/config); -c as a connect string. */
export const configCommand: ShellCommand = {
  name: "config",
  optionStr: "[-c] [-w] [-s]",
  async run(ctx, tokens) {
    const parsed = parseOptions(tokens, [flag("c"), flag("w"), flag("s")]);
    const watch = parsed.options.has("w");
    const { data, stat } = await wrapped(() => ctx.client.getConfig({ watch: watch ? ctx.watcher : undefined }));
    const text = data === null ? "null" : new TextDecoder().decode(data);
    ctx.out(parsed.options.has("c") ? clientConfig(text) : text);
    if (parsed.options.has("s")) formatStat(stat).forEach((l) => ctx.out(l));
  },
};

/**
 * ConfigUtils.getClientConfigStr: "<version> host:port,host:port" from the `server.N` lines' client
 * addresses (`...;[host:]port`; a bare port listens on every address).
 */
function clientConfig(text: string): string {
  let version = "";
  const clients: string[] = [];
  for (const raw of text.split("\n")) {
    const eq = raw.indexOf("=");
    if (eq === -1) continue;
    const key = raw.slice(0, eq).trim();
    const value = raw.slice(eq + 1).trim();
    if (key === "version") version = value;
    if (!key.startsWith("server.")) continue;
    const client = value.split(";")[1]?.trim();
    if (client === undefined || client === "") continue;
    clients.push(client.includes(":") ? client : `0.0.0.0:${client}`);
  }
  return `${version} ${clients.join(",")}`;
}
