import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CfgValue } from "./zoo_cfg.ts";

/** How a member takes part: votes, or only learns. */
export const PeerType = { participant: "participant", observer: "observer" } as const;
/** One of {@link PeerType}. */
export type PeerType = (typeof PeerType)[keyof typeof PeerType];

/** The three ports a member listens on, all on 127.0.0.1. */
export interface MemberPorts {
  clientPort: number;
  quorumPort: number;
  electionPort: number;
}

/** One `server.N` line's worth of facts about a member. */
export interface MemberSpec {
  /** The server id, `myid`, 1..255. */
  id: number;
  peerType: PeerType;
  /** Where the member itself listens. */
  ports: MemberPorts;
}

/**
 * Where member `from` dials member `to`: the member's own ports, or a fault-injecting proxy in
 * front of them. Returns the quorum and election ports to write into `from`'s zoo.cfg.
 */
export type PeerAddressing = (from: number, to: number) => { quorumPort: number; electionPort: number };

/** Timing knobs, in ZooKeeper's units (tickTime in ms, limits in ticks). */
export interface EnsembleTiming {
  tickTimeMs: number;
  initLimit: number;
  syncLimit: number;
}

/** What {@link writeMemberCfg} needs to write one member's zoo.cfg and myid. */
export interface MemberCfgOptions {
  self: MemberSpec;
  members: readonly MemberSpec[];
  addressing: PeerAddressing;
  timing: EnsembleTiming;
  /** The member's directory: zoo.cfg and data/ (with myid) go there. */
  dir: string;
  /** Extra zoo.cfg keys, written as given after the generated ones. */
  extra?: Record<string, CfgValue>;
}

/** A member's zoo.cfg on disk. */
export interface MemberCfg {
  path: string;
  dataDir: string;
}

/** Test defaults: quick elections and failure detection, tolerant of a loaded 2-core machine. */
export const DEFAULT_TIMING: EnsembleTiming = { tickTimeMs: 200, initLimit: 20, syncLimit: 5 };

/**
 * The `server.N` line as ZooKeeper 3.5+ reads it:
 * `server.N=127.0.0.1:quorumPort:electionPort:participant|observer;127.0.0.1:clientPort`.
 *
 * @example serverLine({ id: 2, peerType: "participant", ports }, { quorumPort: 4001, electionPort: 4002 })
 */
export function serverLine(member: MemberSpec, peer: { quorumPort: number; electionPort: number }): string {
  const host = "127.0.0.1";
  return `server.${member.id}=${host}:${peer.quorumPort}:${peer.electionPort}:${member.peerType};${host}:${member.ports.clientPort}`;
}

/**
 * Writes `<dir>/zoo.cfg` and `<dir>/data/myid` for one member. Every member gets its own file:
 * its own line names its real ports (it binds them), the other lines name whatever `addressing`
 * says it should dial (a proxy when faults are injected). `clientPort` is written too, equal to
 * the `;client` part as ZooKeeper requires, so a server that reads only standalone keys still
 * listens where the harness looks (and reports `Mode: standalone`, which the launcher detects).
 */
export function writeMemberCfg(opts: MemberCfgOptions): MemberCfg {
  const dataDir = join(opts.dir, "data");
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, "myid"), `${opts.self.id}\n`);
  const lines = [
    `tickTime=${opts.timing.tickTimeMs}`,
    `initLimit=${opts.timing.initLimit}`,
    `syncLimit=${opts.timing.syncLimit}`,
    `dataDir=${dataDir}`,
    `clientPort=${opts.self.ports.clientPort}`,
    "clientPortAddress=127.0.0.1",
    "4lw.commands.whitelist=*",
    "admin.enableServer=false",
    "reconfigEnabled=false",
    `peerType=${opts.self.peerType}`,
  ];
  for (const member of opts.members) {
    const peer = member.id === opts.self.id ? member.ports : opts.addressing(opts.self.id, member.id);
    lines.push(serverLine(member, peer));
  }
  for (const [key, value] of Object.entries(opts.extra ?? {})) lines.push(`${key}=${value}`);
  const path = join(opts.dir, "zoo.cfg");
  writeFileSync(path, lines.join("\n") + "\n");
  return { path, dataDir };
}
