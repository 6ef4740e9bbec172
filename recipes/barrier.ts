import { type Client, ErrorCode } from "../core/client/mod.ts";
import { ensureParents, isKeeperCode, RecipeLifecycle, type RecipeState, WakeUp } from "./recipe_state.ts";

/**
 * A single barrier (Curator's DistributedBarrier): while its znode exists, waiters block; removing
 * it releases them all. Each wait arms one exists() watch with a stable watcher.
 *
 * @example
 * await using barrier = new Barrier(client, "/barriers/deploy");
 * await barrier.start();
 * await barrier.set();                 // coordinator
 * await barrier.wait({ signal: AbortSignal.timeout(10_000) }); // workers
 * await barrier.remove();              // coordinator releases them
 */
export class Barrier implements AsyncDisposable {
  readonly #client: Client;
  readonly #path: string;
  readonly #lifecycle = new RecipeLifecycle("Barrier");
  readonly #wake = new WakeUp();
  readonly #closed = new AbortController();

  constructor(client: Client, path: string) {
    this.#client = client;
    this.#path = path;
  }

  get state(): RecipeState {
    return this.#lifecycle.state;
  }

  start(): Promise<void> {
    this.#lifecycle.start();
    return Promise.resolve();
  }

  /** Puts the barrier up (idempotent). */
  async set(): Promise<void> {
    this.#lifecycle.assertStarted();
    await ensureParents(this.#client, this.#path);
    try {
      await this.#client.create(this.#path);
    } catch (err) {
      if (!isKeeperCode(err, ErrorCode.NODEEXISTS)) throw err;
    }
  }

  /** Takes the barrier down, releasing every waiter (idempotent). */
  async remove(): Promise<void> {
    this.#lifecycle.assertStarted();
    try {
      await this.#client.delete(this.#path);
    } catch (err) {
      if (!isKeeperCode(err, ErrorCode.NONODE)) throw err;
    }
  }

  /** Resolves once the barrier is down; throws the signal's reason on abort. */
  async wait(opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.#lifecycle.assertStarted();
    const signal = opts.signal === undefined ? this.#closed.signal : AbortSignal.any([opts.signal, this.#closed.signal]);
    for (;;) {
      signal.throwIfAborted();
      const next = this.#wake.next();
      if ((await this.#client.exists(this.#path, { watch: this.#wake.fire })) === null) return;
      await this.#wake.wait(signal, next);
    }
  }

  /** Wakes waiters with an error; the barrier node is left as it is. */
  async close(): Promise<void> {
    if (this.#lifecycle.close()) this.#closed.abort(new Error("barrier closed"));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
