/**
 * LeaderLatch: join an election and stay in it; the participant with the lowest sequence node
 * leads. Laid out as Curator's LeaderLatch (`<path>/_c_<uuid>-latch-<counter>`, data = id), so
 * Curator and Paddock participants elect one leader between them.
 */
import type { Client } from "../core/client/mod.ts";
import { type ConnectionPolicyOptions, LossReason, OwnershipLostError, watchOwnership } from "./connection_policy.ts";
import { electionParticipants, type Leadership, type Participant } from "./leader_participants.ts";
import { raceAbort, RecipeState } from "./recipe_state.ts";
import {
  anySignal, createProtected, deleteNode, isConnectionLoss, type SequenceNode, sortedSiblings, waitForDeletion,
} from "./sorted_sequence.ts";

export type { Leadership, Participant } from "./leader_participants.ts";

/** Curator's LeaderLatch node name. */
export const LATCH_NAME = "latch-";
/** Rounds of the election loop before asserting; each needs a change in the election. */
const ELECTION_ROUNDS_MAX = 1_000_000;
/** Pause after an unexpected error before the loop tries again. */
const ERROR_BACKOFF_MS = 100;

/** How a LeaderLatch behaves. */
export interface LeaderLatchOptions extends ConnectionPolicyOptions {
  /** This participant's id, stored in its node. Default: a random uuid. */
  id?: string;
}

/** The events a LeaderLatch emits. */
export interface LeaderLatchEvents {
  leader: Leadership;
  notLeader: undefined;
  error: unknown;
}

/**
 * A long-running election participant. Leadership ends when the session is suspended beyond the
 * grace period or expires (the `notLeader` event, and the term's signal aborts); after a
 * suspension the latch re-joins at the back once reconnected, as Curator's does.
 *
 * @example
 * await using latch = new LeaderLatch(client, "/election/scheduler", { id: "host-1" });
 * latch.start();
 * const term = await latch.await({ signal: AbortSignal.timeout(30_000) });
 * while (!term.signal.aborted) await scheduleOnce({ fencingToken: term.fencingToken });
 */
export class LeaderLatch implements AsyncDisposable {
  readonly path: string;
  readonly id: string;
  readonly #client: Client;
  readonly #opts: LeaderLatchOptions;
  readonly #closing = new AbortController();
  readonly #listeners = { leader: new Set<(v: Leadership) => void>(), notLeader: new Set<(v: undefined) => void>(), error: new Set<(v: unknown) => void>() };
  #state: RecipeState = RecipeState.latent;
  #node: SequenceNode | undefined;
  #term: Leadership | undefined;
  #loop: Promise<void> | undefined;

  constructor(client: Client, path: string, opts: LeaderLatchOptions = {}) {
    this.path = path;
    this.id = opts.id ?? crypto.randomUUID();
    this.#client = client;
    this.#opts = opts;
  }

  /** latent, started or closed. */
  get state(): RecipeState {
    return this.#state;
  }

  /** True while this participant leads. */
  get hasLeadership(): boolean {
    return this.#term !== undefined && !this.#term.signal.aborted;
  }

  /** The current term, if leading. */
  get leadership(): Leadership | undefined {
    return this.hasLeadership ? this.#term : undefined;
  }

  /** Our node's path, once created. */
  get ourPath(): string | undefined {
    return this.#node?.path;
  }

  /**
   * Joins the election (once; a latch cannot be restarted).
   *
   * @example latch.start();
   */
  start(): void {
    if (this.#state !== RecipeState.latent) throw new Error(`cannot start a ${this.#state} LeaderLatch`);
    this.#state = RecipeState.started;
    this.#loop = this.#run();
  }

  /**
   * Listens to `leader` (with the term), `notLeader` or `error`; returns the unsubscribe function.
   *
   * @example latch.on("notLeader", () => stopScheduling());
   */
  on<K extends keyof LeaderLatchEvents>(event: K, listener: (value: LeaderLatchEvents[K]) => void): () => void {
    const set = this.#listeners[event] as Set<(v: LeaderLatchEvents[K]) => void>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Resolves with the term once this participant leads (at once if it does).
   *
   * @example const term = await latch.await({ signal: AbortSignal.timeout(10_000) });
   */
  await(opts: { signal?: AbortSignal } = {}): Promise<Leadership> {
    if (this.#state === RecipeState.closed) return Promise.reject(new Error("LeaderLatch is closed"));
    const now = this.leadership;
    if (now !== undefined) return Promise.resolve(now);
    let off: () => void = () => {};
    const elected = new Promise<Leadership>((resolve) => (off = this.on("leader", resolve)));
    const stopped = anySignal([opts.signal, this.#closing.signal]);
    return raceAbort(elected, stopped).finally(() => off());
  }

  /**
   * Everyone in the election, in order; the first leads.
   *
   * @example const ids = (await latch.participants()).map((p) => p.id);
   */
  participants(opts: { signal?: AbortSignal } = {}): Promise<Participant[]> {
    return electionParticipants(this.#client, this.path, LATCH_NAME, opts.signal);
  }

  /**
   * Leaves the election: ends the term (if leading) and deletes our node.
   *
   * @example await latch.close();
   */
  async close(): Promise<void> {
    if (this.#state === RecipeState.closed) return;
    const wasStarted = this.#state === RecipeState.started;
    this.#state = RecipeState.closed;
    this.#closing.abort(new OwnershipLostError(LossReason.closed));
    if (wasStarted) await this.#loop;
    const node = this.#node;
    this.#node = undefined;
    if (node !== undefined && this.#client.state === "connected") await deleteNode(this.#client, node.path).catch(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run(): Promise<void> {
    const closing = this.#closing.signal;
    for (let round = 0; round < ELECTION_ROUNDS_MAX && !closing.aborted; round++) {
      try {
        await this.#step(closing);
      } catch (err) {
        if (closing.aborted) break;
        const status = this.#client.state;
        if (status === "expired" || status === "closed" || status === "authFailed") {
          this.#node = undefined;
          this.#emit("error", err);
          break;
        }
        if (isConnectionLoss(err)) await this.#client.ready({ signal: closing, wait: true }).catch(() => undefined);
        else {
          this.#emit("error", err);
          await sleep(ERROR_BACKOFF_MS, closing);
        }
      }
    }
  }

  /** One round: make sure we have a node, then lead or wait for our predecessor. */
  async #step(closing: AbortSignal): Promise<void> {
    this.#node ??= await createProtected(this.#client, { dir: this.path, lockName: LATCH_NAME, data: this.id, signal: closing });
    const node = this.#node;
    const sorted = await sortedSiblings(this.#client, this.path, [LATCH_NAME], undefined, closing);
    const index = sorted.indexOf(node.name);
    if (index < 0) {
      // Our node is gone (deleted by hand, or the session was replaced): join again.
      this.#node = undefined;
      return;
    }
    if (index > 0) {
      await waitForDeletion(this.#client, `${this.path}/${sorted[index - 1]}`, closing);
      return;
    }
    await this.#lead(node, closing);
  }

  /** Leads until ownership is lost, our node disappears or the latch closes. */
  async #lead(node: SequenceNode, closing: AbortSignal): Promise<void> {
    const ownership = watchOwnership(this.#client, this.#opts);
    const termEnd = new AbortController();
    const term: Leadership = { path: node.path, fencingToken: node.stat.czxid, signal: anySignal([ownership.signal, termEnd.signal, closing]) };
    this.#term = term;
    this.#emit("leader", term);
    try {
      await this.#whileOurNodeExists(node, term.signal);
    } catch {
      // The term ended (its signal aborted): handled below.
    } finally {
      ownership.stop();
      if (!termEnd.signal.aborted) termEnd.abort(closing.aborted ? closing.reason : new OwnershipLostError(LossReason.suspended));
      this.#term = undefined;
      this.#emit("notLeader", undefined);
    }
    if (closing.aborted) return;
    // Curator's reset: a leader that was told to stop re-joins at the back with a fresh node.
    this.#node = undefined;
    await this.#client.ready({ signal: closing, wait: true });
    await deleteNode(this.#client, node.path, closing);
  }

  /** Returns when our node is deleted; throws when the term's signal aborts. */
  async #whileOurNodeExists(node: SequenceNode, signal: AbortSignal): Promise<void> {
    for (let round = 0; round < ELECTION_ROUNDS_MAX; round++) {
      const stat = await this.#client.exists(node.path).catch(() => node.stat);
      if (stat === null) return;
      await waitForDeletion(this.#client, node.path, signal);
    }
  }

  #emit<K extends keyof LeaderLatchEvents>(event: K, value: LeaderLatchEvents[K]): void {
    for (const listener of [...this.#listeners[event]] as ((v: LeaderLatchEvents[K]) => void)[]) {
      try {
        listener(value);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
