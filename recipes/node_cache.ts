import type { Client } from "../core/client/mod.ts";
import type { CachedNode, CacheOptions } from "./cache_base.ts";
import { TreeCache } from "./tree_cache.ts";

export type { CacheChange, CacheEvent, CacheInitialized, CachedNode, CacheOptions } from "./cache_base.ts";

/**
 * The data of one znode kept current by one-shot watches (Curator's NodeCache): `added` when it
 * appears, `updated` on each change, `removed` when deleted, removed+added when re-created.
 * It is a {@link TreeCache} of depth 0, so both share one set of rules.
 *
 * @example
 * await using cache = new NodeCache(client, "/config/db");
 * await cache.start();
 * for await (const e of cache.events({ signal })) if (e.type === "updated") reload(e.data);
 */
export class NodeCache extends TreeCache {
  constructor(client: Client, path: string, opts: CacheOptions = {}) {
    super(client, path, { ...opts, maxDepth: 0 }, "NodeCache");
  }

  /** The node as last read, or undefined while it does not exist. */
  get current(): CachedNode | undefined {
    return this.get(this.root);
  }
}
