/**
 * Semaphore: at most `maxLeases` holders at once, laid out as Curator's InterProcessSemaphoreV2
 * (`<path>/locks` serializes the counting, `<path>/leases/_c_<uuid>-lease-<counter>` are the leases).
 */
import { type Client, type Data, ErrorCode, KeeperError } from "../core/client/mod.ts";
import type { ConnectionPolicyOptions } from "./connection_policy.ts";
import { raceAbort, RecipeState } from "./recipe_state.ts";
import { HeldNode, type Lease } from "./lock_lease.ts";
import { Mutex } from "./lock.ts";
import { createProtected, deleteNode, whenConnected } from "./sorted_sequence.ts";

/** Curator's InterProcessSemaphoreV2 names. */
export const SemaphoreLayout = { locks: "locks", leases: "leases", leaseName: "lease-" } as const;

/** Rounds of "count, wait for a change" before asserting (each needs a change in leases/). */
const COUNT_ROUNDS_MAX = 1_000_000;

/** How a Semaphore behaves. */
export interface SemaphoreOptions extends ConnectionPolicyOptions {
  /** How many holders at once (all participants must agree on it). */
  maxLeases: number;
  /** Stored in each lease node. Default empty. */
  data?: Data | null;
}

/**
 * A counting semaphore across processes. Only the participant holding `<path>/locks` creates
 * and counts, so lease nodes beyond `maxLeases` never exist except the one waiting under that lock.
 *
 * @example
 * await using pool = new Semaphore(client, "/semaphores/db", { maxLeases: 3 });
 * await using lease = await pool.acquire({ signal: AbortSignal.timeout(10_000) });
 * await runQuery({ fencingToken: lease.fencingToken });
 */
export class Semaphore implements AsyncDisposable {
  readonly path: string;
  readonly maxLeases: number;
  readonly #client: Client;
  readonly #opts: SemaphoreOptions;
  readonly #lock: Mutex;
  readonly #held = new Set<HeldNode>();
  #state: RecipeState = RecipeState.latent;

  constructor(client: Client, path: string, opts: SemaphoreOptions) {
    if (!Number.isInteger(opts.maxLeases) || opts.maxLeases < 1) throw new RangeError(`maxLeases must be a positive integer, got ${opts.maxLeases}`);
    this.path = path;
    this.maxLeases = opts.maxLeases;
    this.#client = client;
    this.#opts = opts;
    this.#lock = new Mutex(client, `${path}/${SemaphoreLayout.locks}`, { suspendedGraceMs: opts.suspendedGraceMs });
  }

  /**
   * Waits for a lease. Every call is a separate holder (a semaphore is not reentrant).
   *
   * @example await using lease = await semaphore.acquire({ signal: AbortSignal.timeout(5000) });
   */
  async acquire(opts: { signal?: AbortSignal } = {}): Promise<Lease> {
    if (this.#state === RecipeState.closed) throw new Error("semaphore is closed");
    this.#state = RecipeState.started;
    const leasesDir = `${this.path}/${SemaphoreLayout.leases}`;
    // A fresh owner per call: two local acquires queue on the lock like two processes.
    const lockLease = await this.#lock.acquire({ owner: {}, signal: opts.signal });
    try {
      const node = await createProtected(this.#client, { dir: leasesDir, lockName: SemaphoreLayout.leaseName, data: this.#opts.data, signal: opts.signal });
      try {
        await this.#waitForRoom(leasesDir, node.name, opts.signal);
      } catch (err) {
        const cleanup = deleteNode(this.#client, node.path).catch(() => undefined);
        if (this.#client.state === "connected") await cleanup;
        throw err;
      }
      const held: HeldNode = new HeldNode(this.#client, node, this.#opts, () => this.#held.delete(held));
      this.#held.add(held);
      return held.lease();
    } finally {
      await lockLease.release();
    }
  }

  async #waitForRoom(leasesDir: string, ourName: string, signal: AbortSignal | undefined): Promise<void> {
    for (let round = 0; round < COUNT_ROUNDS_MAX; round++) {
      let wake: () => void = () => {};
      const changed = new Promise<void>((resolve) => (wake = resolve));
      const { children } = await whenConnected(this.#client, () => this.#client.getChildren(leasesDir, { watch: () => wake() }), signal);
      if (!children.includes(ourName)) throw new KeeperError(ErrorCode.NONODE, `${leasesDir}/${ourName}`);
      if (children.length <= this.maxLeases) return;
      await raceAbort(changed, signal);
    }
    throw new Error(`semaphore: more than ${COUNT_ROUNDS_MAX} rounds`);
  }

  /**
   * The lease node names currently present (holders, plus at most one waiter).
   *
   * @example const n = (await semaphore.participants()).length;
   */
  async participants(opts: { signal?: AbortSignal } = {}): Promise<string[]> {
    try {
      const dir = `${this.path}/${SemaphoreLayout.leases}`;
      return (await whenConnected(this.#client, () => this.#client.getChildren(dir), opts.signal)).children.sort();
    } catch (err) {
      if (err instanceof KeeperError && err.code === ErrorCode.NONODE) return [];
      throw err;
    }
  }

  /**
   * Returns every lease this object holds and refuses new acquisitions.
   *
   * @example await semaphore.close();
   */
  async close(): Promise<void> {
    if (this.#state === RecipeState.closed) return;
    this.#state = RecipeState.closed;
    const held = [...this.#held];
    this.#held.clear();
    await Promise.all([...held.map((h) => h.forceRelease().catch(() => undefined)), this.#lock.close()]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
