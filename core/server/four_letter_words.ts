import { javaHashCapacity, javaHashOrder } from "../tree/java_hash_order.ts";
import type { Watcher } from "../watch/watch_manager.ts";
import { averageOf, javaDouble, monitorText, nodeCount, serverState } from "./monitor.ts";
import { ALL_FOUR_LETTER_WORDS } from "./server_config.ts";
import type { ServerConnection } from "./server_connection.ts";
import type { ZkServer } from "./zk_server.ts";
import { PADDOCK_VERSION } from "../version.ts";

const KNOWN = new Set(ALL_FOUR_LETTER_WORDS);
/** AbstractFourLetterCommand.ZK_NOT_SERVING. */
export const ZK_NOT_SERVING = "This ZooKeeper instance is not currently serving requests";
/** The words whose ZooKeeper command checks isZKServerRunning() first. */
const NEED_SERVING = new Set(["srvr", "stat", "cons", "crst", "srst", "conf", "dirs", "dump", "mntr", "wchs", "wchc", "wchp", "hash"]);

/** `Mode:` and `zk_server_state`: standalone, or the member's role (leader, follower, observer). */
/** ZooKeeper's NIOServerCnxnFactory groups connections into 10 s expiry buckets (sessionlessCnxnTimeout). */
const CONNECTION_EXPIRY_INTERVAL_MS = 10_000;
/** ZooKeeper's watch tables are HashMaps of default capacity: their iteration order is printed. */
const HASH_MAP_CAPACITY = 16;

/** True when the first four bytes of a connection are a four-letter word we know. */
export function isFourLetterWord(word: string): boolean {
  return KNOWN.has(word);
}

/**
 * The text a four-letter word answers with, line for line in ZooKeeper 3.9's format.
 * `self` is the connection that asked: ZooKeeper lists it too, not reading (`[0]`).
 *
 * @example fourLetterWordOutput(server, "ruok") // "imok"
 */
export function fourLetterWordOutput(server: ZkServer, word: string, self?: ServerConnection): string {
  if (!server.config.fourLetterWords.has(word)) return `${word} is not executed because it is not in the whitelist.\n`;
  // An ensemble member that is electing or syncing answers as ZooKeeper does when its
  // ZooKeeperServer is not running; ruok, envi and isro still answer.
  if (!server.serving && NEED_SERVING.has(word)) return `${ZK_NOT_SERVING}\n`;
  switch (word) {
    case "ruok":
      return "imok";
    case "isro":
      return !server.serving ? "null" : server.role?.readOnly !== undefined ? "ro" : "rw";
    case "srvr":
      return `Zookeeper version: ${PADDOCK_VERSION}\n${serverStats(server)}`;
    case "stat":
      return `Zookeeper version: ${PADDOCK_VERSION}\nClients:\n${connectionLines(server, true, self)}\n${serverStats(server)}`;
    case "cons":
      return `${connectionLines(server, false, self)}\n`;
    case "crst":
      for (const connection of server.connections) connection.stats.reset();
      return "Connection stats reset.\n";
    case "srst":
      server.metrics.reset();
      return "Server stats reset.\n";
    case "mntr":
      return monitorText(server);
    case "conf":
      return conf(server);
    case "envi":
      return environment(server);
    case "dirs":
      return dirs(server);
    case "wchs":
      return watchSummary(server);
    case "wchc":
      return watchesByConnection(server);
    case "wchp":
      return watchesByPath(server);
    case "dump":
      return dump(server);
    case "hash":
      // DigestCommand: the digest log, one "<zxid hex>: <digest>" line per entry.
      return server.db.digestLog.map((d) => `${d.zxid.toString(16)}: ${d.digest}\n`).join("");
    default:
      return "";
  }
}

function hex(value: bigint): string {
  // Java's Long.toHexString prints the two's complement: -1 is ffffffffffffffff.
  return BigInt.asUintN(64, value).toString(16);
}

/** ServerStats.toString() plus the node count, as `srvr` and `stat` end. */
function serverStats(server: ZkServer): string {
  const m = server.metrics;
  const lines = [
    `Latency min/avg/max: ${minLatency(server)}/${javaDouble(averageOf(m.latency.totalMs, m.latency.count))}/${Math.round(m.latency.maxMs)}`,
    `Received: ${m.packetsReceived}`,
    `Sent: ${m.packetsSent}`,
    `Connections: ${server.connections.size}`,
    `Outstanding: ${m.outstandingWrites}`,
    `Zxid: 0x${hex(server.lastZxid)}`,
    `Mode: ${serverState(server)}`,
    `Node count: ${nodeCount(server)}`,
  ];
  const leader = server.quorum?.leaderStats();
  if (leader) lines.push(`Proposal sizes last/min/max: ${leader.lastProposalSize}/${leader.minProposalSize}/${leader.maxProposalSize}`);
  return `${lines.join("\n")}\n`;
}

function minLatency(server: ZkServer): number {
  return Math.round(server.metrics.latency.minMs);
}

/** ServerCnxn.dumpConnectionInfo for every connection, one per line. */
function connectionLines(server: ZkServer, brief: boolean, self: ServerConnection | undefined): string {
  let out = "";
  for (const c of server.connections) out += `${connectionInfo(c, brief, c === self ? 0 : c.interestOps)}\n`;
  return out;
}

function connectionInfo(c: ServerConnection, brief: boolean, interestOps: number): string {
  const s = c.stats;
  let line = ` /${c.socket.remoteAddress}:${c.socket.remotePort}[${interestOps.toString(16)}]` +
    `(queued=${c.outstanding},recved=${s.packetsReceived},sent=${s.packetsSent}`;
  if (!brief && c.sessionId !== 0n) {
    line += `,sid=0x${hex(c.sessionId)},lop=${s.lastOp},est=${s.established},to=${c.timeoutMs}`;
    if (s.lastCxid >= 0) line += `,lcxid=0x${s.lastCxid.toString(16)}`;
    line += `,lzxid=0x${hex(s.lastZxid)},lresp=${s.lastResponseMs},llat=${s.lastLatencyMs}` +
      `,minlat=${s.latency.minMs},avglat=${s.avgLatency},maxlat=${s.latency.maxMs}`;
  }
  return `${line})`;
}

/** ZooKeeperServer.dumpConf, standalone. */
function conf(server: ZkServer): string {
  const c = server.config;
  const storage = server.host.storage();
  const lines = [
    `clientPort=${c.clientPort}`,
    "secureClientPort=-1",
    `dataDir=${storage.dataDir}`,
    `dataDirSize=${storage.dataDirBytes}`,
    `dataLogDir=${storage.dataLogDir}`,
    `dataLogSize=${storage.dataLogDirBytes}`,
    `tickTime=${c.tickTime}`,
    `maxClientCnxns=${c.maxClientCnxns}`,
    `minSessionTimeout=${c.minSessionTimeout}`,
    `maxSessionTimeout=${c.maxSessionTimeout}`,
    "clientPortListenBacklog=-1",
    `serverId=${c.serverId}`,
  ];
  return `${lines.join("\n")}\n`;
}

function environment(server: ZkServer): string {
  const lines = ["Environment:", `zookeeper.version=${PADDOCK_VERSION}`];
  for (const [key, value] of server.host.environment()) lines.push(`${key}=${value}`);
  return `${lines.join("\n")}\n`;
}

function dirs(server: ZkServer): string {
  const storage = server.host.storage();
  return `datadir_size: ${storage.dataDirBytes}\nlogdir_size: ${storage.dataLogDirBytes}\n`;
}

/** The connections that have data watches, with their watched paths in HashMap order. */
function dataWatchers(server: ZkServer): [ServerConnection, string[]][] {
  const watchers: [ServerConnection, string[]][] = [];
  for (const c of server.connections) {
    const paths = [...server.tree.dataWatches.pathsOf(c).keys()];
    if (paths.length > 0) watchers.push([c, javaHashOrder(paths, javaHashCapacity(HASH_MAP_CAPACITY, paths.length))]);
  }
  return watchers;
}

/** `wchs`: ZooKeeper summarizes its data-watch table only (WatchManager.toString). */
function watchSummary(server: ZkServer): string {
  const watchers = dataWatchers(server);
  let total = 0;
  for (const [, paths] of watchers) total += paths.length;
  let pathCount = 0;
  for (const _ of server.tree.dataWatches.paths()) pathCount++;
  return `${watchers.length} connections watching ${pathCount} paths\nTotal watches:${total}\n`;
}

function watchesByConnection(server: ZkServer): string {
  let out = "";
  for (const [c, paths] of dataWatchers(server)) out += `0x${hex(c.sessionId)}\n${paths.map((p) => `\t${p}\n`).join("")}`;
  return `${out}\n`;
}

function watchesByPath(server: ZkServer): string {
  const byPath = new Map<string, Map<Watcher, number>>(server.tree.dataWatches.paths());
  const order = javaHashOrder([...byPath.keys()], javaHashCapacity(HASH_MAP_CAPACITY, byPath.size));
  let out = "";
  for (const path of order) {
    out += `${path}\n`;
    for (const watcher of byPath.get(path)!.keys()) {
      const sessionId = (watcher as { sessionId?: bigint }).sessionId ?? 0n;
      out += `\t0x${hex(sessionId)}\n`;
    }
  }
  return `${out}\n`;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Java's Date.toString() in UTC: `Sun Nov 22 04:54:08 UTC 2026`. */
function javaDate(wallMs: number): string {
  const d = new Date(wallMs);
  const day = String(d.getUTCDate()).padStart(2, "0");
  const clock = d.toISOString().slice(11, 19);
  return `${WEEKDAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${day} ${clock} UTC ${d.getUTCFullYear()}`;
}

/** ExpiryQueue.dump: buckets sorted by expiry time, each with its members. */
function expiryDump(title: string, buckets: Map<number, string[]>, members: number): string {
  const times = [...buckets.keys()].sort((a, b) => a - b);
  let out = `${title} Sets (${buckets.size})/(${members}):\n`;
  for (const time of times) {
    const entries = buckets.get(time)!;
    out += `${entries.length} expire at ${javaDate(time)}:\n${entries.map((e) => `\t${e}\n`).join("")}`;
  }
  return out;
}

function addTo(buckets: Map<number, string[]>, time: number, entry: string): void {
  const bucket = buckets.get(time);
  if (bucket === undefined) buckets.set(time, [entry]);
  else bucket.push(entry);
}

function dump(server: ZkServer): string {
  const monoToWallMs = server.clock.wallMs() - server.clock.monoMs();
  const sessionBuckets = new Map<number, string[]>();
  for (const session of server.sessions.all()) {
    addTo(sessionBuckets, Math.round(session.expiresAtMs + monoToWallMs), `0x${hex(session.sessionId)}`);
  }
  let out = "SessionTracker dump:\n" + expiryDump("Session", sessionBuckets, server.sessions.size);
  out += "ephemeral nodes dump:\n";
  out += `Sessions with Ephemerals (${server.tree.ephemerals.size}):\n`;
  for (const [sessionId, paths] of server.tree.ephemerals) {
    const ordered = javaHashOrder([...paths], javaHashCapacity(HASH_MAP_CAPACITY, paths.size));
    out += `0x${hex(sessionId)}:\n${ordered.map((p) => `\t${p}\n`).join("")}`;
  }
  out += "Connections dump:\n";
  const nowMonoMs = server.clock.monoMs();
  const connectionBuckets = new Map<number, string[]>();
  for (const c of server.connections) {
    // ExpiryQueue.roundToNextInterval on the monotonic clock; a sessionless connection has timeout 0.
    const interval = CONNECTION_EXPIRY_INTERVAL_MS;
    const expiresMonoMs = (Math.floor((nowMonoMs + c.timeoutMs) / interval) + 1) * interval;
    const entry = `ip: /${c.socket.remoteAddress}:${c.socket.remotePort} sessionId: 0x${hex(c.sessionId)}`;
    addTo(connectionBuckets, Math.round(expiresMonoMs + monoToWallMs), entry);
  }
  return out + expiryDump("Connections", connectionBuckets, server.connections.size);
}
