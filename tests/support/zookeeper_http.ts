import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./ports.ts";
import { javaExecutable } from "./servers.ts";
import { launchServer, ServerKind, type ServerHandle } from "./server_process.ts";
import { zookeeperClasspath, zookeeperMissing, ZooKeeperVersion } from "./zookeeper_dist.ts";
import { type CfgValue, writeZooCfg } from "./zoo_cfg.ts";

/** A ZooKeeper 3.9.3 server with its AdminServer on. */
export interface ZooKeeperWithAdmin extends ServerHandle {
  /** `http://127.0.0.1:<admin port>/commands`. */
  adminUrl: string;
}

/** Why ZooKeeper 3.9.3 cannot run here (java, its jars, bookworm's dependency jars), or null. */
export function zookeeper393Missing(): string | null {
  if (javaExecutable() === undefined) return "no java (apt-get install default-jdk-headless)";
  return zookeeperMissing(ZooKeeperVersion.v393);
}

function javaArgs(dir: string, properties: Record<string, string>, mainClass: string, cfgPath: string): string[] {
  return [
    "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true",
    `-Dzookeeper.log.dir=${dir}`,
    ...Object.entries(properties).map(([k, v]) => `-D${k}=${v}`),
    "-cp", zookeeperClasspath(ZooKeeperVersion.v393),
    mainClass, cfgPath,
  ];
}

/**
 * Starts ZooKeeper 3.9.3 standalone with its AdminServer on a free port (on 127.0.0.1).
 *
 * @example const zk = await startZooKeeper393WithAdmin({ "zookeeper.DigestAuthenticationProvider.superDigest": digest });
 */
export async function startZooKeeper393WithAdmin(extra: Record<string, CfgValue> = {}): Promise<ZooKeeperWithAdmin> {
  const adminPort = await freePort();
  const cfg = writeZooCfg({
    clientPort: await freePort(),
    extra: { ...extra, "admin.enableServer": true, "admin.serverAddress": "127.0.0.1", "admin.serverPort": adminPort },
  });
  const handle = await launchServer({
    kind: ServerKind.zookeeper,
    command: { command: javaExecutable()!, args: javaArgs(cfg.dir, cfg.javaSystemProperties, "org.apache.zookeeper.server.ZooKeeperServerMain", cfg.path) },
    cwd: cfg.dir,
    port: cfg.clientPort,
    dir: cfg.dir,
    removeDirOnStop: true,
    readyTimeoutMs: 60_000,
  });
  return { ...handle, adminUrl: `http://127.0.0.1:${adminPort}/commands` };
}

/**
 * Starts a ZooKeeper 3.9.3 ensemble of `size` servers (QuorumPeerMain, myid files, server.N
 * lines on free ports), each with its AdminServer; resolves once every member serves.
 */
export async function startZooKeeper393Ensemble(size: number): Promise<ZooKeeperWithAdmin[]> {
  // A free port can be taken by another process between our probe and ZooKeeper's bind (it then
  // exits at once): one more try on fresh ports.
  try {
    return await startZooKeeper393EnsembleOnce(size);
  } catch (error) {
    if (!/exited before it was ready/.test(String((error as Error).message))) throw error;
    return await startZooKeeper393EnsembleOnce(size);
  }
}

async function startZooKeeper393EnsembleOnce(size: number): Promise<ZooKeeperWithAdmin[]> {
  const members = [];
  for (let id = 1; id <= size; id++) {
    members.push({ id, clientPort: await freePort(), quorumPort: await freePort(), electionPort: await freePort(), adminPort: await freePort() });
  }
  const servers = members.map((m) => `server.${m.id}=127.0.0.1:${m.quorumPort}:${m.electionPort};127.0.0.1:${m.clientPort}`);
  const launches = members.map((m) => {
    const cfg = writeZooCfg({
      clientPort: m.clientPort,
      tickTimeMs: 500,
      extra: {
        initLimit: 10, syncLimit: 5,
        "admin.enableServer": true, "admin.serverAddress": "127.0.0.1", "admin.serverPort": m.adminPort,
      },
    });
    writeFileSync(cfg.path, `${servers.join("\n")}\n`, { flag: "a" });
    mkdirSync(cfg.dataDir, { recursive: true });
    writeFileSync(join(cfg.dataDir, "myid"), `${m.id}\n`);
    return launchServer({
      kind: ServerKind.zookeeper,
      command: { command: javaExecutable()!, args: javaArgs(cfg.dir, cfg.javaSystemProperties, "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg.path) },
      cwd: cfg.dir,
      port: m.clientPort,
      dir: cfg.dir,
      removeDirOnStop: true,
      readyTimeoutMs: 90_000,
    }).then((handle) => ({ ...handle, adminUrl: `http://127.0.0.1:${m.adminPort}/commands` }));
  });
  const settled = await Promise.allSettled(launches);
  const started = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = settled.find((s) => s.status === "rejected");
  if (failed !== undefined) {
    await Promise.all(started.map((s) => s.stop()));
    throw (failed as PromiseRejectedResult).reason;
  }
  return started;
}
