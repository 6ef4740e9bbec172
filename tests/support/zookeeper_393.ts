import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.ts";
import { launchServer, ServerKind, type ServerHandle } from "./server_process.ts";
import { javaExecutable, type ServerOptions } from "./servers.ts";
import { writeZooCfg } from "./zoo_cfg.ts";
import { zookeeperJars, zookeeperMissing, ZooKeeperVersion } from "./zookeeper_dist.ts";

/** slf4j's simple binding: ZooKeeper then logs at INFO to stderr, which the tests read. */
const SLF4J_SIMPLE_JAR = "/usr/share/java/slf4j-simple.jar";
const OUTPUT_MAX_CHARS = 256_000;

/**
 * Why ZooKeeper 3.9.3 (the wire-format oracle) cannot run here, or false when it can.
 *
 * @example test("...", { skip: zookeeper393SkipReason() }, ...)
 */
export function zookeeper393SkipReason(): string | false {
  if (javaExecutable() === undefined) return "java not installed";
  const missing = zookeeperMissing(ZooKeeperVersion.v393);
  if (missing !== null) return `ZooKeeper 3.9.3: ${missing}`;
  if (!existsSync(SLF4J_SIMPLE_JAR)) return `${SLF4J_SIMPLE_JAR} missing (apt-get install libslf4j-java)`;
  return false;
}

/**
 * 3.9.3's jars with its jute jar first (the main jar's manifest Class-Path lists bookworm's 3.8
 * jute, which would otherwise win) and the slf4j simple binding, so its log is readable.
 */
function classpath(): string {
  const jars = zookeeperJars(ZooKeeperVersion.v393);
  jars.sort((a, b) => Number(b.includes("jute")) - Number(a.includes("jute")));
  return [...jars, SLF4J_SIMPLE_JAR].join(":");
}

function jvmArgs(dir: string, properties: Record<string, string>): string[] {
  return [
    "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
    "-Djava.net.preferIPv4Stack=true",
    `-Dzookeeper.log.dir=${dir}`,
    "-Dzookeeper.admin.enableServer=false",
    ...Object.entries(properties).map(([k, v]) => `-D${k}=${v}`),
    "-cp", classpath(),
  ];
}

/**
 * Starts ZooKeeper 3.9.3 standalone and waits until it serves.
 *
 * @example const zk = await startZooKeeper393({ extra: { "zookeeper.extendedTypesEnabled": true } });
 */
export async function startZooKeeper393(opts: ServerOptions = {}): Promise<ServerHandle> {
  const java = javaExecutable();
  if (java === undefined) throw new Error("java not installed");
  const cfg = writeZooCfg({ clientPort: opts.clientPort ?? (await freePort()), tickTimeMs: opts.tickTimeMs, extra: opts.extra, dir: opts.dir });
  return launchServer({
    kind: ServerKind.zookeeper,
    command: { command: java, args: [...jvmArgs(cfg.dir, cfg.javaSystemProperties), "org.apache.zookeeper.server.ZooKeeperServerMain", cfg.path] },
    cwd: cfg.dir,
    port: cfg.clientPort,
    dir: cfg.dir,
    removeDirOnStop: opts.dir === undefined,
    readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
  });
}

/** A ZooKeeper process that is not (yet) serving clients: a quorum peer. */
export interface PeerProcess {
  dir: string;
  dataDir: string;
  /** stdout and stderr so far (the log). */
  output(): string;
  /** Resolves with the first match of `pattern` in the log after `fromChar`; rejects after `timeoutMs`. */
  waitForLog(pattern: RegExp, timeoutMs: number, fromChar?: number): Promise<RegExpMatchArray>;
  /** True once the process has exited. */
  exited(): boolean;
  /** SIGKILL (a peer holds nothing worth a clean shutdown here) and removes its directory. */
  stop(): Promise<void>;
}

/** The configuration of one quorum peer. */
export interface PeerOptions {
  myid: number;
  /** The `server.N=...` lines, exactly as they go into zoo.cfg. */
  serverLines: string[];
  clientPort: number;
  tickTimeMs?: number;
  initLimit?: number;
  syncLimit?: number;
  /** Extra zoo.cfg lines. */
  extraLines?: string[];
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/**
 * Starts ZooKeeper 3.9.3's QuorumPeerMain with a myid file and the given server lines. It does not
 * wait for anything: a peer of an ensemble whose other members are test sockets never serves.
 *
 * @example const peer = startQuorumPeer393({ myid: 3, serverLines, clientPort });
 */
export function startQuorumPeer393(opts: PeerOptions): PeerProcess {
  const java = javaExecutable();
  if (java === undefined) throw new Error("java not installed");
  const dir = mkdtempSync(join(tmpdir(), "paddock-peer-"));
  const dataDir = join(dir, "data");
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, "myid"), `${opts.myid}\n`);
  const lines = [
    `tickTime=${opts.tickTimeMs ?? 200}`,
    `initLimit=${opts.initLimit ?? 50}`,
    `syncLimit=${opts.syncLimit ?? 25}`,
    `dataDir=${dataDir}`,
    `clientPort=${opts.clientPort}`,
    "clientPortAddress=127.0.0.1",
    "admin.enableServer=false",
    ...(opts.extraLines ?? []),
    ...opts.serverLines,
  ];
  const cfgPath = join(dir, "zoo.cfg");
  writeFileSync(cfgPath, lines.join("\n") + "\n");
  const child = spawn(java, [...jvmArgs(dir, {}), "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfgPath], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let output = "";
  let exited = false;
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_MAX_CHARS);
    for (const wake of waiters) wake();
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exitPromise = new Promise<void>((resolve) => child.on("exit", () => {
    exited = true;
    live.delete(child);
    for (const wake of waiters) wake();
    resolve();
  }));
  return {
    dir,
    dataDir,
    output: () => output,
    exited: () => exited,
    waitForLog: (pattern, timeoutMs, fromChar = 0) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = output.slice(fromChar).match(pattern);
          if (match !== null) done(() => resolve(match));
          else if (exited) done(() => reject(new Error(`peer exited before logging ${pattern}\n${output.slice(-4000)}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} in the peer's log within ${timeoutMs} ms\n${output.slice(-4000)}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      }),
    stop: async () => {
      if (!exited) child.kill("SIGKILL");
      await exitPromise;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
