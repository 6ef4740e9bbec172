import { JUTE_MAX_BUFFER_DEFAULT } from "../proto/frame_parser.ts";

/** Everything a standalone server is configured with; names follow zoo.cfg. */
export interface ServerConfig {
  tickTime: number;
  clientPort: number;
  clientPortAddress: string;
  dataDir: string;
  dataLogDir: string;
  maxClientCnxns: number;
  minSessionTimeout: number;
  maxSessionTimeout: number;
  /** Four-letter words allowed on the client port ("*" expands to all). */
  fourLetterWords: ReadonlySet<string>;
  juteMaxBuffer: number;
  extendedTypesEnabled: boolean;
  /** `user:base64(sha1(user:password))` whose holder is super. */
  superDigest: string | null;
  containerCheckIntervalMs: number;
  containerMaxPerMinute: number;
  enforceQuota: boolean;
  /** zoo.cfg reconfigEnabled (default false): a standalone server still cannot reconfigure. */
  reconfigEnabled: boolean;
  /** Requests a connection may have outstanding before the server stops reading from it. */
  maxOutstandingPerConnection: number;
  serverId: number;
  snapCount: number;
  snapRetainCount: number;
  purgeIntervalHours: number;
  forceSync: boolean;
  /** fsync.warningthresholdms: group commits slower than this are counted and logged. */
  fsyncWarningThresholdMs: number;
  preAllocSizeKb: number;
  /** Keep no files (tests, benchmarks). */
  inMemory: boolean;
}

/** Every four-letter word Paddock answers. */
export const ALL_FOUR_LETTER_WORDS: readonly string[] = [
  "ruok", "srvr", "stat", "mntr", "conf", "cons", "crst", "srst", "envi", "dump", "wchs", "wchc", "wchp", "dirs", "isro",
  "hash",
];

/** ZooKeeper's defaults, except the embedded-friendly address (127.0.0.1) and autopurge on. */
export function defaultServerConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const tickTime = overrides.tickTime ?? 2000;
  const dataDir = overrides.dataDir ?? "./data";
  return {
    tickTime,
    clientPort: 2181,
    clientPortAddress: "127.0.0.1",
    dataDir,
    dataLogDir: dataDir,
    maxClientCnxns: 60,
    minSessionTimeout: tickTime * 2,
    maxSessionTimeout: tickTime * 20,
    fourLetterWords: new Set(["srvr"]),
    juteMaxBuffer: JUTE_MAX_BUFFER_DEFAULT,
    extendedTypesEnabled: false,
    superDigest: null,
    containerCheckIntervalMs: 60_000,
    containerMaxPerMinute: 10_000,
    enforceQuota: false,
    reconfigEnabled: false,
    maxOutstandingPerConnection: 1000,
    serverId: 0,
    snapCount: 100_000,
    snapRetainCount: 3,
    purgeIntervalHours: 1,
    forceSync: true,
    fsyncWarningThresholdMs: 1000,
    preAllocSizeKb: 65536,
    inMemory: false,
    ...overrides,
  };
}
