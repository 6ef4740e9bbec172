import type { Id } from "../proto/records.ts";

/** QuorumPacket types, ZooKeeper's Leader constants (the values are the wire values). */
export const PacketType = {
  REQUEST: 1,
  PROPOSAL: 2,
  ACK: 3,
  COMMIT: 4,
  PING: 5,
  REVALIDATE: 6,
  SYNC: 7,
  INFORM: 8,
  COMMITANDACTIVATE: 9,
  NEWLEADER: 10,
  FOLLOWERINFO: 11,
  UPTODATE: 12,
  DIFF: 13,
  TRUNC: 14,
  SNAP: 15,
  OBSERVERINFO: 16,
  LEADERINFO: 17,
  ACKEPOCH: 18,
  INFORMANDACTIVATE: 19,
} as const;
/** One of {@link PacketType}. */
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** The name ZooKeeper logs for a packet type. */
export function packetTypeName(type: number): string {
  for (const [name, value] of Object.entries(PacketType)) if (value === type) return name;
  return `UNKNOWN(${type})`;
}

/** One message between leader and learner on the quorum port (zookeeper.jute's QuorumPacket). */
export interface QuorumPacket {
  readonly type: number;
  readonly zxid: bigint;
  readonly data: Uint8Array | null;
  readonly authinfo: readonly Id[];
}

/** A packet without data or auth. */
export function packet(type: number, zxid: bigint, data: Uint8Array | null = null): QuorumPacket {
  return { type, zxid, data, authinfo: [] };
}

/** The ZAB protocol version Paddock speaks (LEADERINFO/LearnerInfo: 0x10000, ZooKeeper 3.4+). */
export const ZAB_PROTOCOL_VERSION = 0x10000;
