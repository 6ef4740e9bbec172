import { type Client, type DataResult, ErrorCode, type Stat, type WatchedEvent } from "../core/client/mod.ts";
import { Listeners, type StreamOptions } from "./listeners.ts";
import { isKeeperCode, raceAbort, RecipeLifecycle, RecipeState } from "./recipe_state.ts";

/** One cached znode: its path, bytes and Stat as last read. */
export interface CachedNode {
  path: string;
  data: Uint8Array;
  stat: Stat;
}

/** A change the cache saw: a node appeared, changed or went away (with its last known data). */
export interface CacheChange extends CachedNode {
  type: "added" | "updated" | "removed";
}

/** The initial load is complete: every node that existed at start has been reported as `added`. */
export interface CacheInitialized {
  type: "initialized";
}

/**
 * What every cache emits. A delete followed by a re-create (a new czxid) is `removed` then `added`,
 * never `updated`, even when both happened while the cache was disconnected.
 */
export type CacheEvent = CacheChange | CacheInitialized;

/** Options shared by every cache. */
export interface CacheOptions {
  /** Called with read errors other than connection loss (which the reconnect resync repairs). */
  onError?: (error: unknown) => void;
  /** Most nodes the cache holds (and reads queued at once); beyond it errors are reported. Default 100000. */
  maxNodes?: number;
}

const RESYNC = "\u0000resync";

/** The parent's path and the child's name joined ("/" is special). */
export function childPath(parent: string, name: string): string {
  return parent === "/" ? "/" + name : `${parent}/${name}`;
}

/** How many segments `path` lies below `root` (0 for the root itself). */
export function depthBelow(root: string, path: string): number {
  if (path === root) return 0;
  const rest = root === "/" ? path.slice(1) : path.slice(root.length + 1);
  let depth = 1;
  for (let i = 0; i < rest.length; i++) if (rest.charCodeAt(i) === 47) depth++;
  return depth;
}

/**
 * What the caches share: the latent/started/closed guard, the node table with its change rules
 * (czxid decides removed+added, mzxid decides updated), one serial queue of reads (so events come
 * out in the order the cache learned of them), the initial-load event, and a full resync after
 * every reconnect, because a watch cannot tell what happened while the connection was down.
 * Engines supply `refresh(path)` and `resync()`.
 */
export abstract class CacheBase implements AsyncDisposable {
  protected readonly client: Client;
  protected readonly root: string;
  protected readonly lifecycle: RecipeLifecycle;
  readonly #listeners = new Listeners<CacheEvent>();
  readonly #nodes = new Map<string, CachedNode>();
  readonly #children = new Map<string, Set<string>>();
  readonly #pending = new Set<string>();
  readonly #maxNodes: number;
  readonly #onError: (error: unknown) => void;
  #draining = false;
  #initialized = false;
  #initializedWaiters: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];
  #offState: (() => void) | undefined;

  constructor(name: string, client: Client, root: string, opts: CacheOptions) {
    this.client = client;
    this.root = root;
    this.lifecycle = new RecipeLifecycle(name);
    this.#maxNodes = opts.maxNodes ?? 100_000;
    this.#onError = opts.onError ?? (() => {});
  }

  /** `latent`, `started` or `closed`. */
  get state(): RecipeState {
    return this.lifecycle.state;
  }

  /**
   * Starts watching and loading; resolves once the initial load is done (after `initialized`).
   * Subscribe (`on`, `events`) before start to see the initial `added` events.
   */
  async start(opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.lifecycle.start();
    // A watch cannot report what changed while disconnected: after every reconnect, read it all again.
    this.#offState = this.client.on("state", (s) => {
      if (s === "reconnected") this.#enqueue(RESYNC);
    });
    await this.begin();
    this.#enqueue(RESYNC);
    await this.whenInitialized(opts);
  }

  /** Resolves when the initial load has completed. */
  whenInitialized(opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#initialized) return Promise.resolve();
    return raceAbort(new Promise<void>((r) => this.#initializedWaiters.push(r)), opts.signal);
  }

  /** Resolves when no read is queued or running (the cache has applied everything it was told). */
  whenIdle(opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (!this.#draining && this.#pending.size === 0) return Promise.resolve();
    return raceAbort(new Promise<void>((r) => this.#idleWaiters.push(r)), opts.signal);
  }

  /** Adds a callback for every event; returns the function that removes it. */
  on(listener: (event: CacheEvent) => void): () => void {
    return this.#listeners.on(listener);
  }

  /** Events from now on as an async iterator; it ends when the cache closes. */
  events(opts: StreamOptions = {}): AsyncIterableIterator<CacheEvent> {
    return this.#listeners.stream(opts);
  }

  /** The cached node at `path`, if any. */
  get(path: string): CachedNode | undefined {
    return this.isVisible(path) ? this.#nodes.get(path) : undefined;
  }

  /** A snapshot of every cached node, keyed by path. */
  nodes(): Map<string, CachedNode> {
    const out = new Map<string, CachedNode>();
    for (const [path, node] of this.#nodes) if (this.isVisible(path)) out.set(path, node);
    return out;
  }

  /** The cached children's names of `path` (sorted). */
  childNames(path: string): string[] {
    return [...(this.#children.get(path) ?? [])].sort();
  }

  /** Stops watching; further events are dropped and the iterators end. */
  async close(): Promise<void> {
    if (!this.lifecycle.close()) return;
    this.#offState?.();
    this.#pending.clear();
    this.#listeners.end();
    await this.end();
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- for the engines -------------------------------------------------------------------------

  /** Registers what the engine needs before the first read (a persistent watch, say). */
  protected async begin(): Promise<void> {}
  /** Releases what begin() took. */
  protected async end(): Promise<void> {}
  /** Reads one path and applies it (put / removeSubtree). */
  protected abstract refresh(path: string): Promise<void>;
  /** Reads everything again and applies the differences. */
  protected abstract resync(): Promise<void>;
  /** Whether events for this path are reported (ChildrenCache hides its parent). */
  protected isVisible(_path: string): boolean {
    return true;
  }

  protected enqueueRefresh(path: string): void {
    this.#enqueue(path);
  }

  protected has(path: string): boolean {
    return this.#nodes.has(path);
  }

  protected knownPaths(): string[] {
    return [...this.#nodes.keys()];
  }

  /** Applies a read: added, updated, or removed+added when the czxid shows a new incarnation. */
  protected put(path: string, result: DataResult): void {
    const old = this.#nodes.get(path);
    const node: CachedNode = { path, data: result.data ?? new Uint8Array(0), stat: result.stat };
    if (old !== undefined && old.stat.czxid === node.stat.czxid) {
      if (old.stat.mzxid === node.stat.mzxid) {
        // Same data; keep the newer Stat (children counts, pzxid) without an event.
        this.#nodes.set(path, node);
        return;
      }
      this.#nodes.set(path, node);
      this.#emit({ type: "updated", ...node });
      return;
    }
    if (old !== undefined) this.removeSubtree(path);
    if (this.#nodes.size >= this.#maxNodes) {
      this.#onError(new RangeError(`cache of ${this.root} is full (${this.#maxNodes} nodes)`));
      return;
    }
    this.#nodes.set(path, node);
    if (path !== this.root) {
      const parent = path.slice(0, Math.max(1, path.lastIndexOf("/")));
      let set = this.#children.get(parent);
      if (set === undefined) this.#children.set(parent, (set = new Set()));
      set.add(path.slice(path.lastIndexOf("/") + 1));
    }
    this.#emit({ type: "added", ...node });
  }

  /** Removes a node and everything cached below it, deepest first (as ZooKeeper must delete them). */
  protected removeSubtree(path: string): void {
    if (!this.#nodes.has(path)) return;
    const doomed: string[] = [];
    const stack = [path];
    // Each node is pushed once: the child index is a tree.
    while (stack.length > 0) {
      const p = stack.pop()!;
      doomed.push(p);
      for (const name of this.#children.get(p) ?? []) stack.push(childPath(p, name));
    }
    doomed.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    for (const p of doomed) {
      const node = this.#nodes.get(p);
      this.#nodes.delete(p);
      this.#children.delete(p);
      if (p !== this.root) this.#children.get(p.slice(0, Math.max(1, p.lastIndexOf("/"))))?.delete(p.slice(p.lastIndexOf("/") + 1));
      if (node !== undefined) this.#emit({ type: "removed", ...node });
    }
  }

  // ---- the serial read queue ---------------------------------------------------------------------

  #enqueue(path: string): void {
    if (this.lifecycle.state !== RecipeState.started) return;
    if (this.#pending.size >= this.#maxNodes) {
      // Too much to read one by one: one full resync covers every queued path.
      this.#pending.clear();
      this.#pending.add(RESYNC);
    } else {
      this.#pending.add(path);
    }
    if (!this.#draining) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#pending.size > 0 && this.lifecycle.state === RecipeState.started) {
        const path = this.#pending.values().next().value as string;
        this.#pending.delete(path);
        try {
          await (path === RESYNC ? this.resync() : this.refresh(path));
        } catch (err) {
          // Connection loss is repaired by the resync after reconnect; expiry ends the cache's use.
          if (!isKeeperCode(err, ErrorCode.CONNECTIONLOSS, ErrorCode.SESSIONEXPIRED, ErrorCode.OPERATIONTIMEOUT)) this.#onError(err);
        }
      }
    } finally {
      this.#draining = false;
    }
    if (this.lifecycle.state !== RecipeState.started) return;
    if (!this.#initialized) {
      this.#initialized = true;
      this.#emit({ type: "initialized" });
      for (const w of this.#initializedWaiters.splice(0)) w();
    }
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  #emit(event: CacheEvent): void {
    if (event.type !== "initialized" && !this.isVisible(event.path)) return;
    if (this.lifecycle.state !== RecipeState.started) return;
    this.#listeners.emit(event);
  }
}

/** getData that answers null for a missing node. */
export async function readNode(client: Client, path: string, watch?: (event: WatchedEvent) => void): Promise<DataResult | null> {
  try {
    return await client.getData(path, watch === undefined ? {} : { watch });
  } catch (err) {
    if (isKeeperCode(err, ErrorCode.NONODE)) return null;
    throw err;
  }
}
