import { type Client, CreateMode, type Data, ErrorCode } from "../core/client/mod.ts";
import { ensureParents, ensurePath, isKeeperCode, RecipeLifecycle, type RecipeState, WakeUp } from "./recipe_state.ts";

/** Options of take(). */
export interface TakeOptions {
  /** Gives up waiting (e.g. `AbortSignal.timeout(5000)`); the abort reason is thrown. */
  signal?: AbortSignal;
}

/** An item taken from a queue: its bytes and the znode name it had. */
export interface QueueItem {
  name: string;
  data: Uint8Array;
}

/** How a queue flavour names items and when an item may be taken. */
export interface QueueOrdering {
  /** The name prefix of a new item (the server appends a 10-digit sequence number). */
  prefix(opts: { priority?: number; availableAtMs?: number }): string;
  /** Epoch ms from which the item may be taken (0: at once). */
  availableAtMs(name: string): number;
}

const ITEM_PREFIX = "qn-";
const FIFO: QueueOrdering = { prefix: () => ITEM_PREFIX, availableAtMs: () => 0 };
/** Item names considered per scan; more are left for the next scan (bounded work per call). */
const SCAN_MAX = 10_000;

/**
 * The queue engine shared by {@link DistributedQueue}, PriorityQueue and DelayQueue: items are
 * persistent sequential znodes whose names sort in take order; take() reads the first available
 * item and deletes it, and whoever's delete succeeds owns the item, so each is taken exactly once.
 * An empty queue is waited on with one child watch (a stable watcher, so it never piles up).
 */
export class SequentialQueue implements AsyncDisposable {
  protected readonly client: Client;
  protected readonly path: string;
  readonly #ordering: QueueOrdering;
  readonly #now: () => number;
  readonly #lifecycle: RecipeLifecycle;
  readonly #wake = new WakeUp();
  readonly #closed = new AbortController();

  constructor(client: Client, path: string, ordering: QueueOrdering, opts: { name: string; now?: () => number }) {
    this.client = client;
    this.path = path;
    this.#ordering = ordering;
    this.#now = opts.now ?? Date.now;
    this.#lifecycle = new RecipeLifecycle(opts.name);
  }

  get state(): RecipeState {
    return this.#lifecycle.state;
  }

  /** Creates the queue's znode (and its parents) if missing. */
  async start(): Promise<void> {
    this.#lifecycle.start();
    await ensurePath(this.client, this.path);
  }

  /** Wakes every waiting take() (they throw) and stops the queue; items stay in ZooKeeper. */
  async close(): Promise<void> {
    if (!this.#lifecycle.close()) return;
    this.#closed.abort(new Error("queue closed"));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  protected async putItem(data: Data, opts: { priority?: number; availableAtMs?: number }): Promise<string> {
    this.#lifecycle.assertStarted();
    const prefix = `${this.path}/${this.#ordering.prefix(opts)}`;
    try {
      return (await this.client.create(prefix, data, { mode: CreateMode.PERSISTENT_SEQUENTIAL })).path;
    } catch (err) {
      if (!isKeeperCode(err, ErrorCode.NONODE)) throw err;
      // Someone deleted the queue node: put it back once.
      await ensureParents(this.client, prefix);
      return (await this.client.create(prefix, data, { mode: CreateMode.PERSISTENT_SEQUENTIAL })).path;
    }
  }

  /**
   * Removes and returns the head item, waiting while there is none (or none available yet).
   *
   * @example const job = await queue.take({ signal: AbortSignal.timeout(5000) });
   */
  async take(opts: TakeOptions = {}): Promise<Uint8Array> {
    return (await this.takeItem(opts)).data;
  }

  /** Like take(), with the item's znode name. */
  async takeItem(opts: TakeOptions = {}): Promise<QueueItem> {
    this.#lifecycle.assertStarted();
    const signal = opts.signal === undefined ? this.#closed.signal : AbortSignal.any([opts.signal, this.#closed.signal]);
    for (;;) {
      signal.throwIfAborted();
      const next = this.#wake.next();
      const { item, waitMs } = await this.#tryTake(true);
      if (item !== undefined) return item;
      await this.#wake.wait(signal, next, waitMs);
    }
  }

  /** Removes and returns the head item if one is available now, else null. */
  async poll(): Promise<Uint8Array | null> {
    this.#lifecycle.assertStarted();
    return (await this.#tryTake(false)).item?.data ?? null;
  }

  /** The head item without removing it, or null. */
  async peek(): Promise<Uint8Array | null> {
    this.#lifecycle.assertStarted();
    for (const name of await this.#available(false)) {
      try {
        return (await this.client.getData(`${this.path}/${name}`)).data;
      } catch (err) {
        if (!isKeeperCode(err, ErrorCode.NONODE)) throw err;
      }
    }
    return null;
  }

  /** Items in the queue now (available or not). */
  async size(): Promise<number> {
    this.#lifecycle.assertStarted();
    return (await this.client.getChildren(this.path)).children.filter((n) => n.startsWith(ITEM_PREFIX)).length;
  }

  /** One scan: the first item whose delete we win, or how long until the next becomes available. */
  async #tryTake(watch: boolean): Promise<{ item?: QueueItem; waitMs?: number }> {
    const { children } = await this.client.getChildren(this.path, watch ? { watch: this.#wake.fire } : {});
    const names = children.filter((n) => n.startsWith(ITEM_PREFIX)).sort().slice(0, SCAN_MAX);
    const now = this.#now();
    let waitMs: number | undefined;
    for (const name of names) {
      const at = this.#ordering.availableAtMs(name);
      if (at > now) {
        waitMs = Math.min(waitMs ?? Infinity, at - now);
        continue;
      }
      const itemPath = `${this.path}/${name}`;
      try {
        const { data, stat } = await this.client.getData(itemPath);
        // The delete is the claim: only one client's delete of this version can succeed.
        await this.client.delete(itemPath, stat.version);
        return { item: { name, data: data ?? new Uint8Array(0) } };
      } catch (err) {
        if (!isKeeperCode(err, ErrorCode.NONODE)) throw err;
      }
    }
    return { waitMs };
  }

  async #available(watch: boolean): Promise<string[]> {
    const { children } = await this.client.getChildren(this.path, watch ? { watch: this.#wake.fire } : {});
    const now = this.#now();
    return children.filter((n) => n.startsWith(ITEM_PREFIX) && this.#ordering.availableAtMs(n) <= now).sort();
  }
}

/**
 * A FIFO queue over persistent sequential znodes (Curator's DistributedQueue / SimpleDistributedQueue):
 * items come out in the order the server created them, each taken by exactly one consumer.
 *
 * @example
 * await using queue = new DistributedQueue(client, "/queues/jobs");
 * await queue.start();
 * await queue.put(JSON.stringify({ job: 1 }));
 * const bytes = await queue.take({ signal: AbortSignal.timeout(5000) });
 */
export class DistributedQueue extends SequentialQueue {
  constructor(client: Client, path: string) {
    super(client, path, FIFO, { name: "DistributedQueue" });
  }

  /** Appends an item; returns its znode path. */
  put(data: Data): Promise<string> {
    return this.putItem(data, {});
  }
}

export { ITEM_PREFIX };
