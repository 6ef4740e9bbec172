import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { freePort } from "./ports.ts";
import { REPO_ROOT, typeScriptCommand } from "./runtime.ts";
import { launchServer, ServerKind, type ServerHandle } from "./server_process.ts";
import { javaExecutable } from "./java_tools.ts";
import { noteSkip } from "./skips.ts";
import { writeZooCfg, type CfgValue } from "./zoo_cfg.ts";
import { ORACLE_VERSION, zookeeperClasspath, zookeeperMissing } from "./zookeeper_dist.ts";

export { ServerKind, type ServerHandle } from "./server_process.ts";
export { javaExecutable } from "./java_tools.ts";
export { ORACLE_VERSION } from "./zookeeper_dist.ts";

/** Options shared by both servers, so one call site can start either. */
export interface ServerOptions {
  /** Default 200 ms. */
  tickTimeMs?: number;
  /** Extra zoo.cfg keys; `zookeeper.*` keys are also Java system properties (see zoo_cfg.ts). */
  extra?: Record<string, CfgValue>;
  /** Default: a free port. */
  clientPort?: number;
  /** Reuse a directory (restart on the same data); it is then never removed by stop(). */
  dir?: string;
  /** Default: 30 s for ZooKeeper (JVM start on 2 cores), 10 s for Paddock. */
  readyTimeoutMs?: number;
}

/**
 * Paddock's entry point, relative to the repository root. PADDOCK_ENTRY overrides it, e.g. to
 * check the harness itself against a stand-in, or to test a built executable's sources elsewhere.
 */
export const PADDOCK_ENTRY: string = process.env.PADDOCK_ENTRY ?? "plugins/main.ts";


/**
 * Why the oracle (ZooKeeper {@link ORACLE_VERSION}, PADDOCK_ORACLE picks another) cannot run here,
 * or false when it can.
 *
 * @example test("...", { skip: zookeeperSkipReason() }, ...)
 */
export function zookeeperSkipReason(): string | false {
  if (javaExecutable() === undefined) return noteSkip("java not installed (apt-get install default-jdk-headless)");
  const missing = zookeeperMissing(ORACLE_VERSION);
  return noteSkip(missing === null ? false : `ZooKeeper ${ORACLE_VERSION}: ${missing}`);
}

/**
 * True when the real ZooKeeper can be started here.
 *
 * @example if (zookeeperAvailable()) servers.push({ name: "zookeeper", start: startZooKeeper });
 */
export function zookeeperAvailable(): boolean {
  return zookeeperSkipReason() === false;
}

/** True once the Paddock server entry point exists in the tree. */
export function paddockAvailable(): boolean {
  return existsSync(resolve(REPO_ROOT, PADDOCK_ENTRY));
}

/**
 * Starts Apache ZooKeeper {@link ORACLE_VERSION} standalone (`ZooKeeperServerMain <zoo.cfg>`) as the oracle.
 * Logging stays quiet because no SLF4J binding is on the classpath.
 *
 * @example const zk = await startZooKeeper({ extra: { "zookeeper.extendedTypesEnabled": true } });
 */
export async function startZooKeeper(opts: ServerOptions = {}): Promise<ServerHandle> {
  const java = javaExecutable();
  const skip = zookeeperSkipReason();
  if (java === undefined || skip !== false) throw new Error(`ZooKeeper cannot start: ${skip}`);
  const cfg = writeZooCfg({ clientPort: opts.clientPort ?? (await freePort()), tickTimeMs: opts.tickTimeMs, extra: opts.extra, dir: opts.dir });
  const properties = Object.entries(cfg.javaSystemProperties).map(([k, v]) => `-D${k}=${v}`);
  const args = [
    // Small, quick-starting JVM: these servers hold a few znodes.
    "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
    "-Djava.net.preferIPv4Stack=true",
    `-Dzookeeper.log.dir=${cfg.dir}`,
    "-Dzookeeper.admin.enableServer=false",
    ...properties,
    "-cp", zookeeperClasspath(ORACLE_VERSION),
    "org.apache.zookeeper.server.ZooKeeperServerMain", cfg.path,
  ];
  return launchServer({
    kind: ServerKind.zookeeper,
    command: { command: java, args },
    cwd: cfg.dir,
    port: cfg.clientPort,
    dir: cfg.dir,
    removeDirOnStop: opts.dir === undefined,
    readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
    alsoListening: httpPorts(opts.extra ?? {}),
  });
}

/** The AdminServer and Prometheus ports a Paddock zoo.cfg asks for (both open after the client port). */
function httpPorts(extra: Record<string, CfgValue>): number[] {
  const ports: number[] = [];
  const admin = extra["admin.serverPort"];
  if ((extra["admin.enableServer"] === true || extra["admin.enableServer"] === "true") && typeof admin === "number") ports.push(admin);
  const metrics = extra["metricsProvider.httpPort"];
  if (typeof extra["metricsProvider.className"] === "string" && typeof metrics === "number") ports.push(metrics);
  return ports;
}

/**
 * Starts Paddock as a real process, `paddock server <zoo.cfg>`, on the runtime running the test.
 *
 * @example const paddock = await startPaddock(); // paddock.connectString === "127.0.0.1:41233"
 */
export async function startPaddock(opts: ServerOptions = {}): Promise<ServerHandle> {
  const cfg = writeZooCfg({ clientPort: opts.clientPort ?? (await freePort()), tickTimeMs: opts.tickTimeMs, extra: opts.extra, dir: opts.dir });
  return launchServer({
    kind: ServerKind.paddock,
    command: typeScriptCommand(resolve(REPO_ROOT, PADDOCK_ENTRY), ["server", cfg.path]),
    cwd: REPO_ROOT,
    port: cfg.clientPort,
    dir: cfg.dir,
    removeDirOnStop: opts.dir === undefined,
    readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
    // Ready means its AdminServer and metrics ports accept too: they open after the client port,
    // and a test that fetched at once met a refused connection under a loaded machine.
    alsoListening: httpPorts(opts.extra ?? {}),
  });
}
