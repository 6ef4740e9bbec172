import * as v from "valibot";
import { LogLevel, parseLogLevel } from "../../core/log_level.ts";
import { ALL_FOUR_LETTER_WORDS, defaultServerConfig, type ServerConfig } from "../../core/server/server_config.ts";
import { ENSEMBLE_KEYS, ENSEMBLE_PREFIXES, isIgnoredZooKeeperKey, nearestKey } from "./zoo_cfg_keys.ts";
import { HTTP_CONFIG_KEYS } from "../http/http_config.ts";

/** Keys the ensemble member and the HTTP side read from the same file. */
function readElsewhere(key: string): boolean {
  return ENSEMBLE_KEYS.includes(key) || ENSEMBLE_PREFIXES.some((p) => key.startsWith(p)) || HTTP_CONFIG_KEYS.includes(key);
}

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

/**
 * The zoo.cfg keys Paddock reads, each with its check. ZooKeeper's other keys are ignored with a
 * note; a key neither knows gets a warning naming the nearest known key (a typo is the usual cause).
 */
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
  "fsync.warningthresholdms": integer(Number.MIN_SAFE_INTEGER),
  preAllocSize: integer(1),
  globalOutstandingLimit: integer(1),
  inMemory: boolean,
  /** Paddock's own: the least important log lines shown (ERROR, WARN, INFO, DEBUG). */
  logLevel: v.pipe(
    v.string(),
    v.transform((text: string) => parseLogLevel(text)),
    v.check((level) => level !== undefined, "must be one of ERROR, WARN, INFO, DEBUG"),
    v.transform((level) => level!),
  ),
} as const;

type Key = keyof typeof keys;

function check<K extends Key>(key: K, raw: string): v.InferOutput<(typeof keys)[K]> {
  const result = v.safeParse(keys[key], raw);
  if (!result.success) throw new ConfigError(`zoo.cfg: ${key}=${raw}: ${result.issues[0]!.message}`);
  return result.output as v.InferOutput<(typeof keys)[K]>;
}

/** A zoo.cfg as Paddock reads it: the config, and what to tell the operator about the file. */
export interface ZooCfgReading {
  config: ServerConfig;
  /** `logLevel=` when the file sets it. */
  logLevel: LogLevel | undefined;
  /** Keys neither Paddock nor ZooKeeper knows, each with the nearest known key when one is close. */
  warnings: string[];
  /** ZooKeeper keys a standalone Paddock does not use. */
  ignored: string[];
}

/** How strict to be about a zoo.cfg. */
export interface ZooCfgOptions {
  /**
   * True for a real zoo.cfg, read as ZooKeeper reads it: it must name its dataDir, and without
   * clientPortAddress the server listens on every interface. `paddock server` with no zoo.cfg
   * runs on the embedded default instead: ./data, 127.0.0.1 only.
   */
  requireDataDir?: boolean;
}

/**
 * Reads zoo.cfg text: the config (throws ConfigError naming a bad key) plus warnings for unknown
 * keys and the list of ZooKeeper keys that are ignored.
 *
 * @example const { config, warnings } = readZooCfg("clientPortt=2181\ndataDir=/data", {}, { requireDataDir: true });
 * // warnings: ['unknown key "clientPortt" (did you mean "clientPort"?)']
 */
export function readZooCfg(text: string, overrides: Partial<ServerConfig> = {}, options: ZooCfgOptions = {}): ZooCfgReading {
  const p = parseProperties(text);
  const warnings: string[] = [];
  const ignored: string[] = [];
  for (const key of p.keys()) {
    if (key in keys || readElsewhere(key)) continue;
    if (isIgnoredZooKeeperKey(key)) {
      ignored.push(key);
      continue;
    }
    const near = nearestKey(key, [...Object.keys(keys), ...ENSEMBLE_KEYS, ...HTTP_CONFIG_KEYS]);
    warnings.push(`unknown key "${key}"${near === undefined ? "" : ` (did you mean "${near}"?)`}`);
  }
  const hasDataDir = p.has("dataDir") || overrides.dataDir !== undefined || overrides.inMemory === true || p.get("inMemory") === "true";
  if (options.requireDataDir === true && !hasDataDir) throw new ConfigError("zoo.cfg: dataDir is not set");
  const listenAll = options.requireDataDir === true && !p.has("clientPortAddress") ? { clientPortAddress: "0.0.0.0" } : {};
  const config = serverConfigFromZooCfg(text, { ...listenAll, ...overrides });
  const logLevel = p.has("logLevel") ? check("logLevel", p.get("logLevel")!) : undefined;
  return { config, logLevel, warnings, ignored };
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
    fsyncWarningThresholdMs: get("fsync.warningthresholdms") ?? 1000,
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
