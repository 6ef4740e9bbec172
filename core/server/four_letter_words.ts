import { ALL_FOUR_LETTER_WORDS } from "./server_config.ts";
import type { ZkServer } from "./zk_server.ts";

/** The version string tools parse from `srvr`/`stat`/`mntr`. */
export const PADDOCK_VERSION = "3.9.0-paddock-0.1.0, built on 2026-11-22 00:00 UTC";

const KNOWN = new Set(ALL_FOUR_LETTER_WORDS);

/** True when the first four bytes of a connection are a four-letter word we know. */
export function isFourLetterWord(word: string): boolean {
  return KNOWN.has(word);
}

/** The text a four-letter word answers with, in ZooKeeper's format. */
export function fourLetterWordOutput(server: ZkServer, word: string): string {
  if (!server.config.fourLetterWords.has(word)) return `${word} is not executed because it is not in the whitelist.\n`;
  switch (word) {
    case "ruok":
      return "imok";
    case "isro":
      return "rw";
    case "srvr":
      return serverSummary(server);
    case "stat":
      return `Zookeeper version: ${PADDOCK_VERSION}\nClients:\n${clients(server, false)}\n${serverSummary(server, false)}`;
    case "cons":
      return `${clients(server, true)}\n`;
    case "crst":
      return "Connection stats reset.\n";
    case "srst":
      server.metrics.reset();
      return "Server stats reset.\n";
    case "mntr":
      return monitor(server);
    case "conf":
      return conf(server);
    case "envi":
      return environment(server);
    case "dirs":
      return `datadir_size: 0\nlogdir_size: 0\n`;
    case "wchs":
      return watchSummary(server);
    case "wchc":
      return watchesByConnection(server);
    case "wchp":
      return watchesByPath(server);
    case "dump":
      return dump(server);
    default:
      return "";
  }
}

function serverSummary(server: ZkServer, withVersion = true): string {
  const m = server.metrics;
  const min = m.latencyCount === 0 ? 0 : Math.round(m.latencyMinMs);
  const lines = [
    ...(withVersion ? [`Zookeeper version: ${PADDOCK_VERSION}`] : []),
    `Latency min/avg/max: ${min}/${m.latencyAvgMs.toFixed(4)}/${Math.round(m.latencyMaxMs)}`,
    `Received: ${m.packetsReceived}`,
    `Sent: ${m.packetsSent}`,
    `Connections: ${server.connections.size}`,
    `Outstanding: ${m.outstandingWrites}`,
    `Zxid: 0x${server.lastZxid.toString(16)}`,
    `Mode: standalone`,
    `Node count: ${server.tree.nodeCount}`,
  ];
  return `${lines.join("\n")}\n`;
}

function clients(server: ZkServer, detailed: boolean): string {
  const lines: string[] = [];
  for (const c of server.connections) {
    const base = ` /${c.socket.remoteAddress}:${c.socket.remotePort}[1](queued=${c.outstanding},recved=${c.stats.packetsReceived},sent=${c.stats.packetsSent}`;
    if (!detailed) {
      lines.push(`${base})`);
      continue;
    }
    lines.push(
      `${base},sid=0x${c.sessionId.toString(16)},lop=${c.stats.lastOp},est=${c.stats.established},to=${c.timeoutMs}` +
        `,lzxid=0x${c.stats.lastZxid.toString(16)},lresp=0,llat=${Math.round(c.stats.lastLatencyMs)},minlat=0,avglat=0,maxlat=0)`,
    );
  }
  return lines.map((l) => `${l}\n`).join("");
}

function monitor(server: ZkServer): string {
  const m = server.metrics;
  let ephemerals = 0;
  for (const paths of server.tree.ephemerals.values()) ephemerals += paths.size;
  const pairs: [string, string | number][] = [
    ["zk_version", PADDOCK_VERSION],
    ["zk_server_state", "standalone"],
    ["zk_avg_latency", m.latencyAvgMs.toFixed(4)],
    ["zk_max_latency", Math.round(m.latencyMaxMs)],
    ["zk_min_latency", m.latencyCount === 0 ? 0 : Math.round(m.latencyMinMs)],
    ["zk_packets_received", m.packetsReceived],
    ["zk_packets_sent", m.packetsSent],
    ["zk_num_alive_connections", server.connections.size],
    ["zk_outstanding_requests", m.outstandingWrites],
    ["zk_znode_count", server.tree.nodeCount],
    ["zk_watch_count", server.tree.dataWatches.size + server.tree.childWatches.size],
    ["zk_ephemerals_count", ephemerals],
    ["zk_approximate_data_size", server.tree.approximateDataSize],
    ["zk_global_sessions", server.sessions.size],
    ["zk_uptime", Math.round(server.clock.monoMs() - server.startedAtMs)],
  ];
  return pairs.map(([k, v]) => `${k}\t${v}\n`).join("");
}

function conf(server: ZkServer): string {
  const c = server.config;
  const lines = [
    `clientPort=${c.clientPort}`,
    `clientPortAddress=${c.clientPortAddress}`,
    `dataDir=${c.dataDir}`,
    `dataLogDir=${c.dataLogDir}`,
    `tickTime=${c.tickTime}`,
    `maxClientCnxns=${c.maxClientCnxns}`,
    `minSessionTimeout=${c.minSessionTimeout}`,
    `maxSessionTimeout=${c.maxSessionTimeout}`,
    `clientPortListenBacklog=-1`,
    `serverId=${c.serverId}`,
  ];
  return `${lines.join("\n")}\n`;
}

function environment(server: ZkServer): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string }; process?: { version: string; platform: string; arch: string; cwd(): string } };
  const runtime = g.Deno ? `deno ${g.Deno.version.deno}` : g.Bun ? `bun ${g.Bun.version}` : `node ${g.process?.version}`;
  const lines = [
    "Environment:",
    `zookeeper.version=${PADDOCK_VERSION}`,
    `host.name=localhost`,
    `runtime=${runtime}`,
    `os.name=${g.process?.platform ?? "unknown"}`,
    `os.arch=${g.process?.arch ?? "unknown"}`,
    `user.dir=${g.process?.cwd() ?? ""}`,
    `dataDir=${server.config.dataDir}`,
  ];
  return `${lines.join("\n")}\n`;
}

function watchSummary(server: ZkServer): string {
  const { dataWatches, childWatches } = server.tree;
  const paths = new Set<string>();
  for (const [path] of dataWatches.paths()) paths.add(path);
  for (const [path] of childWatches.paths()) paths.add(path);
  const total = dataWatches.size + childWatches.size;
  return `${server.connections.size} connections watching ${paths.size} paths\nTotal watches:${total}\n`;
}

function watchesByConnection(server: ZkServer): string {
  let out = "";
  for (const c of server.connections) {
    const paths = new Set([...server.tree.dataWatches.pathsOf(c).keys(), ...server.tree.childWatches.pathsOf(c).keys()]);
    if (paths.size === 0) continue;
    out += `0x${c.sessionId.toString(16)}\n${[...paths].map((p) => `\t${p}\n`).join("")}`;
  }
  return out;
}

function watchesByPath(server: ZkServer): string {
  const byPath = new Map<string, Set<string>>();
  for (const table of [server.tree.dataWatches, server.tree.childWatches]) {
    for (const [path, watchers] of table.paths()) {
      let ids = byPath.get(path);
      if (ids === undefined) byPath.set(path, (ids = new Set()));
      for (const watcher of watchers.keys()) {
        const sessionId = (watcher as { sessionId?: bigint }).sessionId ?? 0n;
        ids.add(`0x${sessionId.toString(16)}`);
      }
    }
  }
  let out = "";
  for (const [path, ids] of byPath) out += `${path}\n${[...ids].map((id) => `\t${id}\n`).join("")}`;
  return out;
}

function dump(server: ZkServer): string {
  let out = "SessionTracker dump:\n";
  out += `Session Sets (${server.sessions.size})/(${server.sessions.size}):\n`;
  for (const session of server.sessions.all()) out += `0x${session.sessionId.toString(16)}\n`;
  out += "ephemeral nodes dump:\n";
  out += `Sessions with Ephemerals (${server.tree.ephemerals.size}):\n`;
  for (const [sessionId, paths] of server.tree.ephemerals) {
    out += `0x${sessionId.toString(16)}:\n${[...paths].map((p) => `\t${p}\n`).join("")}`;
  }
  out += "Connections dump:\n";
  return out;
}
