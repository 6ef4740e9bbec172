import { readFileSync } from "node:fs";
import process from "node:process";
import { LogLevel, type LogSink, parseLogLevel, shown } from "../../core/log_level.ts";
import { startServer, type RunningServer } from "../../core/server/start_server.ts";
import type { ServerConfig } from "../../core/server/server_config.ts";
import { PADDOCK_RELEASE } from "../../core/version.ts";
import type { CommandPlugin } from "../plugin.ts";
import { ConfigError, readZooCfg } from "./zoo_cfg.ts";
import { startFailure } from "./start_failure.ts";
import { settleWithin } from "../cli/bounded.ts";

/** Exit codes, ZooKeeper's where it has one (ExitCode.java). */
const EXIT_FAILED = 1;
const EXIT_BAD_CONFIG = 2;

const usage = `Usage: paddock server [zoo.cfg] [--port N] [--host ADDR] [--data-dir DIR] [--in-memory]
                      [--log-level ERROR|WARN|INFO|DEBUG]

Starts a standalone ZooKeeper-compatible server. Without a zoo.cfg it listens on
127.0.0.1:2181 with its data in ./data. A zoo.cfg is read as ZooKeeper reads it
(tickTime, clientPort, clientPortAddress, dataDir, dataLogDir, maxClientCnxns,
minSessionTimeout, maxSessionTimeout, 4lw.commands.whitelist, jute.maxbuffer,
zookeeper.extendedTypesEnabled, zookeeper.DigestAuthenticationProvider.superDigest,
znode.container.checkIntervalMs, snapCount, autopurge.*, forceSync, reconfigEnabled, ...);
like ZooKeeper it must set dataDir, and without clientPortAddress the server listens on every
interface. ZooKeeper keys Paddock does not use are listed as
ignored; a key neither knows is warned about with the nearest known key. Flags override
the file. The log goes to stderr; its level comes from --log-level, else $PADDOCK_LOG_LEVEL,
else zoo.cfg's logLevel, else INFO.

Exit status: 0 after SIGINT/SIGTERM; 1 when it cannot start (address in use, corrupt
data) or storage fails while serving (it stops rather than answer without a durable log);
2 for a bad zoo.cfg or flag; 3 when dataDir or dataLogDir cannot be written.

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

/** Reads flags and zoo.cfg; the config, the log, and what the file said that the operator should see. */
function configure(args: readonly string[]): { config: ServerConfig; log: LogSink; notes: [string, LogLevel][] } {
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
    notes.push([`zoo.cfg: ZooKeeper keys a standalone Paddock does not use, ignored: ${reading.ignored.join(", ")}`, LogLevel.info]);
  }
  return { config: reading.config, log, notes };
}

/** Resolves with the exit code: 0 on SIGINT/SIGTERM, 1 when the server stops on its own (storage failure). */
function untilStopped(fatal: Promise<Error>): Promise<number> {
  return new Promise((resolve) => {
    const stop = () => resolve(0);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    fatal.then(() => resolve(EXIT_FAILED));
  });
}

/** `paddock server`: a standalone server until SIGINT/SIGTERM, or until its storage fails. */
export const serverCommand: CommandPlugin = {
  name: "server",
  summary: "run a standalone ZooKeeper-compatible server (default 127.0.0.1:2181, ./data)",
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
    const { config, log } = setup;
    log(`Paddock ${PADDOCK_RELEASE} starting (pid ${process.pid})`);
    for (const [note, level] of setup.notes) log(note, level);
    let reportFatal: (error: Error) => void = () => {};
    const fatal = new Promise<Error>((resolve) => (reportFatal = resolve));
    let running: RunningServer;
    try {
      running = await startServer(config, { log, onFatal: (error) => reportFatal(error) });
    } catch (error) {
      const failure = startFailure(error, config);
      process.stderr.write(`paddock server: ${failure.message}\n`);
      return failure.exitCode;
    }
    log(`Paddock serving on ${running.connectString} (${config.inMemory ? "in memory" : `dataDir ${config.dataDir}`}), ` +
      `ready in ${Math.round(performance.now() - startMs)} ms`);
    const code = await untilStopped(fatal);
    if (code === 0) log("shutting down");
    else log(`stopped: ${(await fatal).message}; exiting with status ${code}`, LogLevel.error);
    // After a storage failure the store may never finish closing; do not hang the exit on it.
    await settleWithin(running.close());
    return code;
  },
};
