import { containsQuorum, isVoter, LearnerType, type QuorumConfig } from "./quorum_config.ts";
import { isBetterCandidate, NO_SID, NO_ZXID, type Notification, ServerState, type Vote, votesAgree } from "./vote.ts";

/** Timing of fast leader election, ZooKeeper's defaults. */
export interface ElectionTiming {
  /** How long a quorum must stay unchallenged before deciding (finalizeWait). */
  readonly finalizeWaitMs: number;
  /** First resend interval when nothing arrives; doubles up to the max (zookeeper.fastleader.*). */
  readonly minNotificationIntervalMs: number;
  readonly maxNotificationIntervalMs: number;
}

export const DEFAULT_ELECTION_TIMING: ElectionTiming = {
  finalizeWaitMs: 200,
  minNotificationIntervalMs: 200,
  maxNotificationIntervalMs: 60_000,
};

/** A notification to send to one member. */
export interface ElectionMessage {
  readonly to: number;
  readonly notification: Notification;
}

/** The outcome of a round: whom to follow (or that we lead) and in which role. */
export interface ElectionDecision {
  readonly vote: Vote;
  readonly state: ServerState;
}

/** What the election wants done after a step: execute it, then call the machine again. */
export interface ElectionReady {
  readonly send: readonly ElectionMessage[];
  readonly decided: ElectionDecision | null;
}

/** What a member knows about itself when a round starts. */
export interface ElectionStart {
  /** The last zxid in its log (committed or not). */
  readonly lastLoggedZxid: bigint;
  /** Its currentEpoch file. */
  readonly currentEpoch: bigint;
  readonly nowMs: number;
}

/** Bound on self-deliveries processed in one step (each send to self queues one). */
const SELF_DELIVERIES_MAX = 16;

/**
 * Fast leader election (ZooKeeper's FastLeaderElection with its WorkerReceiver) as a state
 * machine: no sockets, threads or timers. The caller feeds notifications and ticks with the time,
 * and drains {@link ready} for the notifications to send and the decision. Notifications to the
 * member itself are delivered internally, as QuorumCnxManager does.
 *
 * While LOOKING it exchanges votes until a quorum of voters agrees and nothing better arrives
 * for finalizeWait; once decided it keeps answering LOOKING members with the established vote,
 * so late joiners find the leader.
 */
export class FastLeaderElection {
  readonly #myId: number;
  readonly #participant: boolean;
  readonly #timing: ElectionTiming;
  #config: QuorumConfig;
  #configText: string;
  #state: ServerState = ServerState.looking;
  #logicalClock = 0n;
  #proposal = { leader: NO_SID, zxid: NO_ZXID, peerEpoch: NO_ZXID };
  #initial = { leader: NO_SID, zxid: NO_ZXID, peerEpoch: NO_ZXID };
  /** The vote this member stands by when asked: its initial vote, then each decision. */
  #currentVote: Vote;
  #recvset = new Map<number, Vote>();
  #outOfElection = new Map<number, Vote>();
  #pollTimeoutMs: number;
  #pollDeadlineMs = Number.POSITIVE_INFINITY;
  #finalizeDeadlineMs: number | null = null;
  #selfQueue: Notification[] = [];
  #send: ElectionMessage[] = [];
  #decided: ElectionDecision | null = null;

  constructor(options: { myId: number; config: QuorumConfig; configText: string; timing?: ElectionTiming }) {
    const me = options.config.servers.get(options.myId);
    if (me === undefined) throw new Error(`election: myid ${options.myId} is not in the config`);
    this.#myId = options.myId;
    this.#participant = me.type === LearnerType.participant;
    this.#config = options.config;
    this.#configText = options.configText;
    this.#timing = options.timing ?? DEFAULT_ELECTION_TIMING;
    this.#pollTimeoutMs = this.#timing.minNotificationIntervalMs;
    this.#currentVote = { leader: this.#myId, zxid: 0n, electionEpoch: 0n, peerEpoch: 0n, state: ServerState.looking, version: 0 };
  }

  get state(): ServerState {
    return this.#state;
  }

  get logicalClock(): bigint {
    return this.#logicalClock;
  }

  /** The vote this member reports (the decided one once a round ended). */
  get currentVote(): Vote {
    return this.#currentVote;
  }

  /** Replaces the membership (the config a leader sent, or a reload) used from now on. */
  setConfig(config: QuorumConfig, configText: string): void {
    this.#config = config;
    this.#configText = configText;
  }

  /** Starts a round (QuorumPeer going LOOKING): bumps the round, votes for itself, tells everyone. */
  lookForLeader(start: ElectionStart): void {
    this.#state = ServerState.looking;
    this.#logicalClock++;
    this.#recvset = new Map();
    this.#outOfElection = new Map();
    this.#finalizeDeadlineMs = null;
    this.#initial = this.#participant
      ? { leader: this.#myId, zxid: start.lastLoggedZxid, peerEpoch: start.currentEpoch }
      : { leader: NO_SID, zxid: NO_ZXID, peerEpoch: NO_ZXID };
    if (this.#logicalClock === 1n) this.#currentVote = { ...this.#currentVote, zxid: start.lastLoggedZxid, peerEpoch: start.currentEpoch };
    this.#proposal = { ...this.#initial };
    this.#pollTimeoutMs = this.#timing.minNotificationIntervalMs;
    this.#pollDeadlineMs = start.nowMs + this.#pollTimeoutMs;
    this.#sendNotifications();
    this.#drainSelf(start.nowMs);
  }

  /**
   * After the learner synced with the new leader, its vote carries the new epoch, so members
   * starting up later see the same vote as the rest (ZOOKEEPER-1732, updateElectionVote).
   */
  updatePeerEpoch(peerEpoch: bigint): void {
    this.#currentVote = { ...this.#currentVote, peerEpoch };
  }

  /** A notification from member `from` (already decoded and length-checked). */
  receive(from: number, n: Notification, nowMs: number): void {
    this.#handle(from, n, nowMs);
    this.#drainSelf(nowMs);
  }

  /** Time passes: resend with backoff when nothing arrives; decide once finalizeWait is over. */
  tick(nowMs: number): void {
    if (this.#state !== ServerState.looking) return;
    if (this.#finalizeDeadlineMs !== null) {
      if (nowMs >= this.#finalizeDeadlineMs) this.#decide(this.#proposal.leader, this.#proposal.zxid, this.#logicalClock, this.#proposal.peerEpoch);
      return;
    }
    if (nowMs < this.#pollDeadlineMs) return;
    this.#sendNotifications();
    this.#pollTimeoutMs = Math.min(this.#pollTimeoutMs * 2, this.#timing.maxNotificationIntervalMs);
    this.#pollDeadlineMs = nowMs + this.#pollTimeoutMs;
    this.#drainSelf(nowMs);
  }

  /** The notifications to send and the decision taken since the last call. */
  ready(): ElectionReady {
    const ready = { send: this.#send, decided: this.#decided };
    this.#send = [];
    this.#decided = null;
    return ready;
  }

  #isVoter = (sid: number): boolean => isVoter(this.#config, sid);

  #handle(from: number, n: Notification, nowMs: number): void {
    if (!this.#isVoter(from)) {
      // Observers (and strangers) get our standing vote at once and are not counted. Only a
      // looking one needs it: ZooKeeper also answers an observer's answer, and a looking
      // participant and an observing observer then answer each other for as long as the
      // election lasts (a duplicated notification starts a second such exchange, and so on).
      if (n.state !== ServerState.looking) return;
      const v = this.#currentVote;
      this.#sendTo(from, { state: this.#state, leader: v.leader, zxid: v.zxid, electionEpoch: this.#logicalClock, peerEpoch: v.peerEpoch });
      return;
    }
    if (this.#state !== ServerState.looking) {
      // Participants never count what an observer says, so an observer does not answer them.
      if (n.state !== ServerState.looking || !this.#participant) return;
      // A member still looking learns the established leader from us.
      const v = this.#currentVote;
      this.#sendTo(from, { state: this.#state, leader: v.leader, zxid: v.zxid, electionEpoch: v.electionEpoch, peerEpoch: v.peerEpoch });
      return;
    }
    if (n.state === ServerState.looking && n.electionEpoch < this.#logicalClock && this.#participant) {
      // A member behind our round gets our proposal so it catches up (not from an observer,
      // whose notifications participants answer but never count: the two would answer each
      // other for as long as both look).
      const p = this.#proposal;
      this.#sendTo(from, { state: ServerState.looking, leader: p.leader, zxid: p.zxid, electionEpoch: this.#logicalClock, peerEpoch: p.peerEpoch });
    }
    this.#pollDeadlineMs = nowMs + this.#pollTimeoutMs;
    this.#lookingStep(from, n, nowMs);
  }

  /** One iteration of lookForLeader's loop for a notification from a voter. */
  #lookingStep(from: number, n: Notification, nowMs: number): void {
    if (this.#finalizeDeadlineMs !== null) {
      // Waiting out finalizeWait: only a better vote reopens the round; others are dropped.
      if (!isBetterCandidate(n, this.#proposal, this.#isVoter)) {
        this.#finalizeDeadlineMs = nowMs + this.#timing.finalizeWaitMs;
        return;
      }
      this.#finalizeDeadlineMs = null;
    }
    // Only votes for a voter count (validVoter(n.leader)); -1 is the zxid of a member with no log yet.
    if (!this.#isVoter(n.leader) || n.zxid === -1n) return;
    switch (n.state) {
      case ServerState.looking:
        this.#lookingNotification(from, n, nowMs);
        return;
      case ServerState.following:
      case ServerState.leading:
        this.#establishedNotification(from, n);
        return;
      default:
        return; // OBSERVING: observers never count
    }
  }

  #lookingNotification(from: number, n: Notification, nowMs: number): void {
    if (n.electionEpoch > this.#logicalClock) {
      this.#logicalClock = n.electionEpoch;
      this.#recvset = new Map();
      this.#proposal = isBetterCandidate(n, this.#initial, this.#isVoter) ? pick(n) : { ...this.#initial };
      this.#sendNotifications();
    } else if (n.electionEpoch < this.#logicalClock) {
      return;
    } else if (isBetterCandidate(n, this.#proposal, this.#isVoter)) {
      this.#proposal = pick(n);
      this.#sendNotifications();
    }
    this.#recvset.set(from, { leader: n.leader, zxid: n.zxid, electionEpoch: n.electionEpoch, peerEpoch: n.peerEpoch, state: ServerState.looking, version: 0 });
    const mine: Vote = { ...this.#proposal, electionEpoch: this.#logicalClock, state: ServerState.looking, version: 0 };
    if (this.#quorumAgrees(this.#recvset, mine)) this.#finalizeDeadlineMs = nowMs + this.#timing.finalizeWaitMs;
  }

  /** A FOLLOWING/LEADING member: join its leader once a quorum follows it (receivedFollowingNotification). */
  #establishedNotification(from: number, n: Notification): void {
    const theirs: Vote = { leader: n.leader, zxid: n.zxid, electionEpoch: n.electionEpoch, peerEpoch: n.peerEpoch, state: n.state, version: n.version };
    if (n.electionEpoch === this.#logicalClock) {
      this.#recvset.set(from, { ...theirs, version: 0 });
      if (this.#quorumAgrees(this.#recvset, theirs) && this.#checkLeader(this.#recvset, n.leader, n.electionEpoch)) {
        this.#decide(n.leader, n.zxid, n.electionEpoch, n.peerEpoch);
        return;
      }
    }
    // Before joining an established ensemble, a quorum must follow the same leader (ZOOKEEPER-1732).
    this.#outOfElection.set(from, theirs);
    if (this.#quorumAgrees(this.#outOfElection, theirs) && this.#checkLeader(this.#outOfElection, n.leader, n.electionEpoch)) {
      this.#logicalClock = n.electionEpoch;
      this.#decide(n.leader, n.zxid, n.electionEpoch, n.peerEpoch);
    }
  }

  #quorumAgrees(votes: ReadonlyMap<number, Vote>, vote: Vote): boolean {
    const acks: number[] = [];
    for (const [sid, v] of votes) if (votesAgree(vote, v)) acks.push(sid);
    return containsQuorum(this.#config, acks);
  }

  /** The leader must itself say it leads, unless it is us (checkLeader). */
  #checkLeader(votes: ReadonlyMap<number, Vote>, leader: number, electionEpoch: bigint): boolean {
    if (leader !== this.#myId) return votes.get(leader)?.state === ServerState.leading;
    return this.#logicalClock === electionEpoch;
  }

  #decide(leader: number, zxid: bigint, electionEpoch: bigint, peerEpoch: bigint): void {
    const state = leader === this.#myId
      ? ServerState.leading
      : this.#participant ? ServerState.following : ServerState.observing;
    this.#state = state;
    this.#finalizeDeadlineMs = null;
    this.#pollDeadlineMs = Number.POSITIVE_INFINITY;
    this.#selfQueue = [];
    const vote: Vote = { leader, zxid, electionEpoch, peerEpoch, state: ServerState.looking, version: 0 };
    this.#currentVote = vote;
    this.#decided = { vote, state };
  }

  #sendNotifications(): void {
    const p = this.#proposal;
    for (const sid of this.#config.servers.keys()) {
      if (!this.#isVoter(sid)) continue;
      this.#sendTo(sid, { state: ServerState.looking, leader: p.leader, zxid: p.zxid, electionEpoch: this.#logicalClock, peerEpoch: p.peerEpoch });
    }
  }

  #sendTo(to: number, fields: Omit<Notification, "version" | "config">): void {
    const notification: Notification = { ...fields, version: 2, config: this.#configText };
    if (to === this.#myId) this.#selfQueue.push(notification);
    else this.#send.push({ to, notification });
  }

  #drainSelf(nowMs: number): void {
    for (let i = 0; i < SELF_DELIVERIES_MAX && this.#selfQueue.length > 0; i++) {
      this.#handle(this.#myId, this.#selfQueue.shift()!, nowMs);
    }
    // Anything left is a repeat of what was just processed: a later step resends it anyway.
    this.#selfQueue = [];
  }
}

function pick(n: Notification): { leader: number; zxid: bigint; peerEpoch: bigint } {
  return { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch };
}
