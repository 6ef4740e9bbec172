import { JuteReader } from "../proto/jute_reader.ts";
import { JuteWriter } from "../proto/jute_writer.ts";

/** FOLLOWERINFO/OBSERVERINFO data (zookeeper.jute's LearnerInfo). */
export interface LearnerInfo {
  readonly sid: number;
  readonly protocolVersion: number;
  readonly configVersion: bigint;
}

export function encodeLearnerInfo(info: LearnerInfo): Uint8Array {
  return new JuteWriter(20).long(BigInt(info.sid)).int(info.protocolVersion).long(info.configVersion).bytes();
}

/**
 * Reads a LearnerInfo as LearnerHandler does: older learners send only the sid (8 bytes) or
 * sid + version (12); missing fields read as "old protocol" and "no config".
 */
export function decodeLearnerInfo(data: Uint8Array): LearnerInfo | null {
  if (data.length < 8) return null;
  const r = new JuteReader(data);
  const sid = Number(r.long());
  const protocolVersion = data.length >= 12 ? r.int() : 0;
  const configVersion = data.length >= 20 ? r.long() : 0n;
  return { sid, protocolVersion, configVersion };
}

/** A 4-byte big-endian int (LEADERINFO's protocol version, ACKEPOCH's current epoch). */
export function encodeInt(value: number): Uint8Array {
  return new JuteWriter(4).int(value).bytes();
}

/** The first int of a payload, or null when it is too short. */
export function decodeInt(data: Uint8Array | null): number | null {
  if (data === null || data.length < 4) return null;
  return new DataView(data.buffer, data.byteOffset, 4).getInt32(0);
}

/** REQUEST data: who asked, and the request as the client sent it (type and body). */
export interface ForwardedRequest {
  readonly sessionId: bigint;
  readonly cxid: number;
  readonly type: number;
  /** The request body after the RequestHeader (what prep reads). */
  readonly body: Uint8Array;
}

export function encodeForwardedRequest(request: ForwardedRequest): Uint8Array {
  const w = new JuteWriter(16 + request.body.length);
  w.long(request.sessionId).int(request.cxid).int(request.type);
  w.raw(request.body);
  return w.bytes();
}

export function decodeForwardedRequest(data: Uint8Array): ForwardedRequest | null {
  if (data.length < 16) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  return { sessionId: view.getBigInt64(0), cxid: view.getInt32(8), type: view.getInt32(12), body: data.subarray(16) };
}

/** A session id and its timeout: one entry of a learner's PING, or a REVALIDATE request. */
export interface SessionTouch {
  readonly sessionId: bigint;
  readonly timeoutMs: number;
}

/** A learner's PING data: every session its clients touched since the last ping. */
export function encodeTouches(touches: Iterable<SessionTouch>): Uint8Array {
  const list = [...touches];
  const w = new JuteWriter(12 * list.length + 1);
  for (const t of list) w.long(t.sessionId).int(t.timeoutMs);
  return w.bytes();
}

export function decodeTouches(data: Uint8Array | null): SessionTouch[] {
  if (data === null) return [];
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const touches: SessionTouch[] = [];
  for (let at = 0; at + 12 <= data.length; at += 12) touches.push({ sessionId: view.getBigInt64(at), timeoutMs: view.getInt32(at + 8) });
  return touches;
}

/** The leader's REVALIDATE answer: the session and whether it is still alive. */
export function encodeRevalidateAnswer(sessionId: bigint, valid: boolean): Uint8Array {
  return new JuteWriter(9).long(sessionId).bool(valid).bytes();
}

export function decodeRevalidateAnswer(data: Uint8Array | null): { sessionId: bigint; valid: boolean } | null {
  if (data === null || data.length < 9) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  return { sessionId: view.getBigInt64(0), valid: view.getUint8(8) !== 0 };
}
