/**
 * The packets of ZooKeeper's learner protocol with their payloads, built exactly as Leader,
 * LearnerHandler and Learner build them (which fields are null, which zxid goes where), and the
 * readers for what the other side sends. Payloads are DataOutputStream bytes or jute records:
 *
 *   FOLLOWERINFO/OBSERVERINFO  zxid = acceptedEpoch << 32; data = LearnerInfo {long sid, int protocolVersion, long configVersion}
 *   LEADERINFO                 zxid = newEpoch << 32; data = int protocolVersion (0x10000)
 *   ACKEPOCH                   zxid = last logged zxid; data = int currentEpoch, or -1 if already acked
 *   NEWLEADER                  zxid = newEpoch << 32; data = the config string (quorum_config.ts)
 *   DIFF / TRUNC / SNAP        zxid; no data (a SNAP is followed by the snapshot stream)
 *   PROPOSAL / INFORM          zxid; data = the txn (txn_codec.ts, with its digest)
 *   COMMIT                     zxid; no data
 *   COMMITANDACTIVATE          zxid; data = long designated leader
 *   INFORMANDACTIVATE          zxid; data = long designated leader, then the txn
 *   UPTODATE                   zxid -1; no data
 *   ACK                        zxid; no data
 *   PING                       leader: zxid = last proposed, no data; learner: the same zxid, data = (long session, int timeout)*
 *   REVALIDATE                 zxid -1; learner: long session, int timeout; leader: long session, boolean valid
 *   REQUEST                    zxid -1; data = long session, int cxid, int type, request bytes; authinfo = the client's ids
 *   SYNC                       zxid 0; no data
 */
import type { Id } from "../../proto/records.ts";
import { epochOf, makeZxid } from "../../proto/zxid.ts";
import { PacketType, packetTypeName, type QuorumPacket } from "./quorum_packet.ts";
import { WireError, WireErrorCode } from "./wire_error.ts";

/** The protocol version of ZAB 1.0, which 3.4+ leaders and learners announce. */
export const ZAB_PROTOCOL_VERSION = 0x10000;


function bytes(size: number, fill: (view: DataView) => void): Uint8Array {
  const out = new Uint8Array(size);
  fill(new DataView(out.buffer));
  return out;
}

function view(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

function need(packet: QuorumPacket, minBytes: number): Uint8Array {
  const data = packet.data;
  if (data === null || data.length < minBytes) {
    throw new WireError(WireErrorCode.malformed, `${packetTypeName(packet.type)}: data of ${data?.length ?? "no"} bytes, needs ${minBytes}`);
  }
  return data;
}

/** LearnerInfo (zookeeper.jute). */
export interface LearnerInfo {
  serverId: bigint;
  protocolVersion: number;
  /** The version of the learner's last committed config. */
  configVersion: bigint;
}

/** A follower's (or observer's) first packet. */
export function learnerInfoPacket(info: LearnerInfo & { acceptedEpoch: bigint; observer?: boolean }): QuorumPacket {
  const data = bytes(20, (v) => {
    v.setBigInt64(0, info.serverId);
    v.setInt32(8, info.protocolVersion);
    v.setBigInt64(12, info.configVersion);
  });
  const type = info.observer ? PacketType.OBSERVERINFO : PacketType.FOLLOWERINFO;
  return { type, zxid: makeZxid(info.acceptedEpoch, 0n), data, authinfo: null };
}

/**
 * What a leader learns from FOLLOWERINFO/OBSERVERINFO, read as LearnerHandler reads it: each
 * field only if the data is long enough for it (old learners send less; a missing version means a
 * pre-ZAB-1.0 learner). No data at all means no server id (ZooKeeper then makes one up).
 */
export function readLearnerInfo(packet: QuorumPacket): Partial<LearnerInfo> & { acceptedEpoch: bigint } {
  const data = packet.data;
  const info: Partial<LearnerInfo> & { acceptedEpoch: bigint } = { acceptedEpoch: epochOf(packet.zxid) };
  if (data === null) return info;
  const v = view(data);
  if (data.length >= 8) info.serverId = v.getBigInt64(0);
  if (data.length >= 12) info.protocolVersion = v.getInt32(8);
  if (data.length >= 20) info.configVersion = v.getBigInt64(12);
  return info;
}

/** The leader's answer to a learner's info: the epoch it proposes. */
export function leaderInfoPacket(newEpoch: bigint, protocolVersion = ZAB_PROTOCOL_VERSION): QuorumPacket {
  return { type: PacketType.LEADERINFO, zxid: makeZxid(newEpoch, 0n), data: bytes(4, (v) => v.setInt32(0, protocolVersion)), authinfo: null };
}

/** What a learner reads from LEADERINFO. */
export function readLeaderInfo(packet: QuorumPacket): { newEpoch: bigint; protocolVersion: number } {
  return { newEpoch: epochOf(packet.zxid), protocolVersion: view(need(packet, 4)).getInt32(0) };
}

/** The learner's epoch acknowledgement; `currentEpoch` -1 when it had accepted this epoch before. */
export function ackEpochPacket(currentEpoch: number, lastLoggedZxid: bigint): QuorumPacket {
  return { type: PacketType.ACKEPOCH, zxid: lastLoggedZxid, data: bytes(4, (v) => v.setInt32(0, currentEpoch)), authinfo: null };
}

/** What a leader reads from ACKEPOCH (StateSummary): the learner's current epoch and last zxid. */
export function readAckEpoch(packet: QuorumPacket): { currentEpoch: number; lastZxid: bigint } {
  return { currentEpoch: view(need(packet, 4)).getInt32(0), lastZxid: packet.zxid };
}

/** NEWLEADER with the leader's config (the bytes of formatQuorumConfig), as sent to ZAB 1.0 learners. */
export function newLeaderPacket(newEpoch: bigint, config: Uint8Array | null): QuorumPacket {
  return { type: PacketType.NEWLEADER, zxid: makeZxid(newEpoch, 0n), data: config, authinfo: null };
}

/** A packet with a zxid and nothing else: DIFF, TRUNC, SNAP, COMMIT, ACK, UPTODATE (-1), SYNC (0), PING from the leader. */
export function bareQuorumPacket(type: PacketType, zxid: bigint): QuorumPacket {
  return { type, zxid, data: null, authinfo: null };
}

/** A PROPOSAL or INFORM of an encoded txn (encodeTxn with the digest). */
export function txnPacket(type: typeof PacketType.PROPOSAL | typeof PacketType.INFORM, zxid: bigint, txn: Uint8Array): QuorumPacket {
  return { type, zxid, data: txn, authinfo: null };
}

/** COMMITANDACTIVATE: commit a reconfig and activate it, naming the designated leader. */
export function commitAndActivatePacket(zxid: bigint, designatedLeader: bigint): QuorumPacket {
  return { type: PacketType.COMMITANDACTIVATE, zxid, data: bytes(8, (v) => v.setBigInt64(0, designatedLeader)), authinfo: null };
}

/** INFORMANDACTIVATE: the designated leader, then the reconfig's txn. */
export function informAndActivatePacket(zxid: bigint, designatedLeader: bigint, txn: Uint8Array): QuorumPacket {
  const data = new Uint8Array(8 + txn.length);
  view(data).setBigInt64(0, designatedLeader);
  data.set(txn, 8);
  return { type: PacketType.INFORMANDACTIVATE, zxid, data, authinfo: null };
}

/** The designated leader of a COMMITANDACTIVATE or INFORMANDACTIVATE, and the txn of the latter. */
export function readActivation(packet: QuorumPacket): { designatedLeader: bigint; txn: Uint8Array } {
  const data = need(packet, 8);
  return { designatedLeader: view(data).getBigInt64(0), txn: data.subarray(8) };
}

/** A session a learner's clients kept alive, with its timeout. */
export interface SessionTouch {
  sessionId: bigint;
  timeoutMs: number;
}

/** A learner's PING answer: the leader's zxid back, with the sessions touched since the last. */
export function pingReplyPacket(zxid: bigint, touches: readonly SessionTouch[]): QuorumPacket {
  const data = bytes(12 * touches.length, (v) => {
    touches.forEach((t, i) => {
      v.setBigInt64(12 * i, t.sessionId);
      v.setInt32(12 * i + 8, t.timeoutMs);
    });
  });
  return { type: PacketType.PING, zxid, data, authinfo: null };
}

/** The touches of a learner's PING (none in the leader's own PINGs). */
export function readPingTouches(packet: QuorumPacket): SessionTouch[] {
  const data = packet.data;
  if (data === null) return [];
  if (data.length % 12 !== 0) throw new WireError(WireErrorCode.malformed, `PING: ${data.length} bytes are not (long, int) pairs`);
  const v = view(data);
  const touches: SessionTouch[] = [];
  for (let at = 0; at < data.length; at += 12) touches.push({ sessionId: v.getBigInt64(at), timeoutMs: v.getInt32(at + 8) });
  return touches;
}

/** A learner asks whether a reconnecting client's session is still valid. */
export function revalidatePacket(sessionId: bigint, timeoutMs: number): QuorumPacket {
  const data = bytes(12, (v) => {
    v.setBigInt64(0, sessionId);
    v.setInt32(8, timeoutMs);
  });
  return { type: PacketType.REVALIDATE, zxid: -1n, data, authinfo: null };
}

/** What a leader reads from a REVALIDATE. */
export function readRevalidate(packet: QuorumPacket): { sessionId: bigint; timeoutMs: number } {
  const v = view(need(packet, 12));
  return { sessionId: v.getBigInt64(0), timeoutMs: v.getInt32(8) };
}

/** The leader's answer: the request packet with its data replaced (zxid -1 kept). */
export function revalidateAnswerPacket(sessionId: bigint, valid: boolean): QuorumPacket {
  const data = bytes(9, (v) => {
    v.setBigInt64(0, sessionId);
    v.setInt8(8, valid ? 1 : 0);
  });
  return { type: PacketType.REVALIDATE, zxid: -1n, data, authinfo: null };
}

/** What a learner reads from the answer. */
export function readRevalidateAnswer(packet: QuorumPacket): { sessionId: bigint; valid: boolean } {
  const data = need(packet, 9);
  return { sessionId: view(data).getBigInt64(0), valid: data[8] !== 0 };
}

/** A client request a learner forwards. */
export interface ForwardedRequest {
  sessionId: bigint;
  cxid: number;
  /** The OpCode. */
  type: number;
  /** The request record's bytes (after the client's request header); may be empty. */
  request: Uint8Array;
  /** The client connection's auth ids (ZooKeeper sends its list, even when empty). */
  authinfo: readonly Id[];
}

/** REQUEST: a learner forwards a write (or sync) to the leader. */
export function requestPacket(r: ForwardedRequest): QuorumPacket {
  const data = new Uint8Array(16 + r.request.length);
  const v = view(data);
  v.setBigInt64(0, r.sessionId);
  v.setInt32(8, r.cxid);
  v.setInt32(12, r.type);
  data.set(r.request, 16);
  return { type: PacketType.REQUEST, zxid: -1n, data, authinfo: r.authinfo };
}

/** What a leader reads from a REQUEST. */
export function readRequest(packet: QuorumPacket): ForwardedRequest {
  const data = need(packet, 16);
  const v = view(data);
  return { sessionId: v.getBigInt64(0), cxid: v.getInt32(8), type: v.getInt32(12), request: data.subarray(16), authinfo: packet.authinfo ?? [] };
}

export { epochOf, makeZxid };
