import { OpKind, ReadBarrier } from "../../history/history.ts";
import { type ActorContext, recordCall, runActorLoop, withTimeout } from "./actor.ts";

/** Initial data of every register. */
export const REGISTER_INITIAL = "init";

/**
 * The registers' znodes, in generations: every `generationMs` the actors move to a fresh set of
 * keys, so each register's history stays short enough for the linearizability search, as
 * Jepsen's independent keys do. All keys are created before the workload starts.
 */
export class RegisterSpace {
  readonly root: string;
  readonly keysPerGeneration: number;
  readonly generationMs: number;
  readonly generations: number;

  constructor(opts: { root: string; keysPerGeneration: number; generationMs: number; durationMs: number }) {
    this.root = opts.root;
    this.keysPerGeneration = opts.keysPerGeneration;
    this.generationMs = opts.generationMs;
    this.generations = Math.ceil(opts.durationMs / opts.generationMs) + 1;
  }

  /** Every key, for setup and the final reads. */
  allKeys(): string[] {
    const keys: string[] = [];
    for (let g = 0; g < this.generations; g++) keys.push(...this.keysOf(g));
    return keys;
  }

  /** The keys in use `elapsedMs` into the workload. */
  current(elapsedMs: number): string[] {
    return this.keysOf(Math.min(Math.floor(elapsedMs / this.generationMs), this.generations - 1));
  }

  keysOf(generation: number): string[] {
    return Array.from({ length: this.keysPerGeneration }, (_, k) => `${this.root}/g${generation}-k${k}`);
  }
}

const PAUSE_MS_MAX = 15;

/**
 * One register client: quorum reads (a quorum barrier, then getData), synced reads (sync, then
 * getData), plain reads (only for the session guarantees), blind writes and CAS writes (setData
 * with the version it last saw), on the current generation's keys, one operation at a time.
 */
export function runRegisterActor(context: ActorContext, space: RegisterSpace, startedAt: number): Promise<number> {
  const lastVersion = new Map<string, number>();
  let written = 0;
  return runActorLoop(context, PAUSE_MS_MAX, async (zk, session) => {
    const key = context.random.pick(space.current(context.recorder.now() - startedAt));
    const roll = context.random.next();
    const { opTimeoutMs } = context;
    if (roll < 0.45) {
      const barrier = roll < 0.2 ? ReadBarrier.quorum : roll < 0.38 ? ReadBarrier.sync : undefined;
      await recordCall(context, session, zk, { kind: OpKind.read, key, ...(barrier === undefined ? {} : { barrier }) }, async () => {
        if (barrier === ReadBarrier.quorum) await withTimeout(zk.barrier(key), opTimeoutMs);
        if (barrier === ReadBarrier.sync) await withTimeout(zk.sync(key), opTimeoutMs);
        const data = await withTimeout(zk.getData(key), opTimeoutMs);
        lastVersion.set(key, data.version);
        return { value: data.value ?? "", version: data.version, mzxid: data.mzxid };
      });
      return;
    }
    const cas = roll >= 0.7;
    const value = `${context.label}-${++written}`;
    const expectedVersion = cas ? (lastVersion.get(key) ?? 0) : undefined;
    const invocation = { kind: cas ? OpKind.cas : OpKind.write, key, value, ...(cas ? { expectedVersion } : {}) };
    await recordCall(context, session, zk, invocation, async () => {
      const stat = await withTimeout(zk.setData(key, value, expectedVersion ?? -1), opTimeoutMs);
      lastVersion.set(key, stat.version);
      return { version: stat.version, mzxid: stat.mzxid };
    });
  });
}
