import type { Clock } from "../io/clock.ts";
import { LogLevel, type LogSink } from "../log_level.ts";
import type { ServerConfig } from "../server/server_config.ts";
import { ZkDatabase } from "../server/zk_database.ts";
import { ZkServer, type ZkServerOptions } from "../server/zk_server.ts";
import { DEFAULT_ELECTION_TIMING, type ElectionTiming, FastLeaderElection } from "../zab/election.ts";
import { ServerState, serverStateName } from "../zab/vote.ts";
import { hexZxid } from "../proto/zxid.ts";
import type { LeaderStats, QuorumCounters, QuorumFacts } from "../server/quorum_facts.ts";
import { LeaderPhase } from "../zab/leader.ts";
import { SyncMode } from "../zab/sync_plan.ts";
import { LearnerPhase } from "../zab/learner.ts";
import { votersOf } from "../zab/quorum_config.ts";
import type { HistoryLimits } from "../zab/history.ts";
import { EarlyLearners } from "./early_learners.ts";
import { LeaderRole } from "./leader_role.ts";
import { LearnerRole } from "./learner_role.ts";
import { ReadOnlyRole } from "./read_only_role.ts";
import type { Epochs, MemberStore } from "./member_store.ts";
import type { PeerTransport } from "./quorum_transport.ts";
import type { RoleSettings } from "./role_settings.ts";

/**
 * ZooKeeper's leaderConnectDelayDuringRetryMs: a learner usually decides before its leader has
 * bound the quorum port, and the first refusal is retried this soon.
 */
export const CONNECT_RETRY_MS = 100;

/** ZooKeeper waits at least this long (or a tick) of looking before it serves read-only. */
const READ_ONLY_GRACE_MS = 2_000;

/** Everything an ensemble member is made of. */
export interface QuorumPeerOptions {
  readonly config: ServerConfig;
  readonly settings: RoleSettings;
  readonly clock: Clock;
  readonly transport: PeerTransport;
  /** Opens the member's store (again after a TRUNC, which reloads the database from it). */
  readonly openStore: () => MemberStore;
  readonly log: LogSink;
  readonly electionTiming?: ElectionTiming;
  /** The committed history kept for DIFF (default DEFAULT_HISTORY_LIMITS). */
  readonly historyLimits?: HistoryLimits;
  /**
   * readonlymode.enabled: while looking for a leader longer than max(2 s, tickTime), serve
   * read-only clients from the last state (ZooKeeper's ReadOnlyZooKeeperServer).
   */
  readonly readOnlyMode?: boolean;
  /** How often to retry connecting to the leader while following (default {@link CONNECT_RETRY_MS}). */
  readonly connectRetryMs?: number;
  readonly server?: Pick<ZkServerOptions, "host" | "yieldToIo" | "onFatal" | "snapshotEncoder">;
}

/** What `srvr`, `mntr` and the AdminServer report about the member's place in the ensemble. */
export interface PeerStatus {
  readonly state: ServerState;
  readonly leaderId: number | null;
  readonly epoch: bigint;
  readonly electionTimeMs: number | null;
  readonly role: LeaderRole | LearnerRole | null;
}

/**
 * One ensemble member (ZooKeeper's QuorumPeer): it looks for a leader by fast leader election,
 * then leads or learns until that ends, then looks again. The database and the store outlive
 * roles; the client-facing server serves only while a role is established. Sans-I/O: the
 * transport, the store, the clock and the ticks come from outside, so the deterministic
 * simulator runs the same code as a real process.
 */
export class QuorumPeer {
  readonly server: ZkServer;
  readonly db: ZkDatabase;
  readonly election: FastLeaderElection;
  readonly #options: QuorumPeerOptions;
  #store: MemberStore;
  #epochs: Epochs = { currentEpoch: 0n, acceptedEpoch: 0n };
  #role: LeaderRole | LearnerRole | null = null;
  #leaderId: number | null = null;
  #lookingSinceMs: number | null = null;
  #electionTimeMs: number | null = null;
  #nextConnectMs = 0;
  #connecting = false;
  #transitioning = false;
  #readOnly: ReadOnlyRole | null = null;
  #started = false;
  #stopped = false;
  /** Learners that dialed this member while it was still electing. */
  readonly #earlyLearners: EarlyLearners;
  /** Counts of leader roles that ended, and of elections. */
  readonly #counted = { diff: 0, trunc: 0, snap: 0, elections: 0, electionSumMs: 0, electionMaxMs: 0, electionMinMs: 0 };

  constructor(options: QuorumPeerOptions) {
    this.#options = options;
    const { config, clock, settings } = options;
    this.#store = options.openStore();
    this.db = new ZkDatabase({ tickMs: config.tickTime, serverId: settings.myId, extendedTypesEnabled: config.extendedTypesEnabled, wallMs: clock.wallMs(), log: options.log, historyLimits: options.historyLimits });
    this.db.setConfig(settings.configText, settings.quorum.version, clock.wallMs());
    this.server = new ZkServer({ config, db: this.db, store: this.#store, clock, log: options.log, ...options.server });
    this.election = new FastLeaderElection({
      myId: settings.myId,
      config: settings.quorum,
      configText: settings.configText,
      timing: options.electionTiming ?? DEFAULT_ELECTION_TIMING,
    });
    this.server.quorum = this.#facts();
    options.transport.onNotification((from, n) => {
      // Before start() has read the log and the epochs there is no vote to compare with: what
      // arrives now is dropped (peers resend, and answer the notifications start() sends).
      if (this.#stopped || !this.#started) return;
      this.election.receive(from, n, clock.monoMs());
      this.#runElection();
    });
    // Every other member may dial at once, twice over while an old connection closes.
    this.#earlyLearners = new EarlyLearners(2 * settings.quorum.servers.size);
    options.transport.onLearner((link) => {
      const role = this.#role;
      if (this.#stopped) link.close();
      else if (role instanceof LeaderRole && !this.#transitioning) role.acceptLearner(link);
      // Electing (or about to): it may be for us; see EarlyLearners.
      else if (role === null || this.#transitioning) this.#earlyLearners.hold(link, clock.monoMs());
      else link.close();
    });
  }

  /** Loads the database and the epochs, then starts looking for a leader. */
  async start(): Promise<void> {
    this.server.metrics.started(await this.db.recover(this.#store, this.#options.clock, this.#options.log));
    this.#epochs = await this.#store.readEpochs();
    this.#log(`myid ${this.#options.settings.myId}: last zxid ${hexZxid(this.#store.lastLoggedZxid())}, ` +
      `currentEpoch ${this.#epochs.currentEpoch}, acceptedEpoch ${this.#epochs.acceptedEpoch}`);
    this.#started = true;
    this.#lookForLeader();
  }

  get status(): PeerStatus {
    return {
      state: this.election.state,
      leaderId: this.#leaderId,
      epoch: this.#epochs.currentEpoch,
      electionTimeMs: this.#electionTimeMs,
      role: this.#role,
    };
  }

  /** ZabState as ZooKeeper names it, from the election and the role's machine. */
  #zabState(): "election" | "discovery" | "synchronization" | "broadcast" {
    const role = this.#role;
    if (role === null || this.election.state === ServerState.looking) return "election";
    if (role instanceof LeaderRole) {
      if (role.zab.phase === LeaderPhase.broadcast) return "broadcast";
      return role.zab.phase === LeaderPhase.synchronization ? "synchronization" : "discovery";
    }
    switch (role.zab.phase) {
      case LearnerPhase.broadcast:
        return "broadcast";
      case LearnerPhase.syncing:
      case LearnerPhase.newLeader:
      case LearnerPhase.upToDate:
        return "synchronization";
      default:
        return "discovery";
    }
  }

  #facts(): QuorumFacts {
    return {
      myId: this.#options.settings.myId,
      quorumSize: votersOf(this.#options.settings.quorum).length,
      peerState: () => {
        const state = serverStateName(this.election.state).toLowerCase();
        return this.election.state === ServerState.looking ? state : `${state} - ${this.#zabState()}`;
      },
      zabState: () => this.#zabState(),
      leaderId: () => this.#leaderId,
      electionTimeMs: () => this.#electionTimeMs,
      leaderStats: () => this.#leaderStats(),
      counters: () => this.#counters(),
    };
  }

  #counters(): QuorumCounters {
    const c = this.#counted;
    const live = this.#role instanceof LeaderRole && !this.#transitioning ? this.#role.zab.syncCounts : undefined;
    return {
      diffSyncs: c.diff + (live?.[SyncMode.diff] ?? 0),
      truncSyncs: c.trunc + (live?.[SyncMode.trunc] ?? 0),
      snapSyncs: c.snap + (live?.[SyncMode.snap] ?? 0),
      elections: c.elections,
      electionTimeSumMs: c.electionSumMs,
      electionTimeMaxMs: c.electionMaxMs,
      electionTimeMinMs: c.electionMinMs,
    };
  }

  #leaderStats(): LeaderStats | null {
    const role = this.#role;
    if (!(role instanceof LeaderRole)) return null;
    const learners = role.zab.learners();
    const sizes = role.zab.proposalSizes;
    return {
      learners: learners.length,
      syncedFollowers: learners.filter((l) => l.participant && l.synced).length,
      syncedNonVotingFollowers: 0,
      syncedObservers: learners.filter((l) => !l.participant && l.synced).length,
      pendingSyncs: role.zab.pendingSyncs,
      uptimeMs: role.zab.uptimeMs(this.#options.clock.monoMs()),
      lastProposalSize: sizes.last,
      minProposalSize: sizes.min,
      maxProposalSize: sizes.max,
    };
  }

  get settings(): RoleSettings {
    return this.#options.settings;
  }

  get store(): MemberStore {
    return this.#store;
  }

  #log(line: string, level: LogLevel = LogLevel.info): void {
    this.#options.log(line, level);
  }

  #lookForLeader(): void {
    if (this.#stopped) return;
    this.#leaderId = null;
    this.#lookingSinceMs = this.#options.clock.monoMs();
    this.#log(`LOOKING: new election, proposed zxid ${hexZxid(this.#store.lastLoggedZxid())}`);
    this.election.lookForLeader({
      lastLoggedZxid: this.#store.lastLoggedZxid(),
      currentEpoch: this.#epochs.currentEpoch,
      nowMs: this.#options.clock.monoMs(),
    });
    this.#runElection();
  }

  #runElection(): void {
    const ready = this.election.ready();
    for (const { to, notification } of ready.send) this.#options.transport.sendNotification(to, notification);
    if (ready.decided === null || this.#role !== null) return;
    const nowMs = this.#options.clock.monoMs();
    this.#electionTimeMs = this.#lookingSinceMs === null ? null : Math.round(nowMs - this.#lookingSinceMs);
    if (this.#electionTimeMs !== null) {
      const c = this.#counted;
      c.electionMinMs = c.elections === 0 ? this.#electionTimeMs : Math.min(c.electionMinMs, this.#electionTimeMs);
      c.electionMaxMs = Math.max(c.electionMaxMs, this.#electionTimeMs);
      c.elections++;
      c.electionSumMs += this.#electionTimeMs;
    }
    this.#leaderId = ready.decided.vote.leader;
    this.#stopReadOnly("an election decided");
    this.#log(`${serverStateName(ready.decided.state)} - LEADER ELECTION TOOK - ${this.#electionTimeMs} MS (leader ${this.#leaderId}, ` +
      `round ${ready.decided.vote.electionEpoch})`);
    if (ready.decided.state === ServerState.leading) this.#lead();
    else this.#learn(ready.decided.state === ServerState.observing);
  }

  #lead(): void {
    const role = new LeaderRole({
      host: this.server,
      store: this.#store,
      settings: this.#options.settings,
      epochs: this.#epochs,
      events: this.#roleEvents(),
    });
    this.#role = role;
    this.#earlyLearners.handOver((link) => role.acceptLearner(link));
  }

  #learn(observer: boolean): void {
    this.#earlyLearners.closeAll();
    const role = new LearnerRole({
      host: this.server,
      storage: { store: () => this.#store, truncateAndReload: (zxid) => this.#truncateAndReload(zxid) },
      settings: this.#options.settings,
      observer,
      epochs: this.#epochs,
      events: this.#roleEvents(),
    });
    this.#role = role;
    this.#nextConnectMs = 0;
    this.#connectToLeader(role);
  }

  #connectToLeader(role: LearnerRole): void {
    const leader = this.#options.settings.quorum.servers.get(this.#leaderId ?? -1);
    if (leader === undefined || this.#connecting || role !== this.#role) return;
    this.#connecting = true;
    // Attempts are spaced, whether the last one was refused or closed before LEADERINFO.
    this.#nextConnectMs = this.#options.clock.monoMs() + (this.#options.connectRetryMs ?? CONNECT_RETRY_MS);
    this.#options.transport.connectToLeader(leader).then((link) => {
      this.#connecting = false;
      if (role !== this.#role) link.close();
      else role.attach(link);
    }, (error: unknown) => {
      this.#connecting = false;
      this.#log(`cannot connect to leader ${leader.sid} at ${leader.host}:${leader.quorumPort}: ${(error as Error).message}`, LogLevel.warn);
      this.#nextConnectMs = this.#options.clock.monoMs() + (this.#options.connectRetryMs ?? CONNECT_RETRY_MS);
      if (role === this.#role) role.connectFailed((error as Error).message);
    });
  }

  #roleEvents() {
    return {
      established: (epoch: bigint) => {
        const role = this.#role;
        if (role === null) return;
        this.#epochs = { currentEpoch: epoch, acceptedEpoch: epoch > this.#epochs.acceptedEpoch ? epoch : this.#epochs.acceptedEpoch };
        this.election.updatePeerEpoch(epoch);
        this.#log(`${role.name} of epoch ${epoch} serving at zxid ${hexZxid(this.db.lastProcessedZxid)}`);
        this.server.setRole(role);
      },
      lost: (reason: string) => {
        this.#endRole(reason);
      },
    };
  }

  /** The role is over: stop serving, let its writes land, take the whole log in, elect again. */
  #endRole(reason: string): void {
    const role = this.#role;
    if (role === null || this.#transitioning) return;
    this.#transitioning = true;
    this.#log(`${role.name} role ended: ${reason}`, LogLevel.warn);
    this.server.setRole(null);
    role.stop(reason);
    if (role instanceof LeaderRole) {
      this.#counted.diff += role.zab.syncCounts[SyncMode.diff];
      this.#counted.trunc += role.zab.syncCounts[SyncMode.trunc];
      this.#counted.snap += role.zab.syncCounts[SyncMode.snap];
    }
    role.settled().then(async () => {
      role.fastForward();
      this.#epochs = await this.#store.readEpochs();
    }).catch((error: unknown) => {
      this.#log(`after the ${role.name} role ended: ${(error as Error).message}`, LogLevel.warn);
    }).finally(() => {
      this.#role = null;
      this.#transitioning = false;
      // A member that cannot persist takes no further part (ZooKeeper halts the process).
      if (this.server.failed) this.#log("storage failed: this member stops taking part in the ensemble", LogLevel.error);
      else this.#lookForLeader();
    });
  }

  /** TRUNC: the log loses its tail; the database is rebuilt from what the store holds then. */
  async #truncateAndReload(zxid: bigint): Promise<void> {
    await this.#store.truncateAfter(zxid);
    await this.#store.close();
    this.#store = this.#options.openStore();
    this.server.replaceStore(this.#store);
    await this.db.recover(this.#store, this.#options.clock, this.#options.log);
    this.#epochs = await this.#store.readEpochs();
  }

  /** Called often (every tickTime/10 or so): election resends, role timeouts, pings, expiry. */
  tick(): void {
    if (this.#stopped) return;
    const nowMs = this.#options.clock.monoMs();
    // A learner waits initLimit ticks for LEADERINFO (its socket's read timeout), no longer.
    this.#earlyLearners.expire(nowMs, this.#options.settings.initLimit * this.#options.config.tickTime);
    this.election.tick(nowMs);
    this.#runElection();
    const role = this.#role;
    if (role === null) this.#maybeServeReadOnly(nowMs);
    if (role === null || this.#transitioning) return;
    role.tick(nowMs);
    if (role instanceof LearnerRole && role.zab.phase === "connecting" && nowMs >= this.#nextConnectMs) this.#connectToLeader(role);
  }

  /** ZooKeeper's roZkMgr: after a grace period of looking, a read-only server until a leader is found. */
  #maybeServeReadOnly(nowMs: number): void {
    if (this.#options.readOnlyMode !== true || this.#transitioning || this.server.failed) return;
    if (this.election.state !== ServerState.looking || this.#lookingSinceMs === null) return;
    if (this.#readOnly !== null) {
      this.#readOnly.tick(nowMs);
      return;
    }
    if (nowMs - this.#lookingSinceMs < Math.max(READ_ONLY_GRACE_MS, this.#options.config.tickTime)) return;
    this.#readOnly = new ReadOnlyRole(this.server, (sessionId) => this.server.dropSession(sessionId));
    this.server.setRole(this.#readOnly);
    this.#log(`Read-only server started at zxid ${hexZxid(this.db.lastProcessedZxid)}`);
  }

  #stopReadOnly(why: string): void {
    if (this.#readOnly === null) return;
    this.#readOnly = null;
    this.server.setRole(null);
    this.#log(`Read-only server stopped: ${why}`);
  }

  /** Stops everything: clients, the role, the transport, the store. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#earlyLearners.closeAll();
    this.server.setRole(null);
    const role = this.#role;
    if (role !== null) {
      role.stop("shutting down");
      await role.settled();
    }
    await this.server.stop();
    await this.#options.transport.close();
    await this.#store.close();
  }
}
