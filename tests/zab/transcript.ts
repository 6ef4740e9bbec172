import { CommittedHistory } from "../../core/zab/history.ts";
import { type LeaderEffect, LeaderZab } from "../../core/zab/leader.ts";
import { type LearnerEffect, LearnerZab } from "../../core/zab/learner.ts";
import { ackEpochPacket, learnerInfoPacket, ZAB_PROTOCOL_VERSION } from "../../core/zab/wire/learner_packets.ts";
import { PacketType, packetTypeName, type QuorumPacket } from "../../core/zab/wire/quorum_packet.ts";
import { quorumConfig, type QuorumServer } from "../../core/zab/quorum_config.ts";

/**
 * Replays ZAB protocol transcripts (etcd raft's datadriven shape): each input line drives one
 * machine, and the lines after it that start with "> " are the effects it must produce, exactly.
 * Blank lines and "#" comments are kept. `rewrite` returns the transcript with the effects the
 * machine produced instead of the expected ones (ZAB_REWRITE=1 regenerates the files).
 *
 * Learner transcripts (first line `learner sid=N accepted=E current=C last=Z [diverged=Z]`):
 *   connected | connectfailed | recv TYPE ZXID | persisted | tick MS | linklost |
 *   diverged ZXID AGREED (the database's digest parted from the leader's at ZXID)
 * Leader transcripts (first line `leader sid=N members=1,2,3 accepted=E current=C last=Z history=Z1,Z2`):
 *   connect L | info L sid=N epoch=E | ackepoch L epoch=E last=Z | recv L TYPE ZXID |
 *   accepted | current | propose ZXID | logged ZXID | tick MS | snapprogress L (more of its SNAP written)
 */
export function runTranscript(text: string): { output: string; mismatches: string[] } {
  const lines = text.split("\n");
  const out: string[] = [];
  const mismatches: string[] = [];
  let machine: Driver | null = null;
  let nowMs = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("> ")) continue;
    out.push(line);
    const command = line.replace(/#.*/, "").trim();
    if (command === "") continue;
    if (machine === null) {
      machine = makeDriver(command);
      continue;
    }
    const tick = /^tick (\d+)$/.exec(command);
    if (tick !== null) nowMs += Number(tick[1]);
    const produced = machine.step(command, nowMs);
    const expected: string[] = [];
    for (let j = i + 1; j < lines.length && lines[j]!.startsWith("> "); j++) expected.push(lines[j]!.slice(2));
    out.push(...produced.map((p) => `> ${p}`));
    if (produced.join("\n") !== expected.join("\n")) {
      mismatches.push(`line ${i + 1} "${command}":\n  expected:\n${expected.map((e) => `    ${e}`).join("\n")}\n  got:\n${produced.map((p) => `    ${p}`).join("\n")}`);
    }
  }
  return { output: out.join("\n"), mismatches };
}

interface Driver {
  step(command: string, nowMs: number): string[];
}

function fields(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [, key, value] of text.matchAll(/(\w+)=(\S+)/g)) result[key!] = value!;
  return result;
}

function zxid(text: string): bigint {
  return BigInt(text);
}

function hex(value: bigint): string {
  return value < 0n ? String(value) : `0x${value.toString(16)}`;
}

function describePacket(p: QuorumPacket): string {
  const base = `${packetTypeName(p.type)} ${hex(p.zxid)}`;
  // ACKEPOCH's data is the learner's current epoch, -1 when it had accepted this epoch before.
  if (p.type === PacketType.ACKEPOCH && p.data !== null) return `${base} epoch=${new DataView(p.data.buffer, p.data.byteOffset).getInt32(0)}`;
  return base;
}

function makeDriver(header: string): Driver {
  const f = fields(header);
  if (header.startsWith("learner")) return learnerDriver(f);
  if (header.startsWith("leader")) return leaderDriver(f);
  throw new Error(`transcript: first line must say learner or leader, not "${header}"`);
}

function learnerDriver(f: Record<string, string>): Driver {
  const zab = new LearnerZab(
    { myId: Number(f.sid ?? 2), observer: f.observer === "true", configVersion: 0n, tickMs: 100, initLimit: 10, syncLimit: 5 },
    { acceptedEpoch: BigInt(f.accepted ?? 0), currentEpoch: BigInt(f.current ?? 0), lastLoggedZxid: zxid(f.last ?? "0"), nowMs: 0,
      divergedAt: f.diverged === undefined ? null : zxid(f.diverged) },
  );
  return {
    step(command, nowMs) {
      const [verb, type, z] = command.split(/\s+/);
      if (verb === "connected") zab.connected(nowMs);
      else if (verb === "persisted") zab.persisted();
      else if (verb === "tick") zab.tick(nowMs);
      else if (verb === "linklost") zab.linkLost("test");
      else if (verb === "connectfailed") zab.connectFailed("refused");
      else if (verb === "recv") zab.receive(packetOf(type!, zxid(z!)), nowMs);
      else if (verb === "diverged") zab.diverged(zxid(type!), zxid(z!));
      else throw new Error(`transcript: unknown learner command "${command}"`);
      return zab.drain().flatMap(formatLearnerEffect);
    },
  };
}

/** A packet the way a leader builds it; PROPOSAL/INFORM carry a stand-in txn (the machine treats it as opaque). */
function packetOf(typeName: string, z: bigint): QuorumPacket {
  const type = PacketType[typeName as keyof typeof PacketType];
  if (type === undefined) throw new Error(`transcript: unknown packet type ${typeName}`);
  const txn = type === PacketType.PROPOSAL || type === PacketType.INFORM ? new TextEncoder().encode(`txn ${hex(z)}`) : null;
  const data = type === PacketType.LEADERINFO ? new Uint8Array([0, 1, 0, 0]) : txn;
  return { type, zxid: z, data, authinfo: null };
}

function formatLearnerEffect(e: LearnerEffect): string[] {
  switch (e.kind) {
    case "send":
      return [`send ${describePacket(e.packet)}`];
    case "append":
    case "apply":
      return [`${e.kind} ${hex(e.zxid)}`];
    case "truncate":
    case "installSnapshot":
      return [`${e.kind} ${hex(e.zxid)}`];
    case "acceptedEpoch":
    case "currentEpoch":
      return [`${e.kind} ${e.epoch}`];
    case "established":
      return [`established epoch ${e.epoch}`];
    case "lost":
      return [`lost: ${e.reason}`];
    case "leaderPacket":
      return [`to server: ${describePacket(e.packet)}`];
    default:
      return [];
  }
}

function leaderDriver(f: Record<string, string>): Driver {
  const members = (f.members ?? "1,2,3").split(",").map(Number);
  const servers: QuorumServer[] = members.map((sid) => ({
    sid, host: "127.0.0.1", quorumPort: 2888 + sid, electionPort: 3888 + sid, type: "participant", clientHost: null, clientPort: null,
  }));
  const history = new CommittedHistory();
  for (const z of (f.history ?? "").split(",").filter((s) => s !== "")) history.append({ zxid: zxid(z), bytes: new TextEncoder().encode(`txn ${z}`) });
  const myId = Number(f.sid ?? 1);
  const zab = new LeaderZab(
    { myId, config: quorumConfig(servers), configBytes: new Uint8Array(0), tickMs: 100, initLimit: 10, syncLimit: 5 },
    { acceptedEpoch: BigInt(f.accepted ?? 0), currentEpoch: BigInt(f.current ?? 0), lastZxid: zxid(f.last ?? "0"), history, nowMs: 0 },
  );
  return {
    step(command, nowMs) {
      const parts = command.split(/\s+/);
      const [verb] = parts;
      const link = Number(parts[1]);
      const kv = fields(command);
      switch (verb) {
        case "connect":
          zab.learnerConnected(link, nowMs);
          break;
        case "info":
          zab.receive(link, learnerInfoPacket({ serverId: BigInt(kv.sid!), protocolVersion: ZAB_PROTOCOL_VERSION, configVersion: 0n, acceptedEpoch: BigInt(kv.epoch ?? 0) }), nowMs);
          break;
        case "ackepoch":
          zab.receive(link, ackEpochPacket(Number(kv.epoch), zxid(kv.last!)), nowMs);
          break;
        case "recv":
          zab.receive(link, packetOf(parts[2]!, zxid(parts[3]!)), nowMs);
          break;
        case "accepted":
        case "current":
          zab.epochPersisted(verb, nowMs);
          break;
        case "propose":
          zab.propose(zxid(parts[1]!), new TextEncoder().encode(`txn ${parts[1]}`), nowMs);
          break;
        case "logged":
          zab.logged(zxid(parts[1]!));
          break;
        case "tick":
          zab.tick(nowMs);
          break;
        case "snapprogress":
          zab.snapshotProgress(link, nowMs);
          break;
        case "sync":
          zab.requestSync({ link: null, token: "local" });
          break;
        default:
          throw new Error(`transcript: unknown leader command "${command}"`);
      }
      return zab.drain().flatMap(formatLeaderEffect);
    },
  };
}

function formatLeaderEffect(e: LeaderEffect): string[] {
  switch (e.kind) {
    case "send":
      return [`send ${e.link} ${describePacket(e.packet)}`];
    case "snapshot":
      return [`snapshot ${e.link} ${hex(e.zxid)}`];
    case "close":
      return [`close ${e.link}: ${e.reason}`];
    case "append":
    case "apply":
      return [`${e.kind} ${hex(e.zxid)}`];
    case "acceptedEpoch":
    case "currentEpoch":
      return [`${e.kind} ${e.epoch}`];
    case "established":
      return [`established epoch ${e.epoch}`];
    case "lost":
      return [`lost: ${e.reason}`];
    case "syncDone":
      return ["sync done"];
    case "learnerPacket":
      return [`to server: ${describePacket(e.packet)} from ${e.sid}`];
    default:
      return [];
  }
}
