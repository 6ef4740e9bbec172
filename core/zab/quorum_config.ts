import { formatQuorumConfig, type QuorumConfig as WireQuorumConfig } from "./wire/quorum_config.ts";

/** Whether a member votes (participant) or only learns (observer), as zoo.cfg's `:observer`. */
export const LearnerType = { participant: "participant", observer: "observer" } as const;
/** One of {@link LearnerType}. */
export type LearnerType = (typeof LearnerType)[keyof typeof LearnerType];

/** One `server.N=host:quorumPort:electionPort[:type][;clientHost:clientPort]` line. */
export interface QuorumServer {
  readonly sid: number;
  readonly host: string;
  /** Learners connect to the leader here (ZooKeeper's "quorum port", 2888 by convention). */
  readonly quorumPort: number;
  /** Fast leader election connects here (3888 by convention). */
  readonly electionPort: number;
  readonly type: LearnerType;
  /** The client address given after `;`, if any. */
  readonly clientHost: string | null;
  readonly clientPort: number | null;
}

/** The ensemble's membership: every server and the config version (a zxid, 0 for a static file). */
export interface QuorumConfig {
  readonly servers: ReadonlyMap<number, QuorumServer>;
  readonly version: bigint;
}

/**
 * Builds a config, checking what ZooKeeper's QuorumMaj checks: sids unique (by construction),
 * at least one participant.
 * @example quorumConfig([{ sid: 1, host: "127.0.0.1", quorumPort: 2888, electionPort: 3888, type: "participant", clientHost: null, clientPort: null }])
 */
export function quorumConfig(servers: readonly QuorumServer[], version = 0n): QuorumConfig {
  const map = new Map<number, QuorumServer>();
  for (const server of servers) {
    if (map.has(server.sid)) throw new Error(`quorum config: server.${server.sid} appears twice`);
    map.set(server.sid, server);
  }
  if (![...map.values()].some((s) => s.type === LearnerType.participant)) {
    throw new Error("quorum config: no participant (every server is an observer)");
  }
  return { servers: map, version };
}

/** The sids that vote, in ascending order. */
export function votersOf(config: QuorumConfig): number[] {
  const voters: number[] = [];
  for (const server of config.servers.values()) if (server.type === LearnerType.participant) voters.push(server.sid);
  return voters.sort((a, b) => a - b);
}

/** True when `sid` is a participant of the config. */
export function isVoter(config: QuorumConfig, sid: number): boolean {
  return config.servers.get(sid)?.type === LearnerType.participant;
}

/** A strict majority of the voters (QuorumMaj.containsQuorum); non-voters in `sids` do not count. */
export function containsQuorum(config: QuorumConfig, sids: Iterable<number>): boolean {
  let acks = 0;
  for (const sid of sids instanceof Set ? sids : new Set(sids)) if (isVoter(config, sid)) acks++;
  return acks >= quorumSize(config);
}

/** Voters a strict majority needs; a config never changes once made, so it is counted once. */
export function quorumSize(config: QuorumConfig): number {
  let size = quorumSizes.get(config);
  if (size === undefined) {
    let voters = 0;
    for (const server of config.servers.values()) if (server.type === LearnerType.participant) voters++;
    quorumSizes.set(config, (size = Math.floor(voters / 2) + 1));
  }
  return size;
}

const quorumSizes = new WeakMap<QuorumConfig, number>();

/**
 * The membership as ZooKeeper's config string describes it (wire/quorum_config.ts parses and
 * prints that string): one address per server is used, the first.
 */
export function quorumConfigFromWire(wire: WireQuorumConfig): QuorumConfig {
  return quorumConfig(wire.servers.map((s) => ({
    sid: Number(s.sid),
    host: s.addresses[0]!.host,
    quorumPort: s.addresses[0]!.quorumPort,
    electionPort: s.addresses[0]!.electionPort,
    type: s.role === "observer" ? LearnerType.observer : LearnerType.participant,
    clientHost: s.clientAddress?.host ?? null,
    clientPort: s.clientAddress?.port ?? null,
  })), wire.version);
}

/** The config string ZooKeeper would print for this membership (/zookeeper/config, NEWLEADER). */
export function quorumConfigText(config: QuorumConfig): string {
  return formatQuorumConfig({
    version: config.version,
    servers: [...config.servers.values()].map((s) => ({
      sid: BigInt(s.sid),
      addresses: [{ host: s.host, quorumPort: s.quorumPort, electionPort: s.electionPort }],
      role: s.type,
      ...(s.clientPort === null ? {} : { clientAddress: { host: s.clientHost ?? "0.0.0.0", port: s.clientPort } }),
    })),
  });
}
