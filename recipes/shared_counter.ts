import { type Client, ErrorCode, type RetryOptions } from "../core/client/mod.ts";
import { type AtomicValue, optimisticUpdate, type ValueCodec } from "./atomic_long.ts";
import { Listeners, type StreamOptions } from "./listeners.ts";
import { ensureParents, isKeeperCode, RecipeLifecycle, RecipeState } from "./recipe_state.ts";

/** A value with the znode version it was read at, for trySetCount (Curator's VersionedValue). */
export interface VersionedValue {
  value: number;
  version: number;
}

/** A signed 32-bit integer as 4 big-endian bytes, the layout of Curator's SharedCount. */
export const INT_CODEC: ValueCodec<number> = {
  initial: 0,
  encode(value) {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setInt32(0, value | 0);
    return bytes;
  },
  decode(bytes) {
    if (bytes.length !== 4) throw new RangeError(`a SharedCounter node holds 4 bytes, found ${bytes.length}`);
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0);
  },
};

/** Options of a {@link SharedCounter}. */
export interface SharedCounterOptions {
  /** The value written when the node does not exist yet; default 0. */
  seed?: number;
  /** Contention retries for add(); default OPTIMISTIC_RETRY_DEFAULTS. */
  retry?: RetryOptions;
}

/**
 * A shared 32-bit count every client sees (Curator's SharedCount, same 4-byte layout): a data
 * watch keeps `count` current and reports each change; writes are optimistic on the version.
 *
 * @example
 * await using counter = new SharedCounter(client, "/counters/workers", { seed: 0 });
 * await counter.start();
 * counter.on((v) => console.log("now", v.value));
 * await counter.add(1);
 */
export class SharedCounter implements AsyncDisposable {
  readonly #client: Client;
  readonly #path: string;
  readonly #opts: SharedCounterOptions;
  readonly #lifecycle = new RecipeLifecycle("SharedCounter");
  readonly #listeners = new Listeners<VersionedValue>();
  #current: VersionedValue = { value: 0, version: -1 };
  #offState: (() => void) | undefined;
  #reading: Promise<void> = Promise.resolve();
  readonly #watcher = (): void => this.#refresh();

  constructor(client: Client, path: string, opts: SharedCounterOptions = {}) {
    this.#client = client;
    this.#path = path;
    this.#opts = opts;
  }

  get state(): RecipeState {
    return this.#lifecycle.state;
  }

  /** Creates the node with the seed if missing, reads it and starts watching. */
  async start(): Promise<void> {
    this.#lifecycle.start();
    await ensureParents(this.#client, this.#path);
    try {
      await this.#client.create(this.#path, INT_CODEC.encode(this.#opts.seed ?? 0));
    } catch (err) {
      if (!isKeeperCode(err, ErrorCode.NODEEXISTS)) throw err;
    }
    // The watch could not tell what changed while disconnected.
    this.#offState = this.#client.on("state", (s) => {
      if (s === "reconnected") this.#refresh();
    });
    this.#refresh();
    await this.#reading;
  }

  /** The count as last seen. */
  get count(): number {
    return this.#current.value;
  }

  /** The count with its version, for trySetCount. */
  get versionedValue(): VersionedValue {
    return this.#current;
  }

  /** Sets the count whatever it was. */
  async setCount(value: number): Promise<void> {
    this.#lifecycle.assertStarted();
    await this.#client.setData(this.#path, INT_CODEC.encode(value));
  }

  /** Sets the count only if it is still at `previous.version`; false when someone wrote first. */
  async trySetCount(previous: VersionedValue, value: number): Promise<boolean> {
    this.#lifecycle.assertStarted();
    try {
      await this.#client.setData(this.#path, INT_CODEC.encode(value), previous.version);
      return true;
    } catch (err) {
      if (isKeeperCode(err, ErrorCode.BADVERSION)) return false;
      throw err;
    }
  }

  /** Adds `delta` optimistically, retrying contention per the retry policy. */
  add(delta: number): Promise<AtomicValue<number>> {
    this.#lifecycle.assertStarted();
    return optimisticUpdate(this.#client, this.#path, INT_CODEC, (v) => (v + delta) | 0, this.#opts.retry);
  }

  /** Adds a callback for every change seen; returns the function that removes it. */
  on(listener: (value: VersionedValue) => void): () => void {
    return this.#listeners.on(listener);
  }

  /** Changes as an async iterator; it ends when the counter closes. */
  changes(opts: StreamOptions = {}): AsyncIterableIterator<VersionedValue> {
    return this.#listeners.stream(opts);
  }

  async close(): Promise<void> {
    if (!this.#lifecycle.close()) return;
    this.#offState?.();
    this.#listeners.end();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Re-reads with the watch re-armed; reads are chained so versions only move forward. */
  #refresh(): void {
    this.#reading = this.#reading.then(async () => {
      if (this.#lifecycle.state !== RecipeState.started) return;
      try {
        const { data, stat } = await this.#client.getData(this.#path, { watch: this.#watcher });
        if (stat.version === this.#current.version) return;
        this.#current = { value: data?.length === 4 ? INT_CODEC.decode(data) : 0, version: stat.version };
        this.#listeners.emit(this.#current);
      } catch (err) {
        // Deleted: an exists watch tells when it comes back. Connection loss: the reconnect re-reads.
        if (isKeeperCode(err, ErrorCode.NONODE)) await this.#client.exists(this.#path, { watch: this.#watcher }).catch(() => null);
      }
    });
  }
}
