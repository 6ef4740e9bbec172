/**
 * Mutex: an exclusive, reentrant lock shared across processes, laid out as Curator's
 * InterProcessMutex (`<path>/_c_<uuid>-lock-<counter>`), so both exclude each other.
 */
import type { Client, Data } from "../core/client/mod.ts";
import type { ConnectionPolicyOptions } from "./connection_policy.ts";
import { type AcquireOptions, SequenceLock } from "./lock_internals.ts";
import type { Lease } from "./lock_lease.ts";
import { standardDriver } from "./sorted_sequence.ts";

export type { AcquireOptions } from "./lock_internals.ts";
export type { Lease } from "./lock_lease.ts";

/** Curator's InterProcessMutex lock name. */
export const MUTEX_LOCK_NAME = "lock-";

/** How a Mutex behaves. */
export interface MutexOptions extends ConnectionPolicyOptions {
  /** Stored in the lock node, e.g. a host name for operators. Default empty. */
  data?: Data | null;
}

/**
 * An exclusive lock on a path. Waiters queue in creation order and each watches only its
 * predecessor. Every acquisition returns a {@link Lease} with a fencing token.
 *
 * @example
 * await using mutex = new Mutex(client, "/locks/orders");
 * {
 *   await using lease = await mutex.acquire({ signal: AbortSignal.timeout(5000) });
 *   await writeOrders({ fencingToken: lease.fencingToken });
 * } // released here
 */
export class Mutex implements AsyncDisposable {
  readonly path: string;
  readonly #lock: SequenceLock;

  constructor(client: Client, path: string, opts: MutexOptions = {}) {
    this.path = path;
    this.#lock = new SequenceLock(client, {
      ...opts,
      dir: path,
      lockName: MUTEX_LOCK_NAME,
      driver: () => standardDriver(1),
    });
  }

  /**
   * Waits for the lock. The same owner (default: this Mutex) acquiring again gets a reentrant
   * hold; each hold is released on its own and the last release deletes the node.
   *
   * @example const lease = await mutex.acquire({ signal: AbortSignal.timeout(1000) });
   */
  acquire(opts: AcquireOptions = {}): Promise<Lease> {
    return this.#lock.acquire(opts.owner ?? this, opts.signal);
  }

  /**
   * True when the owner (default: this Mutex) holds the lock and has not lost it.
   *
   * @example if (!mutex.isHeld()) await mutex.acquire();
   */
  isHeld(owner: object = this): boolean {
    return this.#lock.isHeldBy(owner);
  }

  /**
   * Lock node names in queue order: the holder first (Curator's getParticipantNodes).
   *
   * @example const [holder, ...waiting] = await mutex.participants();
   */
  participants(opts: { signal?: AbortSignal } = {}): Promise<string[]> {
    return this.#lock.participants(opts.signal);
  }

  /**
   * Releases every hold of this object and refuses further acquisitions.
   *
   * @example await mutex.close();
   */
  close(): Promise<void> {
    return this.#lock.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
