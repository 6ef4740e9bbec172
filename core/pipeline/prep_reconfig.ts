/**
 * A reconfig request on an ensemble's leader, checked as ZooKeeper 3.9.3's PrepRequestProcessor
 * checks it, in its order, so a client sees the same error ZooKeeper gives for a stale config
 * version (BADVERSION), a membership it cannot read or that leaves fewer than two voters
 * (BADARGUMENTS), a server id that is not a number (MARSHALLINGERROR, ZooKeeper's answer to an
 * unexpected exception) and a client without WRITE on /zookeeper/config (NOAUTH). Paddock does not
 * change an ensemble's membership: a request that passes every check is answered UNIMPLEMENTED
 * (docs/compatibility.md). ZooKeeper's next check, that the new config's voters have a synced
 * quorum (NEWCONFIGNOQUORUM), is not made: it is only meaningful for a change that is applied.
 */
import { ErrorCode } from "../proto/error_code.ts";
import { JuteError, type JuteReader } from "../proto/jute_reader.ts";
import { Refusal } from "../proto/refusal.ts";
import { WireError } from "../zab/wire/wire_error.ts";
import {
  LearnerRole,
  parseQuorumConfig,
  parseQuorumServer,
  type QuorumServer,
} from "../zab/wire/quorum_config.ts";

/** ReconfigRequest (zookeeper.jute): incremental (joining/leaving) or a whole new membership. */
export interface ReconfigRequest {
  readonly joiningServers: string | null;
  readonly leavingServers: string | null;
  readonly newMembers: string | null;
  /** The config version the client saw, -1 for any. */
  readonly curConfigId: bigint;
}

/** The membership a leader serves: its config string (as /zookeeper/config shows it) and version. */
export interface EnsembleConfig {
  readonly text: string;
  readonly version: bigint;
}

/** Reads a ReconfigRequest; an unreadable one is ZooKeeper's MARSHALLINGERROR. */
export function readReconfigRequest(r: JuteReader): ReconfigRequest {
  try {
    return { joiningServers: r.ustring(), leavingServers: r.ustring(), newMembers: r.ustring(), curConfigId: r.long() };
  } catch (error) {
    if (error instanceof JuteError) throw new Refusal(ErrorCode.MARSHALLINGERROR);
    throw error;
  }
}

/**
 * Throws the Refusal ZooKeeper's leader answers `request` with before it would propose the change,
 * given the current membership and a check of WRITE on /zookeeper/config (throws NOAUTH).
 */
export function checkReconfig(request: ReconfigRequest, current: EnsembleConfig, checkConfigWrite: () => void): void {
  if (request.curConfigId !== -1n && request.curConfigId !== current.version) throw new Refusal(ErrorCode.BADVERSION);
  const next = request.newMembers !== null ? wholeMembership(request.newMembers) : incremental(request, current);
  // standaloneEnabled (the default) asks for two voters; Paddock has no standalone fallback.
  const voters = [...next.values()].filter((s) => s.role === LearnerRole.participant).length;
  if (voters < 2) throw new Refusal(ErrorCode.BADARGUMENTS);
  checkConfigWrite();
}

/** Non-incremental: the members given, commas or newlines between them, as a dynamic config. */
function wholeMembership(newMembers: string): Map<bigint, QuorumServer> {
  const config = asBadArguments(() => parseQuorumConfig(newMembers.replaceAll(",", "\n")));
  return new Map(config.servers.map((s) => [s.sid, s]));
}

function incremental(request: ReconfigRequest, current: EnsembleConfig): Map<bigint, QuorumServer> {
  const servers = new Map(asBadArguments(() => parseQuorumConfig(current.text)).servers.map((s) => [s.sid, s]));
  for (const leaving of splitTrimmed(request.leavingServers, ",")) servers.delete(javaLong(leaving));
  for (const joiner of splitTrimmed(request.joiningServers, ",")) {
    const parts = splitTrimmed(joiner, "=");
    if (parts.length !== 2) throw new Refusal(ErrorCode.BADARGUMENTS);
    const sid = javaLong(parts[0]!.slice(parts[0]!.lastIndexOf(".") + 1));
    const server = asBadArguments(() => parseQuorumServer(sid, parts[1]!));
    // Joiners must give their client address: "each server should have 3 ports specified".
    if (server.clientAddress === undefined) throw new Refusal(ErrorCode.BADARGUMENTS);
    for (const other of servers.values()) {
      if (other.sid !== sid && sharesAddress(server, other)) throw new Refusal(ErrorCode.BADARGUMENTS);
    }
    servers.delete(sid);
    servers.set(sid, server);
  }
  return servers;
}

/** StringUtils.split: split, trim each part, drop the empty ones. */
function splitTrimmed(value: string | null, separator: string): string[] {
  if (value === null) return [];
  return value.split(separator).map((s) => s.trim()).filter((s) => s !== "");
}

/** Long.parseLong; its NumberFormatException reaches ZooKeeper's catch-all, MARSHALLINGERROR. */
function javaLong(text: string): bigint {
  if (!/^[+-]?\d{1,19}$/.test(text)) throw new Refusal(ErrorCode.MARSHALLINGERROR);
  const value = BigInt(text);
  if (value !== BigInt.asIntN(64, value)) throw new Refusal(ErrorCode.MARSHALLINGERROR);
  return value;
}

function asBadArguments<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof WireError) throw new Refusal(ErrorCode.BADARGUMENTS);
    throw error;
  }
}

/**
 * QuorumServer.checkAddressDuplicate: some quorum, election or client address in common,
 * wildcard and loopback addresses aside (every local test ensemble shares those). Hosts are
 * compared as written: ZooKeeper compares resolved addresses.
 */
function sharesAddress(a: QuorumServer, b: QuorumServer): boolean {
  const mine = new Set(addressesOf(a));
  return addressesOf(b).some((address) => mine.has(address));
}

function addressesOf(server: QuorumServer): string[] {
  const found: string[] = [];
  const add = (host: string, port: number) => {
    if (!isWildcardOrLoopback(host)) found.push(`${host.toLowerCase()}:${port}`);
  };
  for (const address of server.addresses) {
    add(address.host, address.quorumPort);
    add(address.host, address.electionPort);
  }
  if (server.clientAddress !== undefined) add(server.clientAddress.host, server.clientAddress.port);
  return found;
}

function isWildcardOrLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === "0.0.0.0" || h === "::" || h === "::0" || h === "localhost" || h === "::1" || h.startsWith("127.");
}
