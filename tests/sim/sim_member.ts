import { QuorumPeer } from "../../core/quorum/quorum_peer.ts";
import type { RoleSettings } from "../../core/quorum/role_settings.ts";
import { defaultServerConfig, type ServerConfig } from "../../core/server/server_config.ts";
import { ServerState } from "../../core/zab/vote.ts";
import type { Scheduler } from "./scheduler.ts";
import { SimClock } from "./sim_clock.ts";
import type { SimNetwork } from "./sim_network.ts";
import { MemoryDisk } from "../../core/io/memory_disk.ts";
import { FileStore } from "../../core/storage/file_store.ts";
import type { SeededRandom } from "../support/seeded_random.ts";
import { ProcessDisk } from "./process_disk.ts";

/** What happened to members over a run (checked and reported). */
export interface MemberEvent {
  readonly atMs: number;
  readonly sid: number;
  readonly line: string;
}

/**
 * One simulated member: a machine whose disk survives crashes and whose processes come and go.
 * Each start builds a fresh QuorumPeer on the same durable state, a fresh transport and a clock
 * with the member's drift; ticks arrive every `tickEveryMs` of virtual time while it is up.
 */
export class SimMember {
  readonly sid: number;
  /** The member's disk: what was synced survives a crash, the rest is lost or torn. */
  readonly disk: MemoryDisk;
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
  /** Every txn applied by any incarnation, in order (for the agreement check). */
  readonly applied: { zxid: bigint; bytes: Uint8Array | null; incarnation: number }[] = [];
  /** Virtual time until which the process is stalled (a GC-like pause): no ticks, no progress. */
  pausedUntilMs = 0;

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
    this.disk = new MemoryDisk({ syncDelay: () => new Promise((resolve) => options.scheduler.after(options.fsyncMs(), resolve)) });
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

  get up(): boolean {
    return this.#peer !== null;
  }

  get state(): ServerState | null {
    return this.#peer?.election.state ?? null;
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
      this.#onLog({ atMs: this.#scheduler.nowMs, sid: this.sid, line: `start failed: ${(error as Error).stack ?? error}` });
      this.startFailures++;
    });
  }

  /** Starts that threw (a store that could not recover): a checker reports them. */
  startFailures = 0;
  /** Times the process halted because its store failed. */
  halts = 0;

  #halted(incarnation: number): void {
    if (this.#incarnation !== incarnation || this.#peer === null) return;
    this.halts++;
    this.crash();
    this.#scheduler.after(500, () => this.start());
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
        dataDir: "/data",
        snapCount: 200,
        preAllocSizeKb: 64,
        random: () => this.#rng.next(),
      }),
      log: (line) => this.#onLog({ atMs: this.#scheduler.nowMs, sid: this.sid, line }),
      connectRetryMs: 200,
      // A member that cannot persist halts (ZooKeeper exits); its supervisor restarts it.
      server: { onFatal: () => this.#halted(incarnation) },
    });
    this.#peer = peer;
    peer.server.onApplied((header, _txn, bytes) => this.applied.push({ zxid: header.zxid, bytes: bytes ?? null, incarnation }));
    await peer.start();
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
    this.#network.crash(this.sid);
    this.#peer = null;
    this.#processDisk?.kill();
    this.disk.crash(tear === undefined ? {} : { tear });
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
}
