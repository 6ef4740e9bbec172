/**
 * The leader-election port (QuorumCnxManager, FastLeaderElection). The connecting server sends
 * one unframed initial message:
 *
 *   long protocolVersion | long sid | int length | "host:port[|host:port...]"   (3.5+)
 *   long sid                                                                   (before 3.5)
 *
 * then both sides exchange frames (int length, 1..512 KiB, then the bytes), each one FLE
 * notification:
 *
 *   int state | long leader | long zxid | long electionEpoch | long peerEpoch | int version | int n | config (n bytes)
 *
 * 3.9.3 sends version 2 with its config; it still reads the 28-byte form (no peerEpoch) and the
 * 40-byte form (its version field ignored), as older servers sent them.
 */
import { FrameParser } from "../../proto/frame_parser.ts";
import { JuteError } from "../../proto/jute_reader.ts";
import { ByteQueue } from "./byte_queue.ts";
import { formatHostPort, type HostPort } from "./quorum_config.ts";
import { epochOf } from "./learner_packets.ts";
import { WireError, WireErrorCode } from "./wire_error.ts";

/** The initial message's version since 3.5 (ZOOKEEPER-107): one address. */
export const PROTOCOL_VERSION_V1 = -65536n;
/** Since 3.6 (ZOOKEEPER-3188): several addresses; sent only with multiAddress.enabled. */
export const PROTOCOL_VERSION_V2 = -65535n;
/** The most address bytes an initial message may carry (QuorumCnxManager.maxBuffer). */
export const INITIAL_MESSAGE_ADDRESS_MAX_BYTES = 2048;
/** The largest election frame (QuorumCnxManager.PACKETMAXSIZE). */
export const ELECTION_FRAME_MAX_BYTES = 512 * 1024;
/** QuorumPeer.OBSERVER_ID: an observer that has no id of its own; the acceptor numbers it -1, -2, ... */
export const OBSERVER_ID = 0x7fffffffffffffffn;

/** What a connecting server says about itself. */
export interface InitialMessage {
  /** PROTOCOL_VERSION_V1/V2, or null for the pre-3.5 form (the sid alone). */
  protocolVersion: bigint | null;
  sid: bigint;
  /** Its election addresses, wildcard ones (0.0.0.0, ::) left out as ZooKeeper does. */
  electionAddresses: HostPort[];
}

/**
 * The initial message a connecting server sends (V1: give one address; V2 joins several with '|').
 *
 * @example socket.write(encodeInitialMessage({ protocolVersion: PROTOCOL_VERSION_V1, sid: 1n, electionAddresses: [{ host: "10.0.0.1", port: 3888 }] }));
 */
export function encodeInitialMessage(message: InitialMessage): Uint8Array {
  if (message.protocolVersion === null) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigInt64(0, message.sid);
    return out;
  }
  const addresses = new TextEncoder().encode(message.electionAddresses.map((a) => formatHostPort(a.host, a.port)).join("|"));
  const out = new Uint8Array(20 + addresses.length);
  const v = new DataView(out.buffer);
  v.setBigInt64(0, message.protocolVersion);
  v.setBigInt64(8, message.sid);
  v.setInt32(16, addresses.length);
  out.set(addresses, 20);
  return out;
}

function handshakeError(message: string): WireError {
  return new WireError(WireErrorCode.malformed, `election handshake: ${message}`);
}

/** InitialMessage.parse's address rules: `host:port` or `[v6]:port`, a numeric port. */
function parseElectionAddress(text: string): HostPort | null {
  let host: string;
  let port: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0 || close + 2 >= text.length || text[close + 1] !== ":") throw handshakeError(`badly formed address ${JSON.stringify(text)}`);
    host = text.slice(1, close);
    const rest = text.slice(close + 2).split(":");
    if (rest.length !== 1) throw handshakeError(`badly formed address ${JSON.stringify(text)}`);
    port = rest[0];
  } else {
    const parts = text.split(":");
    if (parts.length !== 2) throw handshakeError(`badly formed address ${JSON.stringify(text)}`);
    [host, port] = parts as [string, string];
  }
  if (port === undefined || !/^[+-]?\d+$/.test(port) || Number(port) > 65535 || Number(port) < 0) {
    throw handshakeError(`bad port number in ${JSON.stringify(text)}`);
  }
  if (host === "0.0.0.0" || host === "::" || host === "0:0:0:0:0:0:0:0") return null;
  return { host, port: Number(port) };
}

/** Election state codes (QuorumPeer.ServerState ordinals) as notifications carry them. */
export const ServerState = { LOOKING: 0, FOLLOWING: 1, LEADING: 2, OBSERVING: 3 } as const;
/** One of {@link ServerState}. */
export type ServerState = (typeof ServerState)[keyof typeof ServerState];

/** FastLeaderElection.Notification.CURRENTVERSION. */
export const NOTIFICATION_VERSION = 2;

/** A vote, as FLE sends it. */
export interface Notification {
  state: ServerState;
  /** The proposed leader's sid. */
  leader: bigint;
  /** The proposed leader's last zxid. */
  zxid: bigint;
  /** The sender's logical clock (election round). */
  electionEpoch: bigint;
  /** The proposed leader's epoch. */
  peerEpoch: bigint;
  /** The message format version: 2 now, 0 for the old forms. */
  version: number;
  /** The sender's config (formatQuorumConfig bytes) in version 2 and later; null before. */
  config: Uint8Array | null;
}

/**
 * A notification's bytes (without the frame length): version 2 with its config, as 3.9.3 sends
 * it (FastLeaderElection.buildMsg).
 */
export function encodeNotification(n: Omit<Notification, "version">): Uint8Array {
  const config = n.config ?? new Uint8Array(0);
  const out = new Uint8Array(44 + config.length);
  const v = new DataView(out.buffer);
  v.setInt32(0, n.state);
  v.setBigInt64(4, n.leader);
  v.setBigInt64(12, n.zxid);
  v.setBigInt64(20, n.electionEpoch);
  v.setBigInt64(28, n.peerEpoch);
  v.setInt32(36, NOTIFICATION_VERSION);
  v.setInt32(40, config.length);
  out.set(config, 44);
  return out;
}

/**
 * Reads a notification as 3.9.3's WorkerReceiver does: shorter than 28 bytes is an error; 28
 * bytes is the oldest form (peerEpoch taken from the zxid); 40 bytes has no version; otherwise a
 * version, and from version 2 a config length and config. A state other than 0..3 is an error
 * (ZooKeeper drops such a message).
 */
export function decodeNotification(bytes: Uint8Array): Notification {
  const size = bytes.length;
  if (size < 28) throw new WireError(WireErrorCode.malformed, `notification: ${size} bytes, fewer than 28`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, size);
  const state = v.getInt32(0);
  if (state < 0 || state > 3) throw new WireError(WireErrorCode.malformed, `notification: unknown state ${state}`);
  const base = { state: state as ServerState, leader: v.getBigInt64(4), zxid: v.getBigInt64(12), electionEpoch: v.getBigInt64(20) };
  if (size === 28) return { ...base, peerEpoch: epochOf(base.zxid), version: 0, config: null };
  if (size < 40) throw new WireError(WireErrorCode.malformed, `notification: ${size} bytes, no version`);
  const peerEpoch = v.getBigInt64(28);
  if (size === 40) return { ...base, peerEpoch, version: 0, config: null };
  const version = v.getInt32(36);
  if (version <= 1) return { ...base, peerEpoch, version, config: null };
  if (size < 44) throw new WireError(WireErrorCode.malformed, `notification: version ${version} without a config length`);
  const configLength = v.getInt32(40);
  if (configLength < 0 || configLength > size - 44) {
    throw new WireError(WireErrorCode.malformed, `notification: config length ${configLength} with ${size - 44} bytes left`);
  }
  return { ...base, peerEpoch, version, config: bytes.slice(44, 44 + configLength) };
}

/**
 * Which connection survives when two servers connect: only one from the larger sid to the
 * smaller is kept. An acceptor closes one from a smaller sid (and dials back); a connector drops
 * its own when the peer's sid is larger; a connection from one's own sid is a misconfiguration.
 */
export function keepsConnection(role: "acceptor" | "connector", mySid: bigint, peerSid: bigint): boolean {
  if (peerSid === mySid) return false;
  return role === "acceptor" ? peerSid > mySid : peerSid < mySid;
}

/** What the stream of an accepted election connection yields. */
export type ElectionItem =
  | { kind: "handshake"; message: InitialMessage }
  | { kind: "notification"; bytes: Uint8Array };

/**
 * Parses an election connection's bytes as they arrive: on an accepted connection the initial
 * message first (`expectHandshake`), then frames. Throws WireError for a handshake ZooKeeper
 * refuses and for a frame length outside 1..512 KiB; the caller closes the connection.
 *
 * @example
 * const parser = new ElectionStreamParser({ expectHandshake: true });
 * parser.push(chunk);
 * for (let item = parser.next(); item; item = parser.next()) ...
 */
export class ElectionStreamParser {
  readonly #queue = new ByteQueue();
  readonly #frames = new FrameParser(ELECTION_FRAME_MAX_BYTES);
  readonly #ready: Uint8Array[] = [];
  #handshakePending: boolean;

  constructor({ expectHandshake }: { expectHandshake: boolean }) {
    this.#handshakePending = expectHandshake;
  }

  push(chunk: Uint8Array): void {
    if (this.#handshakePending) {
      this.#queue.push(chunk);
      return;
    }
    this.#pushFrames(chunk);
  }

  #pushFrames(chunk: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.#frames.push(chunk);
    } catch (error) {
      if (error instanceof JuteError) throw new WireError(WireErrorCode.tooLarge, `election frame: ${error.message}`);
      throw error;
    }
    for (const frame of frames) {
      if (frame.length === 0) throw new WireError(WireErrorCode.malformed, "election frame: length 0");
      this.#ready.push(frame.slice());
    }
  }

  /** The handshake (first, if expected), then each notification's bytes; null until more arrive. */
  next(): ElectionItem | null {
    if (this.#handshakePending) {
      const message = this.#readHandshake();
      if (message === null) return null;
      this.#handshakePending = false;
      this.#pushFrames(this.#queue.takeAll());
      return { kind: "handshake", message };
    }
    const bytes = this.#ready.shift();
    return bytes === undefined ? null : { kind: "notification", bytes };
  }

  #readHandshake(): InitialMessage | null {
    const held = this.#queue.view();
    if (held.length < 8) return null;
    const v = new DataView(held.buffer, held.byteOffset, held.length);
    const first = v.getBigInt64(0);
    if (first >= 0n) {
      this.#queue.consume(8);
      return { protocolVersion: null, sid: first, electionAddresses: [] };
    }
    if (first !== PROTOCOL_VERSION_V1 && first !== PROTOCOL_VERSION_V2) throw handshakeError(`unrecognized protocol version ${first}`);
    if (held.length < 20) return null;
    const sid = v.getBigInt64(8);
    const length = v.getInt32(16);
    if (length <= 0 || length > INITIAL_MESSAGE_ADDRESS_MAX_BYTES) throw handshakeError(`unreasonable buffer length ${length}`);
    if (held.length < 20 + length) return null;
    const text = new TextDecoder().decode(held.subarray(20, 20 + length));
    const electionAddresses: HostPort[] = [];
    // Java's split drops trailing empty strings.
    const parts = text.split("|");
    while (parts.length > 1 && parts.at(-1) === "") parts.pop();
    for (const part of parts) {
      const address = parseElectionAddress(part);
      if (address !== null) electionAddresses.push(address);
    }
    this.#queue.consume(20 + length);
    return { protocolVersion: first, sid, electionAddresses };
  }
}

/** A notification in its frame (int length first), ready for the socket. */
export function frameElectionMessage(message: Uint8Array): Uint8Array {
  if (message.length === 0 || message.length > ELECTION_FRAME_MAX_BYTES) throw new RangeError(`election message of ${message.length} bytes`);
  const out = new Uint8Array(4 + message.length);
  new DataView(out.buffer).setInt32(0, message.length);
  out.set(message, 4);
  return out;
}
