import { ErrorCode, KeeperError } from "../core/client/mod.ts";

/** Where a recipe is in its life: built, running, or finished for good (Curator's latent/started/closed). */
export const RecipeState = { latent: "latent", started: "started", closed: "closed" } as const;
/** One of {@link RecipeState}. */
export type RecipeState = (typeof RecipeState)[keyof typeof RecipeState];

/**
 * The latent -> started -> closed guard every recipe carries. Starting twice or after close is a
 * programmer error (thrown); closing twice is allowed and does nothing the second time.
 *
 * @example
 * const life = new RecipeLifecycle("NodeCache");
 * life.start(); // latent -> started
 * if (life.close()) await cleanUp(); // true only the first time
 */
export class RecipeLifecycle {
  readonly #name: string;
  #state: RecipeState = RecipeState.latent;

  constructor(name: string) {
    this.#name = name;
  }

  get state(): RecipeState {
    return this.#state;
  }

  /** latent -> started; throws when already started or closed. */
  start(): void {
    if (this.#state !== RecipeState.latent) throw new Error(`${this.#name}: start() when ${this.#state}`);
    this.#state = RecipeState.started;
  }

  /** Throws unless started: operations on a latent or closed recipe are programmer errors. */
  assertStarted(): void {
    if (this.#state !== RecipeState.started) throw new Error(`${this.#name}: used when ${this.#state}, not started`);
  }

  /** -> closed; true when this call did the transition (so the caller cleans up exactly once). */
  close(): boolean {
    if (this.#state === RecipeState.closed) return false;
    this.#state = RecipeState.closed;
    return true;
  }
}

/** True for a KeeperError with one of the codes. */
export function isKeeperCode(error: unknown, ...codes: number[]): error is KeeperError {
  return error instanceof KeeperError && codes.includes(error.code);
}

/**
 * Creates every missing ancestor of `path` (not `path` itself) as an empty persistent node,
 * top-down with a loop; a node someone else created first is fine.
 *
 * @example await ensureParents(client, "/queues/jobs/qn-"); // creates /queues and /queues/jobs
 */
export async function ensureParents(client: { create(path: string): Promise<unknown> }, path: string): Promise<void> {
  const parts = path.split("/").filter((p) => p !== "");
  let prefix = "";
  for (let i = 0; i < parts.length - 1; i++) {
    prefix += "/" + parts[i];
    try {
      await client.create(prefix);
    } catch (err) {
      if (!isKeeperCode(err, ErrorCode.NODEEXISTS)) throw err;
    }
  }
}

/** `ensureParents` plus `path` itself. */
export async function ensurePath(client: { create(path: string): Promise<unknown> }, path: string): Promise<void> {
  await ensureParents(client, path + "/x");
}

/** Re-exported so recipes keep importing it from here; it lives with the client. */
import { raceAbort } from "../core/client/mod.ts";
export { raceAbort };

/**
 * A resettable wake-up: `wait()` resolves at the next `fire()`. One stable `fire` function doubles
 * as a ZooKeeper watcher, so re-arming a watch never piles up callbacks (the client keeps a Set).
 *
 * @example const wake = new WakeUp(); await client.exists(p, { watch: wake.fire }); await wake.wait(signal);
 */
export class WakeUp {
  #resolve: (() => void) | undefined;
  #promise: Promise<void>;

  constructor() {
    this.#promise = new Promise((r) => (this.#resolve = r));
  }

  readonly fire = (): void => {
    const resolve = this.#resolve;
    this.#promise = new Promise((r) => (this.#resolve = r));
    resolve?.();
  };

  /** The promise of the next fire (take it before the read that arms the watch). */
  next(): Promise<void> {
    return this.#promise;
  }

  /** Sleeps until the next fire, a timeout (`ms`) or abort. */
  async wait(signal: AbortSignal | undefined, next: Promise<void> = this.#promise, ms?: number): Promise<void> {
    if (ms === undefined) return raceAbort(next, signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, ms))));
    try {
      await raceAbort(Promise.race([next, timeout]), signal);
    } finally {
      clearTimeout(timer);
    }
  }
}
