import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { startServer } from "../../core/server/start_server.ts";
import type { ServerConfig } from "../../core/server/server_config.ts";
import type { CommandPlugin } from "../plugin.ts";
import { ConfigError, parseProperties, serverConfigFromZooCfg } from "./zoo_cfg.ts";
import { type HttpConfig, httpConfigFromZooCfg } from "../http/http_config.ts";
import { type QuorumMemberConfig, quorumFromZooCfg } from "./quorum_cfg.ts";
import { startHttp } from "./start_http.ts";
import { startMember } from "./start_member.ts";

const usage = `Usage: paddock server [zoo.cfg] [--port N] [--host ADDR] [--data-dir DIR] [--in-memory]

Starts a standalone ZooKeeper-compatible server. Without a zoo.cfg it listens on
127.0.0.1:2181 with its data in ./data. A zoo.cfg is read as ZooKeeper reads it
(tickTime, clientPort, clientPortAddress, dataDir, dataLogDir, maxClientCnxns,
minSessionTimeout, maxSessionTimeout, 4lw.commands.whitelist, jute.maxbuffer,
zookeeper.extendedTypesEnabled, zookeeper.DigestAuthenticationProvider.superDigest,
znode.container.checkIntervalMs, snapCount, autopurge.*, forceSync, ...).
Flags override the file.

HTTP, as ZooKeeper 3.9 names it in zoo.cfg:
  admin.enableServer=true      the AdminServer (JSON commands) on admin.serverAddress
  admin.serverPort=8080          (default 127.0.0.1) at admin.commandURL (/commands)
  metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
                               Prometheus metrics on metricsProvider.httpPort (7000)/metrics
  gateway.enabled=true         the HTTP/JSON gateway (/api/v1) and web console (/console)
                               on the AdminServer's listener`;

function parseFlags(args: readonly string[]): { cfgPath: string | null; overrides: Partial<ServerConfig> } {
  const overrides: Partial<ServerConfig> = {};
  let cfgPath: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new ConfigError(`${arg} needs a value`);
      return next;
    };
    if (arg === "--port") overrides.clientPort = portOf(value());
    else if (arg === "--host") overrides.clientPortAddress = value();
    else if (arg === "--data-dir") overrides.dataDir = overrides.dataLogDir = value();
    else if (arg === "--in-memory") overrides.inMemory = true;
    else if (arg.startsWith("-")) throw new ConfigError(`unknown flag ${arg}`);
    else if (cfgPath === null) cfgPath = arg;
    else throw new ConfigError(`unexpected argument ${arg}`);
  }
  return { cfgPath, overrides };
}

function portOf(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port ${text}: not a port`);
  return port;
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

/** `paddock server`: a standalone server until SIGINT/SIGTERM. */
export const serverCommand: CommandPlugin = {
  name: "server",
  summary: "run a standalone ZooKeeper-compatible server (default 127.0.0.1:2181, ./data)",
  usage,
  async run(args) {
    const startMs = performance.now();
    let config: ServerConfig;
    let member: QuorumMemberConfig | null;
    let http: HttpConfig;
    let text = "";
    try {
      const { cfgPath, overrides } = parseFlags(args);
      text = cfgPath === null ? "" : readFileSync(cfgPath, "utf8");
      config = serverConfigFromZooCfg(text, overrides);
      const dataDir = config.dataDir;
      member = quorumFromZooCfg(parseProperties(text), () => readOptional(join(dataDir, "myid")));
      if (member !== null) config = { ...config, serverId: member.settings.myId };
      http = httpConfigFromZooCfg(text);
    } catch (error) {
      if (error instanceof ConfigError || (error as NodeJS.ErrnoException).code === "ENOENT") {
        process.stderr.write(`paddock server: ${(error as Error).message}\n`);
        return 2;
      }
      throw error;
    }
    const running = member === null ? await startServer(config, { log }) : await startMember(config, member, { log });
    let runningHttp;
    try {
      runningHttp = await startHttp(running, http, { initialConfig: text, log });
    } catch (error) {
      await running.close();
      process.stderr.write(`paddock server: cannot start the HTTP side: ${(error as Error).message}\n`);
      return 4;
    }
    if (member !== null) {
      for (const warning of member.warnings) log(`WARN ${warning}`);
      log(`Paddock ensemble member ${member.settings.myId} of ${member.settings.quorum.servers.size}: client port ${running.connectString}, ` +
        `started in ${Math.round(performance.now() - startMs)} ms`);
      await untilSignal();
      log("shutting down");
      await runningHttp.close();
      await running.close();
      return 0;
    }
    log(`Paddock serving on ${running.connectString} (${config.inMemory ? "in memory" : `dataDir ${config.dataDir}`}), ` +
      `ready in ${Math.round(performance.now() - startMs)} ms`);
    await untilSignal();
    log("shutting down");
    await runningHttp.close();
    await running.close();
    return 0;
  },
};

function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
