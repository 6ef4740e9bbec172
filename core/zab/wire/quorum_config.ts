/**
 * The ensemble's membership as ZooKeeper writes it into /zookeeper/config, NEWLEADER and election
 * notifications (QuorumMaj.toString, QuorumServer.toString) and reads it back
 * (QuorumPeer.configFromString, QuorumPeerConfig.parseDynamicConfig):
 *
 *   server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181
 *   server.2=10.0.0.2:2888:3888|10.1.0.2:2888:3888:observer
 *   version=100000000
 *
 * Servers come in Java HashMap order of their ids, each with its addresses sorted by host, its
 * role always spelled out, and its client address only when the server line gave one; the version
 * is hex. Hierarchical quorums (group.N, weight.N) are not supported.
 */
import { javaHashCapacity, javaHashOrderBy, javaLongHash } from "../../tree/java_hash_order.ts";
import { WireError, WireErrorCode } from "./wire_error.ts";

/** A host and a port; the host as written (a name or a literal, IPv6 without brackets). */
export interface HostPort {
  host: string;
  port: number;
}

/** One server's quorum and election ports on one address. */
export interface ServerAddress {
  host: string;
  quorumPort: number;
  electionPort: number;
}

/** A participant votes; an observer only follows. */
export const LearnerRole = { participant: "participant", observer: "observer" } as const;
/** One of {@link LearnerRole}. */
export type LearnerRole = (typeof LearnerRole)[keyof typeof LearnerRole];

/** One `server.N` entry. */
export interface QuorumServer {
  sid: bigint;
  /** One address, or several with the multi-address feature. */
  addresses: ServerAddress[];
  role: LearnerRole;
  /** Present when the server line names it (`;[host:]port`); a bare port means 0.0.0.0. */
  clientAddress?: HostPort;
}

/** A majority quorum's membership and version (the zxid of the reconfig that made it). */
export interface QuorumConfig {
  servers: QuorumServer[];
  version: bigint;
}

/** `host:port` with IPv6 literals in brackets, as ZooKeeper prints addresses. */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** QuorumServer.toString: addresses sorted by host, the role, then the client address if any. */
export function formatQuorumServer(server: QuorumServer): string {
  const byHost = [...server.addresses].sort((a, b) => compareJavaStrings(a.host, b.host));
  let text = byHost.map((a) => `${formatHostPort(a.host, a.quorumPort)}:${a.electionPort}`).join("|");
  text += `:${server.role}`;
  if (server.clientAddress !== undefined) text += `;${formatHostPort(server.clientAddress.host, server.clientAddress.port)}`;
  return text;
}

/** String.compareTo: UTF-16 code units. */
function compareJavaStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * QuorumMaj.toString: one `server.N=` line per server in HashMap order, then `version=` in hex,
 * no final newline. These bytes (UTF-8) are what NEWLEADER and notifications carry.
 *
 * @example formatQuorumConfig({ servers, version: 0x100000000n }) // "server.1=...\nversion=100000000"
 */
export function formatQuorumConfig(config: QuorumConfig): string {
  // allMembers is a HashMap filled one put at a time (default capacity 16).
  const ordered = javaHashOrderBy(config.servers, (s) => javaLongHash(s.sid), javaHashCapacity(16, config.servers.length));
  const lines = ordered.map((s) => `server.${s.sid}=${formatQuorumServer(s)}`);
  lines.push(`version=${BigInt.asUintN(64, config.version).toString(16)}`);
  return lines.join("\n");
}

function configError(message: string): WireError {
  return new WireError(WireErrorCode.malformed, `quorum config: ${message}`);
}

/** ConfigUtils.getHostAndPort: `host:a:b...` or `[v6]:a:b...` split at the colons. */
function splitHostAndPorts(text: string): string[] {
  if (!text.startsWith("[")) return text.split(":");
  const close = text.indexOf("]");
  if (close < 0) throw configError(`${text} starts with '[' but has no matching ']:'`);
  if (close + 2 === text.length) throw configError(`${text} doesn't have a port after colon`);
  if (close + 2 > text.length) return [text.slice(1, close)];
  return [text.slice(1, close), ...text.slice(close + 2).split(":")];
}

function parsePort(text: string, where: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw configError(`${where}: port ${JSON.stringify(text)} is not a number`);
  const port = Number(text);
  if (port < 0 || port > 65535) throw configError(`${where}: port ${port} out of range`);
  return port;
}

function parseRole(text: string, where: string): LearnerRole {
  const role = text.trim().toLowerCase();
  if (role === LearnerRole.observer || role === LearnerRole.participant) return role;
  throw configError(`${where}: unrecognised peertype ${JSON.stringify(text)}`);
}

/**
 * Parses a `server.N` value as QuorumServer does: `addr[|addr...][;client]`, each addr
 * `host:quorumPort:electionPort[:role]`, the client `port` or `host:port`.
 */
export function parseQuorumServer(sid: bigint, value: string): QuorumServer {
  const where = `server.${sid}`;
  const [serverPart, clientPart, ...extra] = value.split(";");
  if (extra.length > 0 || serverPart === undefined) throw configError(`${where}=${value}: too many ';'`);
  const server: QuorumServer = { sid, addresses: [], role: LearnerRole.participant };
  let role: LearnerRole | undefined;
  for (const address of serverPart.split("|")) {
    const parts = splitHostAndPorts(address);
    if (parts.length < 3 || parts.length > 4) throw configError(`${where}=${value}: not host:port:port[:type]`);
    const entry = { host: parts[0]!, quorumPort: parsePort(parts[1]!, where), electionPort: parsePort(parts[2]!, where) };
    if (entry.quorumPort === entry.electionPort) throw configError(`${where}: quorum and election port must differ`);
    server.addresses.push(entry);
    if (parts.length === 4) {
      const next = parseRole(parts[3]!, where);
      if (role !== undefined && role !== next) throw configError(`${where}: addresses with different roles`);
      role = next;
    }
  }
  if (role !== undefined) server.role = role;
  if (clientPart !== undefined) {
    const parts = splitHostAndPorts(clientPart);
    if (parts.length > 2) throw configError(`${where}: client address ${JSON.stringify(clientPart)} is not [host:]port`);
    server.clientAddress = { host: parts.length === 2 ? parts[0]! : "0.0.0.0", port: parsePort(parts.at(-1)!, where) };
  }
  return server;
}

/** The most lines a config may have (a bound on a peer-supplied string, far above real ensembles). */
const CONFIG_LINES_MAX = 10_000;

/**
 * Parses a dynamic config (java.util.Properties lines: `#`/`!` comments, `=` or `:` separators)
 * as configFromString does: only `server.N` and `version` keys; no servers is an error.
 *
 * @example parseQuorumConfig(new TextDecoder().decode(newLeader.data!))
 */
export function parseQuorumConfig(text: string): QuorumConfig {
  const servers = new Map<bigint, QuorumServer>();
  let version = 0n;
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > CONFIG_LINES_MAX) throw configError(`${lines.length} lines`);
  for (const raw of lines) {
    const line = raw.trimStart();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    const separator = line.search(/[=:]/);
    if (separator < 0) throw configError(`no value in ${JSON.stringify(line)}`);
    const key = line.slice(0, separator).trim();
    const value = line.slice(separator + 1).trim();
    if (key === "version") {
      if (!/^[0-9a-fA-F]{1,16}$/.test(value)) throw configError(`version ${JSON.stringify(value)} is not hex`);
      version = BigInt.asIntN(64, BigInt(`0x${value}`));
    } else if (key.startsWith("server.")) {
      const id = key.slice("server.".length);
      if (!/^[+-]?\d+$/.test(id)) throw configError(`${key}: the server id is not a number`);
      const sid = BigInt(id);
      servers.set(sid, parseQuorumServer(sid, value));
    } else if (key.startsWith("group") || key.startsWith("weight")) {
      throw configError("hierarchical quorums (group/weight) are not supported");
    } else {
      throw configError(`unrecognised parameter ${key}`);
    }
  }
  if (servers.size === 0) throw configError("no servers");
  return { servers: [...servers.values()], version };
}
