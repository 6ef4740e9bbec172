import type { FaultCounts, FaultEvent } from "./faults.ts";
import type { Scheduler } from "./scheduler.ts";
import type { SimClient } from "./sim_client.ts";
import type { SimMember } from "./sim_member.ts";
import type { SimNetwork } from "./sim_network.ts";

/** Faults that take a member down, cut it off, stall it or fill its disk: none during a quiet window. */
const MEMBER_FAULTS: ReadonlySet<FaultEvent["kind"]> = new Set(["crash", "powerLoss", "partition", "asymmetric", "clog", "pause", "diskFull", "sectorFault"]);
/** How long a sector fault waits for a calm ensemble before it is given up. */
const CALM_WAIT_MS = 5_000;
const CALM_POLL_MS = 200;

/**
 * Carries out a fault schedule during a simulation's safety phase: SIGKILL and restart of
 * members, symmetric and asymmetric partitions, swizzle-clogging, connection resets, GC-like
 * pauses longer than a session timeout, clients cut off from members or stalled past their
 * session timeout, full disks, and damaged sectors.
 *
 * A damaged sector is the one fault ZAB does not tolerate in general: a member that loses txns it
 * acknowledged (its torn-looking tail cut, or its whole disk replaced after it refused to start)
 * breaks the promise that every committed txn is on a quorum. So it is injected only into a calm
 * ensemble (every member up and serving, no partition, pause or full disk), and until the damaged
 * member serves again (synced from the leader) the ensemble stays calm: no fault that could let a
 * quorum form without the members that still hold every committed txn. That is the operator's
 * rule too: replace one disk at a time, into a healthy ensemble.
 */
export class FaultInjector {
  readonly counts: FaultCounts = {};
  readonly #scheduler: Scheduler;
  readonly #network: SimNetwork;
  readonly #members: ReadonlyMap<number, SimMember>;
  readonly #clients: readonly SimClient[];
  /** The member whose damaged disk opened a quiet window, until it serves again. */
  #recovering: SimMember | null = null;
  /** The safety phase is over: faults still waiting (for calm, or for their next step) are dropped. */
  #healed = false;

  constructor(options: { scheduler: Scheduler; network: SimNetwork; members: readonly SimMember[]; clients: readonly SimClient[] }) {
    this.#scheduler = options.scheduler;
    this.#network = options.network;
    this.#members = new Map(options.members.map((m) => [m.sid, m]));
    this.#clients = options.clients;
    this.#network.quiet = () => this.quiet;
  }

  /** Schedules every event of `schedule`, relative to now. */
  start(schedule: readonly FaultEvent[]): void {
    for (const event of schedule) this.#scheduler.after(event.atMs, () => this.#inject(event));
  }

  /** Ends every fault: partitions healed, pauses over, disks with space, crashed members restarted. */
  heal(): void {
    this.#healed = true;
    this.#network.heal();
    for (const client of this.#clients) client.pausedUntilMs = 0;
    for (const member of this.#members.values()) {
      member.pausedUntilMs = 0;
      member.disk.full = false;
      if (!member.up) member.start();
    }
  }

  /** A quiet window is open: a member on a damaged or replaced disk has not caught up yet. */
  get quiet(): boolean {
    if (this.#recovering !== null && this.#recovering.serving) this.#recovering = null;
    return this.#recovering !== null;
  }

  #calm(): boolean {
    const now = this.#scheduler.nowMs;
    return !this.quiet && !this.#network.membersBlocked() &&
      [...this.#members.values()].every((m) => m.serving && m.pausedUntilMs <= now && !m.disk.full);
  }

  #count(kind: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  /** Runs a step of a fault later, unless a quiet window opened meanwhile (ending steps always run). */
  #later(ms: number, run: () => void, { ends = false }: { ends?: boolean } = {}): void {
    this.#scheduler.after(ms, () => {
      if (ends || (!this.quiet && !this.#healed)) run();
    });
  }

  #inject(event: FaultEvent): void {
    if (this.#healed) return;
    if (MEMBER_FAULTS.has(event.kind) && this.quiet) {
      this.#count("skippedWhileQuiet");
      return;
    }
    switch (event.kind) {
      case "crash":
        return this.#crash(event);
      case "powerLoss":
        return this.#powerLoss(event);
      case "partition":
        return this.#partition(event);
      case "asymmetric":
        this.#network.block(event.from, event.to);
        this.#count("asymmetric");
        this.#later(event.durationMs, () => this.#network.unblock(event.from, event.to), { ends: true });
        return;
      case "clog":
        return this.#clog(event);
      case "reset":
        if (this.#network.resetLink(event.pick)) this.#count("reset");
        return;
      case "pause":
        return this.#pause(event);
      case "clientPartition":
        return this.#clientPartition(event);
      case "diskFull":
        return this.#diskFull(event);
      case "sectorFault":
        return this.#sectorFault(event, this.#scheduler.nowMs + CALM_WAIT_MS);
      case "clientPause": {
        const client = this.#clients[event.client];
        if (client === undefined) return;
        client.pausedUntilMs = Math.max(client.pausedUntilMs, this.#scheduler.nowMs + event.durationMs);
        this.#count("clientPause");
        return;
      }
    }
  }

  #crash(event: Extract<FaultEvent, { kind: "crash" }>): void {
    const member = this.#members.get(event.sid)!;
    if (!member.up) return;
    member.crash();
    this.#count("crash");
    this.#later(event.restartAfterMs, () => {
      if (member.up) return;
      this.#count("restart");
      member.start();
    }, { ends: true });
  }

  #powerLoss(event: Extract<FaultEvent, { kind: "powerLoss" }>): void {
    this.#count("powerLoss");
    event.sids.forEach((sid, i) => {
      const member = this.#members.get(sid)!;
      if (!member.up) return;
      member.crash();
      this.#later(event.restartAfterMs[i]!, () => member.start(), { ends: true });
    });
  }

  #partition(event: Extract<FaultEvent, { kind: "partition" }>): void {
    const others = [...this.#members.keys()].filter((s) => s !== event.sid);
    for (const other of others) this.#blockBoth(event.sid, other);
    this.#count("partition");
    this.#later(event.durationMs, () => {
      for (const other of others) this.#unblockBoth(event.sid, other);
    }, { ends: true });
  }

  #clog(event: Extract<FaultEvent, { kind: "clog" }>): void {
    event.links.forEach(([a, b], i) => this.#later(i * event.stepMs, () => this.#network.block(a, b)));
    event.unclogOrder.forEach((index, i) => {
      const [a, b] = event.links[index]!;
      this.#later(event.unclogAfterMs + i * event.stepMs, () => this.#network.unblock(a, b), { ends: true });
    });
    this.#count("clog");
  }

  #pause(event: Extract<FaultEvent, { kind: "pause" }>): void {
    const member = this.#members.get(event.sid)!;
    if (!member.up) return;
    member.pausedUntilMs = this.#scheduler.nowMs + event.durationMs;
    this.#network.pause(event.sid, member.pausedUntilMs);
    this.#count("pause");
  }

  #clientPartition(event: Extract<FaultEvent, { kind: "clientPartition" }>): void {
    const client = this.#clients[event.client];
    if (client === undefined) return;
    this.#blockBoth(client.node, event.sid);
    this.#count("clientPartition");
    this.#later(event.durationMs, () => this.#unblockBoth(client.node, event.sid), { ends: true });
  }

  /** The disk refuses new space for a while; the member halts when it needs some, and restarts once there is. */
  #diskFull(event: Extract<FaultEvent, { kind: "diskFull" }>): void {
    const member = this.#members.get(event.sid)!;
    if (member.disk.full) return;
    member.disk.full = true;
    this.#count("diskFull");
    this.#later(event.durationMs, () => {
      member.disk.full = false;
    }, { ends: true });
  }

  /** Waits (bounded) for a calm ensemble, then kills the member, damages a sector and restarts it on it. */
  #sectorFault(event: Extract<FaultEvent, { kind: "sectorFault" }>, giveUpAtMs: number): void {
    if (this.#healed) return;
    if (!this.#calm()) {
      if (this.#scheduler.nowMs + CALM_POLL_MS > giveUpAtMs) {
        this.#count("sectorFaultNotCalm");
        return;
      }
      this.#scheduler.after(CALM_POLL_MS, () => this.#sectorFault(event, giveUpAtMs));
      return;
    }
    const member = this.#members.get(event.sid)!;
    this.#recovering = member;
    member.crashAndDamage(event.pick, event.mode).then((fault) => {
      if (fault !== null) this.#count(event.mode === "rot" ? "sectorRot" : "sectorUnreadable");
      this.#later(event.restartAfterMs, () => member.start(), { ends: true });
    });
  }

  #blockBoth(a: number | string, b: number | string): void {
    this.#network.block(a, b);
    this.#network.block(b, a);
  }

  #unblockBoth(a: number | string, b: number | string): void {
    this.#network.unblock(a, b);
    this.#network.unblock(b, a);
  }
}
