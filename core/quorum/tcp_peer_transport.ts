import type { QuorumConfig, QuorumServer } from "../zab/quorum_config.ts";
import type { Notification } from "../zab/vote.ts";
import { ElectionConnections } from "./election_connections.ts";
import type { PeerNetwork, PeerStream } from "../io/peer_stream.ts";
import type { Timers } from "../io/timers.ts";
import type { LeaderLink, LearnerLink, PeerTransport } from "./quorum_transport.ts";
import { type QuorumLinkLimits, TcpLeaderLink, TcpLearnerLink } from "./tcp_quorum_links.ts";

/** What a member's TCP transport listens on and how it behaves. */
export interface TcpPeerTransportOptions {
  readonly myId: number;
  readonly config: QuorumConfig;
  readonly network: PeerNetwork;
  /** quorumListenOnAllIPs: bind 0.0.0.0 instead of the configured address. */
  readonly listenOnAllIps: boolean;
  /** cnxTimeout (ms) for dials. */
  readonly connectTimeoutMs: number;
  /** How long an accepted election connection may take to send its handshake (tickTime * syncLimit). */
  readonly handshakeTimeoutMs: number;
  readonly timers: Timers;
  readonly limits: QuorumLinkLimits;
  readonly log: (line: string) => void;
}

/**
 * The real network between members: ZooKeeper's election port (QuorumCnxManager) and quorum port
 * (learners to the leader) over TCP, speaking ZooKeeper's bytes, so Paddock and ZooKeeper
 * members can share an ensemble. Both ports listen for the member's whole life; a quorum
 * connection reaching a member that does not lead is closed by it.
 */
export class TcpPeerTransport implements PeerTransport {
  readonly #options: TcpPeerTransportOptions;
  readonly #election: ElectionConnections;
  readonly #listeners: { close(): Promise<void> }[] = [];
  #onLearner: ((link: LearnerLink) => void) | null = null;

  constructor(options: TcpPeerTransportOptions) {
    this.#options = options;
    this.#election = new ElectionConnections({
      myId: options.myId,
      config: options.config,
      network: options.network,
      connectTimeoutMs: options.connectTimeoutMs,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      timers: options.timers,
      log: options.log,
    });
  }

  /** Binds the election and quorum ports of this member. */
  async listen(): Promise<void> {
    const me = this.#options.config.servers.get(this.#options.myId);
    if (me === undefined) throw new Error(`myid ${this.#options.myId} has no server.${this.#options.myId} line`);
    const host = this.#options.listenOnAllIps ? "0.0.0.0" : me.host;
    this.#listeners.push(await this.#options.network.listen(host, me.electionPort, (stream) => this.#election.accept(stream)));
    try {
      this.#listeners.push(await this.#options.network.listen(host, me.quorumPort, (stream) => this.#acceptLearner(stream)));
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  #acceptLearner(stream: PeerStream): void {
    const link = new TcpLearnerLink(stream, this.#options.limits);
    if (this.#onLearner === null) link.close();
    else this.#onLearner(link);
  }

  sendNotification(to: number, notification: Notification): void {
    this.#election.send(to, notification);
  }

  onNotification(handler: (from: number, notification: Notification) => void): void {
    this.#election.onNotification(handler);
  }

  async connectToLeader(leader: QuorumServer): Promise<LeaderLink> {
    const stream = await this.#options.network.dial(leader.host, leader.quorumPort, this.#options.connectTimeoutMs);
    return new TcpLeaderLink(stream, this.#options.limits);
  }

  onLearner(handler: (link: LearnerLink) => void): void {
    this.#onLearner = handler;
  }

  async close(): Promise<void> {
    this.#election.close();
    await Promise.all(this.#listeners.splice(0).map((l) => l.close()));
  }
}
