import type { ServerConfig } from "./server_config.ts";

/**
 * The settings an operator checks first, on one line for the start-up log: where the data
 * lives, how durable it is, the limits clients meet, and what the four-letter words expose.
 *
 * @example configSummary(defaultServerConfig()) // "dataDir=./data dataLogDir=./data forceSync=yes ..."
 */
export function configSummary(c: ServerConfig): string {
  const storage = c.inMemory
    ? "storage=in-memory (nothing survives a restart)"
    : `dataDir=${c.dataDir} dataLogDir=${c.dataLogDir} forceSync=${c.forceSync ? "yes" : "no"} snapCount=${c.snapCount} ` +
      `autopurge.snapRetainCount=${c.snapRetainCount} autopurge.purgeInterval=${c.purgeIntervalHours}h`;
  const words = c.fourLetterWords.size === 0 ? "(none)" : [...c.fourLetterWords].sort().join(",");
  return `${storage} tickTime=${c.tickTime} sessionTimeout=${c.minSessionTimeout}..${c.maxSessionTimeout}ms ` +
    `maxClientCnxns=${c.maxClientCnxns} jute.maxbuffer=${c.juteMaxBuffer} extendedTypesEnabled=${c.extendedTypesEnabled} ` +
    `reconfigEnabled=${c.reconfigEnabled} 4lw.commands.whitelist=${words}`;
}
