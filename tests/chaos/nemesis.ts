import type { Ensemble } from "../support/ensemble.ts";
import { ProcessState } from "../support/member_process.ts";
import type { SeededRandom } from "../support/seeded_random.ts";
import { sleep } from "./workloads/actor.ts";

/** The faults the nemesis injects. */
export const FaultKind = {
  /** Symmetric partition into a random majority and minority. */
  partitionHalves: "partition-halves",
  /** Symmetric partition of the current leader from everyone else. */
  partitionLeader: "partition-leader",
  /** Asymmetric: the leader still sends but hears no one (or the reverse). */
  partitionOneWay: "partition-one-way",
  /** Two sides joined through one member only (Jepsen's bridge), 5 members. */
  partitionBridge: "partition-bridge",
  /** SIGKILL of the leader, restarted at the end of the fault. */
  killLeader: "kill-leader",
  /** SIGKILL of a follower, restarted. */
  killFollower: "kill-follower",
  /** SIGKILL of a minority of members at once (two of five), restarted. */
  killMinority: "kill-minority",
  /** SIGSTOP of the leader, SIGCONT at the end (sometimes longer than a session timeout). */
  pauseLeader: "pause-leader",
  /** SIGSTOP of a follower, SIGCONT. */
  pauseFollower: "pause-follower",
  /** Every member-to-member link delayed by tens to hundreds of ms with jitter. */
  delay: "delay",
  /** Every connection of one member reset, a few times over the fault. */
  reset: "reset",
} as const;
/** One of {@link FaultKind}. */
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

/** Every kind, in a fixed order (seeded picks depend on it). */
export const ALL_FAULT_KINDS: readonly FaultKind[] = Object.values(FaultKind);

/** One injected fault, for the report. */
export interface FaultRecord {
  kind: FaultKind;
  /** Harness time it began and ended. */
  startedAt: number;
  endedAt?: number;
  detail: string;
}

/** How the nemesis paces itself. */
export interface NemesisTiming {
  /** A fault lasts between these, in ms. */
  faultMsMin: number;
  faultMsMax: number;
  /** Quiet time between faults, in ms. */
  quietMsMin: number;
  quietMsMax: number;
}

/** A fault being applied: what to undo at its end. */
interface ActiveFault {
  detail: string;
  undo: () => Promise<void>;
  /** Called a few times while the fault lasts (a reset resets again). */
  repeat?: () => void;
}

const REPEATS_PER_FAULT = 3;
const LINK_FAULTS: readonly FaultKind[] = [
  FaultKind.partitionHalves, FaultKind.partitionLeader, FaultKind.partitionOneWay, FaultKind.partitionBridge, FaultKind.delay, FaultKind.reset,
];

/**
 * Injects one fault at a time into an ensemble, chosen with a seeded PRNG among the given
 * kinds, each for a random duration with quiet time between; counts them by kind. `healAll`
 * undoes whatever is left: links healed, paused members continued, dead members restarted.
 *
 * @example const nemesis = new Nemesis({ ensemble, random, kinds: ALL_FAULT_KINDS, now }); await nemesis.run(signal);
 */
export class Nemesis {
  readonly records: FaultRecord[] = [];
  readonly #ensemble: Ensemble;
  readonly #random: SeededRandom;
  readonly #kinds: readonly FaultKind[];
  readonly #timing: NemesisTiming;
  readonly #now: () => number;
  readonly #log: (line: string) => void;

  constructor(opts: { ensemble: Ensemble; random: SeededRandom; kinds: readonly FaultKind[]; timing: NemesisTiming; now: () => number; log?: (line: string) => void }) {
    this.#ensemble = opts.ensemble;
    this.#random = opts.random;
    this.#kinds = opts.kinds.filter((kind) => applicable(kind, opts.ensemble));
    this.#timing = opts.timing;
    this.#now = opts.now;
    this.#log = opts.log ?? (() => {});
  }

  /** Faults by kind so far. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.records) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
    return counts;
  }

  /** Injects faults until the signal aborts, then undoes the last one. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#kinds.length === 0) return;
    const t = this.#timing;
    // Bounded by the signal: the fault phase has a fixed length.
    while (!signal.aborted) {
      await sleep(t.quietMsMin + this.#random.int(t.quietMsMax - t.quietMsMin + 1), signal);
      if (signal.aborted) break;
      const kind = this.#random.pick(this.#kinds);
      const record: FaultRecord = { kind, startedAt: this.#now(), detail: "" };
      const active = await this.#apply(kind);
      record.detail = active.detail;
      this.records.push(record);
      this.#log(`fault ${kind}: ${active.detail}`);
      await this.#during(active, t.faultMsMin + this.#random.int(t.faultMsMax - t.faultMsMin + 1), signal);
      await active.undo();
      record.endedAt = this.#now();
      this.#log(`fault ${kind} over`);
    }
  }

  /** Heals every link, continues paused members, restarts dead ones. */
  async healAll(): Promise<void> {
    this.#ensemble.faults?.heal();
    for (const member of this.#ensemble.members) {
      if (member.process.state === ProcessState.paused) this.#ensemble.resume(member.id);
      if (member.process.state === ProcessState.dead) await this.#ensemble.restart(member.id);
    }
  }

  /** Waits out the fault, repeating it meanwhile when it repeats (resets). */
  async #during(active: ActiveFault, durationMs: number, signal: AbortSignal): Promise<void> {
    if (active.repeat === undefined) return sleep(durationMs, signal);
    for (let i = 0; i < REPEATS_PER_FAULT && !signal.aborted; i++) {
      await sleep(durationMs / REPEATS_PER_FAULT, signal);
      if (!signal.aborted) active.repeat();
    }
  }

  async #apply(kind: FaultKind): Promise<ActiveFault> {
    const ensemble = this.#ensemble;
    const ids = ensemble.participantIds;
    const leader = (await ensemble.leader()) ?? this.#random.pick(ids);
    const followers = ids.filter((id) => id !== leader);
    const faults = ensemble.faults;
    const healLinks = async () => faults?.heal();
    switch (kind) {
      case FaultKind.partitionHalves: {
        const shuffled = this.#shuffle(ensemble.members.map((m) => m.id));
        const minority = shuffled.slice(0, Math.floor((ids.length - 1) / 2) || 1);
        const majority = shuffled.filter((id) => !minority.includes(id));
        faults!.partition([minority, majority]);
        return { detail: `[${minority}] | [${majority}]`, undo: healLinks };
      }
      case FaultKind.partitionLeader: {
        const rest = ensemble.members.map((m) => m.id).filter((id) => id !== leader);
        faults!.partition([[leader], rest]);
        return { detail: `leader ${leader} | [${rest}]`, undo: healLinks };
      }
      case FaultKind.partitionOneWay: {
        const inbound = this.#random.chance(0.5);
        for (const other of ensemble.members.map((m) => m.id).filter((id) => id !== leader)) {
          if (inbound) faults!.blockOneWay(other, leader);
          else faults!.blockOneWay(leader, other);
        }
        return { detail: inbound ? `leader ${leader} hears no one` : `no one hears leader ${leader}`, undo: healLinks };
      }
      case FaultKind.partitionBridge: {
        const [bridge, ...others] = this.#shuffle(ids);
        const half = Math.floor(others.length / 2);
        faults!.partition([others.slice(0, half), others.slice(half)]);
        return { detail: `[${others.slice(0, half)}] <- ${bridge} -> [${others.slice(half)}]`, undo: healLinks };
      }
      case FaultKind.killLeader:
        return this.#kill([leader], "leader");
      case FaultKind.killFollower:
        return this.#kill([this.#random.pick(followers)], "follower");
      case FaultKind.killMinority:
        return this.#kill(this.#shuffle(ids).slice(0, Math.floor((ids.length - 1) / 2)), "minority");
      case FaultKind.pauseLeader:
        return this.#pause(leader, "leader");
      case FaultKind.pauseFollower:
        return this.#pause(this.#random.pick(followers), "follower");
      case FaultKind.delay: {
        const delayMs = 20 + this.#random.int(180);
        const jitterMs = this.#random.int(delayMs);
        for (const a of ensemble.members) for (const b of ensemble.members) if (a.id !== b.id) faults!.delay(a.id, b.id, delayMs, jitterMs);
        return { detail: `${delayMs} ms + up to ${jitterMs} ms on every link`, undo: healLinks };
      }
      case FaultKind.reset: {
        const target = this.#random.chance(0.5) ? leader : this.#random.pick(ids);
        const reset = () => void faults!.reset(target);
        reset();
        return { detail: `connections of ${target}`, undo: async () => {}, repeat: reset };
      }
    }
  }

  async #kill(ids: number[], role: string): Promise<ActiveFault> {
    for (const id of ids) await this.#ensemble.kill(id);
    return {
      detail: `${role} ${ids.join(", ")}`,
      undo: async () => {
        for (const id of ids) await this.#ensemble.restart(id);
      },
    };
  }

  async #pause(id: number, role: string): Promise<ActiveFault> {
    const member = this.#ensemble.member(id);
    if (member.process.state !== ProcessState.running) return { detail: `${role} ${id} (not running, skipped)`, undo: async () => {} };
    this.#ensemble.pause(id);
    const undo = async () => {
      if (member.process.state === ProcessState.paused) this.#ensemble.resume(id);
    };
    return { detail: `${role} ${id}`, undo };
  }

  #shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.#random.int(i + 1);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }
}

/** Link faults need the proxies; the bridge and minority kills need five voting members. */
export function applicable(kind: FaultKind, ensemble: Ensemble): boolean {
  if (LINK_FAULTS.includes(kind) && ensemble.faults === undefined) return false;
  if (kind === FaultKind.partitionBridge || kind === FaultKind.killMinority) return ensemble.participantIds.length >= 5;
  return true;
}
