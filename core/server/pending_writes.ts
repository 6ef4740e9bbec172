import type { ApplyResult } from "../txn/apply_txn.ts";

/** A local client's write waiting for its txn to be applied. */
export interface PendingWrite {
  readonly cxid: number;
  /** Answers the client with what applying the txn gave. */
  readonly complete: (zxid: bigint, applied: ApplyResult) => void;
}

/**
 * The writes each local session has in flight, in request order (ZooKeeper's CommitProcessor
 * queues). Txns of one session commit in the order its requests were sent, so the txn for
 * (session, cxid) answers the head of that session's queue, whichever server prepared it.
 */
export class PendingWrites {
  readonly #bySession = new Map<bigint, PendingWrite[]>();

  add(sessionId: bigint, write: PendingWrite): void {
    const queue = this.#bySession.get(sessionId);
    if (queue === undefined) this.#bySession.set(sessionId, [write]);
    else queue.push(write);
  }

  /**
   * The pending write a txn of (session, cxid) answers, removed from its queue; undefined when the
   * txn was not asked for here (another server's client, an expiry, a reaped container).
   */
  take(sessionId: bigint, cxid: number): PendingWrite | undefined {
    const queue = this.#bySession.get(sessionId);
    if (queue === undefined || queue[0]!.cxid !== cxid) return undefined;
    const write = queue.shift()!;
    if (queue.length === 0) this.#bySession.delete(sessionId);
    return write;
  }

  /** Forgets a session's pending writes (its connection is gone and nobody will read the answers). */
  forget(sessionId: bigint): void {
    this.#bySession.delete(sessionId);
  }

  /** Forgets everything (the role ended: none of them will commit through this server). */
  clear(): void {
    this.#bySession.clear();
  }

  get size(): number {
    let count = 0;
    for (const queue of this.#bySession.values()) count += queue.length;
    return count;
  }
}
