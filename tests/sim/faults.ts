import type { SeededRandom } from "../support/seeded_random.ts";
import type { Scheduler } from "./scheduler.ts";
import type { SimClient } from "./sim_client.ts";
import type { SimMember } from "./sim_member.ts";
import type { SimNetwork } from "./sim_network.ts";

/** How often each fault strikes: mean virtual ms between two of its kind (0 turns it off). */
export interface FaultRates {
  readonly crashEveryMs: number;
  readonly partitionEveryMs: number;
  readonly asymmetricEveryMs: number;
  readonly clogEveryMs: number;
  readonly resetEveryMs: number;
  readonly pauseEveryMs: number;
  readonly clientPartitionEveryMs: number;
}

export const DEFAULT_FAULTS: FaultRates = {
  crashEveryMs: 6_000,
  partitionEveryMs: 7_000,
  asymmetricEveryMs: 11_000,
  clogEveryMs: 13_000,
  resetEveryMs: 3_000,
  pauseEveryMs: 9_000,
  clientPartitionEveryMs: 8_000,
};

/** Faults injected, by kind (reported by every run). */
export type FaultCounts = Record<string, number>;

/**
 * Injects process and network faults during a simulation's safety phase, each kind on its own
 * seeded random schedule: SIGKILL and restart of members, symmetric and asymmetric partitions,
 * swizzle-clogging (links clogged one by one, unclogged in random order), connection resets,
 * GC-like pauses longer than a session timeout, clients cut off from members.
 */
export class FaultInjector {
  readonly counts: FaultCounts = {};
  readonly #scheduler: Scheduler;
  readonly #network: SimNetwork;
  readonly #members: readonly SimMember[];
  readonly #clients: readonly SimClient[];
  readonly #rng: SeededRandom;
  readonly #rates: FaultRates | null;
  #active = false;

  constructor(options: {
    scheduler: Scheduler;
    network: SimNetwork;
    members: readonly SimMember[];
    clients: readonly SimClient[];
    rng: SeededRandom;
    rates: Partial<FaultRates> | null;
  }) {
    this.#scheduler = options.scheduler;
    this.#network = options.network;
    this.#members = options.members;
    this.#clients = options.clients;
    this.#rng = options.rng;
    this.#rates = options.rates === null ? null : { ...DEFAULT_FAULTS, ...options.rates };
  }

  start(): void {
    const rates = this.#rates;
    if (rates === null) return;
    this.#active = true;
    this.#every(rates.crashEveryMs, () => this.#crash());
    this.#every(rates.partitionEveryMs, () => this.#partition());
    this.#every(rates.asymmetricEveryMs, () => this.#asymmetric());
    this.#every(rates.clogEveryMs, () => this.#clog());
    this.#every(rates.resetEveryMs, () => this.#reset());
    this.#every(rates.pauseEveryMs, () => this.#pause());
    this.#every(rates.clientPartitionEveryMs, () => this.#clientPartition());
  }

  stop(): void {
    this.#active = false;
  }

  /** Ends every fault: partitions healed, pauses over, crashed members restarted. */
  async heal(): Promise<void> {
    this.#network.heal();
    for (const member of this.#members) {
      member.pausedUntilMs = 0;
      if (!member.up) await member.start();
    }
  }

  #count(kind: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  /** Runs `fault` at exponentially distributed intervals with the given mean while active. */
  #every(meanMs: number, fault: () => void): void {
    if (meanMs <= 0) return;
    const schedule = () => {
      const wait = -Math.log(1 - this.#rng.next()) * meanMs;
      this.#scheduler.after(wait, () => {
        if (!this.#active) return;
        fault();
        schedule();
      });
    };
    schedule();
  }

  #crash(): void {
    const up = this.#members.filter((m) => m.up);
    if (up.length === 0) return;
    const victim = this.#rng.pick(up);
    victim.crash();
    this.#count("crash");
    this.#scheduler.after(200 + this.#rng.int(3_000), () => {
      if (!victim.up) {
        this.#count("restart");
        void victim.start();
      }
    });
  }

  /** Cuts one member off from all others, both ways, for a while. */
  #partition(): void {
    const member = this.#rng.pick(this.#members);
    const others = this.#members.filter((m) => m !== member);
    for (const other of others) {
      this.#network.block(member.sid, other.sid);
      this.#network.block(other.sid, member.sid);
    }
    this.#count("partition");
    this.#scheduler.after(500 + this.#rng.int(5_000), () => {
      for (const other of others) {
        this.#network.unblock(member.sid, other.sid);
        this.#network.unblock(other.sid, member.sid);
      }
    });
  }

  /** One direction only: a member still hears the others but cannot reach them (or the reverse). */
  #asymmetric(): void {
    const a = this.#rng.pick(this.#members);
    const b = this.#rng.pick(this.#members.filter((m) => m !== a));
    this.#network.block(a.sid, b.sid);
    this.#count("asymmetric");
    this.#scheduler.after(500 + this.#rng.int(4_000), () => this.#network.unblock(a.sid, b.sid));
  }

  /** Swizzle-clogging: clog links one by one, then unclog them in a random order. */
  #clog(): void {
    const pairs: [number, number][] = [];
    for (const a of this.#members) for (const b of this.#members) if (a !== b) pairs.push([a.sid, b.sid]);
    const count = 1 + this.#rng.int(pairs.length);
    const chosen: [number, number][] = [];
    for (let i = 0; i < count; i++) chosen.push(pairs.splice(this.#rng.int(pairs.length), 1)[0]!);
    chosen.forEach(([a, b], i) => this.#scheduler.after(i * (50 + this.#rng.int(200)), () => this.#network.block(a, b)));
    const unclogAt = chosen.length * 250 + this.#rng.int(3_000);
    const order = [...chosen].sort(() => this.#rng.next() - 0.5);
    order.forEach(([a, b], i) => this.#scheduler.after(unclogAt + i * (50 + this.#rng.int(300)), () => this.#network.unblock(a, b)));
    this.#count("clog");
  }

  #reset(): void {
    if (this.#network.resetRandomLink()) this.#count("reset");
  }

  /** A stall longer than a session timeout: no ticks, so its clients' sessions may expire elsewhere. */
  #pause(): void {
    const member = this.#rng.pick(this.#members.filter((m) => m.up).length > 0 ? this.#members.filter((m) => m.up) : this.#members);
    member.pausedUntilMs = this.#scheduler.nowMs + 500 + this.#rng.int(4_000);
    this.#count("pause");
  }

  #clientPartition(): void {
    if (this.#clients.length === 0) return;
    const client = this.#rng.pick(this.#clients);
    const member = this.#rng.pick(this.#members);
    this.#network.block(client.node, member.sid);
    this.#network.block(member.sid, client.node);
    this.#count("clientPartition");
    this.#scheduler.after(500 + this.#rng.int(4_000), () => {
      this.#network.unblock(client.node, member.sid);
      this.#network.unblock(member.sid, client.node);
    });
  }
}
