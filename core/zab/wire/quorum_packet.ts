/**
 * QuorumPacket, the one record a leader and its learners exchange on the quorum port
 * (zookeeper.jute): int type, long zxid, buffer data, vector<Id> authinfo. The port has no
 * framing: packets follow each other as bare jute records, except that a SNAP packet is followed
 * by a raw snapshot (zk_snapshot.ts, ending "BenWasHere") and then by packets again.
 */
import type { Id } from "../../proto/records.ts";
import { JuteWriter } from "../../proto/jute_writer.ts";
import { ByteQueue } from "./byte_queue.ts";
import { INCOMPLETE, WireCursor } from "./wire_cursor.ts";
import { WireError, WireErrorCode } from "./wire_error.ts";
import { ZK_MAX_LENGTH_BYTES, type ZkSnapshotDecoder } from "./zk_snapshot.ts";

/** The packet types, as Leader.java numbers them. */
export const PacketType = {
  /** Learner -> leader: a client write (or sync) to prepare. */
  REQUEST: 1,
  /** Leader -> follower: a txn to log and acknowledge. */
  PROPOSAL: 2,
  /** Follower -> leader: a txn (or NEWLEADER, UPTODATE) is on disk. */
  ACK: 3,
  /** Leader -> follower: apply the txn of this zxid. */
  COMMIT: 4,
  /** Both ways: liveness; learner -> leader carries its sessions' touches. */
  PING: 5,
  /** Learner -> leader: may this session reconnect here? And the answer. */
  REVALIDATE: 6,
  /** Leader -> learner: a sync request has caught up. */
  SYNC: 7,
  /** Leader -> observer: a committed txn. */
  INFORM: 8,
  /** Leader -> follower: commit a reconfig and activate its config. */
  COMMITANDACTIVATE: 9,
  /** Leader -> learner: the end of the sync; data is the leader's config. */
  NEWLEADER: 10,
  /** Follower -> leader: the first packet, LearnerInfo. */
  FOLLOWERINFO: 11,
  /** Leader -> learner: start serving clients. */
  UPTODATE: 12,
  /** Leader -> learner: the txns after the learner's last zxid follow. */
  DIFF: 13,
  /** Leader -> learner: drop your log after this zxid. */
  TRUNC: 14,
  /** Leader -> learner: a snapshot follows. */
  SNAP: 15,
  /** Observer -> leader: the first packet, LearnerInfo. */
  OBSERVERINFO: 16,
  /** Leader -> learner: the new epoch and the leader's protocol version. */
  LEADERINFO: 17,
  /** Learner -> leader: the learner's current epoch and last zxid. */
  ACKEPOCH: 18,
  /** Leader -> observer: a committed reconfig, with the designated leader. */
  INFORMANDACTIVATE: 19,
} as const;

/** One of the values of {@link PacketType}. */
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

const typeNames = new Map<number, string>(Object.entries(PacketType).map(([name, code]) => [code, name]));

/** The type's name as Leader.getPacketType prints it, UNKNOWN for others. */
export function packetTypeName(type: number): string {
  return typeNames.get(type) ?? "UNKNOWN";
}

/** A quorum packet. `data` and `authinfo` keep null apart from empty: the bytes differ. */
export interface QuorumPacket {
  type: number;
  zxid: bigint;
  data: Uint8Array | null;
  authinfo: readonly Id[] | null;
}

/**
 * A packet's bytes, as BinaryOutputArchive writes the record.
 *
 * @example socket.write(encodeQuorumPacket({ type: PacketType.ACK, zxid, data: null, authinfo: null }));
 */
export function encodeQuorumPacket(packet: QuorumPacket): Uint8Array {
  const w = new JuteWriter(32 + (packet.data?.length ?? 0));
  w.int(packet.type).long(packet.zxid).buffer(packet.data);
  const auth = packet.authinfo;
  if (auth === null) {
    w.int(-1);
  } else {
    w.int(auth.length);
    for (const id of auth) w.ustring(id.scheme).ustring(id.id);
  }
  return w.bytes();
}

/** Limits on what one packet may hold. */
export interface QuorumPacketLimits {
  /** The largest data buffer (and Id string). Default 2 x jute.maxbuffer, ZooKeeper's check. */
  maxDataBytes?: number;
  /** The most authinfo entries. Default 1024 (ZooKeeper sets none; a client has a few). */
  maxAuthEntries?: number;
}

const State = { packets: 0, awaitingSnapshot: 1, snapshot: 2 } as const;
type State = (typeof State)[keyof typeof State];

/**
 * Splits a quorum-port byte stream into packets, as bytes arrive in chunks of any size. A packet
 * over the limits is a WireError as soon as its declared length shows it, so a peer can never make
 * the parser buffer more than one maximal packet.
 *
 * After it returns a SNAP packet the parser waits: hand it the decoder the snapshot goes into
 * with `receiveSnapshot` (it feeds the decoder what it holds and every later chunk until the
 * decoder is done), then packets continue. Calling `next` in between is a programming error.
 *
 * @example
 * parser.push(chunk);
 * for (let p = parser.next(); p !== null; p = parser.next()) {
 *   if (p.type === PacketType.SNAP) parser.receiveSnapshot(new ZkSnapshotDecoder(tree));
 * }
 */
export class QuorumPacketParser {
  readonly #queue = new ByteQueue();
  readonly #maxDataBytes: number;
  readonly #maxAuthEntries: number;
  #state: State = State.packets;
  #snapshot: ZkSnapshotDecoder | null = null;

  constructor(limits: QuorumPacketLimits = {}) {
    this.#maxDataBytes = limits.maxDataBytes ?? ZK_MAX_LENGTH_BYTES;
    this.#maxAuthEntries = limits.maxAuthEntries ?? 1024;
  }

  /** Bytes held for a packet not yet complete. */
  get pendingBytes(): number {
    return this.#queue.length;
  }

  /** True while a snapshot is being received (after receiveSnapshot, until its decoder is done). */
  get inSnapshot(): boolean {
    return this.#state === State.snapshot;
  }

  /** Feeds bytes; throws WireError from the snapshot decoder while one is being received. */
  push(chunk: Uint8Array): void {
    if (this.#state === State.snapshot) {
      this.#feedSnapshot(chunk);
      return;
    }
    this.#queue.push(chunk);
  }

  /** The next complete packet, or null until more bytes arrive. Throws WireError on garbage. */
  next(): QuorumPacket | null {
    if (this.#state === State.awaitingSnapshot) throw new Error("quorum packets: a SNAP was read; call receiveSnapshot before next");
    if (this.#state === State.snapshot) return null;
    const c = new WireCursor(this.#queue.view(), this.#maxDataBytes);
    let packet: QuorumPacket;
    try {
      packet = this.#read(c);
    } catch (error) {
      if (error !== INCOMPLETE) throw error;
      const limit = 2 * this.#maxDataBytes + 1024;
      if (this.#queue.length > limit) throw new WireError(WireErrorCode.tooLarge, `quorum packet: more than ${limit} bytes`);
      return null;
    }
    this.#queue.consume(c.offset);
    if (packet.type === PacketType.SNAP) this.#state = State.awaitingSnapshot;
    return packet;
  }

  /** After a SNAP: the snapshot's bytes (held and to come) go to `decoder` until it is done. */
  receiveSnapshot(decoder: ZkSnapshotDecoder): void {
    if (this.#state !== State.awaitingSnapshot) throw new Error("quorum packets: receiveSnapshot without a SNAP");
    this.#state = State.snapshot;
    this.#snapshot = decoder;
    this.#feedSnapshot(this.#queue.takeAll());
  }

  #feedSnapshot(chunk: Uint8Array): void {
    const decoder = this.#snapshot!;
    if (!decoder.push(chunk)) return;
    this.#state = State.packets;
    this.#snapshot = null;
    this.#queue.push(decoder.takeRemainder());
  }

  #read(c: WireCursor): QuorumPacket {
    const type = c.int();
    const zxid = c.long();
    const data = c.buffer("quorum packet data");
    const count = c.int();
    if (count < -1 || count > this.#maxAuthEntries) {
      throw new WireError(WireErrorCode.tooLarge, `quorum packet: authinfo count ${count} is outside -1..${this.#maxAuthEntries}`);
    }
    if (count === -1) return { type, zxid, data, authinfo: null };
    const authinfo: Id[] = [];
    for (let i = 0; i < count; i++) authinfo.push({ scheme: c.ustring("authinfo scheme") ?? "", id: c.ustring("authinfo id") ?? "" });
    return { type, zxid, data, authinfo };
  }
}
