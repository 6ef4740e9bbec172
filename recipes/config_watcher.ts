import * as v from "valibot";
import type { Client, Stat } from "../core/client/mod.ts";
import type { CacheEvent } from "./cache_base.ts";
import { Listeners, type StreamOptions } from "./listeners.ts";
import { NodeCache } from "./node_cache.ts";
import type { RecipeState } from "./recipe_state.ts";

/** A value the node held that is not valid JSON or does not match the schema. */
export class ConfigError extends Error {
  override name = "ConfigError";
  /** The node's text as read. */
  readonly raw: string;
  /** valibot's issues (empty when the JSON itself did not parse). */
  readonly issues: readonly v.BaseIssue<unknown>[];

  constructor(message: string, raw: string, issues: readonly v.BaseIssue<unknown>[] = []) {
    super(message);
    this.raw = raw;
    this.issues = issues;
  }
}

/** One change of the watched configuration. */
export type ConfigUpdate<T> =
  | { type: "value"; value: T; stat: Stat }
  | { type: "invalid"; error: ConfigError; stat: Stat }
  | { type: "removed" };

const decoder = new TextDecoder();

/**
 * A znode holding JSON configuration, parsed and validated with a valibot schema and kept current
 * by a {@link NodeCache}. Each change is a typed update; a value that is not JSON or fails the
 * schema arrives as an `invalid` update (and `current` keeps the last good value), never a throw.
 *
 * @example
 * const Db = v.object({ host: v.string(), port: v.number() });
 * await using db = new ConfigWatcher(client, "/config/db", Db);
 * await db.start();
 * console.log(db.current?.host);
 * for await (const u of db.updates({ signal })) if (u.type === "value") reconnect(u.value);
 */
export class ConfigWatcher<S extends v.GenericSchema> implements AsyncDisposable {
  readonly #schema: S;
  readonly #cache: NodeCache;
  readonly #listeners = new Listeners<ConfigUpdate<v.InferOutput<S>>>();
  #current: v.InferOutput<S> | undefined;
  #lastError: ConfigError | undefined;

  constructor(client: Client, path: string, schema: S) {
    this.#schema = schema;
    this.#cache = new NodeCache(client, path);
    this.#cache.on((e) => this.#onCacheEvent(e));
  }

  get state(): RecipeState {
    return this.#cache.state;
  }

  /** Loads and validates the current value, then keeps watching. */
  start(opts: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#cache.start(opts);
  }

  /** The last valid value (undefined before one was seen or after the node was removed). */
  get current(): v.InferOutput<S> | undefined {
    return this.#current;
  }

  /** The problem with the node's present value, if it is invalid. */
  get lastError(): ConfigError | undefined {
    return this.#lastError;
  }

  /** Adds a callback for each update; returns the function that removes it. */
  on(listener: (update: ConfigUpdate<v.InferOutput<S>>) => void): () => void {
    return this.#listeners.on(listener);
  }

  /** Updates as an async iterator; it ends when the watcher closes. */
  updates(opts: StreamOptions = {}): AsyncIterableIterator<ConfigUpdate<v.InferOutput<S>>> {
    return this.#listeners.stream(opts);
  }

  async close(): Promise<void> {
    this.#listeners.end();
    await this.#cache.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #onCacheEvent(event: CacheEvent): void {
    if (event.type === "initialized") return;
    if (event.type === "removed") {
      this.#current = undefined;
      this.#lastError = undefined;
      this.#listeners.emit({ type: "removed" });
      return;
    }
    const parsed = this.#parse(event.data);
    if (parsed instanceof ConfigError) {
      this.#lastError = parsed;
      this.#listeners.emit({ type: "invalid", error: parsed, stat: event.stat });
      return;
    }
    this.#current = parsed.value;
    this.#lastError = undefined;
    this.#listeners.emit({ type: "value", value: parsed.value, stat: event.stat });
  }

  #parse(bytes: Uint8Array): { value: v.InferOutput<S> } | ConfigError {
    const raw = decoder.decode(bytes);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      return new ConfigError(`not JSON: ${(err as Error).message}`, raw);
    }
    const result = v.safeParse(this.#schema, json);
    if (!result.success) return new ConfigError(`invalid config: ${v.summarize(result.issues)}`, raw, result.issues);
    return { value: result.output };
  }
}
