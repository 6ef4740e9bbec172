import { readFileSync } from "node:fs";
import process from "node:process";
import { nodeDisk } from "../../core/io/node_disk.ts";
import { purge } from "../../core/storage/purge.ts";
import type { CommandPlugin } from "../plugin.ts";
import { ConfigError, serverConfigFromZooCfg } from "../server/zoo_cfg.ts";

const usage = `Usage: paddock purge [zoo.cfg | --data-dir DIR [--data-log-dir DIR]] [-n COUNT]

Deletes old snapshots and txn log segments, like ZooKeeper's zkCleanup.sh (PurgeTxnLog):
keeps the newest COUNT snapshots (default 3) and every log segment recovery from them
still needs, and prints each file it deleted. The directories come from a zoo.cfg
(dataDir, dataLogDir) or from the flags. Safe while the server runs.

Examples:
  paddock purge /etc/zookeeper/conf/zoo.cfg
  paddock purge --data-dir /var/lib/paddock -n 5
  paddock purge --data-dir /data/snap --data-log-dir /data/log`;

/** What the command line asked for. */
interface PurgeArgs {
  dataDir: string;
  dataLogDir: string;
  count: number;
}

const COUNT_DEFAULT = 3;

function parseArgs(args: readonly string[]): PurgeArgs {
  let cfgPath: string | null = null;
  let dataDir: string | null = null;
  let dataLogDir: string | null = null;
  let count = COUNT_DEFAULT;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new ConfigError(`${arg} needs a value`);
      return next;
    };
    if (arg === "--data-dir") dataDir = value();
    else if (arg === "--data-log-dir") dataLogDir = value();
    else if (arg === "-n" || arg === "--count") count = countOf(value());
    else if (arg.startsWith("-")) throw new ConfigError(`unknown flag ${arg}`);
    else if (cfgPath === null) cfgPath = arg;
    else throw new ConfigError(`unexpected argument ${arg}`);
  }
  if (cfgPath !== null && dataDir !== null) throw new ConfigError("give either a zoo.cfg or --data-dir, not both");
  if (cfgPath !== null) {
    const config = serverConfigFromZooCfg(readFileSync(cfgPath, "utf8"));
    return { dataDir: config.dataDir, dataLogDir: dataLogDir ?? config.dataLogDir, count };
  }
  if (dataDir === null) throw new ConfigError("which data? give a zoo.cfg or --data-dir");
  return { dataDir, dataLogDir: dataLogDir ?? dataDir, count };
}

function countOf(text: string): number {
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1) throw new ConfigError(`-n ${text}: must be a whole number of at least 1`);
  return count;
}

/** `paddock purge`: one purge of a data dir, the command-line twin of autopurge. */
export const purgeCommand: CommandPlugin = {
  name: "purge",
  summary: "delete old snapshots and txn logs, keeping the newest N snapshots (default 3)",
  usage,
  async run(args) {
    let parsed: PurgeArgs;
    try {
      parsed = parseArgs(args);
    } catch (error) {
      if (error instanceof ConfigError || (error as NodeJS.ErrnoException).code === "ENOENT") {
        process.stderr.write(`paddock purge: ${(error as Error).message}\n`);
        return 2;
      }
      throw error;
    }
    const result = await purge({ disk: nodeDisk(), dataDir: parsed.dataDir, dataLogDir: parsed.dataLogDir, snapRetainCount: parsed.count });
    for (const name of result.deletedSnapshots) process.stdout.write(`deleted ${parsed.dataDir}/${name}\n`);
    for (const name of result.deletedLogs) process.stdout.write(`deleted ${parsed.dataLogDir}/${name}\n`);
    process.stdout.write(`purged ${result.deletedSnapshots.length} snapshot(s) and ${result.deletedLogs.length} log segment(s); ` +
      `kept the newest ${parsed.count} snapshot(s)\n`);
    return 0;
  },
};
