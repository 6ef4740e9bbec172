/**
 * LeaderSelector: take turns leading. Each turn runs `takeLeadership`; leadership ends when it
 * returns (or its signal aborts) and, with `autoRequeue`, the participant queues again. Laid out as
 * Curator's LeaderSelector (an InterProcessMutex: `<path>/_c_<uuid>-lock-<counter>`, data = id).
 */
import type { Client } from "../core/client/mod.ts";
import { type ConnectionPolicyOptions, LossReason, OwnershipLostError } from "./connection_policy.ts";
import { electionParticipants, type Leadership, type Participant } from "./leader_participants.ts";
import { SequenceLock } from "./lock_internals.ts";
import { raceAbort, RecipeState } from "./recipe_state.ts";
import { MUTEX_LOCK_NAME } from "./lock.ts";
import { anySignal, standardDriver } from "./sorted_sequence.ts";

export type { Leadership, Participant } from "./leader_participants.ts";

/** Turns before the selector loop asserts (each turn is one full leadership). */
const TURNS_MAX = 1_000_000_000;
/** Pause after an unexpected error before queueing again. */
const ERROR_BACKOFF_MS = 100;

/** How a LeaderSelector behaves. */
export interface LeaderSelectorOptions extends ConnectionPolicyOptions {
  /** This participant's id, stored in its node. Default: a random uuid. */
  id?: string;
  /**
   * Runs while leading; leadership is given up when the promise settles. It must stop promptly
   * when `leadership.signal` aborts (session suspended beyond the grace period, expired, close).
   */
  takeLeadership: (leadership: Leadership) => Promise<void>;
  /** Queue again after every turn. Default false: call {@link LeaderSelector.requeue}. */
  autoRequeue?: boolean;
  /** Called with errors thrown by takeLeadership or met while queueing. */
  onError?: (error: unknown) => void;
}

/**
 * Takes turns at leadership with other participants (Paddock or Curator) on the same path.
 *
 * @example
 * await using selector = new LeaderSelector(client, "/election/compactor", {
 *   id: "host-1",
 *   autoRequeue: true,
 *   takeLeadership: async ({ signal, fencingToken }) => { await compactOnce({ signal, fencingToken }); },
 * });
 * selector.start();
 */
export class LeaderSelector implements AsyncDisposable {
  readonly path: string;
  readonly id: string;
  readonly #client: Client;
  readonly #opts: LeaderSelectorOptions;
  readonly #lock: SequenceLock;
  readonly #closing = new AbortController();
  #state: RecipeState = RecipeState.latent;
  #queued = 0;
  #wakeQueue: () => void = () => {};
  #term: Leadership | undefined;
  #loop: Promise<void> | undefined;

  constructor(client: Client, path: string, opts: LeaderSelectorOptions) {
    this.path = path;
    this.id = opts.id ?? crypto.randomUUID();
    this.#client = client;
    this.#opts = opts;
    this.#lock = new SequenceLock(client, { ...opts, dir: path, lockName: MUTEX_LOCK_NAME, data: this.id, driver: () => standardDriver(1) });
  }

  /** latent, started or closed. */
  get state(): RecipeState {
    return this.#state;
  }

  /** True while takeLeadership runs for this participant and the term is valid. */
  get hasLeadership(): boolean {
    return this.#term !== undefined && !this.#term.signal.aborted;
  }

  /**
   * Starts queueing for leadership (once).
   *
   * @example selector.start();
   */
  start(): void {
    if (this.#state !== RecipeState.latent) throw new Error(`cannot start a ${this.#state} LeaderSelector`);
    this.#state = RecipeState.started;
    this.#queued = 1;
    this.#loop = this.#run();
  }

  /**
   * Queues for one more turn; false when already queued (or closed).
   *
   * @example if (!selector.hasLeadership) selector.requeue();
   */
  requeue(): boolean {
    if (this.#state !== RecipeState.started || this.#queued > 0) return false;
    this.#queued = 1;
    this.#wakeQueue();
    return true;
  }

  /**
   * Everyone queued, in order; the first leads.
   *
   * @example const leader = (await selector.participants()).find((p) => p.isLeader);
   */
  participants(opts: { signal?: AbortSignal } = {}): Promise<Participant[]> {
    return electionParticipants(this.#client, this.path, MUTEX_LOCK_NAME, opts.signal);
  }

  /**
   * Ends the current term (aborting its signal), leaves the queue and waits for takeLeadership to return.
   *
   * @example await selector.close();
   */
  async close(): Promise<void> {
    if (this.#state === RecipeState.closed) return;
    const wasStarted = this.#state === RecipeState.started;
    this.#state = RecipeState.closed;
    this.#closing.abort(new OwnershipLostError(LossReason.closed));
    this.#wakeQueue();
    if (wasStarted) await this.#loop;
    await this.#lock.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run(): Promise<void> {
    const closing = this.#closing.signal;
    for (let turn = 0; turn < TURNS_MAX && !closing.aborted; turn++) {
      if (this.#queued === 0) await this.#waitForRequeue(closing);
      if (closing.aborted) break;
      this.#queued = 0;
      try {
        await this.#takeTurn(closing);
      } catch (err) {
        if (closing.aborted) break;
        const status = this.#client.state;
        if (status === "expired" || status === "closed" || status === "authFailed") {
          this.#opts.onError?.(err);
          break;
        }
        this.#opts.onError?.(err);
        this.#queued = 1;
        await this.#client.ready({ signal: closing, wait: true }).catch(() => undefined);
        await raceAbort(new Promise((r) => setTimeout(r, ERROR_BACKOFF_MS)), closing).catch(() => undefined);
        continue;
      }
      if (this.#opts.autoRequeue === true) this.#queued = 1;
    }
  }

  async #takeTurn(closing: AbortSignal): Promise<void> {
    const lease = await this.#lock.acquire({}, closing);
    const term: Leadership = { path: lease.path, fencingToken: lease.fencingToken, signal: anySignal([lease.signal, closing]) };
    this.#term = term;
    try {
      await this.#opts.takeLeadership(term);
    } catch (err) {
      if (!term.signal.aborted) this.#opts.onError?.(err);
    } finally {
      this.#term = undefined;
      await lease.release();
    }
  }

  #waitForRequeue(closing: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      this.#wakeQueue = resolve;
      if (closing.aborted || this.#queued > 0) resolve();
    });
  }
}
