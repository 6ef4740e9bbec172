import * as v from "valibot";
import { ALL_FOUR_LETTER_WORDS, defaultServerConfig, type ServerConfig } from "../../core/server/server_config.ts";

/** A zoo.cfg could not be used: names the key and what is wrong with it. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses Java-properties-style `key=value` lines (comments with # or !, blank lines). */
export function parseProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    const match = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (match === null) throw new ConfigError(`zoo.cfg: cannot read line "${line}"`);
    // ZooKeeper turns unknown zoo.cfg keys into `zookeeper.<key>` system properties, so
    // `extendedTypesEnabled` and `zookeeper.extendedTypesEnabled` mean the same: keep one form.
    const key = match[1]!.startsWith("zookeeper.") ? match[1]!.slice("zookeeper.".length) : match[1]!;
    properties.set(key, match[2]!.trim());
  }
  return properties;
}

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  v.pipe(v.string(), v.regex(/^-?\d+$/, "must be a whole number"), v.transform(Number), v.minValue(min), v.maxValue(max));
const boolean = v.pipe(
  v.string(),
  v.picklist(["true", "false", "yes", "no"], "must be true or false"),
  v.transform((s) => s === "true" || s === "yes"),
);

/** The zoo.cfg keys Paddock reads, each with its check. Unknown keys are ignored, as ZooKeeper does. */
const keys = {
  tickTime: integer(1),
  clientPort: integer(0, 65535),
  clientPortAddress: v.pipe(v.string(), v.minLength(1)),
  dataDir: v.pipe(v.string(), v.minLength(1)),
  dataLogDir: v.pipe(v.string(), v.minLength(1)),
  maxClientCnxns: integer(0),
  minSessionTimeout: integer(1),
  maxSessionTimeout: integer(1),
  "4lw.commands.whitelist": v.string(),
  "jute.maxbuffer": integer(1024, 0x7fffffff),
  extendedTypesEnabled: boolean,
  "DigestAuthenticationProvider.superDigest": v.pipe(v.string(), v.regex(/^[^:]+:.+$/, "must be user:base64digest")),
  "znode.container.checkIntervalMs": integer(1),
  "znode.container.maxPerMinute": integer(1),
  enforceQuota: boolean,
  reconfigEnabled: boolean,
  snapCount: integer(2),
  "autopurge.snapRetainCount": integer(1),
  "autopurge.purgeInterval": integer(0),
  forceSync: boolean,
  preAllocSize: integer(1),
  globalOutstandingLimit: integer(1),
  inMemory: boolean,
} as const;

type Key = keyof typeof keys;

function check<K extends Key>(key: K, raw: string): v.InferOutput<(typeof keys)[K]> {
  const result = v.safeParse(keys[key], raw);
  if (!result.success) throw new ConfigError(`zoo.cfg: ${key}=${raw}: ${result.issues[0]!.message}`);
  return result.output as v.InferOutput<(typeof keys)[K]>;
}

/** Reads zoo.cfg text into a ServerConfig; throws ConfigError naming the bad key. */
export function serverConfigFromZooCfg(text: string, overrides: Partial<ServerConfig> = {}): ServerConfig {
  const p = parseProperties(text);
  const get = <K extends Key>(key: K) => (p.has(key) ? check(key, p.get(key)!) : undefined);
  const tickTime = get("tickTime") ?? 2000;
  const dataDir = get("dataDir") ?? "./data";
  const whitelist = get("4lw.commands.whitelist");
  const config = defaultServerConfig({
    tickTime,
    dataDir,
    dataLogDir: get("dataLogDir") ?? dataDir,
    clientPort: get("clientPort") ?? 2181,
    clientPortAddress: get("clientPortAddress") ?? "127.0.0.1",
    maxClientCnxns: get("maxClientCnxns") ?? 60,
    minSessionTimeout: get("minSessionTimeout") ?? tickTime * 2,
    maxSessionTimeout: get("maxSessionTimeout") ?? tickTime * 20,
    fourLetterWords: whitelist === undefined ? new Set(["srvr"]) : fourLetterWords(whitelist),
    juteMaxBuffer: get("jute.maxbuffer") ?? 0xfffff,
    extendedTypesEnabled: get("extendedTypesEnabled") ?? false,
    superDigest: get("DigestAuthenticationProvider.superDigest") ?? null,
    containerCheckIntervalMs: get("znode.container.checkIntervalMs") ?? 60_000,
    containerMaxPerMinute: get("znode.container.maxPerMinute") ?? 10_000,
    enforceQuota: get("enforceQuota") ?? false,
    reconfigEnabled: get("reconfigEnabled") ?? false,
    snapCount: get("snapCount") ?? 100_000,
    snapRetainCount: get("autopurge.snapRetainCount") ?? 3,
    purgeIntervalHours: get("autopurge.purgeInterval") ?? 1,
    forceSync: get("forceSync") ?? true,
    preAllocSizeKb: get("preAllocSize") ?? 65536,
    maxOutstandingPerConnection: get("globalOutstandingLimit") ?? 1000,
    inMemory: get("inMemory") ?? false,
    ...overrides,
  });
  if (config.minSessionTimeout > config.maxSessionTimeout) {
    throw new ConfigError(
      `zoo.cfg: minSessionTimeout=${config.minSessionTimeout} must not exceed maxSessionTimeout=${config.maxSessionTimeout}`,
    );
  }
  return config;
}

function fourLetterWords(list: string): Set<string> {
  const words = list.split(",").map((w) => w.trim()).filter((w) => w !== "");
  if (words.includes("*")) return new Set(ALL_FOUR_LETTER_WORDS);
  for (const word of words) {
    if (!ALL_FOUR_LETTER_WORDS.includes(word)) {
      throw new ConfigError(`zoo.cfg: 4lw.commands.whitelist: unknown four-letter word "${word}"`);
    }
  }
  return new Set(words);
}
