import { OpKind } from "../../history/history.ts";
import { type ActorContext, ActorSession, sleep, withTimeout } from "./actor.ts";

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

const THINK_MS_MAX = 15;

/**
 * One register client: synced reads (sync + getData, checked for linearizability), plain reads
 * (only for the session guarantees), blind writes and CAS writes (setData with the version it
 * last saw), on the current generation's keys, one operation at a time, until the phase ends.
 */
export async function runRegisterActor(context: ActorContext, space: RegisterSpace, startedAt: number): Promise<number> {
  const session = new ActorSession(context);
  const lastVersion = new Map<string, number>();
  let written = 0;
  // Bounded by the phase: the signal ends it.
  while (!context.signal.aborted) {
    const zk = await session.get();
    if (zk === undefined) break;
    const key = context.random.pick(space.current(context.recorder.now() - startedAt));
    const roll = context.random.next();
    const { recorder, process, opTimeoutMs } = context;
    const base = { process, session: zk.sessionId, key };
    if (roll < 0.45) {
      const sync = roll < 0.35;
      const op = recorder.invoke({ ...base, kind: OpKind.read, sync });
      try {
        if (sync) await withTimeout(zk.sync(key), opTimeoutMs);
        const data = await withTimeout(zk.getData(key), opTimeoutMs);
        recorder.ok(op, { value: data.value ?? "", version: data.version, mzxid: data.mzxid }, zk.lastZxid());
        lastVersion.set(key, data.version);
      } catch (err) {
        recorder.error(op, err);
        await session.noteError(err);
      }
    } else {
      const cas = roll >= 0.7;
      const value = `${context.label}-${++written}`;
      const expectedVersion = cas ? (lastVersion.get(key) ?? 0) : undefined;
      const op = recorder.invoke({ ...base, kind: cas ? OpKind.cas : OpKind.write, value, ...(cas ? { expectedVersion } : {}) });
      try {
        const stat = await withTimeout(zk.setData(key, value, expectedVersion ?? -1), opTimeoutMs);
        recorder.ok(op, { version: stat.version, mzxid: stat.mzxid }, zk.lastZxid());
        lastVersion.set(key, stat.version);
      } catch (err) {
        recorder.error(op, err);
        await session.noteError(err);
      }
    }
    await sleep(context.random.int(THINK_MS_MAX), context.signal);
  }
  await session.abandon();
  return session.opened;
}
