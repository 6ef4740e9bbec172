/**
 * A reentrant lock over the sorted-sequence primitive: one node per owner, a driver per lock kind.
 * Mutex, both sides of ReadWriteLock and LeaderSelector are this with different names and drivers.
 */
import { type Client, type Data, ErrorCode } from "../core/client/mod.ts";
import type { ConnectionPolicyOptions } from "./connection_policy.ts";
import { HeldNode, type Lease } from "./lock_lease.ts";
import { isKeeperCode, RecipeState } from "./recipe_state.ts";
import { createProtected, deleteNode, sortedSiblings, type SequenceDriver, waitForTurn } from "./sorted_sequence.ts";

/** Options of an acquisition. */
export interface AcquireOptions {
  /** Gives up waiting (and removes our node) on abort; `AbortSignal.timeout(ms)` for a deadline. */
  signal?: AbortSignal;
  /**
   * Who acquires: the same owner acquiring again gets a reentrant hold on the same node.
   * Default: the lock object itself (so two concurrent tasks sharing one lock object must pass
   * distinct owners to exclude each other).
   */
  owner?: object;
}

/** How a SequenceLock is built. */
export interface SequenceLockConfig extends ConnectionPolicyOptions {
  dir: string;
  lockName: string;
  /** Names stripped for sorting, default [lockName]. */
  sortNames?: readonly string[];
  /** The driver for one acquisition by `owner`. */
  driver: (owner: object) => SequenceDriver;
  /** Stored in the lock node (Curator stores the participant id or host address). */
  data?: Data | null;
}


/** Attempts to re-create a node that vanished while waiting (a session that was replaced). */
const NODE_LOST_RETRIES_MAX = 3;

/**
 * The reentrant sequence lock. Not exported from the barrel: use Mutex, ReadWriteLock, Semaphore.
 *
 * @example const lock = new SequenceLock(client, { dir: "/l", lockName: "lock-", driver: () => standardDriver(1) });
 */
export class SequenceLock implements AsyncDisposable {
  readonly client: Client;
  readonly config: SequenceLockConfig;
  readonly #held = new Map<object, HeldNode>();
  readonly #pending = new Map<object, Promise<HeldNode>>();
  #state: RecipeState = RecipeState.latent;

  constructor(client: Client, config: SequenceLockConfig) {
    this.client = client;
    this.config = config;
  }

  get state(): RecipeState {
    return this.#state;
  }

  /** True when this owner holds the lock (and ownership was not lost). */
  isHeldBy(owner: object): boolean {
    const held = this.#held.get(owner);
    return held !== undefined && !held.signal.aborted;
  }

  /** Acquires for `owner`, waiting as long as the signal allows. */
  async acquire(owner: object, signal?: AbortSignal): Promise<Lease> {
    if (this.#state === RecipeState.closed) throw new Error("lock is closed");
    this.#state = RecipeState.started;
    // One owner's concurrent acquires share the first attempt: the second is a reentrant hold.
    for (let i = 0; i < 2; i++) {
      const held = this.#held.get(owner);
      if (held !== undefined && !held.signal.aborted) return held.lease();
      const pending = this.#pending.get(owner);
      if (pending === undefined) break;
      await pending.catch(() => undefined);
    }
    const attempt = this.#attempt(owner, signal);
    this.#pending.set(owner, attempt);
    try {
      const held = await attempt;
      return held.lease();
    } finally {
      this.#pending.delete(owner);
    }
  }

  async #attempt(owner: object, signal: AbortSignal | undefined): Promise<HeldNode> {
    const { dir, lockName } = this.config;
    const sortNames = this.config.sortNames ?? [lockName];
    for (let retry = 0; ; retry++) {
      const node = await createProtected(this.client, { dir, lockName, data: this.config.data, signal });
      try {
        await waitForTurn(this.client, { dir, ourName: node.name, lockNames: sortNames, driver: this.config.driver(owner), signal });
      } catch (err) {
        // Awaited only while connected: an aborted wait must not hang until a reconnect.
        const cleanup = deleteNode(this.client, node.path).catch(() => undefined);
        if (this.client.state === "connected") await cleanup;
        // Our node vanished under us (NoNode from the driver): try again with a new one.
        if (isKeeperCode(err, ErrorCode.NONODE) && retry < NODE_LOST_RETRIES_MAX && this.client.state === "connected") continue;
        throw err;
      }
      const held = new HeldNode(this.client, node, this.config, () => {
        if (this.#held.get(owner) === held) this.#held.delete(owner);
      });
      this.#held.set(owner, held);
      if (this.#state === RecipeState.closed) {
        await held.lease().release();
        throw new Error("lock is closed");
      }
      return held;
    }
  }

  /** The participants' node names in order (holders first). */
  participants(signal?: AbortSignal): Promise<string[]> {
    const sortNames = this.config.sortNames ?? [this.config.lockName];
    return sortedSiblings(this.client, this.config.dir, sortNames, undefined, signal).catch((err) => {
      if (isKeeperCode(err, ErrorCode.NONODE)) return [];
      throw err;
    });
  }

  /** Releases every hold and refuses new acquisitions. */
  async close(): Promise<void> {
    if (this.#state === RecipeState.closed) return;
    this.#state = RecipeState.closed;
    const held = [...this.#held.values()];
    this.#held.clear();
    await Promise.all(held.map((h) => h.forceRelease().catch(() => undefined)));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
