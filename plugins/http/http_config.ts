import * as v from "valibot";
import { ConfigError, parseProperties } from "../server/zoo_cfg.ts";

/** ZooKeeper's Prometheus provider class: naming it turns the /metrics endpoint on. */
export const PROMETHEUS_PROVIDER = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider";
/** ZooKeeper's default provider: metrics in `mntr` only, no HTTP endpoint. */
const DEFAULT_PROVIDER = "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider";

/** The HTTP side of a server, from zoo.cfg keys named as ZooKeeper names them. */
export interface HttpConfig {
  admin: {
    /** admin.enableServer (default true, as in ZooKeeper). */
    enabled: boolean;
    /** admin.serverAddress: 127.0.0.1 unless configured (ZooKeeper binds 0.0.0.0). */
    address: string;
    /** admin.serverPort (8080). */
    port: number;
    /** admin.commandURL (/commands). */
    commandUrl: string;
    /** admin.rateLimiterIntervalInMS (300000). */
    rateLimiterIntervalMs: number;
    snapshotEnabled: boolean;
    restoreEnabled: boolean;
    /** admin.restore.maxBytes: the largest snapshot `restore` takes (256 MiB). */
    restoreMaxBytes: number;
    /** admin.idleTimeout: a request (headers and body) must arrive within this many ms (30000). */
    idleTimeoutMs: number;
  };
  metrics: {
    /** metricsProvider.className names the Prometheus provider. */
    enabled: boolean;
    /** metricsProvider.httpHost: 127.0.0.1 unless configured (ZooKeeper binds 0.0.0.0). */
    host: string;
    /** metricsProvider.httpPort (7000). */
    port: number;
    /** metricsProvider.exportJvmInfo: the runtime's own metrics (event loop, GC, memory). */
    exportRuntimeInfo: boolean;
  };
  gateway: {
    /** gateway.enabled: the HTTP/JSON gateway and the web console, on the admin listener. Default false. */
    enabled: boolean;
    /** gateway.journalEvents: watch events kept for SSE resumption (10000). */
    journalEvents: number;
  };
}

const port = v.pipe(v.string(), v.regex(/^\d+$/, "must be a port number"), v.transform(Number), v.maxValue(65535));
const positive = v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number"), v.transform(Number), v.minValue(1));
const flag = v.pipe(v.string(), v.picklist(["true", "false"], "must be true or false"), v.transform((s) => s === "true"));
const text = v.pipe(v.string(), v.minLength(1, "must not be empty"));
const url = v.pipe(v.string(), v.regex(/^\/[\w\-./]*$/, "must be a path starting with /"));

const keys = {
  "admin.enableServer": flag,
  "admin.serverAddress": text,
  "admin.serverPort": port,
  "admin.commandURL": url,
  "admin.rateLimiterIntervalInMS": positive,
  "admin.snapshot.enabled": flag,
  "admin.restore.enabled": flag,
  "admin.restore.maxBytes": positive,
  "admin.idleTimeout": positive,
  "metricsProvider.className": text,
  "metricsProvider.httpHost": text,
  "metricsProvider.httpPort": port,
  "metricsProvider.exportJvmInfo": flag,
  "gateway.enabled": flag,
  "gateway.journalEvents": positive,
} as const;

type Key = keyof typeof keys;

/** The zoo.cfg keys the HTTP side reads (for the config check's list of known keys). */
export const HTTP_CONFIG_KEYS: readonly string[] = Object.keys(keys);

/**
 * Reads the HTTP settings from zoo.cfg text; throws ConfigError naming a bad key.
 *
 * @example httpConfigFromZooCfg("admin.serverPort=9090\n").admin.port // 9090
 */
export function httpConfigFromZooCfg(zooCfg: string): HttpConfig {
  const p = parseProperties(zooCfg);
  const get = <K extends Key>(key: K): v.InferOutput<(typeof keys)[K]> | undefined => {
    const raw = p.get(key);
    if (raw === undefined) return undefined;
    const result = v.safeParse(keys[key], raw);
    if (!result.success) throw new ConfigError(`zoo.cfg: ${key}=${raw}: ${result.issues[0]!.message}`);
    return result.output as v.InferOutput<(typeof keys)[K]>;
  };
  const provider = get("metricsProvider.className");
  if (provider !== undefined && provider !== PROMETHEUS_PROVIDER && provider !== DEFAULT_PROVIDER) {
    throw new ConfigError(`zoo.cfg: metricsProvider.className=${provider}: Paddock offers ${PROMETHEUS_PROVIDER} (or the default)`);
  }
  return {
    admin: {
      enabled: get("admin.enableServer") ?? true,
      address: get("admin.serverAddress") ?? "127.0.0.1",
      port: get("admin.serverPort") ?? 8080,
      commandUrl: get("admin.commandURL") ?? "/commands",
      rateLimiterIntervalMs: get("admin.rateLimiterIntervalInMS") ?? 300_000,
      snapshotEnabled: get("admin.snapshot.enabled") ?? true,
      restoreEnabled: get("admin.restore.enabled") ?? true,
      restoreMaxBytes: get("admin.restore.maxBytes") ?? 256 * 1024 * 1024,
      idleTimeoutMs: get("admin.idleTimeout") ?? 30_000,
    },
    metrics: {
      enabled: provider === PROMETHEUS_PROVIDER,
      host: get("metricsProvider.httpHost") ?? "127.0.0.1",
      port: get("metricsProvider.httpPort") ?? 7000,
      exportRuntimeInfo: get("metricsProvider.exportJvmInfo") ?? true,
    },
    gateway: {
      enabled: get("gateway.enabled") ?? false,
      journalEvents: get("gateway.journalEvents") ?? 10_000,
    },
  };
}
