import { Fifo } from "../fifo.ts";
import { Effects, type LinkId, type ZabEffect } from "./effects.ts";
import type { CommittedHistory } from "./history.ts";
import {
  bareQuorumPacket,
  leaderInfoPacket,
  newLeaderPacket,
  readAckEpoch,
  readLearnerInfo,
  readRequest,
  txnPacket,
  ZAB_PROTOCOL_VERSION,
} from "./wire/learner_packets.ts";
import { PacketType, type QuorumPacket } from "./wire/quorum_packet.ts";
import { WireError } from "./wire/wire_error.ts";
import { containsQuorum, isVoter, type QuorumConfig, quorumSize } from "./quorum_config.ts";
import { planSync, SyncMode } from "./sync_plan.ts";
import { counterOf, epochOf, hexZxid, makeZxid } from "../proto/zxid.ts";
import { OpCode } from "../proto/op_code.ts";

/** Static settings of a leader (zoo.cfg's tickTime, initLimit, syncLimit and the membership). */
export interface LeaderOptions {
  readonly myId: number;
  readonly config: QuorumConfig;
  /** The config as NEWLEADER carries it (QuorumVerifier.toString() bytes). */
  readonly configBytes: Uint8Array;
  readonly tickMs: number;
  readonly initLimit: number;
  readonly syncLimit: number;
}

/** What the new leader knows of itself when it starts leading. */
export interface LeaderStart {
  readonly acceptedEpoch: bigint;
  readonly currentEpoch: bigint;
  /** The last zxid of its database, which holds its whole log (fast-forwarded). */
  readonly lastZxid: bigint;
  /** Its committed history; the leader appends every txn it commits. */
  readonly history: CommittedHistory;
  readonly nowMs: number;
}

/** Leader-only effects on top of {@link ZabEffect}. */
export type LeaderEffect =
  | ZabEffect
  /** A learner's REQUEST (not a sync), REVALIDATE or PING: for the server to act on. */
  | { readonly kind: "learnerPacket"; readonly link: LinkId; readonly sid: number; readonly packet: QuorumPacket }
  /** Every proposal made before the local sync `token` was requested is committed. */
  | { readonly kind: "syncDone"; readonly token: unknown };

/** Where ZAB's leader is (ZooKeeper's ZabState plus the epoch decision inside discovery). */
export const LeaderPhase = {
  discovery: "DISCOVERY",
  synchronization: "SYNCHRONIZATION",
  broadcast: "BROADCAST",
  stopped: "STOPPED",
} as const;
export type LeaderPhase = (typeof LeaderPhase)[keyof typeof LeaderPhase];

/** Where one learner's connection is in the learner protocol. */
const LinkPhase = {
  /** Waiting for FOLLOWERINFO / OBSERVERINFO. */
  info: "info",
  /** Its accepted epoch counted; waiting until the new epoch is decided and persisted. */
  epoch: "epoch",
  /** LEADERINFO sent, waiting for ACKEPOCH. */
  ackEpoch: "ackEpoch",
  /** ACKEPOCH received; waiting for a quorum to have acked the epoch before syncing. */
  epochQuorum: "epochQuorum",
  /** Sync and NEWLEADER sent; waiting for the NEWLEADER ACK. */
  newLeaderAck: "newLeaderAck",
  /** NEWLEADER acked; waiting for the leader to be established to send UPTODATE. */
  start: "start",
  /** UPTODATE sent: broadcasting. */
  active: "active",
} as const;
type LinkPhase = (typeof LinkPhase)[keyof typeof LinkPhase];

interface Link {
  readonly id: LinkId;
  phase: LinkPhase;
  sid: number;
  participant: boolean;
  acceptedEpoch: bigint;
  lastZxid: bigint;
  /** Included in broadcasts (forwarding followers / observing learners). */
  forwarding: boolean;
  lastHeardMs: number;
  /**
   * When the transport last got bytes of this learner's SNAP out: its silence counts from then,
   * as ZooKeeper's LearnerHandler reads the ACK with its initLimit socket timeout only after
   * writing the whole snapshot (a million znodes on a loaded box stream for longer than
   * initLimit). A learner that stops reading makes no progress and is dropped as before.
   */
  snapshotProgressMs: number;
  /** Oldest proposal sent and not yet acked, for syncLimit (LearnerHandler.SyncLimitCheck). */
  unacked: { zxid: bigint; sentMs: number }[];
  /** PINGs sent on this link since it became active, and PINGs it answered (one each, in order). */
  pingsSent: number;
  pingsAnswered: number;
}

/**
 * A sync waiting to be answered: once every proposal made before it is committed, and once a
 * quorum answered a PING sent after it (so this leader was still leading when it was asked).
 */
interface SyncWaiter {
  readonly link: LinkId | null;
  readonly token: unknown;
  committed: boolean;
  confirmed: boolean;
  /** Per link pinged for it: the number of answered PINGs that proves the answer came after. */
  readonly pingsNeeded: Map<LinkId, number>;
}

interface Proposal {
  readonly zxid: bigint;
  readonly bytes: Uint8Array;
  /** Voters whose ACK (or, for the leader, whose log) holds it. */
  readonly acks: Set<number>;
}

const UNACKED_TRACKED_MAX = 1024;

/**
 * ZAB's leader as a state machine (ZooKeeper's Leader with its LearnerHandlers): discovery picks
 * the new epoch from a quorum's accepted epochs, synchronization brings each learner to the
 * leader's history (DIFF, TRUNC or SNAP) and waits for a quorum's NEWLEADER ACKs, broadcast
 * proposes, counts ACKs, commits in zxid order and informs observers. No sockets, timers or
 * clocks: the runtime feeds events with the time and executes {@link drain}'s effects in order.
 */
export class LeaderZab {
  readonly #options: LeaderOptions;
  readonly #history: CommittedHistory;
  readonly #effects = new Effects<LeaderEffect>();
  readonly #links = new Map<LinkId, Link>();
  readonly #summary: { currentEpoch: bigint; lastZxid: bigint };
  #phase: LeaderPhase = LeaderPhase.discovery;
  #phaseDeadlineMs: number;
  /** Accepted epochs of the participants connected during discovery (the leader's own included). */
  readonly #connecting = new Map<number, bigint>();
  #epoch = -1n;
  #epochPersisted = false;
  readonly #epochAcked = new Set<number>();
  readonly #newLeaderAcked = new Set<number>();
  #lastProposed: bigint;
  #lastCommitted: bigint;
  #lastLogged: bigint;
  /** Proposed, not yet committed, in zxid order; their zxids follow one another (see propose). */
  readonly #outstanding = new Fifo<Proposal>();
  /** Syncs waiting for proposals to commit, by the last zxid proposed when they came. */
  readonly #pendingSyncs = new Map<bigint, SyncWaiter[]>();
  /** Every sync not yet answered. */
  readonly #syncWaiters = new Set<SyncWaiter>();
  #lastPingMs: number;
  #establishedMs: number | null = null;
  /** Proposal sizes in bytes, ZooKeeper's BufferStats (-1: none yet). */
  readonly proposalSizes = { last: -1, min: -1, max: -1 };
  /** How many learners this leader synced by each mode (ZooKeeper's DIFF_COUNT counts TRUNC too). */
  readonly syncCounts: Record<SyncMode, number> = { [SyncMode.diff]: 0, [SyncMode.trunc]: 0, [SyncMode.snap]: 0 };
  /** The time of the latest event, for deadlines set where no time is passed in. */
  #nowMs: number;

  constructor(options: LeaderOptions, start: LeaderStart) {
    this.#options = options;
    this.#history = start.history;
    this.#summary = { currentEpoch: start.currentEpoch, lastZxid: start.lastZxid };
    this.#lastProposed = start.lastZxid;
    this.#lastCommitted = start.lastZxid;
    this.#lastLogged = start.lastZxid;
    this.#lastPingMs = start.nowMs;
    this.#nowMs = start.nowMs;
    this.#phaseDeadlineMs = start.nowMs + this.#initLimitMs();
    this.#connecting.set(options.myId, start.acceptedEpoch);
    this.#maybeDecideEpoch();
  }

  get phase(): LeaderPhase {
    return this.#phase;
  }

  /** The epoch being established (-1 until decided). */
  get epoch(): bigint {
    return this.#epoch;
  }

  get lastProposed(): bigint {
    return this.#lastProposed;
  }

  get lastCommitted(): bigint {
    return this.#lastCommitted;
  }

  /** Proposals waiting for a quorum of ACKs. */
  get outstandingCount(): number {
    return this.#outstanding.length;
  }

  /** Learners by state, for the four-letter words and the AdminServer. */
  learners(): { sid: number; participant: boolean; synced: boolean; active: boolean }[] {
    const now = this.#lastPingMs;
    return [...this.#links.values()].filter((l) => l.phase !== LinkPhase.info).map((l) => ({
      sid: l.sid,
      participant: l.participant,
      synced: this.#synced(l, now),
      active: l.phase === LinkPhase.active,
    }));
  }

  /** Effects to execute, in order. */
  drain(): LeaderEffect[] {
    return this.#effects.drain();
  }

  // --- links -------------------------------------------------------------------------------------

  /** A learner connected to the quorum port. */
  learnerConnected(id: LinkId, nowMs: number): void {
    this.#nowMs = nowMs;
    if (this.#phase === LeaderPhase.stopped) {
      this.#effects.push({ kind: "close", link: id, reason: "leader stopped" });
      return;
    }
    this.#links.set(id, {
      id, phase: LinkPhase.info, sid: -1, participant: false, acceptedEpoch: -1n, lastZxid: -1n,
      forwarding: false, lastHeardMs: nowMs, snapshotProgressMs: -Infinity, unacked: [], pingsSent: 0, pingsAnswered: 0,
    });
  }

  /** The transport got more of the SNAP it was asked to send on this link out (or all of it). */
  snapshotProgress(id: LinkId, nowMs: number): void {
    const link = this.#links.get(id);
    if (link === undefined || this.#phase === LeaderPhase.stopped) return;
    link.snapshotProgressMs = nowMs;
  }

  learnerClosed(id: LinkId): void {
    this.#links.delete(id);
  }

  receive(id: LinkId, p: QuorumPacket, nowMs: number): void {
    const link = this.#links.get(id);
    if (link === undefined || this.#phase === LeaderPhase.stopped) return;
    this.#nowMs = nowMs;
    link.lastHeardMs = nowMs;
    try {
      this.#onPacket(link, p, nowMs);
    } catch (error) {
      // A learner that sends what cannot be read is dropped; the leader carries on.
      if (!(error instanceof WireError)) throw error;
      this.#drop(link, `malformed packet from learner ${link.sid}: ${error.message}`);
    }
  }

  #onPacket(link: Link, p: QuorumPacket, nowMs: number): void {
    switch (link.phase) {
      case LinkPhase.info:
        return this.#onInfo(link, p);
      case LinkPhase.ackEpoch:
        return this.#onAckEpoch(link, p);
      case LinkPhase.newLeaderAck:
        return this.#onNewLeaderAck(link, p, nowMs);
      case LinkPhase.start:
      case LinkPhase.active:
        return this.#onBroadcastPacket(link, p, nowMs);
      default:
        return this.#drop(link, `unexpected ${p.type} while ${link.phase}`);
    }
  }

  #drop(link: Link, reason: string): void {
    this.#links.delete(link.id);
    this.#effects.push({ kind: "close", link: link.id, reason });
  }

  #onInfo(link: Link, p: QuorumPacket): void {
    if (p.type !== PacketType.FOLLOWERINFO && p.type !== PacketType.OBSERVERINFO) {
      return this.#drop(link, `first packet ${p.type} is not FOLLOWERINFO or OBSERVERINFO`);
    }
    const info = readLearnerInfo(p);
    if (info.serverId === undefined) return this.#drop(link, "LearnerInfo missing or too short");
    if ((info.protocolVersion ?? 0) < ZAB_PROTOCOL_VERSION) return this.#drop(link, `learner speaks ZAB ${(info.protocolVersion ?? 0).toString(16)}, before 1.0`);
    if ((info.configVersion ?? 0n) > this.#options.config.version) return this.#drop(link, "Follower is ahead of the leader (has a later activated configuration)");
    const sid = Number(info.serverId);
    for (const other of this.#links.values()) {
      if (other !== link && other.sid === sid) this.#drop(other, `sid ${sid} reconnected`);
    }
    link.sid = sid;
    link.participant = p.type === PacketType.FOLLOWERINFO && isVoter(this.#options.config, sid);
    link.acceptedEpoch = info.acceptedEpoch;
    link.phase = LinkPhase.epoch;
    const unknown = this.#options.config.servers.has(sid) ? "" : ", not in the current config";
    this.#log(`learner ${sid} (${link.participant ? "participant" : "observer"}${unknown}) connected, accepted epoch ${link.acceptedEpoch}`);
    if (this.#epoch < 0n) {
      if (link.participant) this.#connecting.set(link.sid, link.acceptedEpoch);
      this.#maybeDecideEpoch();
    } else if (this.#epochPersisted) {
      this.#sendLeaderInfo(link);
    }
  }

  /** getEpochToPropose: once a quorum (with the leader) connected, the epoch is max(accepted) + 1. */
  #maybeDecideEpoch(): void {
    if (this.#epoch >= 0n || !containsQuorum(this.#options.config, this.#connecting.keys())) return;
    let max = -1n;
    for (const accepted of this.#connecting.values()) if (accepted > max) max = accepted;
    this.#epoch = max + 1n;
    this.#lastProposed = makeZxid(this.#epoch, 0n);
    this.#log(`new epoch ${this.#epoch} from the accepted epochs of ${[...this.#connecting.keys()].join(", ")}`);
    // LEADERINFO goes out only once acceptedEpoch is durable (epochPersisted("accepted")).
    this.#effects.push({ kind: "acceptedEpoch", epoch: this.#epoch });
  }

  #sendLeaderInfo(link: Link): void {
    link.phase = LinkPhase.ackEpoch;
    this.#send(link, leaderInfoPacket(this.#epoch));
  }

  #onAckEpoch(link: Link, p: QuorumPacket): void {
    if (p.type !== PacketType.ACKEPOCH) return this.#drop(link, `${p.type} is not ACKEPOCH`);
    const { currentEpoch } = readAckEpoch(p);
    link.lastZxid = p.zxid;
    if (currentEpoch !== -1) {
      const ahead = BigInt(currentEpoch) > this.#summary.currentEpoch ||
        (BigInt(currentEpoch) === this.#summary.currentEpoch && p.zxid > this.#summary.lastZxid);
      if (ahead) {
        return this.#drop(link, `Follower is ahead of the leader, leader summary: ${this.#summary.currentEpoch} (current epoch), ` +
          `${hexZxid(this.#summary.lastZxid)} (last zxid)`);
      }
      if (p.zxid !== -1n && link.participant) this.#epochAcked.add(link.sid);
    }
    link.phase = LinkPhase.epochQuorum;
    if (this.#phase !== LeaderPhase.discovery) this.#syncLearner(link);
    else this.#maybeFinishDiscovery();
  }

  /** Reported by the runtime once an epoch file write is durable. */
  epochPersisted(which: "accepted" | "current", nowMs: number): void {
    if (this.#phase === LeaderPhase.stopped) return;
    this.#nowMs = nowMs;
    if (which === "accepted") {
      this.#epochPersisted = true;
      this.#phaseDeadlineMs = nowMs + this.#initLimitMs();
      for (const link of this.#links.values()) if (link.phase === LinkPhase.epoch) this.#sendLeaderInfo(link);
      // The leader acks its own epoch (waitForEpochAck(myId, leaderStateSummary)).
      this.#epochAcked.add(this.#options.myId);
      this.#maybeFinishDiscovery();
      return;
    }
    // currentEpoch is durable: the leader's own NEWLEADER ack.
    this.#newLeaderAcked.add(this.#options.myId);
    this.#maybeEstablish();
  }

  #maybeFinishDiscovery(): void {
    if (this.#phase !== LeaderPhase.discovery || !this.#epochAcked.has(this.#options.myId)) return;
    if (!containsQuorum(this.#options.config, this.#epochAcked)) return;
    this.#phase = LeaderPhase.synchronization;
    this.#phaseDeadlineMs = this.#nowMs + this.#initLimitMs();
    this.#effects.push({ kind: "currentEpoch", epoch: this.#epoch });
    for (const link of this.#links.values()) if (link.phase === LinkPhase.epochQuorum) this.#syncLearner(link);
  }

  /** syncFollower + startForwarding + NEWLEADER for one learner. */
  #syncLearner(link: Link): void {
    const plan = planSync(this.#history, link.lastZxid, this.#lastCommitted);
    this.syncCounts[plan.mode]++;
    this.#log(`sync of learner ${link.sid}: ${plan.mode} (its last zxid ${hexZxid(link.lastZxid)}, ours ${hexZxid(this.#lastCommitted)}, ` +
      `${plan.entries.length} txns)`);
    if (plan.mode === SyncMode.snap) this.#effects.push({ kind: "snapshot", link: link.id, zxid: this.#lastCommitted });
    else this.#send(link, bareQuorumPacket(plan.mode === SyncMode.diff ? PacketType.DIFF : PacketType.TRUNC, plan.zxid));
    for (const entry of plan.entries) {
      this.#send(link, txnPacket(PacketType.PROPOSAL, entry.zxid, entry.bytes));
      this.#send(link, bareQuorumPacket(PacketType.COMMIT, entry.zxid));
    }
    if (link.participant) {
      for (const proposal of this.#outstanding) this.#sendProposal(link, proposal, this.#nowMs);
    }
    link.forwarding = true;
    link.phase = LinkPhase.newLeaderAck;
    this.#send(link, newLeaderPacket(this.#epoch, this.#options.configBytes));
  }

  #onNewLeaderAck(link: Link, p: QuorumPacket, nowMs: number): void {
    if (p.type !== PacketType.ACK) return this.#drop(link, `${p.type} instead of the NEWLEADER ACK`);
    // Proposals forwarded while it synced get syncLimit from now: the learner could not ack them
    // before it had taken the whole sync in (ZooKeeper's SyncLimitCheck starts here too).
    for (const unacked of link.unacked) unacked.sentMs = Math.max(unacked.sentMs, nowMs);
    if (p.zxid === makeZxid(this.#epoch, 0n)) {
      if (link.participant) this.#newLeaderAcked.add(link.sid);
    } else {
      this.#log(`NEWLEADER ACK from sid ${link.sid} is from a different epoch: ${hexZxid(p.zxid)}`);
    }
    link.phase = LinkPhase.start;
    if (this.#phase === LeaderPhase.broadcast) this.#upToDate(link);
    else this.#maybeEstablish();
  }

  #maybeEstablish(): void {
    if (this.#phase !== LeaderPhase.synchronization || !this.#newLeaderAcked.has(this.#options.myId)) return;
    if (!containsQuorum(this.#options.config, this.#newLeaderAcked)) return;
    this.#phase = LeaderPhase.broadcast;
    this.#establishedMs = this.#nowMs;
    this.#log(`established epoch ${this.#epoch} with ${[...this.#newLeaderAcked].join(", ")}`);
    this.#effects.push({ kind: "established", epoch: this.#epoch });
    for (const link of this.#links.values()) if (link.phase === LinkPhase.start) this.#upToDate(link);
  }

  #upToDate(link: Link): void {
    link.phase = LinkPhase.active;
    this.#send(link, bareQuorumPacket(PacketType.UPTODATE, -1n));
  }

  #onBroadcastPacket(link: Link, p: QuorumPacket, nowMs: number): void {
    switch (p.type) {
      case PacketType.ACK:
        if (!link.participant) return;
        this.#noteAcked(link, p.zxid);
        this.#processAck(link.sid, p.zxid);
        return;
      case PacketType.REQUEST:
        if (readRequest(p).type === OpCode.sync) {
          this.requestSync({ link: link.id, token: null });
          return;
        }
        this.#effects.push({ kind: "learnerPacket", link: link.id, sid: link.sid, packet: p });
        return;
      case PacketType.PING:
        link.pingsAnswered++;
        this.#effects.push({ kind: "learnerPacket", link: link.id, sid: link.sid, packet: p });
        for (const waiter of [...this.#syncWaiters]) this.#maybeSyncDone(waiter);
        return;
      case PacketType.REVALIDATE:
        this.#effects.push({ kind: "learnerPacket", link: link.id, sid: link.sid, packet: p });
        return;
      default:
        this.#log(`unexpected quorum packet ${p.type} from ${link.sid} at ${nowMs}`);
    }
  }

  #noteAcked(link: Link, zxid: bigint): void {
    while (link.unacked.length > 0 && link.unacked[0]!.zxid <= zxid) link.unacked.shift();
  }

  // --- broadcast ---------------------------------------------------------------------------------

  /** The zxid the next proposal must carry (prep needs it before the txn exists). */
  nextZxid(): bigint {
    if (counterOf(this.#lastProposed) >= 0xffffffffn) throw new Error("zxid counter exhausted: a new epoch is needed");
    return this.#lastProposed + 1n;
  }

  /** True while the leader may accept writes. */
  get canPropose(): boolean {
    return this.#phase === LeaderPhase.broadcast && counterOf(this.#lastProposed) < 0xfffffffen;
  }

  /** Proposes a prepared txn (its bytes as learners log them) with zxid {@link nextZxid}. */
  propose(zxid: bigint, bytes: Uint8Array, nowMs: number): void {
    if (this.#phase !== LeaderPhase.broadcast) throw new Error(`propose while ${this.#phase}`);
    this.#nowMs = nowMs;
    if (zxid !== this.#lastProposed + 1n) throw new Error(`propose ${hexZxid(zxid)} after ${hexZxid(this.#lastProposed)}`);
    this.#lastProposed = zxid;
    this.#noteProposalSize(bytes.length);
    const proposal: Proposal = { zxid, bytes, acks: new Set() };
    this.#outstanding.push(proposal);
    for (const link of this.#links.values()) if (link.forwarding && link.participant) this.#sendProposal(link, proposal, nowMs);
    this.#effects.push({ kind: "append", zxid, bytes });
    // Lets a zxid rollover end the epoch instead of wrapping (ZooKeeper re-elects too).
    if (counterOf(zxid) >= 0xfffffffen) this.stop("zxid counter rolled over; a new epoch is needed");
  }

  #noteProposalSize(bytes: number): void {
    // ZooKeeper counts the serialized QuorumPacket: type, zxid, data length + data, authinfo count.
    const size = 4 + 8 + 4 + bytes + 4;
    this.proposalSizes.last = size;
    if (this.proposalSizes.min < 0 || size < this.proposalSizes.min) this.proposalSizes.min = size;
    if (size > this.proposalSizes.max) this.proposalSizes.max = size;
  }

  /** Local and learners' syncs not answered yet (`zk_pending_syncs`). */
  get pendingSyncs(): number {
    return this.#syncWaiters.size;
  }

  /** Ms since the epoch was established (`zk_leader_uptime`); 0 before. */
  uptimeMs(nowMs: number): number {
    return this.#establishedMs === null ? 0 : Math.max(0, Math.round(nowMs - this.#establishedMs));
  }

  #sendProposal(link: Link, proposal: Proposal, nowMs: number): void {
    this.#send(link, txnPacket(PacketType.PROPOSAL, proposal.zxid, proposal.bytes));
    if (link.unacked.length < UNACKED_TRACKED_MAX) link.unacked.push({ zxid: proposal.zxid, sentMs: nowMs });
  }

  /** The leader's own log reached `zxid` (group commit: everything up to it is durable). */
  logged(zxid: bigint): void {
    if (zxid <= this.#lastLogged) return;
    this.#lastLogged = zxid;
    if (this.#phase === LeaderPhase.stopped) return;
    // Only a voter leads, but acks count only from voters, as everywhere else.
    if (!isVoter(this.#options.config, this.#options.myId)) return;
    for (const proposal of this.#outstanding) {
      if (proposal.zxid > zxid) break;
      proposal.acks.add(this.#options.myId);
    }
    this.#commitAcked();
  }

  #processAck(sid: number, zxid: bigint): void {
    if (counterOf(zxid) === 0n || zxid <= this.#lastCommitted) return;
    const proposal = this.#outstandingAt(zxid);
    if (proposal === undefined || !isVoter(this.#options.config, sid)) return;
    proposal.acks.add(sid);
    this.#commitAcked();
  }

  /** The outstanding proposal of `zxid`, found by its distance from the oldest one. */
  #outstandingAt(zxid: bigint): Proposal | undefined {
    const oldest = this.#outstanding.peek();
    if (oldest === undefined || zxid < oldest.zxid || zxid - oldest.zxid >= BigInt(this.#outstanding.length)) return undefined;
    const proposal = this.#outstanding.at(Number(zxid - oldest.zxid))!;
    return proposal.zxid === zxid ? proposal : undefined;
  }

  /**
   * Commits in zxid order every proposal a quorum holds, up to the first that lacks one: a commit
   * may let the next, already acked, one through. The first zxid of an epoch does not follow the
   * last commit.
   */
  #commitAcked(): void {
    const needed = quorumSize(this.#options.config);
    for (let next = this.#outstanding.peek(); next !== undefined && next.acks.size >= needed; next = this.#outstanding.peek()) {
      this.#commit(next);
    }
  }

  /** Commits the oldest outstanding proposal. */
  #commit(proposal: Proposal): void {
    this.#outstanding.shift();
    this.#lastCommitted = proposal.zxid;
    this.#history.append({ zxid: proposal.zxid, bytes: proposal.bytes });
    for (const link of this.#links.values()) {
      if (!link.forwarding) continue;
      if (link.participant) this.#send(link, bareQuorumPacket(PacketType.COMMIT, proposal.zxid));
      else this.#send(link, txnPacket(PacketType.INFORM, proposal.zxid, proposal.bytes));
    }
    this.#effects.push({ kind: "apply", zxid: proposal.zxid, bytes: proposal.bytes });
    for (const waiter of this.#pendingSyncs.get(proposal.zxid) ?? []) {
      waiter.committed = true;
      this.#maybeSyncDone(waiter);
    }
    this.#pendingSyncs.delete(proposal.zxid);
  }

  /**
   * A sync (a learner's forwarded sync, or a local client's with `link` null): answered once every
   * proposal made so far is committed (Leader.processSync), and once a quorum answered a PING sent
   * after it. ZooKeeper answers from the leader's state alone, so a leader that was paused and
   * deposed meanwhile answers from its old state until it notices (ZOOKEEPER-1675): a sync+read
   * then misses writes acknowledged before it. A quorum that answers after the sync came cannot
   * have joined a newer leader before (a member never follows an older epoch again), so no newer
   * epoch committed anything this leader lacks (Raft's ReadIndex).
   */
  requestSync(request: { link: LinkId | null; token: unknown }): void {
    const waiter: SyncWaiter = { ...request, committed: this.#outstanding.length === 0, confirmed: false, pingsNeeded: new Map() };
    this.#syncWaiters.add(waiter);
    if (!waiter.committed) {
      const list = this.#pendingSyncs.get(this.#lastProposed);
      if (list === undefined) this.#pendingSyncs.set(this.#lastProposed, [waiter]);
      else list.push(waiter);
    }
    for (const link of this.#links.values()) {
      if (!link.participant || link.phase !== LinkPhase.active) continue;
      this.#ping(link);
      waiter.pingsNeeded.set(link.id, link.pingsSent);
    }
    this.#maybeSyncDone(waiter);
  }

  #ping(link: Link): void {
    link.pingsSent++;
    this.#send(link, bareQuorumPacket(PacketType.PING, this.#lastProposed));
  }

  #maybeSyncDone(waiter: SyncWaiter): void {
    if (!waiter.confirmed) {
      const answered = [this.#options.myId];
      for (const [id, needed] of waiter.pingsNeeded) {
        const link = this.#links.get(id);
        if (link !== undefined && link.pingsAnswered >= needed) answered.push(link.sid);
      }
      waiter.confirmed = containsQuorum(this.#options.config, answered);
    }
    if (!waiter.committed || !waiter.confirmed) return;
    this.#syncWaiters.delete(waiter);
    this.#syncDone(waiter);
  }

  #syncDone(waiter: { link: LinkId | null; token: unknown }): void {
    if (waiter.link === null) {
      this.#effects.push({ kind: "syncDone", token: waiter.token });
      return;
    }
    const link = this.#links.get(waiter.link);
    if (link !== undefined) this.#send(link, bareQuorumPacket(PacketType.SYNC, 0n));
  }

  /** Sends a packet on a learner's link (the server's REVALIDATE answers and the like). */
  sendTo(id: LinkId, p: QuorumPacket): void {
    const link = this.#links.get(id);
    if (link !== undefined) this.#send(link, p);
  }

  #send(link: Link, p: QuorumPacket): void {
    this.#effects.push({ kind: "send", link: link.id, packet: p });
  }

  // --- time --------------------------------------------------------------------------------------

  /**
   * Called at least every tickTime/2: phase timeouts (initLimit), pings, learners that went
   * quiet or stopped acking (syncLimit), and the quorum check that makes a leader without enough
   * synced followers step down.
   */
  tick(nowMs: number): void {
    if (this.#phase === LeaderPhase.stopped) return;
    this.#nowMs = nowMs;
    if (this.#phase !== LeaderPhase.broadcast) {
      if (nowMs >= this.#phaseDeadlineMs) this.stop(this.#timeoutReason());
      this.#dropSilentLearners(nowMs);
      return;
    }
    if (nowMs - this.#lastPingMs < this.#options.tickMs / 2) return;
    this.#lastPingMs = nowMs;
    this.#dropSilentLearners(nowMs);
    const synced = [this.#options.myId];
    for (const link of this.#links.values()) if (link.participant && this.#synced(link, nowMs)) synced.push(link.sid);
    if (!containsQuorum(this.#options.config, synced)) {
      this.stop(`Not sufficient followers synced, only synced with sids: [ ${synced.join(",")} ]`);
      return;
    }
    for (const link of this.#links.values()) if (link.phase === LinkPhase.active) this.#ping(link);
  }

  #timeoutReason(): string {
    if (this.#epoch < 0n) return "Timeout while waiting for epoch from quorum";
    if (this.#phase === LeaderPhase.discovery) return "Timeout while waiting for epoch to be acked by quorum";
    return `Waiting for a quorum of followers, only synced with sids: [ ${[...this.#newLeaderAcked].join(",")} ]`;
  }

  #synced(link: Link, nowMs: number): boolean {
    return link.phase !== LinkPhase.info && nowMs - link.lastHeardMs <= this.#syncLimitMs();
  }

  /**
   * A learner has initLimit to answer until it acked NEWLEADER, syncLimit after (ZooKeeper's
   * LearnerHandler socket timeouts): one that joins a running leader says nothing while a SNAP
   * of the whole tree streams to it and is installed, which takes longer than syncLimit.
   */
  #silenceLimitMs(link: Link): number {
    const synced = this.#phase === LeaderPhase.broadcast && (link.phase === LinkPhase.start || link.phase === LinkPhase.active);
    return synced ? this.#syncLimitMs() : this.#initLimitMs();
  }

  #dropSilentLearners(nowMs: number): void {
    for (const link of [...this.#links.values()]) {
      const limitMs = this.#silenceLimitMs(link);
      const quietMs = nowMs - Math.max(link.lastHeardMs, link.snapshotProgressMs);
      const oldestUnacked = link.unacked[0];
      if (quietMs > limitMs) {
        const who = link.phase === LinkPhase.info ? "a quorum connection that sent no FOLLOWERINFO or OBSERVERINFO" : `learner ${link.sid}`;
        this.#drop(link, `${who} silent for ${Math.round(quietMs)} ms`);
      } else if (oldestUnacked !== undefined && nowMs - oldestUnacked.sentMs > limitMs && link.phase === LinkPhase.active) {
        this.#drop(link, `learner ${link.sid} has not acked ${hexZxid(oldestUnacked.zxid)} for ${Math.round(nowMs - oldestUnacked.sentMs)} ms`);
      }
    }
  }

  #initLimitMs(): number {
    return this.#options.initLimit * this.#options.tickMs;
  }

  #syncLimitMs(): number {
    return this.#options.syncLimit * this.#options.tickMs;
  }

  /** Ends leadership: every learner is dropped and the runtime goes back to LOOKING. */
  stop(reason: string): void {
    if (this.#phase === LeaderPhase.stopped) return;
    this.#phase = LeaderPhase.stopped;
    for (const link of [...this.#links.values()]) this.#drop(link, "leader shutting down");
    this.#effects.push({ kind: "lost", reason });
  }

  #log(line: string): void {
    this.#effects.push({ kind: "log", line });
  }
}
