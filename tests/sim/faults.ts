import type { SeededRandom } from "../support/seeded_random.ts";

/** How often each fault strikes: mean virtual ms between two of its kind (0 turns it off). */
export interface FaultRates {
  readonly crashEveryMs: number;
  readonly partitionEveryMs: number;
  readonly asymmetricEveryMs: number;
  readonly clogEveryMs: number;
  readonly resetEveryMs: number;
  readonly pauseEveryMs: number;
  readonly clientPartitionEveryMs: number;
  /** Several members lose power at the same instant (a rack, a zone). */
  readonly powerLossEveryMs: number;
  /** A member's disk fills up for a while (ENOSPC). */
  readonly diskFullEveryMs: number;
  /** A sector of one of a member's files rots or becomes unreadable (the member is then restarted on it). */
  readonly sectorFaultEveryMs: number;
  /** A client process stalls (a GC pause) for longer than its session timeout. */
  readonly clientPauseEveryMs: number;
}

export const DEFAULT_FAULTS: FaultRates = {
  crashEveryMs: 6_000,
  partitionEveryMs: 7_000,
  asymmetricEveryMs: 11_000,
  clogEveryMs: 13_000,
  resetEveryMs: 3_000,
  pauseEveryMs: 9_000,
  clientPartitionEveryMs: 8_000,
  powerLossEveryMs: 12_000,
  diskFullEveryMs: 15_000,
  sectorFaultEveryMs: 25_000,
  clientPauseEveryMs: 10_000,
};

/**
 * One fault, fully decided in advance (times in virtual ms from the start of the safety phase),
 * so a failing schedule can be printed, replayed and shrunk.
 */
export type FaultEvent =
  | { readonly kind: "crash"; readonly atMs: number; readonly sid: number; readonly restartAfterMs: number }
  | { readonly kind: "powerLoss"; readonly atMs: number; readonly sids: readonly number[]; readonly restartAfterMs: readonly number[] }
  | { readonly kind: "partition"; readonly atMs: number; readonly sid: number; readonly durationMs: number }
  | { readonly kind: "asymmetric"; readonly atMs: number; readonly from: number; readonly to: number; readonly durationMs: number }
  | { readonly kind: "clog"; readonly atMs: number; readonly links: readonly (readonly [number, number])[]; readonly stepMs: number; readonly unclogAfterMs: number; readonly unclogOrder: readonly number[] }
  | { readonly kind: "reset"; readonly atMs: number; readonly pick: number }
  | { readonly kind: "pause"; readonly atMs: number; readonly sid: number; readonly durationMs: number }
  | { readonly kind: "clientPartition"; readonly atMs: number; readonly client: number; readonly sid: number; readonly durationMs: number }
  | { readonly kind: "diskFull"; readonly atMs: number; readonly sid: number; readonly durationMs: number }
  | { readonly kind: "sectorFault"; readonly atMs: number; readonly sid: number; readonly pick: number; readonly mode: "rot" | "unreadable"; readonly restartAfterMs: number }
  | { readonly kind: "clientPause"; readonly atMs: number; readonly client: number; readonly durationMs: number };

/** Faults injected, by kind (reported by every run). */
export type FaultCounts = Record<string, number>;

/**
 * Draws a fault schedule for a safety phase of `durationMs`: each kind at exponentially
 * distributed intervals with its mean, targets chosen uniformly.
 */
export function planFaults(
  rng: SeededRandom,
  rates: Partial<FaultRates>,
  durationMs: number,
  sidsIn: readonly number[],
  clients: number,
): FaultEvent[] {
  const sids = sidsIn;
  const r = { ...DEFAULT_FAULTS, ...rates };
  const events: FaultEvent[] = [];
  const every = (meanMs: number, make: (atMs: number) => FaultEvent | null) => {
    if (meanMs <= 0) return;
    for (let at = gap(rng, meanMs); at < durationMs; at += gap(rng, meanMs)) {
      const event = make(at);
      if (event !== null) events.push(event);
    }
  };
  const sid = () => rng.pick(sids);
  every(r.crashEveryMs, (atMs) => ({ kind: "crash", atMs, sid: sid(), restartAfterMs: 200 + rng.int(3_000) }));
  every(r.powerLossEveryMs, (atMs) => {
    const sids = shuffled(rng, sidsIn).slice(0, 2 + rng.int(Math.max(1, sidsIn.length - 1)));
    return { kind: "powerLoss", atMs, sids, restartAfterMs: sids.map(() => 200 + rng.int(6_000)) };
  });
  every(r.partitionEveryMs, (atMs) => ({ kind: "partition", atMs, sid: sid(), durationMs: 500 + rng.int(5_000) }));
  every(r.asymmetricEveryMs, (atMs) => {
    const from = sid();
    const to = rng.pick(sids.filter((s) => s !== from));
    return { kind: "asymmetric", atMs, from, to, durationMs: 500 + rng.int(4_000) };
  });
  every(r.clogEveryMs, (atMs) => clogEvent(rng, atMs, sids));
  every(r.resetEveryMs, (atMs) => ({ kind: "reset", atMs, pick: rng.int(1 << 30) }));
  every(r.pauseEveryMs, (atMs) => ({ kind: "pause", atMs, sid: sid(), durationMs: 500 + rng.int(4_000) }));
  every(r.clientPartitionEveryMs, (atMs) => clients === 0 ? null : ({ kind: "clientPartition", atMs, client: rng.int(clients), sid: sid(), durationMs: 500 + rng.int(4_000) }));
  every(r.diskFullEveryMs, (atMs) => ({ kind: "diskFull", atMs, sid: sid(), durationMs: 500 + rng.int(5_000) }));
  every(r.sectorFaultEveryMs, (atMs) => ({
    kind: "sectorFault", atMs, sid: sid(), pick: rng.int(1 << 30), mode: rng.chance(0.75) ? "rot" : "unreadable", restartAfterMs: 200 + rng.int(2_000),
  }));
  // Drawn last, so adding it left every other kind's draws as they were.
  every(r.clientPauseEveryMs, (atMs) => clients === 0 ? null : ({ kind: "clientPause", atMs, client: rng.int(clients), durationMs: 3_500 + rng.int(3_000) }));
  return events.sort((a, b) => a.atMs - b.atMs);
}

/**
 * A Fisher-Yates shuffle: the same draws on every runtime (a sort with a random comparator calls
 * it as often as the engine's sort algorithm likes, so Node and Deno drew different schedules).
 */
function shuffled<T>(rng: SeededRandom, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function gap(rng: SeededRandom, meanMs: number): number {
  return -Math.log(1 - rng.next()) * meanMs;
}

/** Swizzle-clogging: links clogged one by one, then unclogged in a random order. */
function clogEvent(rng: SeededRandom, atMs: number, sids: readonly number[]): FaultEvent {
  const pairs: [number, number][] = [];
  for (const a of sids) for (const b of sids) if (a !== b) pairs.push([a, b]);
  const links: [number, number][] = [];
  const count = 1 + rng.int(pairs.length);
  for (let i = 0; i < count; i++) links.push(pairs.splice(rng.int(pairs.length), 1)[0]!);
  const unclogOrder = shuffled(rng, links.map((_, i) => i));
  return { kind: "clog", atMs, links, stepMs: 50 + rng.int(250), unclogAfterMs: 250 * links.length + rng.int(3_000), unclogOrder };
}

/** One line per fault, for failure reports. */
export function describeFault(event: FaultEvent): string {
  const at = `${Math.round(event.atMs)} ms`;
  switch (event.kind) {
    case "crash":
      return `${at}: SIGKILL member ${event.sid}, restart after ${event.restartAfterMs} ms`;
    case "powerLoss":
      return `${at}: power loss on members ${event.sids.join(", ")}, back after ${event.restartAfterMs.join(", ")} ms`;
    case "partition":
      return `${at}: isolate member ${event.sid} for ${event.durationMs} ms`;
    case "asymmetric":
      return `${at}: block ${event.from} -> ${event.to} for ${event.durationMs} ms`;
    case "clog":
      return `${at}: clog ${event.links.map(([a, b]) => `${a}->${b}`).join(" ")}, unclog after ${event.unclogAfterMs} ms`;
    case "reset":
      return `${at}: reset a quorum link (#${event.pick})`;
    case "pause":
      return `${at}: pause member ${event.sid} for ${event.durationMs} ms`;
    case "clientPartition":
      return `${at}: cut client ${event.client} off member ${event.sid} for ${event.durationMs} ms`;
    case "diskFull":
      return `${at}: member ${event.sid}'s disk full for ${event.durationMs} ms`;
    case "clientPause":
      return `${at}: client ${event.client} stalls for ${event.durationMs} ms (its session may expire)`;
    case "sectorFault":
      return `${at}: SIGKILL member ${event.sid}, a sector of one of its files (#${event.pick}) ${event.mode === "rot" ? "rots" : "becomes unreadable"}, restart after ${event.restartAfterMs} ms`;
  }
}
