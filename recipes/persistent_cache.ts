import { type Client, ErrorCode, EventType, type PersistentWatch, type WatchedEvent } from "../core/client/mod.ts";
import { CacheBase, type CacheOptions, childPath, readNode } from "./cache_base.ts";
import { isKeeperCode } from "./recipe_state.ts";

export type { CacheChange, CacheEvent, CacheInitialized, CachedNode, CacheOptions } from "./cache_base.ts";

/**
 * A subtree cache on one persistent recursive watch (Curator's CuratorCache; needs ZooKeeper 3.6+):
 * no per-node watches to re-arm, each created / changed / deleted event re-reads that node.
 * The initial load and the resync after a reconnect walk the tree with an explicit stack and
 * diff it against the table, so changes made while disconnected are still reported.
 * ZooKeeper before 3.9 keeps one watch mode per path and session (ZOOKEEPER-4466): a one-shot watch
 * the same session sets on the root replaces the recursive one, so give such a cache its own client.
 *
 * @example
 * await using cache = new PersistentCache(client, "/services");
 * const events = cache.events({ signal });
 * await cache.start();
 * for await (const e of events) console.log(e.type, "path" in e ? e.path : "");
 */
export class PersistentCache extends CacheBase {
  #watch: PersistentWatch | undefined;

  constructor(client: Client, root: string, opts: CacheOptions = {}) {
    super("PersistentCache", client, root, opts);
  }

  protected override async begin(): Promise<void> {
    this.#watch = await this.client.addWatch(this.root, (e) => this.#onEvent(e), { recursive: true });
  }

  protected override async end(): Promise<void> {
    await this.#watch?.remove().catch(() => undefined);
  }

  #onEvent(event: WatchedEvent): void {
    // State events (type None) are handled once, by the reconnect resync in CacheBase.
    if (event.type === EventType.NodeCreated || event.type === EventType.NodeDataChanged || event.type === EventType.NodeDeleted) {
      this.enqueueRefresh(event.path);
    }
  }

  protected override async refresh(path: string): Promise<void> {
    const result = await readNode(this.client, path);
    if (result === null) this.removeSubtree(path);
    else this.put(path, result);
  }

  protected override async resync(): Promise<void> {
    const seen = new Set<string>();
    const stack = [this.root];
    // Pre-order walk, children in name order; every path is visited once (it is a tree).
    while (stack.length > 0) {
      const path = stack.pop()!;
      const result = await readNode(this.client, path);
      if (result === null) continue;
      seen.add(path);
      this.put(path, result);
      let children: string[] = [];
      try {
        ({ children } = await this.client.getChildren(path));
      } catch (err) {
        if (!isKeeperCode(err, ErrorCode.NONODE)) throw err;
      }
      for (const name of [...children].sort().reverse()) stack.push(childPath(path, name));
    }
    for (const path of this.knownPaths()) if (!seen.has(path)) this.removeSubtree(path);
  }
}
