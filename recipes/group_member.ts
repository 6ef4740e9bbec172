import { type Client, CreateMode, type Data, ErrorCode } from "../core/client/mod.ts";
import { ChildrenCache } from "./children_cache.ts";
import type { CacheEvent } from "./cache_base.ts";
import type { StreamOptions } from "./listeners.ts";
import { ensurePath, isKeeperCode, RecipeLifecycle, type RecipeState } from "./recipe_state.ts";

/** Options of a {@link GroupMember}. */
export interface GroupMemberOptions {
  /** This member's id (its node name); must be unique in the group. */
  id: string;
  /** Data stored in the member's node. */
  payload?: Data;
}

/**
 * Group membership (Curator's GroupMember): this process is an ephemeral node under the group
 * (gone when its session ends), and a {@link ChildrenCache} shows every member with its payload.
 *
 * @example
 * await using me = new GroupMember(client, "/groups/workers", { id: "w1", payload: "10.0.0.5" });
 * await me.start();
 * console.log([...me.members().keys()]); // ["w1", ...]
 */
export class GroupMember implements AsyncDisposable {
  readonly #client: Client;
  readonly #path: string;
  readonly #id: string;
  #payload: Data;
  readonly #cache: ChildrenCache;
  readonly #lifecycle = new RecipeLifecycle("GroupMember");

  constructor(client: Client, groupPath: string, opts: GroupMemberOptions) {
    if (opts.id === "" || opts.id.includes("/")) throw new RangeError(`bad member id ${JSON.stringify(opts.id)}`);
    this.#client = client;
    this.#path = groupPath;
    this.#id = opts.id;
    this.#payload = opts.payload ?? "";
    this.#cache = new ChildrenCache(client, groupPath);
  }

  get state(): RecipeState {
    return this.#lifecycle.state;
  }

  get id(): string {
    return this.#id;
  }

  /** Joins (creates the ephemeral node) and loads the membership. */
  async start(opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.#lifecycle.start();
    await ensurePath(this.#client, this.#path);
    await this.#client.create(this.#memberPath(), this.#payload, { mode: CreateMode.EPHEMERAL });
    await this.#cache.start(opts);
  }

  /** Every member's payload by id, as the cache holds it now. */
  members(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const [name, node] of this.#cache.children()) out.set(name, node.data);
    return out;
  }

  /** Replaces this member's payload. */
  async setPayload(payload: Data): Promise<void> {
    this.#lifecycle.assertStarted();
    this.#payload = payload;
    await this.#client.setData(this.#memberPath(), payload);
  }

  /** Membership changes (added / updated / removed members, then `initialized` once). */
  events(opts: StreamOptions = {}): AsyncIterableIterator<CacheEvent> {
    return this.#cache.events(opts);
  }

  /** Adds a callback for membership changes; returns the function that removes it. */
  on(listener: (event: CacheEvent) => void): () => void {
    return this.#cache.on(listener);
  }

  /** Resolves when the membership view has applied every change it was told about. */
  whenIdle(opts: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#cache.whenIdle(opts);
  }

  /** Leaves the group (deletes the node) and stops the cache. */
  async close(): Promise<void> {
    if (!this.#lifecycle.close()) return;
    await this.#cache.close();
    try {
      await this.#client.delete(this.#memberPath());
    } catch (err) {
      // Already gone (session ended) or no longer reachable: the ephemeral goes with the session.
      if (!isKeeperCode(err, ErrorCode.NONODE, ErrorCode.CONNECTIONLOSS, ErrorCode.SESSIONEXPIRED)) throw err;
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #memberPath(): string {
    return `${this.#path}/${this.#id}`;
  }
}
