import { type Client, ErrorCode } from "../core/client/mod.ts";
import { CacheBase, type CacheOptions, childPath, depthBelow, readNode } from "./cache_base.ts";
import { isKeeperCode } from "./recipe_state.ts";

export type { CacheChange, CacheEvent, CacheInitialized, CachedNode, CacheOptions } from "./cache_base.ts";

/** Options of a {@link TreeCache}. */
export interface TreeCacheOptions extends CacheOptions {
  /** How deep below the root to cache (0: the root only). Default unlimited. */
  maxDepth?: number;
}

/**
 * A cache of a whole subtree kept by one-shot watches (Curator's TreeCache): every node gets a
 * data watch and, above `maxDepth`, a child watch; each firing re-reads that one node and the
 * difference becomes `added` / `updated` / `removed`. The tree is walked with a queue, never by
 * recursion. A missing root is watched with exists() and picked up when it appears.
 *
 * @example
 * await using cache = new TreeCache(client, "/app");
 * cache.on((e) => console.log(e.type, "path" in e ? e.path : ""));
 * await cache.start();
 * console.log(cache.nodes().size);
 */
export class TreeCache extends CacheBase {
  readonly #maxDepth: number;
  /** One stable watcher: the client keeps watchers in a Set, so re-arming never stacks callbacks. */
  readonly #watcher = (event: { path: string }): void => this.enqueueRefresh(event.path);

  constructor(client: Client, root: string, opts: TreeCacheOptions = {}, name = "TreeCache") {
    super(name, client, root, opts);
    this.#maxDepth = opts.maxDepth ?? Number.MAX_SAFE_INTEGER;
  }

  protected override async resync(): Promise<void> {
    this.enqueueRefresh(this.root);
    for (const path of this.knownPaths()) this.enqueueRefresh(path);
  }

  protected override async refresh(path: string): Promise<void> {
    const depth = depthBelow(this.root, path);
    if (depth > this.#maxDepth) return;
    const result = await readNode(this.client, path, this.#watcher);
    if (result === null) {
      // Only the root is watched while missing; a vanished child comes back through its parent.
      if (path === this.root && (await this.client.exists(path, { watch: this.#watcher })) !== null) {
        this.enqueueRefresh(path);
      }
      this.removeSubtree(path);
      return;
    }
    this.put(path, result);
    if (depth === this.#maxDepth) return;
    let children: string[];
    try {
      ({ children } = await this.client.getChildren(path, { watch: this.#watcher }));
    } catch (err) {
      // Deleted between the two reads: its data watch has fired and queued another refresh.
      if (isKeeperCode(err, ErrorCode.NONODE)) return;
      throw err;
    }
    const now = new Set(children);
    for (const name of this.childNames(path)) if (!now.has(name)) this.removeSubtree(childPath(path, name));
    for (const name of [...children].sort()) {
      const child = childPath(path, name);
      if (!this.has(child)) this.enqueueRefresh(child);
    }
  }
}
