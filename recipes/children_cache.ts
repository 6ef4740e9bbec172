import type { Client } from "../core/client/mod.ts";
import type { CachedNode, CacheOptions } from "./cache_base.ts";
import { TreeCache } from "./tree_cache.ts";

export type { CacheChange, CacheEvent, CacheInitialized, CachedNode, CacheOptions } from "./cache_base.ts";

/**
 * The children of one znode with their data (Curator's PathChildrenCache), kept by one-shot
 * watches: events for each child, none for the parent itself. A {@link TreeCache} of depth 1
 * that hides its root.
 *
 * @example
 * await using workers = new ChildrenCache(client, "/workers");
 * workers.on((e) => { if (e.type === "added") console.log("joined", e.path); });
 * await workers.start();
 */
export class ChildrenCache extends TreeCache {
  constructor(client: Client, path: string, opts: CacheOptions = {}) {
    super(client, path, { ...opts, maxDepth: 1 }, "ChildrenCache");
  }

  /** The cached children, keyed by name, sorted by name. */
  children(): Map<string, CachedNode> {
    const out = new Map<string, CachedNode>();
    for (const name of this.childNames(this.root)) {
      const node = this.get(this.root === "/" ? "/" + name : `${this.root}/${name}`);
      if (node !== undefined) out.set(name, node);
    }
    return out;
  }

  protected override isVisible(path: string): boolean {
    return path !== this.root;
  }
}
