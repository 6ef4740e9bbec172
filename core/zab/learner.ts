import { Effects, type ZabEffect } from "./effects.ts";
import { ackEpochPacket, bareQuorumPacket, learnerInfoPacket, ZAB_PROTOCOL_VERSION } from "./wire/learner_packets.ts";
import { PacketType, type QuorumPacket } from "./wire/quorum_packet.ts";
import { epochOf, hexZxid, makeZxid } from "../proto/zxid.ts";

/** Static settings of a learner. */
export interface LearnerOptions {
  readonly myId: number;
  /** An observer learns without voting: OBSERVERINFO, no ACKs, INFORMs instead of proposals. */
  readonly observer: boolean;
  readonly configVersion: bigint;
  readonly tickMs: number;
  readonly initLimit: number;
  readonly syncLimit: number;
}

/** What the learner knows of itself when it starts following. */
export interface LearnerStart {
  readonly acceptedEpoch: bigint;
  readonly currentEpoch: bigint;
  /** The last zxid in its log (its database holds the whole log). */
  readonly lastLoggedZxid: bigint;
  readonly nowMs: number;
  /**
   * The zxid after which its database's tree stopped matching the digests its leaders logged
   * (found on recovery or in an earlier role), if it did: such a learner syncs only by SNAP.
   */
  readonly divergedAt?: bigint | null;
}

/** Learner-only effects on top of {@link ZabEffect}; link ids are not used (one link). */
export type LearnerEffect =
  | ZabEffect
  /** Cut the log after `zxid` and reload the database from what is left. */
  | { readonly kind: "truncate"; readonly zxid: bigint }
  /** The database now holds the leader's snapshot at `zxid`: persist it as the new base. */
  | { readonly kind: "installSnapshot"; readonly zxid: bigint }
  /** A PING, SYNC or REVALIDATE answer from the leader, for the server to act on. */
  | { readonly kind: "leaderPacket"; readonly packet: QuorumPacket };

/** Where the learner is in the learner protocol (ZooKeeper's ZabState, finer grained). */
export const LearnerPhase = {
  /** Waiting for the runtime to connect to the leader. */
  connecting: "connecting",
  /** FOLLOWERINFO/OBSERVERINFO sent; waiting for LEADERINFO. */
  leaderInfo: "leaderInfo",
  /** The new accepted epoch is being persisted before ACKEPOCH. */
  acceptingEpoch: "acceptingEpoch",
  /** ACKEPOCH sent; waiting for DIFF, TRUNC or SNAP. */
  syncStart: "syncStart",
  /** Receiving the leader's history until NEWLEADER. */
  syncing: "syncing",
  /** NEWLEADER received: persisting everything and the new current epoch before the ACK. */
  newLeader: "newLeader",
  /** NEWLEADER acked; waiting for UPTODATE. */
  upToDate: "upToDate",
  broadcast: "broadcast",
  stopped: "stopped",
} as const;
export type LearnerPhase = (typeof LearnerPhase)[keyof typeof LearnerPhase];

/**
 * Tries at reaching the leader before the learner gives up and elects again, as ZooKeeper's
 * Learner.connectToLeader does (5, 100 ms apart). A member that followed a vote for a leader that
 * is gone (an observer takes the voters' last vote while they still look) learns it in half a
 * second instead of initLimit.
 */
export const CONNECT_ATTEMPTS_MAX = 5;

type PersistKind = "append" | "truncate" | "installSnapshot" | "acceptedEpoch" | "currentEpoch";

interface PendingTxn {
  readonly zxid: bigint;
  readonly bytes: Uint8Array;
  /** Came as a PROPOSAL (acked once durable), not as an INFORM. */
  readonly proposal: boolean;
  committed: boolean;
  persisted: boolean;
}

/** What a learner whose tree parted from its leader's before the current sync waits for. */
const NEEDS_SNAP = "not serving until a SNAP replaces the tree (restarted with an empty dataDir, the member takes the leader's whole history instead)";

/** Why a learner whose tree parted from its leader's ends its role. */
function divergedReason(zxid: bigint, outcome: string): string {
  return `our tree parted from the leader's at txn ${hexZxid(zxid)} (its digest differs from the one the leader logged): ` +
    `the leader's history skips txns we lack (ZooKeeper 3.9.3's ZOOKEEPER-4925) or our data is damaged; ${outcome}`;
}

/**
 * ZAB's learner (ZooKeeper's Learner, Follower and Observer) as a state machine. It registers with
 * the leader, accepts the new epoch, takes the leader's history (DIFF, TRUNC or SNAP), and then
 * logs proposals, ACKs them once durable, and applies them once both committed and durable.
 *
 * The order of persistence is what keeps acknowledged writes safe (the ZooKeeper bugs named
 * below are the ones this order rules out):
 * - ACKEPOCH only after acceptedEpoch is durable;
 * - every txn received during the sync is logged, in order, after the TRUNC or the SNAP base, and
 *   the NEWLEADER ACK goes out only after all of it and then currentEpoch are durable
 *   (ZOOKEEPER-3911, -4646, -4685: a NEWLEADER ACK for txns not yet on disk; -4643, -4785:
 *   currentEpoch updated before the txns it vouches for);
 * - proposals are ACKed one by one once durable, and never before the NEWLEADER ACK (a ZooKeeper
 *   leader takes the first ACK after NEWLEADER as the NEWLEADER ACK);
 * - nothing is applied before it is both committed and durable here.
 */
export class LearnerZab {
  readonly #options: LearnerOptions;
  readonly #effects = new Effects<LearnerEffect>();
  #phase: LearnerPhase = LearnerPhase.connecting;
  #acceptedEpoch: bigint;
  #currentEpoch: bigint;
  readonly #lastLoggedAtStart: bigint;
  #newEpoch = -1n;
  #lastQueued: bigint;
  /** Persist effects issued and not yet reported done, oldest first. */
  readonly #persisting: { kind: PersistKind; value: bigint }[] = [];
  /** Proposals logged or being logged, not yet applied, in zxid order. */
  readonly #pending: PendingTxn[] = [];
  /**
   * Proposals made durable before the NEWLEADER ACK could go out, to ACK right after it: one that
   * also committed meanwhile is already applied and gone from #pending, yet the leader still
   * waits for its ACK and drops a learner that leaves a proposal unacked past syncLimit.
   */
  #durableUnacked: bigint[] = [];
  #lastHeardMs: number;
  #startedMs: number;
  #failedAttempts = 0;
  /** The zxid of the leader's SNAP in this sync, if it sent one. */
  #snapZxid: bigint | null = null;
  /** The zxid this sync builds on: our last logged one, or the TRUNC's or the SNAP's. */
  #syncBase: bigint;
  /** Where our tree parted from the leader's (its digest), if it did and no SNAP replaced it since. */
  #divergedAt: bigint | null;
  /** NEWLEADER's epoch is being (or was) written as currentEpoch. */
  #epochIssued = false;

  constructor(options: LearnerOptions, start: LearnerStart) {
    this.#options = options;
    this.#acceptedEpoch = start.acceptedEpoch;
    this.#currentEpoch = start.currentEpoch;
    this.#lastLoggedAtStart = start.lastLoggedZxid;
    this.#lastQueued = start.lastLoggedZxid;
    this.#syncBase = start.lastLoggedZxid;
    this.#divergedAt = start.divergedAt ?? null;
    this.#lastHeardMs = start.nowMs;
    this.#startedMs = start.nowMs;
  }

  get phase(): LearnerPhase {
    return this.#phase;
  }

  /** The epoch of the leader being followed (-1 before LEADERINFO). */
  get epoch(): bigint {
    return this.#newEpoch;
  }

  get acceptedEpoch(): bigint {
    return this.#acceptedEpoch;
  }

  get currentEpoch(): bigint {
    return this.#currentEpoch;
  }

  /** Effects to execute, in order. */
  drain(): LearnerEffect[] {
    return this.#effects.drain();
  }

  /** The connection to the leader is up: introduce ourselves (registerWithLeader). */
  connected(nowMs: number): void {
    if (this.#phase !== LearnerPhase.connecting) return;
    this.#lastHeardMs = nowMs;
    this.#phase = LearnerPhase.leaderInfo;
    this.#send(learnerInfoPacket({
      serverId: BigInt(this.#options.myId),
      protocolVersion: ZAB_PROTOCOL_VERSION,
      configVersion: this.#options.configVersion,
      acceptedEpoch: this.#acceptedEpoch,
      observer: this.#options.observer,
    }));
  }

  /**
   * A packet from the leader. A SNAP is delivered after the runtime has read the snapshot that
   * follows it on the wire into the database.
   */
  receive(p: QuorumPacket, nowMs: number): void {
    if (this.#phase === LearnerPhase.stopped) return;
    this.#lastHeardMs = nowMs;
    switch (this.#phase) {
      case LearnerPhase.leaderInfo:
        return this.#onLeaderInfo(p);
      case LearnerPhase.syncStart:
        return this.#onSyncStart(p);
      case LearnerPhase.syncing:
      case LearnerPhase.newLeader:
      case LearnerPhase.upToDate:
      case LearnerPhase.broadcast:
        return this.#onStream(p);
      default:
        return this.stop(`unexpected ${p.type} while ${this.#phase}`);
    }
  }

  #onLeaderInfo(p: QuorumPacket): void {
    if (p.type !== PacketType.LEADERINFO) return this.stop(`first packet ${p.type} is not LEADERINFO (a leader before ZAB 1.0?)`);
    const newEpoch = epochOf(p.zxid);
    this.#newEpoch = newEpoch;
    if (newEpoch > this.#acceptedEpoch) {
      this.#phase = LearnerPhase.acceptingEpoch;
      this.#persist("acceptedEpoch", newEpoch);
      this.#effects.push({ kind: "acceptedEpoch", epoch: newEpoch });
      return;
    }
    if (newEpoch === this.#acceptedEpoch) {
      // Already acked this epoch to someone: report our zxid, but do not count as an epoch ack.
      this.#ackEpoch(-1);
      return;
    }
    this.stop(`Leaders epoch, ${newEpoch} is less than accepted epoch, ${this.#acceptedEpoch}`);
  }

  #ackEpoch(epoch: number): void {
    this.#phase = LearnerPhase.syncStart;
    this.#send(ackEpochPacket(epoch, this.#lastLoggedAtStart));
  }

  #onSyncStart(p: QuorumPacket): void {
    this.#phase = LearnerPhase.syncing;
    switch (p.type) {
      case PacketType.DIFF:
        this.#log(`Getting a diff from the leader ${hexZxid(p.zxid)}`);
        return;
      case PacketType.TRUNC:
        this.#log(`Truncating log to get in sync with the leader ${hexZxid(p.zxid)}`);
        this.#lastQueued = p.zxid;
        this.#syncBase = p.zxid;
        // The reload rebuilds the tree from the log that is left; the runtime reports again if it still diverges.
        this.#divergedAt = null;
        this.#persist("truncate", p.zxid);
        this.#effects.push({ kind: "truncate", zxid: p.zxid });
        return;
      case PacketType.SNAP:
        this.#log(`Getting a snapshot from leader ${hexZxid(p.zxid)}`);
        this.#lastQueued = p.zxid;
        this.#snapZxid = p.zxid;
        this.#syncBase = p.zxid;
        this.#divergedAt = null;
        this.#persist("installSnapshot", p.zxid);
        this.#effects.push({ kind: "installSnapshot", zxid: p.zxid });
        return;
      default:
        this.stop(`Got unexpected packet from leader: ${p.type}, expected DIFF, TRUNC or SNAP`);
    }
  }

  /** Everything after the sync opened: history, NEWLEADER, UPTODATE, then broadcast traffic. */
  #onStream(p: QuorumPacket): void {
    if (this.#inSnapshot(p)) return;
    switch (p.type) {
      case PacketType.PROPOSAL:
        return this.#onProposal(p, false);
      case PacketType.COMMIT:
        return this.#onCommit(p.zxid);
      case PacketType.INFORM:
        return this.#onProposal(p, true);
      case PacketType.NEWLEADER:
        return this.#onNewLeader(p);
      case PacketType.UPTODATE:
        return this.#onUpToDate();
      case PacketType.PING:
        // Answered only once synced: a ZooKeeper leader takes the first packet after NEWLEADER
        // to be its ACK, and drops a learner that answers a PING first (as ZooKeeper's learners
        // ignore PINGs until UPTODATE).
        if (this.#phase === LearnerPhase.broadcast) this.#effects.push({ kind: "leaderPacket", packet: p });
        return;
      case PacketType.SYNC:
      case PacketType.REVALIDATE:
        this.#effects.push({ kind: "leaderPacket", packet: p });
        return;
      case PacketType.COMMITANDACTIVATE:
      case PacketType.INFORMANDACTIVATE:
        return this.stop("reconfiguration is not supported (reconfigEnabled=false)");
      default:
        this.#log(`Unknown packet type: ${p.type}`);
    }
  }

  /**
   * A ZooKeeper leader queues the txns it has not applied yet for a learner it syncs by SNAP
   * (Leader.startForwarding from its tree's last zxid), then reads the zxid the SNAP carries,
   * later: the proposals and commits up to that zxid that follow a SNAP are in the snapshot
   * already. ZooKeeper's learner logs "Got zxid ... expected ..." and applies them again; they
   * are dropped here (our log starts after the snapshot).
   */
  #inSnapshot(p: QuorumPacket): boolean {
    const replayed = p.type === PacketType.PROPOSAL || p.type === PacketType.INFORM || p.type === PacketType.COMMIT;
    return replayed && this.#snapZxid !== null && p.zxid <= this.#snapZxid;
  }

  #onProposal(p: QuorumPacket, committed: boolean): void {
    if (p.data === null) return this.stop(`${committed ? "INFORM" : "PROPOSAL"} ${hexZxid(p.zxid)} without a txn`);
    if (p.zxid <= this.#lastQueued) {
      return this.stop(`proposal ${hexZxid(p.zxid)} does not follow ${hexZxid(this.#lastQueued)}: our log and the leader's diverge`);
    }
    this.#lastQueued = p.zxid;
    this.#pending.push({ zxid: p.zxid, bytes: p.data, proposal: !committed, committed, persisted: false });
    this.#persist("append", p.zxid);
    this.#effects.push({ kind: "append", zxid: p.zxid, bytes: p.data });
  }

  #onCommit(zxid: bigint): void {
    const txn = this.#pending.find((t) => !t.committed);
    if (txn === undefined || txn.zxid !== zxid) {
      // FollowerZooKeeperServer.commit exits here: a commit out of order means lost history.
      return this.stop(`Committing ${hexZxid(zxid)}, but next pending txn is ${txn === undefined ? "none" : hexZxid(txn.zxid)}`);
    }
    txn.committed = true;
    this.#applyReady();
  }

  #onNewLeader(p: QuorumPacket): void {
    if (this.#phase !== LearnerPhase.syncing) return this.stop("NEWLEADER twice");
    if (p.zxid !== makeZxid(this.#newEpoch, 0n)) return this.stop(`NEWLEADER ${hexZxid(p.zxid)} for another epoch than ${this.#newEpoch}`);
    if (this.#divergedAt !== null) return this.stop(divergedReason(this.#divergedAt, NEEDS_SNAP));
    this.#phase = LearnerPhase.newLeader;
    // Queued behind every txn of the sync: once it is durable, all of them are (ZOOKEEPER-4643/-4785).
    this.#epochIssued = true;
    this.#persist("currentEpoch", this.#newEpoch);
    this.#effects.push({ kind: "currentEpoch", epoch: this.#newEpoch });
  }

  #onUpToDate(): void {
    if (this.#phase !== LearnerPhase.upToDate) return this.stop(`UPTODATE while ${this.#phase}`);
    this.#phase = LearnerPhase.broadcast;
    this.#send(bareQuorumPacket(PacketType.ACK, makeZxid(this.#newEpoch, 0n)));
    this.#effects.push({ kind: "established", epoch: this.#newEpoch });
  }

  /** The oldest outstanding persist effect is durable (the runtime reports them in order). */
  persisted(): void {
    const done = this.#persisting.shift();
    if (done === undefined) throw new Error("learner: persisted() with nothing persisting");
    // Even after the role ended: the txn is in the log, so fast-forwarding must apply it.
    if (done.kind === "append") this.#markPersisted(done.value);
    if (this.#phase === LearnerPhase.stopped) return;
    switch (done.kind) {
      case "acceptedEpoch":
        this.#acceptedEpoch = done.value;
        this.#ackEpoch(Number(this.#currentEpoch));
        return;
      case "currentEpoch":
        this.#currentEpoch = done.value;
        this.#newLeaderDurable();
        return;
      case "append":
        return this.#appended(done.value);
      default:
        return;
    }
  }

  #newLeaderDurable(): void {
    this.#phase = LearnerPhase.upToDate;
    this.#send(bareQuorumPacket(PacketType.ACK, makeZxid(this.#newEpoch, 0n)));
    // Proposals received so far and now durable are acked after it, committed (even applied)
    // or not: a ZooKeeper leader times out a learner that leaves any proposal unacked
    // (SyncLimitCheck), and both kinds of leader ignore an ACK for what they already committed.
    if (!this.#options.observer) {
      for (const zxid of this.#durableUnacked) this.#send(bareQuorumPacket(PacketType.ACK, zxid));
    }
    this.#durableUnacked = [];
  }

  #markPersisted(zxid: bigint): void {
    const txn = this.#pending.find((t) => t.zxid === zxid);
    if (txn !== undefined) txn.persisted = true;
  }

  #appended(zxid: bigint): void {
    const txn = this.#pending.find((t) => t.zxid === zxid);
    if (txn === undefined) return;
    const acking = this.#phase === LearnerPhase.upToDate || this.#phase === LearnerPhase.broadcast;
    if (acking && !this.#options.observer && txn.proposal) this.#send(bareQuorumPacket(PacketType.ACK, zxid));
    else if (txn.proposal) this.#durableUnacked.push(zxid);
    this.#applyReady();
  }

  /** Applies, in order, the txns that are both committed and durable. */
  #applyReady(): void {
    while (this.#pending.length > 0 && this.#pending[0]!.committed && this.#pending[0]!.persisted) {
      const txn = this.#pending.shift()!;
      this.#effects.push({ kind: "apply", zxid: txn.zxid, bytes: txn.bytes });
    }
  }

  /**
   * The database's tree no longer matches the leader's: after applying `zxid` its digest differs
   * from the one the leader logged beside that txn, while after `agreed` it matched. ZooKeeper
   * 3.9.3 only counts the mismatch and serves on; a leader hit by ZOOKEEPER-4925 (its committed
   * log has a hole where it took a DIFF itself) sends a DIFF that skips txns, and the learner
   * would serve a tree without them for good. So:
   * - during the sync, before NEWLEADER came (nothing of this sync was acked, no epoch recorded),
   *   the log goes back to `agreed` and the role ends: the next sync asks from there, where a
   *   sound leader sends what was skipped;
   * - after NEWLEADER (its epoch is being recorded, and currentEpoch never goes back), the role
   *   ends without a NEWLEADER ACK and the learner waits for a SNAP as below;
   * - when the tree had diverged before this sync (a hole older than it), the role ends and the
   *   learner acks no NEWLEADER until a SNAP replaces the tree;
   * - once synced, the role ends: no more reads served from a tree known to be wrong.
   */
  diverged(zxid: bigint, agreed: bigint): void {
    if (this.#phase === LearnerPhase.stopped) return;
    this.#divergedAt ??= zxid;
    const acked = this.#phase === LearnerPhase.upToDate || this.#phase === LearnerPhase.broadcast;
    const syncing = this.#phase === LearnerPhase.syncing || this.#phase === LearnerPhase.newLeader;
    if (syncing && agreed >= this.#syncBase && !this.#epochIssued) {
      this.#pending.length = 0;
      this.#durableUnacked = [];
      this.#persist("truncate", agreed);
      this.#effects.push({ kind: "truncate", zxid: agreed });
      return this.stop(divergedReason(zxid, `the txns of this sync after ${hexZxid(agreed)} are dropped to ask for them again`));
    }
    if (syncing || acked) return this.stop(divergedReason(zxid, NEEDS_SNAP));
  }

  /** Sends a packet to the leader (PING answers, forwarded requests, REVALIDATE). */
  send(p: QuorumPacket): void {
    if (this.#phase !== LearnerPhase.stopped) this.#send(p);
  }

  #send(p: QuorumPacket): void {
    this.#effects.push({ kind: "send", link: 0, packet: p });
  }

  /** Records a persist effect (a zxid, or an epoch for the epoch files) to match its completion. */
  #persist(kind: PersistKind, value: bigint): void {
    this.#persisting.push({ kind, value });
  }

  /** Time passes: a silent leader (initLimit while syncing, syncLimit after) ends the role. */
  tick(nowMs: number): void {
    if (this.#phase === LearnerPhase.stopped) return;
    const syncing = this.#phase !== LearnerPhase.broadcast;
    const limitMs = (syncing ? this.#options.initLimit : this.#options.syncLimit) * this.#options.tickMs;
    const since = this.#phase === LearnerPhase.connecting ? this.#startedMs : this.#lastHeardMs;
    if (nowMs - since > limitMs) {
      this.stop(this.#phase === LearnerPhase.connecting
        ? `could not connect to the leader in ${limitMs} ms`
        : `no packet from the leader for ${Math.round(nowMs - since)} ms`);
    }
  }

  /**
   * The connection to the leader is gone. Before the leader answered our info it may simply not
   * lead yet (it decides a little after its followers do; ZooKeeper's leader is not even
   * listening then): connect again, within initLimit. Later it ends the role.
   */
  linkLost(reason: string): void {
    if (this.#phase === LearnerPhase.leaderInfo) {
      this.#phase = LearnerPhase.connecting;
      this.#attemptFailed(`connection closed before LEADERINFO: ${reason}`);
      return;
    }
    this.stop(`connection to the leader closed: ${reason}`);
  }

  /** The runtime could not connect to the leader (refused, timed out): it tries again unless this was the last try. */
  connectFailed(reason: string): void {
    if (this.#phase !== LearnerPhase.connecting) return;
    this.#attemptFailed(reason);
  }

  #attemptFailed(reason: string): void {
    this.#failedAttempts++;
    if (this.#failedAttempts >= CONNECT_ATTEMPTS_MAX) this.stop(`could not connect to the leader in ${this.#failedAttempts} attempts: ${reason}`);
  }

  /** The connection to the leader is gone, or the peer shuts down: back to LOOKING. */
  stop(reason: string): void {
    if (this.#phase === LearnerPhase.stopped) return;
    this.#phase = LearnerPhase.stopped;
    this.#effects.push({ kind: "lost", reason });
  }

  /** The zxids received but not yet applied (committed or not): fast-forwarded when the role ends. */
  unapplied(): readonly { zxid: bigint; bytes: Uint8Array; persisted: boolean }[] {
    return this.#pending;
  }

  #log(line: string): void {
    this.#effects.push({ kind: "log", line });
  }
}
