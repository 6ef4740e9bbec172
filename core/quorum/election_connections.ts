import {
  decodeNotification,
  ElectionStreamParser,
  encodeInitialMessage,
  encodeNotification,
  frameElectionMessage,
  keepsConnection,
  PROTOCOL_VERSION_V1,
} from "../zab/wire/election_wire.ts";
import type { Notification } from "../zab/vote.ts";
import type { QuorumConfig } from "../zab/quorum_config.ts";
import type { PeerNetwork, PeerStream } from "../io/peer_stream.ts";
import type { Timers } from "../io/timers.ts";

/** Settings of the election connections (zoo.cfg's cnxTimeout and the member's identity). */
export interface ElectionConnectionsOptions {
  readonly myId: number;
  readonly config: QuorumConfig;
  readonly network: PeerNetwork;
  /** How long a dial may take before it is given up (cnxTimeout, default 5000 ms). */
  readonly connectTimeoutMs: number;
  /**
   * How long an accepted connection may take to send its handshake before it is closed
   * (QuorumCnxManager's socket timeout: tickTime * syncLimit). A peer that connects and says
   * nothing would otherwise hold its socket for ever.
   */
  readonly handshakeTimeoutMs: number;
  readonly timers: Timers;
  readonly log: (line: string) => void;
}

/** Connection attempts in flight or connections open, at most one of each per peer. */
interface Peer {
  stream: PeerStream | null;
  dialing: boolean;
  /** The latest notification for this peer: sent again on every new connection (lastMessageSent). */
  last: Uint8Array | null;
}

/**
 * Fast leader election's connections, as ZooKeeper's QuorumCnxManager keeps them: one TCP
 * connection per pair of members, always the one opened by the larger sid (a smaller sid that
 * dials sends its handshake and hangs up, and the larger one dials back); each connection starts
 * with the initial message (protocol version, sid, election address) and then carries framed
 * notifications both ways. Only the latest notification per peer matters: it is kept and sent
 * again whenever a connection comes up. Malformed handshakes and frames close the connection.
 */
export class ElectionConnections {
  readonly #options: ElectionConnectionsOptions;
  readonly #peers = new Map<number, Peer>();
  #onNotification: ((from: number, n: Notification) => void) | null = null;
  #closed = false;

  constructor(options: ElectionConnectionsOptions) {
    this.#options = options;
  }

  onNotification(handler: (from: number, n: Notification) => void): void {
    this.#onNotification = handler;
  }

  #peer(sid: number): Peer {
    let peer = this.#peers.get(sid);
    if (peer === undefined) this.#peers.set(sid, (peer = { stream: null, dialing: false, last: null }));
    return peer;
  }

  /** Sends (or, without a connection, keeps and dials for) a notification to member `to`. */
  send(to: number, n: Notification): void {
    if (this.#closed || to === this.#options.myId) return;
    const bytes = frameElectionMessage(encodeNotification({
      state: n.state,
      leader: BigInt(n.leader),
      zxid: n.zxid,
      electionEpoch: n.electionEpoch,
      peerEpoch: n.peerEpoch,
      config: new TextEncoder().encode(n.config),
    }));
    const peer = this.#peer(to);
    peer.last = bytes;
    if (peer.stream !== null) peer.stream.write(bytes);
    else this.#dial(to);
  }

  #dial(sid: number): void {
    const peer = this.#peer(sid);
    const server = this.#options.config.servers.get(sid);
    if (peer.dialing || peer.stream !== null || server === undefined || this.#closed) return;
    peer.dialing = true;
    this.#options.network.dial(server.host, server.electionPort, this.#options.connectTimeoutMs).then((stream) => {
      peer.dialing = false;
      if (this.#closed) return stream.close();
      stream.write(this.#handshake());
      if (!keepsConnection("connector", BigInt(this.#options.myId), BigInt(sid))) {
        // "Have smaller server identifier, so dropping the connection": it will dial us back.
        stream.close();
        return;
      }
      this.#adopt(sid, stream, new ElectionStreamParser({ expectHandshake: false }));
    }, () => {
      peer.dialing = false;
    });
  }

  #handshake(): Uint8Array {
    const me = this.#options.config.servers.get(this.#options.myId)!;
    return encodeInitialMessage({
      protocolVersion: PROTOCOL_VERSION_V1,
      sid: BigInt(this.#options.myId),
      electionAddresses: [{ host: me.host, port: me.electionPort }],
    });
  }

  /** A connection to our election port: read the handshake, then keep it or dial back. */
  accept(stream: PeerStream): void {
    if (this.#closed) return stream.close();
    const parser = new ElectionStreamParser({ expectHandshake: true });
    let sid: number | null = null;
    const refuse = (why: string): void => {
      this.#options.log(`election connection from ${stream.remote} refused: ${why}`);
      stream.close();
    };
    const cancelDeadline = this.#options.timers.after(this.#options.handshakeTimeoutMs, () => refuse(`no handshake within ${this.#options.handshakeTimeoutMs} ms`));
    stream.onClose(cancelDeadline);
    stream.onData((chunk) => {
      if (sid !== null) return;
      try {
        parser.push(chunk);
        const item = parser.next();
        if (item === null) return;
        if (item.kind !== "handshake") throw new Error("no handshake");
        sid = Number(item.message.sid);
      } catch (error) {
        cancelDeadline();
        refuse((error as Error).message);
        return;
      }
      cancelDeadline();
      if (!this.#options.config.servers.has(sid)) return refuse(`sid ${sid} is not in the configuration`);
      if (!keepsConnection("acceptor", BigInt(this.#options.myId), BigInt(sid))) {
        stream.close();
        // A smaller (known) sid hung up on purpose or will: the connection that stays is ours.
        if (sid !== this.#options.myId) this.#dial(sid);
        return;
      }
      this.#adopt(sid, stream, parser);
    });
  }

  /** The connection to `sid` from now on (replacing an older one); resend the latest notification. */
  #adopt(sid: number, stream: PeerStream, parser: ElectionStreamParser): void {
    const peer = this.#peer(sid);
    const previous = peer.stream;
    peer.stream = stream;
    if (previous !== null && previous !== stream) previous.close();
    stream.onData((chunk) => this.#read(sid, stream, parser, chunk));
    stream.onClose(() => {
      if (peer.stream === stream) peer.stream = null;
    });
    // Frames that arrived with the handshake are already in the parser.
    this.#drain(sid, stream, parser);
    if (peer.last !== null) stream.write(peer.last);
  }

  #read(sid: number, stream: PeerStream, parser: ElectionStreamParser, chunk: Uint8Array): void {
    try {
      parser.push(chunk);
    } catch (error) {
      this.#options.log(`election connection of ${sid} closed: ${(error as Error).message}`);
      stream.close();
      return;
    }
    this.#drain(sid, stream, parser);
  }

  #drain(sid: number, stream: PeerStream, parser: ElectionStreamParser): void {
    for (let item = parser.next(); item !== null; item = parser.next()) {
      if (item.kind !== "notification") continue;
      let n;
      try {
        n = decodeNotification(item.bytes);
      } catch (error) {
        // ZooKeeper skips a malformed notification and keeps the connection.
        this.#options.log(`skipping a malformed notification from ${sid}: ${(error as Error).message}`);
        continue;
      }
      this.#onNotification?.(sid, {
        state: n.state,
        leader: Number(n.leader),
        zxid: n.zxid,
        electionEpoch: n.electionEpoch,
        peerEpoch: n.peerEpoch,
        version: n.version,
        config: n.config === null ? "" : new TextDecoder().decode(n.config),
      });
      if (stream !== this.#peers.get(sid)?.stream) return;
    }
  }

  close(): void {
    this.#closed = true;
    for (const peer of this.#peers.values()) peer.stream?.close();
  }
}
