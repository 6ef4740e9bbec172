import { OpCode } from "../../core/proto/op_code.ts";
import { QuorumPeer } from "../../core/quorum/quorum_peer.ts";
import type { RoleSettings } from "../../core/quorum/role_settings.ts";
import { defaultServerConfig, type ServerConfig } from "../../core/server/server_config.ts";
import { StorageError } from "../../core/storage/storage_error.ts";
import { ServerState } from "../../core/zab/vote.ts";
import { LeaderRole } from "../../core/quorum/leader_role.ts";
import { epochOf } from "../../core/proto/zxid.ts";
import type { Scheduler } from "./scheduler.ts";
import { SimClock } from "./sim_clock.ts";
import { DEFAULT_ELECTION_TIMING, type ElectionTiming } from "../../core/zab/election.ts";
import type { SimNetwork } from "./sim_network.ts";
import { FileStore } from "../../core/storage/file_store.ts";
import type { SeededRandom } from "../support/seeded_random.ts";
import { FaultyDisk, type SectorFault } from "./faulty_disk.ts";
import { ProcessDisk } from "./process_disk.ts";


/**
 * ZooKeeper's election backoff scaled to the simulation's tickTime (200 ms, a tenth of
 * ZooKeeper's default 2000): a member whose notifications were lost during the safety phase
 * backs off to at most 6 s (zookeeper.fastleader.maxNotificationInterval, 60 s by default), so the
 * liveness phase can judge in its bounded window whether the ensemble converges. With 60 s an
 * observer whose notifications kept being dropped slept through the whole window (seed 138 at 5+1).
 */
const SIM_ELECTION_TIMING: ElectionTiming = { ...DEFAULT_ELECTION_TIMING, maxNotificationIntervalMs: 6_000 };
/** What happened to members over a run (checked and reported). */
export interface MemberEvent {
  readonly atMs: number;
  readonly sid: number;
  readonly line: string;
}

/** A start or a run of the member's process that ended in a store failure, and whether it was expected. */
export interface StoreFailure {
  readonly atMs: number;
  readonly kind: "start" | "halt";
  readonly error: string;
  /** Why the failure was expected ("disk full", "corrupt disk"), or null when nothing explains it. */
  readonly cause: "disk full" | "corrupt disk" | null;
}

/** The tree's digest right after a member applied (or recovered to) a zxid. */
export interface DigestPoint {
  readonly zxid: bigint;
  readonly digest: bigint;
  readonly atMs: number;
  readonly how: "applied" | "recovered";
}

const DATA_DIR = "/data";
const RESTART_AFTER_MS = 500;

/**
 * One simulated member: a machine whose disk survives crashes and whose processes come and go.
 * Each start builds a fresh QuorumPeer on the same durable state, a fresh transport and a clock
 * with the member's drift; ticks arrive every `tickEveryMs` of virtual time while it is up.
 *
 * A supervisor restarts a process that halted on a store failure (as systemd would), retries a
 * start that failed for want of space, and replaces the disk (an operator's wipe) of a member
 * that refused to start on a disk with a damaged sector; every other failed start is left down
 * for the checkers to report.
 */
export class SimMember {
  readonly sid: number;
  /** The machine's disk: what was synced survives a crash, the rest is lost or torn; it may fill up or rot. */
  readonly disk: FaultyDisk;
  readonly #rng: SeededRandom;
  readonly #scheduler: Scheduler;
  readonly #network: SimNetwork;
  readonly #settings: RoleSettings;
  readonly #config: ServerConfig;
  readonly #driftPpm: number;
  readonly #tickEveryMs: number;
  readonly #onLog: (event: MemberEvent) => void;
  #peer: QuorumPeer | null = null;
  #processDisk: ProcessDisk | null = null;
  #incarnation = 0;
  /**
   * Every txn applied by any incarnation, in order (for the agreement check). `serving`: applied
   * while the member served (a leader's or learner's commit), so certainly committed; otherwise it
   * came from a sync or a fast-forward of its own log when a role ended, which may hold proposals
   * that never committed (ZooKeeper's fastForwardDataBase).
   */
  readonly applied: { zxid: bigint; bytes: Uint8Array | null; incarnation: number; serving: boolean }[] = [];
  /** The tree digest after every txn applied and every recovery, by any incarnation. */
  readonly digests: DigestPoint[] = [];
  /** Virtual time until which the process is stalled (a GC-like pause): no ticks, no progress. */
  pausedUntilMs = 0;
  /** Store failures of this member's processes (starts that threw, halts on a failed write). */
  readonly storeFailures: StoreFailure[] = [];
  /** Sectors damaged on this member's disk, and when. */
  readonly sectorFaults: (SectorFault & { atMs: number })[] = [];
  /** Times an operator replaced the disk (wiped) after the member refused a damaged one. */
  replacements = 0;
  /**
   * Starts on a damaged disk that came back with less than was durable before the damage, and
   * why that was not allowed (only a damaged last record of the newest log segment may be cut,
   * as a torn tail is; a damaged snapshot never lets the state go back).
   */
  readonly wentBack: string[] = [];
  /** The damage not yet read by a successful start: what was durable then, and whether a tail cut may explain a loss. */
  #unreadDamage: { fault: SectorFault; durableZxid: bigint; tailMayBeCut: boolean } | null = null;
  /** closeSession txns after which ephemerals of the session were still in this member's tree. */
  readonly ephemeralsLeftAtClose: string[] = [];
  /**
   * The newest zxid this member's disk has held durably (logged, or covered by a snapshot), as the
   * simulation saw it between steps: a sector fault or a TRUNC may take it back later, but a leader
   * counted on it when it was there.
   */
  maxDurableZxid = 0n;
  /** Called when this member, as leader, applies a txn of its own epoch: it committed that txn. */
  onLeaderCommit: ((zxid: bigint) => void) | null = null;
  /** Digest mismatches counted by incarnations that are gone (the live one adds its own). */
  #pastDigestMismatches = 0;
  /** A sector was damaged since the disk was last replaced: refusing it (or halting on it) is then expected. */
  #damaged = false;

  constructor(options: {
    sid: number;
    scheduler: Scheduler;
    network: SimNetwork;
    settings: RoleSettings;
    config: Partial<ServerConfig>;
    driftPpm: number;
    tickEveryMs: number;
    onLog: (event: MemberEvent) => void;
    rng: SeededRandom;
    /** Virtual ms an fsync takes (drawn per sync). */
    fsyncMs: () => number;
  }) {
    this.sid = options.sid;
    this.#rng = options.rng;
    this.disk = new FaultyDisk({ syncDelay: () => new Promise((resolve) => options.scheduler.after(options.fsyncMs(), resolve)) });
    this.#scheduler = options.scheduler;
    this.#network = options.network;
    this.#settings = options.settings;
    this.#config = defaultServerConfig({ ...options.config, serverId: options.sid, inMemory: true });
    this.#driftPpm = options.driftPpm;
    this.#tickEveryMs = options.tickEveryMs;
    this.#onLog = options.onLog;
  }

  get peer(): QuorumPeer | null {
    return this.#peer;
  }

  /** Raises {@link maxDurableZxid} to what the live process's store has made durable. */
  noteDurable(): void {
    const store = this.#peer?.store;
    if (store === undefined) return;
    let zxid: bigint;
    try {
      zxid = store.lastLoggedZxid();
    } catch {
      return; // not open yet, or closed: nothing new became durable
    }
    if (zxid > this.maxDurableZxid) this.maxDurableZxid = zxid;
  }

  get up(): boolean {
    return this.#peer !== null;
  }

  get state(): ServerState | null {
    return this.#peer?.election.state ?? null;
  }

  /** Digest mismatches every incarnation of this member counted (ZkDatabase.digestMismatches). */
  get digestMismatches(): number {
    return this.#pastDigestMismatches + (this.#peer?.db.digestMismatches ?? 0);
  }

  /** Store failures nothing injected explains (a checker reports them). */
  get unexplainedStoreFailures(): StoreFailure[] {
    return this.storeFailures.filter((f) => f.cause === null);
  }

  #log(line: string): void {
    this.#onLog({ atMs: this.#scheduler.nowMs, sid: this.sid, line });
  }

  /**
   * Starts a process on this member's durable state. Recovery runs on virtual time (its fsyncs
   * take time), so this returns at once; the process joins once it has loaded its data.
   */
  start(): void {
    if (this.#peer !== null) return;
    const incarnation = this.#incarnation + 1;
    this.#start().catch((error: unknown) => {
      // Killed while starting: nothing failed, the process is simply gone.
      if (this.#incarnation !== incarnation || this.#peer === null) return;
      this.#startFailed(error);
    });
  }

  /** The supervisor's view of a start that threw: retry, replace the disk, or leave it down. */
  #startFailed(error: unknown): void {
    const cause = this.#causeOf(error);
    this.storeFailures.push({ atMs: this.#scheduler.nowMs, kind: "start", error: describeError(error), cause });
    this.#log(`start failed: ${describeError(error)}`);
    this.#stopProcess();
    if (cause === "disk full") {
      this.#scheduler.after(RESTART_AFTER_MS, () => this.start());
    } else if (cause === "corrupt disk") {
      this.#replaceDisk().then(() => this.start(), (e: unknown) => this.#log(`disk replacement failed: ${e}`));
    }
  }

  /** An operator's answer to a member that refuses its disk: a new, empty one; the member syncs from the leader. */
  async #replaceDisk(): Promise<void> {
    await this.disk.wipe([DATA_DIR]);
    this.replacements++;
    this.#damaged = false;
    this.#unreadDamage = null;
    this.#log("disk replaced (wiped) after the member refused to start on it");
  }

  /**
   * A store failure is expected when the disk is full (ENOSPC anywhere in the error's causes), or
   * when a damaged sector was read since the last good start and the store said so in a typed
   * error (or the read itself failed with EIO): detection. Anything else (a TypeError from
   * decoding garbage, say) means damaged data got past the checks.
   */
  #causeOf(error: unknown): StoreFailure["cause"] {
    if (this.disk.full || hasCode(error, "ENOSPC")) return "disk full";
    if (this.#damaged && (error instanceof StorageError || hasCode(error, "EIO"))) return "corrupt disk";
    return null;
  }

  #halted(incarnation: number, error: Error): void {
    if (this.#incarnation !== incarnation || this.#peer === null) return;
    this.storeFailures.push({ atMs: this.#scheduler.nowMs, kind: "halt", error: describeError(error), cause: this.#causeOf(error) });
    this.crash();
    this.#scheduler.after(RESTART_AFTER_MS, () => this.start());
  }

  async #start(): Promise<void> {
    const incarnation = ++this.#incarnation;
    const clock = new SimClock(this.#scheduler, { driftPpm: this.#driftPpm });
    const disk = new ProcessDisk(this.disk);
    this.#processDisk = disk;
    const peer = new QuorumPeer({
      config: this.#config,
      settings: this.#settings,
      clock,
      transport: this.#network.transportFor(this.sid),
      openStore: () => new FileStore({
        disk,
        dataDir: DATA_DIR,
        snapCount: 200,
        preAllocSizeKb: 64,
        random: () => this.#rng.next(),
      }),
      log: (line) => this.#log(line),
      connectRetryMs: 200,
      electionTiming: SIM_ELECTION_TIMING,
      // A member that cannot persist halts (ZooKeeper exits); its supervisor restarts it.
      server: { onFatal: (error) => this.#halted(incarnation, error) },
    });
    this.#peer = peer;
    peer.server.onApplied((header, txn, bytes) => {
      // A killed process applies nothing more (its disk never answers it again).
      if (this.#peer !== peer) return;
      this.applied.push({ zxid: header.zxid, bytes: bytes ?? null, incarnation, serving: peer.server.role !== null });
      const role = peer.server.role;
      if (role instanceof LeaderRole && epochOf(header.zxid) === role.zab.epoch) this.onLeaderCommit?.(header.zxid);
      this.digests.push({ zxid: header.zxid, digest: peer.db.tree.digest, atMs: this.#scheduler.nowMs, how: "applied" });
      const left = txn.type === OpCode.closeSession ? peer.db.tree.ephemerals.get(header.sessionId) : undefined;
      if (left !== undefined && left.size > 0) {
        this.ephemeralsLeftAtClose.push(`closeSession 0x${header.sessionId.toString(16)} at 0x${header.zxid.toString(16)} left ${[...left].join(", ")}`);
      }
    });
    await peer.start();
    if (this.#peer !== peer) return;
    this.#checkWentBack(peer.db.lastProcessedZxid);
    this.digests.push({ zxid: peer.db.lastProcessedZxid, digest: peer.db.tree.digest, atMs: this.#scheduler.nowMs, how: "recovered" });
    const tick = () => {
      if (this.#peer !== peer || this.#incarnation !== incarnation) return;
      if (this.#scheduler.nowMs >= this.pausedUntilMs) peer.tick();
      this.#scheduler.after(this.#tickEveryMs, tick);
    };
    this.#scheduler.after(this.#tickEveryMs, tick);
  }

  /**
   * SIGKILL: the process is gone at once; only what its disk synced survives, and with `tear`
   * the last unsynced write of one file half-reaches the platter.
   */
  crash(tear?: { path: string; keepBytes: number }): void {
    if (this.#peer === null) return;
    this.#stopProcess();
    this.disk.memory.crash(tear === undefined ? {} : { tear });
  }

  /** The process is gone (killed, or its start failed): its network, disk handles and counters. */
  #stopProcess(): void {
    this.#network.crash(this.sid);
    this.#pastDigestMismatches += this.#peer?.db.digestMismatches ?? 0;
    this.#peer = null;
    this.#processDisk?.kill();
  }

  /**
   * Kills the process and damages one sector of one of the member's files, read at its next
   * start. Returns what was damaged, or null when the disk holds no file. Rot goes only to the
   * checksummed files (log segments, snapshots): the epoch files are ZooKeeper's plain decimal
   * text, and a flipped bit in "5" can read "7", which no check can tell; their sectors fail only
   * as unreadable.
   */
  async crashAndDamage(pick: number, mode: SectorFault["mode"]): Promise<SectorFault | null> {
    const durableZxid = this.#peer?.store.lastLoggedZxid() ?? 0n;
    this.crash();
    const checksummed = (path: string) => /\/(log|snapshot)\.[0-9a-f]+$/.test(path);
    const all = (await this.disk.files(DATA_DIR)).filter((f) => !f.path.endsWith(".tmp"));
    const files = all.filter((f) => mode === "unreadable" || checksummed(f.path));
    if (files.length === 0) return null;
    const fault = this.disk.damage(files[pick % files.length]!.path, mode, this.#rng);
    const newestLog = all.map((f) => f.path).filter((p) => p.includes("/log.")).sort().at(-1);
    this.sectorFaults.push({ ...fault, atMs: this.#scheduler.nowMs });
    this.#damaged = true;
    this.#unreadDamage ??= { fault, durableZxid, tailMayBeCut: false };
    if (fault.path === newestLog) this.#unreadDamage.tailMayBeCut = true;
    this.#log(`sector fault: ${fault.mode} ${fault.length} byte(s) at offset ${fault.offset} of ${fault.path}`);
    return fault;
  }

  #checkWentBack(recoveredZxid: bigint): void {
    const damage = this.#unreadDamage;
    this.#unreadDamage = null;
    if (damage === null || recoveredZxid >= damage.durableZxid || damage.tailMayBeCut) return;
    this.wentBack.push(`after ${damage.fault.mode} at offset ${damage.fault.offset} of ${damage.fault.path}, it recovered to ` +
      `0x${recoveredZxid.toString(16)} although 0x${damage.durableZxid.toString(16)} was durable`);
  }

  /** The server state name for reports ("down" when crashed). */
  describe(): string {
    const state = this.state;
    if (state === null) return "down";
    return ["looking", "following", "leading", "observing"][state]!;
  }

  isLeading(): boolean {
    return this.state === ServerState.leading && this.#peer?.server.serving === true;
  }

  /** Up, in a role, and serving clients. */
  get serving(): boolean {
    return this.#peer?.server.serving === true;
  }
}

function hasCode(error: unknown, code: string): boolean {
  // Bounded: a cause chain is short; stop after a few links in case one loops.
  let current = error;
  for (let i = 0; i < 8 && current !== undefined && current !== null; i++) {
    if ((current as { code?: unknown }).code === code) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === "string" ? ` (${code})` : ""}: ${error.message}`;
}
