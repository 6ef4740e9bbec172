import type { FromLeader, LeaderLink, LearnerLink, PeerTransport, QuorumLink, SnapshotTransfer } from "../../core/quorum/quorum_transport.ts";
import { treeFromImage } from "../../core/server/snapshot_codec.ts";
import type { QuorumPacket } from "../../core/zab/wire/quorum_packet.ts";
import type { QuorumServer } from "../../core/zab/quorum_config.ts";
import type { Notification } from "../../core/zab/vote.ts";
import type { SeededRandom } from "../support/seeded_random.ts";
import type { Scheduler } from "./scheduler.ts";

/** Latency and fault rates of the simulated network. */
export interface NetworkOptions {
  readonly latencyMinMs: number;
  readonly latencyMaxMs: number;
  /** Chance that an election notification is lost, duplicated or delayed extra (reordered). */
  readonly dropRate: number;
  readonly duplicateRate: number;
  readonly reorderRate: number;
  /** How long a connect attempt to an unreachable member takes to fail. */
  readonly connectTimeoutMs: number;
}

export const DEFAULT_NETWORK: NetworkOptions = {
  latencyMinMs: 1,
  latencyMaxMs: 5,
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  connectTimeoutMs: 500,
};

/** Counts of what the network did, reported per run. */
export interface NetworkStats {
  notificationsSent: number;
  notificationsDropped: number;
  notificationsDuplicated: number;
  notificationsReordered: number;
  packetsDelivered: number;
  packetsHeld: number;
  linksReset: number;
  connectsRefused: number;
}

type Node = number | string;

/**
 * The network of a simulated ensemble: election notifications between members (datagram-like:
 * they may be lost, duplicated or reordered, as a QuorumCnxManager reconnect can do; as there, a
 * lost one breaks the pair's election connection, and the next notification that gets through
 * opens a new one, on which the other side sends its latest notification again), ordered
 * reliable quorum links (TCP-like: a partition holds their bytes until it heals or a side gives
 * up; a reset drops them), and client connections. Partitions are per direction.
 */
export class SimNetwork {
  readonly #scheduler: Scheduler;
  readonly #rng: SeededRandom;
  readonly #options: NetworkOptions;
  readonly #blocked = new Set<string>();
  readonly #transports = new Map<number, SimTransport>();
  readonly #pausedUntil = new Map<number, number>();
  /** Deliveries waiting for a paused member, in arrival order. */
  readonly #deferred = new Map<Node, (() => void)[]>();
  /** Client connections per member: a dead process's clients see their connections drop. */
  readonly #clientSockets = new Map<number, Set<{ drop(): void }>>();
  readonly #links = new Set<SimLinkPair>();
  /** The latest notification each member process sent each peer ("from>to"): QuorumCnxManager's lastMessageSent. */
  readonly #lastSent = new Map<string, Notification>();
  /** Member pairs ("a-b", a < b) whose election connection is up. */
  readonly #electionConnected = new Set<string>();
  /** True while election notifications must arrive whole and in time (a quiet window of the fault injector). */
  quiet: () => boolean = () => false;
  readonly stats: NetworkStats = {
    notificationsSent: 0, notificationsDropped: 0, notificationsDuplicated: 0, notificationsReordered: 0,
    packetsDelivered: 0, packetsHeld: 0, linksReset: 0, connectsRefused: 0,
  };

  constructor(scheduler: Scheduler, rng: SeededRandom, options: Partial<NetworkOptions> = {}) {
    this.#scheduler = scheduler;
    this.#rng = rng;
    this.#options = { ...DEFAULT_NETWORK, ...options };
  }

  get scheduler(): Scheduler {
    return this.#scheduler;
  }

  latencyMs(): number {
    const { latencyMinMs, latencyMaxMs } = this.#options;
    return latencyMinMs + this.#rng.next() * (latencyMaxMs - latencyMinMs);
  }

  /** A fresh transport for a member process (a restart gets a new one; the old one goes dead). */
  transportFor(sid: number): SimTransport {
    this.#transports.get(sid)?.kill();
    const transport = new SimTransport(this, sid);
    this.#transports.set(sid, transport);
    return transport;
  }

  /** The member process died: its transport stops and every link it had is reset. */
  crash(sid: number): void {
    for (const key of [...this.#lastSent.keys()]) if (key.startsWith(`${sid}>`)) this.#lastSent.delete(key);
    for (const key of [...this.#electionConnected]) if (key.split("-").includes(String(sid))) this.#electionConnected.delete(key);
    this.#transports.get(sid)?.kill();
    this.#transports.delete(sid);
    for (const socket of [...(this.#clientSockets.get(sid) ?? [])]) socket.drop();
    this.#clientSockets.delete(sid);
    for (const pair of [...this.#links]) if (pair.touches(sid)) pair.reset("peer process died");
  }

  /** Registers a client connection to member `sid` (until it closes). */
  clientConnected(sid: number, socket: { drop(): void }): () => void {
    let set = this.#clientSockets.get(sid);
    if (set === undefined) this.#clientSockets.set(sid, (set = new Set()));
    set.add(socket);
    return () => set.delete(socket);
  }

  isUp(sid: number): boolean {
    return this.#transports.get(sid)?.alive === true;
  }

  blocked(from: Node, to: Node): boolean {
    return this.#blocked.has(`${from}>${to}`);
  }

  /** Whether any link between two members is blocked (client links aside). */
  membersBlocked(): boolean {
    for (const key of this.#blocked) if (/^\d+>\d+$/.test(key)) return true;
    return false;
  }

  block(from: Node, to: Node): void {
    this.#blocked.add(`${from}>${to}`);
  }

  unblock(from: Node, to: Node): void {
    if (!this.#blocked.delete(`${from}>${to}`)) return;
    for (const pair of this.#links) pair.release();
  }

  /** Heals every partition; held bytes flow again. */
  heal(): void {
    this.#blocked.clear();
    this.#pausedUntil.clear();
    for (const node of [...this.#deferred.keys()]) this.#flush(node);
    for (const pair of this.#links) pair.release();
  }

  /** Resets open link number `pick` (modulo how many are open): a connection reset fault. */
  resetLink(pick: number): boolean {
    const pairs = [...this.#links];
    if (pairs.length === 0) return false;
    pairs[pick % pairs.length]!.reset("connection reset");
    return true;
  }

  /** The member's process is stalled until `untilMs` (a GC-like pause): nothing reaches it before. */
  pause(sid: number, untilMs: number): void {
    this.#pausedUntil.set(sid, untilMs);
  }

  /**
   * Runs `deliver` now, or when the receiving member's pause ends: a stalled process reads its
   * sockets only once it runs again (order is kept: deferred deliveries queue in arrival order).
   */
  deliverTo(node: Node, deliver: () => void): void {
    const until = typeof node === "number" ? this.#pausedUntil.get(node) ?? 0 : 0;
    const queue = this.#deferred.get(node);
    if (queue !== undefined) {
      // Behind what is already waiting, even if the pause has just been lifted.
      queue.push(deliver);
      return;
    }
    if (this.#scheduler.nowMs >= until) {
      deliver();
      return;
    }
    this.#deferred.set(node, [deliver]);
    this.#scheduler.after(until - this.#scheduler.nowMs, () => this.#flush(node));
  }

  /** Delivers what waited for a pause, in arrival order, once the pause is over (it may have grown). */
  #flush(node: Node): void {
    const queue = this.#deferred.get(node);
    if (queue === undefined) return;
    const until = typeof node === "number" ? this.#pausedUntil.get(node) ?? 0 : 0;
    if (this.#scheduler.nowMs < until) {
      this.#scheduler.after(until - this.#scheduler.nowMs, () => this.#flush(node));
      return;
    }
    for (let deliver = queue.shift(); deliver !== undefined; deliver = queue.shift()) deliver();
    this.#deferred.delete(node);
  }

  get options(): NetworkOptions {
    return this.#options;
  }

  get rng(): SeededRandom {
    return this.#rng;
  }

  deliverNotification(from: number, to: number, n: Notification): void {
    this.stats.notificationsSent++;
    this.#lastSent.set(`${from}>${to}`, n);
    const pair = from < to ? `${from}-${to}` : `${to}-${from}`;
    const faulty = !this.quiet();
    if (this.blocked(from, to) || !this.isUp(to)) {
      this.#electionConnected.delete(pair);
      return;
    }
    if (faulty && this.#rng.chance(this.#options.dropRate)) {
      this.stats.notificationsDropped++;
      this.#electionConnected.delete(pair);
      return;
    }
    if (!this.#electionConnected.has(pair)) {
      this.#electionConnected.add(pair);
      this.#resendLatest(to, from);
    }
    let delay = this.latencyMs();
    if (faulty && this.#rng.chance(this.#options.reorderRate)) {
      this.stats.notificationsReordered++;
      delay += this.latencyMs() * 20;
    }
    const deliver = () => this.deliverTo(to, () => this.#transports.get(to)?.notificationArrived(from, n));
    this.#scheduler.after(delay, deliver);
    if (faulty && this.#rng.chance(this.#options.duplicateRate)) {
      this.stats.notificationsDuplicated++;
      this.#scheduler.after(delay + this.latencyMs(), deliver);
    }
  }

  /** A new election connection: `sender`'s side sends its latest notification to `peer` again (QuorumCnxManager's SendWorker). */
  #resendLatest(sender: number, peer: number): void {
    const latest = this.#lastSent.get(`${sender}>${peer}`);
    if (latest === undefined || this.blocked(sender, peer)) return;
    this.#scheduler.after(this.latencyMs(), () => this.deliverTo(peer, () => this.#transports.get(peer)?.notificationArrived(sender, latest)));
  }

  /** A learner dials the leader's quorum port. */
  connect(from: number, to: number): Promise<LeaderLink> {
    return new Promise((resolve, reject) => {
      const target = this.#transports.get(to);
      if (target === undefined || !target.alive || this.blocked(from, to) || this.blocked(to, from) || !target.accepting) {
        this.stats.connectsRefused++;
        this.#scheduler.after(this.#options.connectTimeoutMs, () => reject(new Error(`connect ${from} -> ${to} failed`)));
        return;
      }
      const pair = new SimLinkPair(this, from, to, (m) => toLearner(m as QuorumPacket | SnapshotTransfer));
      this.#links.add(pair);
      this.#scheduler.after(this.latencyMs(), () => {
        if (pair.closed || !target.alive) {
          reject(new Error(`connect ${from} -> ${to} reset`));
          return;
        }
        target.learnerArrived(pair.b as unknown as LearnerLink);
        resolve(pair.a as unknown as LeaderLink);
      });
    });
  }

  linkClosed(pair: SimLinkPair): void {
    this.#links.delete(pair);
  }
}

/** Turns what the leader sends into what the learner receives (a SNAP becomes a tree). */
function toLearner(message: QuorumPacket | SnapshotTransfer): FromLeader {
  if ("image" in message) {
    let received;
    try {
      received = treeFromImage(message.image.image, { extendedTypesEnabled: false });
    } finally {
      message.image.release();
    }
    const { tree, sessions } = received;
    return { kind: "snapshot", snapshot: { zxid: message.zxid, tree, sessions } };
  }
  return { kind: "packet", packet: message };
}

/**
 * One quorum connection: endpoint `a` is the learner's, `b` the leader's. Messages go in order
 * with latency; while either direction is blocked they are held (TCP keeps retrying), and a
 * reset drops whatever is in flight and closes both ends.
 */
class SimLinkPair {
  /** The learner's end. */
  readonly a: SimEndpoint;
  /** The leader's end. */
  readonly b: SimEndpoint;
  readonly #network: SimNetwork;
  readonly #from: number;
  readonly #to: number;
  closed = false;

  constructor(network: SimNetwork, from: number, to: number, convertToLearner: (message: unknown) => unknown) {
    this.#network = network;
    this.#from = from;
    this.#to = to;
    this.a = new SimEndpoint(this, network, () => this.b, (m) => m, from, to);
    this.b = new SimEndpoint(this, network, () => this.a, convertToLearner, to, from);
  }

  touches(sid: number): boolean {
    return this.#from === sid || this.#to === sid;
  }

  release(): void {
    this.a.release();
    this.b.release();
  }

  reset(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.#network.stats.linksReset++;
    this.#network.linkClosed(this);
    this.a.dropAndClose(reason);
    this.b.dropAndClose(reason);
  }
}

// deno-lint-ignore no-explicit-any
class SimEndpoint implements QuorumLink<any, any> {
  readonly #pair: SimLinkPair;
  readonly #network: SimNetwork;
  readonly #peer: () => SimEndpoint;
  readonly #convert: (message: unknown) => unknown;
  readonly #self: number;
  readonly #other: number;
  #onMessage: ((message: unknown) => void) | null = null;
  #onClose: ((reason: string) => void) | null = null;
  #closeReported = false;
  /** Messages towards the peer not yet scheduled (held by a partition). */
  #held: unknown[] = [];
  #lastDeliveryMs = 0;
  #generation = 0;

  constructor(pair: SimLinkPair, network: SimNetwork, peer: () => SimEndpoint, convert: (message: unknown) => unknown, self: number, other: number) {
    this.#pair = pair;
    this.#network = network;
    this.#peer = peer;
    this.#convert = convert;
    this.#self = self;
    this.#other = other;
  }

  send(message: unknown): void {
    if (this.#pair.closed) return;
    this.#held.push(this.#convert(message));
    this.release();
  }

  /** Schedules held messages unless the direction is blocked. */
  release(): void {
    if (this.#pair.closed || this.#held.length === 0) return;
    if (this.#network.blocked(this.#self, this.#other)) {
      this.#network.stats.packetsHeld += this.#held.length;
      return;
    }
    const scheduler = this.#network.scheduler;
    const generation = this.#generation;
    for (const message of this.#held) {
      const at = Math.max(scheduler.nowMs + this.#network.latencyMs(), this.#lastDeliveryMs);
      this.#lastDeliveryMs = at;
      scheduler.after(at - scheduler.nowMs, () => {
        if (this.#pair.closed || generation !== this.#generation) return;
        this.#network.deliverTo(this.#other, () => {
          if (this.#pair.closed || generation !== this.#generation) return;
          this.#network.stats.packetsDelivered++;
          this.#peer().deliver(message);
        });
      });
    }
    this.#held = [];
  }

  deliver(message: unknown): void {
    this.#onMessage?.(message);
  }

  close(): void {
    this.#pair.reset("closed by peer");
  }

  onMessage(handler: (message: unknown) => void): void {
    this.#onMessage = handler;
  }

  onClose(handler: (reason: string) => void): void {
    this.#onClose = handler;
  }

  dropAndClose(reason: string): void {
    this.#generation++;
    this.#held = [];
    if (this.#closeReported) return;
    this.#closeReported = true;
    this.#network.scheduler.after(this.#network.latencyMs(), () => this.#onClose?.(reason));
  }
}

/** One member process's view of the network: what QuorumPeer gets as its PeerTransport. */
export class SimTransport implements PeerTransport {
  readonly #network: SimNetwork;
  readonly #sid: number;
  #onNotification: ((from: number, n: Notification) => void) | null = null;
  #onLearner: ((link: LearnerLink) => void) | null = null;
  alive = true;

  constructor(network: SimNetwork, sid: number) {
    this.#network = network;
    this.#sid = sid;
  }

  get accepting(): boolean {
    return this.#onLearner !== null;
  }

  sendNotification(to: number, notification: Notification): void {
    if (this.alive) this.#network.deliverNotification(this.#sid, to, notification);
  }

  onNotification(handler: (from: number, notification: Notification) => void): void {
    this.#onNotification = handler;
  }

  notificationArrived(from: number, n: Notification): void {
    if (this.alive) this.#onNotification?.(from, n);
  }

  connectToLeader(leader: QuorumServer): Promise<LeaderLink> {
    if (!this.alive) return Promise.reject(new Error("process dead"));
    return this.#network.connect(this.#sid, leader.sid);
  }

  onLearner(handler: (link: LearnerLink) => void): void {
    this.#onLearner = handler;
  }

  learnerArrived(link: LearnerLink): void {
    if (this.alive) this.#onLearner?.(link);
    else link.close();
  }

  kill(): void {
    this.alive = false;
  }

  close(): Promise<void> {
    this.alive = false;
    return Promise.resolve();
  }
}
