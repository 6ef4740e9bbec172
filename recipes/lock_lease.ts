/**
 * What an acquisition hands back: a lease on one sequence node, with its fencing token and a
 * signal that fires when the connection policy says ownership is lost.
 */
import type { Client } from "../core/client/mod.ts";
import { type ConnectionPolicyOptions, watchOwnership, type OwnershipWatch } from "./connection_policy.ts";
import { deleteNode, type SequenceNode } from "./sorted_sequence.ts";

/**
 * A held lock, read/write lock side or semaphore lease. Release it (or `await using` it) exactly
 * once; a second release is a no-op.
 *
 * @example
 * await using lease = await mutex.acquire({ signal: AbortSignal.timeout(5000) });
 * await store.write(data, { fencingToken: lease.fencingToken, signal: lease.signal });
 */
export interface Lease extends AsyncDisposable {
  /** The sequence node that represents this holder. */
  readonly path: string;
  /**
   * The node's czxid: it grows with every acquisition of the same lock, so a resource that
   * remembers the highest token it has seen can refuse a stale holder.
   */
  readonly fencingToken: bigint;
  /** Aborted (with an OwnershipLostError) once the holder must stop acting as the owner. */
  readonly signal: AbortSignal;
  /** True once ownership was lost (the signal is aborted). */
  readonly lost: boolean;
  /** Gives the lock up; the last release of a reentrant hold deletes the node. */
  release(): Promise<void>;
}

/**
 * One sequence node held by one owner, shared by the reentrant holds on it. When ownership is
 * lost the node is deleted in the background as soon as the session allows, so the next waiter
 * is not blocked by a holder that was told to stop.
 */
export class HeldNode {
  readonly node: SequenceNode;
  readonly #client: Client;
  readonly #ownership: OwnershipWatch;
  readonly #onGone: () => void;
  #holds = 0;
  #deleting: Promise<void> | undefined;

  constructor(client: Client, node: SequenceNode, policy: ConnectionPolicyOptions, onGone: () => void) {
    this.node = node;
    this.#client = client;
    this.#onGone = onGone;
    this.#ownership = watchOwnership(client, policy);
    this.#ownership.signal.addEventListener("abort", () => void this.#delete().catch(() => undefined), { once: true });
  }

  get signal(): AbortSignal {
    return this.#ownership.signal;
  }

  get holds(): number {
    return this.#holds;
  }

  /** A new handle on this node (one more reentrant hold). */
  lease(): Lease {
    if (this.#deleting !== undefined) throw new Error("lease on a node already released");
    this.#holds++;
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      this.#holds--;
      if (this.#holds === 0) await this.#delete();
    };
    const held = this;
    return {
      path: this.node.path,
      fencingToken: this.node.stat.czxid,
      get signal() {
        return held.signal;
      },
      get lost() {
        return held.signal.aborted;
      },
      release,
      [Symbol.asyncDispose]: release,
    };
  }

  /** Deletes the node whatever the number of holds (close of the lock object). */
  forceRelease(): Promise<void> {
    return this.#delete();
  }

  #delete(): Promise<void> {
    this.#deleting ??= (async () => {
      this.#ownership.stop();
      this.#onGone();
      await deleteNode(this.#client, this.node.path);
    })();
    return this.#deleting;
  }
}
