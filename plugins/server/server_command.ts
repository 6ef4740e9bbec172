import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { LogLevel, type LogSink, parseLogLevel, shown } from "../../core/log_level.ts";
import { startServer, type RunningServer } from "../../core/server/start_server.ts";
import type { ServerConfig } from "../../core/server/server_config.ts";
import { PADDOCK_RELEASE } from "../../core/version.ts";
import type { CommandPlugin } from "../plugin.ts";
import { ConfigError, parseProperties, readZooCfg } from "./zoo_cfg.ts";
import { startFailure } from "./start_failure.ts";
import { settleWithin } from "../cli/bounded.ts";
import { type HttpConfig, httpConfigFromZooCfg } from "../http/http_config.ts";
import { type QuorumMemberConfig, quorumFromZooCfg } from "./quorum_cfg.ts";
import { startHttp } from "./start_http.ts";
import { type RunningMember, startMember } from "./start_member.ts";

/** Exit codes, ZooKeeper's where it has one (ExitCode.java). */
const EXIT_FAILED = 1;
const EXIT_BAD_CONFIG = 2;
/** The AdminServer (or the metrics listener) could not start: ZooKeeper exits too. */
const EXIT_HTTP_FAILED = 4;

const usage = `Usage: paddock server [zoo.cfg] [--port N] [--host ADDR] [--data-dir DIR] [--in-memory]
                      [--log-level ERROR|WARN|INFO|DEBUG]

Starts a ZooKeeper-compatible server: standalone, or an ensemble member when zoo.cfg has
server.N lines (and dataDir a myid file), as ZooKeeper's QuorumPeerMain reads them. Without a
zoo.cfg it listens on 127.0.0.1:2181 with its data in ./data. A zoo.cfg is read as ZooKeeper reads it
(tickTime, clientPort, clientPortAddress, dataDir, dataLogDir, maxClientCnxns,
minSessionTimeout, maxSessionTimeout, 4lw.commands.whitelist, jute.maxbuffer,
zookeeper.extendedTypesEnabled, zookeeper.DigestAuthenticationProvider.superDigest,
znode.container.checkIntervalMs, snapCount, autopurge.*, forceSync, reconfigEnabled, ...);
like ZooKeeper it must set dataDir, and without clientPortAddress the server listens on every
interface. ZooKeeper keys Paddock does not use are listed as
ignored; a key neither knows is warned about with the nearest known key. Flags override
the file. The log goes to stderr; its level comes from --log-level, else $PADDOCK_LOG_LEVEL,
else zoo.cfg's logLevel, else INFO.

An ensemble member also reads server.N=host:quorumPort:electionPort[:participant|:observer]
[;clientHost:clientPort], initLimit, syncLimit, peerType, quorumListenOnAllIPs, cnxTimeout,
electionPortBindRetry, standaloneEnabled and commitLogCount.

HTTP, as ZooKeeper 3.9 names it in zoo.cfg:
  admin.enableServer=true      the AdminServer (JSON commands) on admin.serverAddress
  admin.serverPort=8080          (default 127.0.0.1) at admin.commandURL (/commands)
  metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
                               Prometheus metrics on metricsProvider.httpPort (7000)/metrics
  gateway.enabled=true         the HTTP/JSON gateway (/api/v1) and web console (/console)
                               on the AdminServer's listener

Exit status: 0 after SIGINT/SIGTERM; 1 when it cannot start (address in use, corrupt
data) or storage fails while serving (it stops rather than answer without a durable log);
2 for a bad zoo.cfg or flag; 3 when dataDir or dataLogDir cannot be written; 4 when the
metrics port, or a standalone server's AdminServer port from its zoo.cfg, cannot be bound (an
ensemble member, or a server started without a zoo.cfg, warns and serves without the AdminServer).

Examples:
  paddock server
  paddock server /etc/zookeeper/conf/zoo.cfg
  paddock server --port 2182 --data-dir /var/lib/paddock --log-level debug
  PADDOCK_LOG_LEVEL=warn paddock server zoo.cfg`;

interface ServerFlags {
  cfgPath: string | null;
  overrides: Partial<ServerConfig>;
  logLevel: LogLevel | undefined;
}

function parseFlags(args: readonly string[]): ServerFlags {
  const overrides: Partial<ServerConfig> = {};
  let cfgPath: string | null = null;
  let logLevel: LogLevel | undefined;
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
    else if (arg === "--log-level") logLevel = levelOf(value(), "--log-level");
    else if (arg.startsWith("-")) throw new ConfigError(`unknown flag ${arg}`);
    else if (cfgPath === null) cfgPath = arg;
    else throw new ConfigError(`unexpected argument ${arg}`);
  }
  return { cfgPath, overrides, logLevel };
}

function portOf(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port ${text}: not a port`);
  return port;
}

function levelOf(text: string, source: string): LogLevel {
  const level = parseLogLevel(text);
  if (level === undefined) throw new ConfigError(`${source} ${text}: must be one of ERROR, WARN, INFO, DEBUG`);
  return level;
}

/** Timestamped, leveled lines on stderr, below the threshold dropped. */
function stderrLog(threshold: LogLevel): LogSink {
  return (message, level = LogLevel.info) => {
    if (shown(level, threshold)) process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`);
  };
}

/** What `paddock server` runs: the server's config, the ensemble part, the HTTP side, the log. */
interface ServerSetup {
  config: ServerConfig;
  member: QuorumMemberConfig | null;
  http: HttpConfig;
  text: string;
  log: LogSink;
  notes: [string, LogLevel][];
  /** No zoo.cfg: the embedded defaults and flags. */
  fromFlagsOnly: boolean;
}

/** Reads flags and zoo.cfg; the config, the log, and what the file said that the operator should see. */
function configure(args: readonly string[]): ServerSetup {
  const flags = parseFlags(args);
  let text = "";
  if (flags.cfgPath !== null) {
    try {
      text = readFileSync(flags.cfgPath, "utf8");
    } catch (error) {
      throw new ConfigError(`cannot read ${flags.cfgPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const reading = readZooCfg(text, flags.overrides, { requireDataDir: flags.cfgPath !== null });
  const fromEnv = process.env.PADDOCK_LOG_LEVEL ? levelOf(process.env.PADDOCK_LOG_LEVEL, "PADDOCK_LOG_LEVEL") : undefined;
  const log = stderrLog(flags.logLevel ?? fromEnv ?? reading.logLevel ?? LogLevel.info);
  const notes: [string, LogLevel][] = reading.warnings.map((w) => [`zoo.cfg: ${w}`, LogLevel.warn]);
  if (reading.ignored.length > 0) {
    notes.push([`zoo.cfg: ZooKeeper keys Paddock does not use, ignored: ${reading.ignored.join(", ")}`, LogLevel.info]);
  }
  let config = reading.config;
  const dataDir = config.dataDir;
  const member = quorumFromZooCfg(parseProperties(text), () => readOptional(join(dataDir, "myid")));
  if (member !== null) {
    config = { ...config, serverId: member.settings.myId };
    // As ZooKeeper: a member that may serve read-only answers isro whatever the whitelist, since
    // read-only clients ask it to find a read-write server.
    if (member.readOnlyMode) config = { ...config, fourLetterWords: new Set([...config.fourLetterWords, "isro"]) };
    for (const warning of member.warnings) notes.push([`zoo.cfg: ${warning}`, LogLevel.warn]);
  }
  return { config, member, http: httpConfigFromZooCfg(text), text, log, notes, fromFlagsOnly: flags.cfgPath === null };
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/**
 * Resolves on the first SIGINT or SIGTERM. Listening starts at once, before the server starts: a
 * signal that arrives while it is still starting (the client port is already served, the HTTP side
 * not yet) is a request to stop once started, not the default action's death by signal (exit 143).
 */
function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}

/** Resolves with the exit code: 0 once stopped by a signal, 1 when the server stops on its own (storage failure). */
function untilStopped(stopped: Promise<void>, fatal: Promise<Error>): Promise<number> {
  return Promise.race([stopped.then(() => 0), fatal.then(() => EXIT_FAILED)]);
}

/** `paddock server`: a standalone server or ensemble member until SIGINT/SIGTERM, or until its storage fails. */
export const serverCommand: CommandPlugin = {
  name: "server",
  summary: "run a ZooKeeper-compatible server, standalone (default 127.0.0.1:2181, ./data) or an ensemble member",
  usage,
  async run(args) {
    const startMs = performance.now();
    let setup: ReturnType<typeof configure>;
    try {
      setup = configure(args);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`paddock server: ${error.message}\n`);
      return EXIT_BAD_CONFIG;
    }
    const { config, member, log } = setup;
    const stopped = stopSignal();
    log(`Paddock ${PADDOCK_RELEASE} starting (pid ${process.pid})`);
    for (const [note, level] of setup.notes) log(note, level);
    let reportFatal: (error: Error) => void = () => {};
    const fatal = new Promise<Error>((resolve) => (reportFatal = resolve));
    let running: RunningServer | RunningMember;
    try {
      const onFatal = (error: Error) => reportFatal(error);
      running = member === null ? await startServer(config, { log, onFatal }) : await startMember(config, member, { log, onFatal });
    } catch (error) {
      const failure = startFailure(error, config);
      process.stderr.write(`paddock server: ${failure.message}\n`);
      return failure.exitCode;
    }
    let runningHttp;
    try {
      // As QuorumPeer does, a member serves on without an AdminServer it cannot bind; so does the
      // quick start without a zoo.cfg. A standalone server from a zoo.cfg exits, as ZooKeeper's does.
      const adminOptional = member !== null || setup.fromFlagsOnly;
      runningHttp = await startHttp(running, setup.http, { initialConfig: setup.text, log, adminOptional });
    } catch (error) {
      await running.close();
      process.stderr.write(`paddock server: cannot start the HTTP side: ${(error as Error).message}\n`);
      return EXIT_HTTP_FAILED;
    }
    const ready = `ready in ${Math.round(performance.now() - startMs)} ms`;
    if (member === null) {
      log(`Paddock serving on ${running.connectString} (${config.inMemory ? "in memory" : `dataDir ${config.dataDir}`}), ${ready}`);
    } else {
      log(`Paddock ensemble member ${member.settings.myId} of ${member.settings.quorum.servers.size}: client port ${running.connectString}, ${ready}`);
    }
    const code = await untilStopped(stopped, fatal);
    if (code === 0) log("shutting down");
    else log(`stopped: ${(await fatal).message}; exiting with status ${code}`, LogLevel.error);
    // After a storage failure the store may never finish closing; do not hang the exit on it.
    await settleWithin(runningHttp.close());
    await settleWithin(running.close());
    return code;
  },
};
