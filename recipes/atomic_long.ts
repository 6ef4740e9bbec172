import { type Client, ErrorCode, retry, type RetryOptions, type Stat } from "../core/client/mod.ts";
import { ensureParents, isKeeperCode, RecipeLifecycle, type RecipeState } from "./recipe_state.ts";

/** The outcome of an optimistic change (Curator's AtomicValue). */
export interface AtomicValue<T> {
  /** False when contention outlasted the retry policy (or a compareAndSet did not match). */
  succeeded: boolean;
  /** The value the change was computed from. */
  preValue: T;
  /** The value written (equal to preValue when not succeeded). */
  postValue: T;
}

/** How a number is stored in a znode. */
export interface ValueCodec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
  /** The value of a missing (or empty) node. */
  initial: T;
}

/** Contention, not failure: someone else wrote first, so read again and retry. */
function isContention(error: unknown): boolean {
  return isKeeperCode(error, ErrorCode.BADVERSION, ErrorCode.NODEEXISTS);
}

/** Defaults for contended counters: many quick retries with jitter. */
export const OPTIMISTIC_RETRY_DEFAULTS = { retries: 50, baseMs: 5, maxMs: 250 } as const;

/** The current value and Stat (null when the node does not exist), retrying transient read errors. */
export async function readValue<T>(client: Client, path: string, codec: ValueCodec<T>): Promise<{ value: T; stat: Stat | null }> {
  return retry(async () => {
    try {
      const { data, stat } = await client.getData(path);
      return { value: data === null || data.length === 0 ? codec.initial : codec.decode(data), stat };
    } catch (err) {
      if (isKeeperCode(err, ErrorCode.NONODE)) return { value: codec.initial, stat: null };
      throw err;
    }
  });
}

/**
 * Read, compute, write conditioned on the version read; contention (BadVersion, NodeExists) means
 * another writer won, so read again, per the retry policy. A transient error on the write is not
 * retried: the write may have applied, and applying a delta twice would corrupt the count.
 *
 * @example const v = await optimisticUpdate(client, "/counters/jobs", LONG_CODEC, (n) => n + 1n);
 */
export async function optimisticUpdate<T>(
  client: Client,
  path: string,
  codec: ValueCodec<T>,
  modify: (pre: T) => T,
  opts: RetryOptions = {},
): Promise<AtomicValue<T>> {
  let last: T = codec.initial;
  try {
    return await retry(async () => {
      const { value, stat } = await readValue(client, path, codec);
      last = value;
      const post = modify(value);
      if (stat === null) await client.create(path, codec.encode(post));
      else await client.setData(path, codec.encode(post), stat.version);
      return { succeeded: true, preValue: value, postValue: post };
    }, { ...OPTIMISTIC_RETRY_DEFAULTS, ...opts, retryable: isContention });
  } catch (err) {
    if (isContention(err)) return { succeeded: false, preValue: last, postValue: last };
    throw err;
  }
}

/** A signed 64-bit integer as 8 big-endian bytes, the layout of Curator's DistributedAtomicLong. */
export const LONG_CODEC: ValueCodec<bigint> = {
  initial: 0n,
  encode(value) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigInt64(0, BigInt.asIntN(64, value));
    return bytes;
  },
  decode(bytes) {
    if (bytes.length !== 8) throw new RangeError(`an AtomicLong node holds 8 bytes, found ${bytes.length}`);
    return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigInt64(0);
  },
};

/** Options of an {@link AtomicLong}. */
export interface AtomicLongOptions {
  /** Contention retries; default {@link OPTIMISTIC_RETRY_DEFAULTS}. */
  retry?: RetryOptions;
}

/**
 * A 64-bit counter updated optimistically with the znode version (Curator's DistributedAtomicLong,
 * same 8-byte layout): no lock, a lost race is read again and retried per the retry policy.
 * Results say whether the change happened and what the value was before and after.
 *
 * @example
 * await using hits = new AtomicLong(client, "/counters/hits");
 * await hits.start();
 * const { succeeded, postValue } = await hits.increment();
 */
export class AtomicLong implements AsyncDisposable {
  readonly #client: Client;
  readonly #path: string;
  readonly #retry: RetryOptions;
  readonly #lifecycle = new RecipeLifecycle("AtomicLong");

  constructor(client: Client, path: string, opts: AtomicLongOptions = {}) {
    this.#client = client;
    this.#path = path;
    this.#retry = opts.retry ?? {};
  }

  get state(): RecipeState {
    return this.#lifecycle.state;
  }

  /** Creates the parent nodes; the counter node itself appears on the first write. */
  async start(): Promise<void> {
    this.#lifecycle.start();
    await ensureParents(this.#client, this.#path);
  }

  /** The current value (0 when never written). */
  async get(): Promise<bigint> {
    this.#lifecycle.assertStarted();
    return (await readValue(this.#client, this.#path, LONG_CODEC)).value;
  }

  /**
   * Adds `delta` (may be negative). A sum outside the signed 64-bit range is refused with a
   * RangeError and nothing is written, unless `overflow: "wrap"` asks for Java's two's-complement
   * wrap-around (what Curator's DistributedAtomicLong does).
   *
   * @example await counter.add(-5n);
   */
  add(delta: bigint | number, opts: { overflow?: "refuse" | "wrap" } = {}): Promise<AtomicValue<bigint>> {
    this.#lifecycle.assertStarted();
    const d = BigInt(delta);
    const wrap = opts.overflow === "wrap";
    return optimisticUpdate(this.#client, this.#path, LONG_CODEC, (v) => {
      const sum = v + d;
      if (!wrap && BigInt.asIntN(64, sum) !== sum) throw new RangeError(`${v} + ${d} is outside the signed 64-bit range`);
      return BigInt.asIntN(64, sum);
    }, this.#retry);
  }

  increment(): Promise<AtomicValue<bigint>> {
    return this.add(1n);
  }

  decrement(): Promise<AtomicValue<bigint>> {
    return this.add(-1n);
  }

  /** Sets `newValue` only if the value is `expected` now; one attempt, no retry. */
  async compareAndSet(expected: bigint, newValue: bigint): Promise<AtomicValue<bigint>> {
    this.#lifecycle.assertStarted();
    const { value, stat } = await readValue(this.#client, this.#path, LONG_CODEC);
    const failed = { succeeded: false, preValue: value, postValue: value };
    if (value !== expected) return failed;
    try {
      if (stat === null) await this.#client.create(this.#path, LONG_CODEC.encode(newValue));
      else await this.#client.setData(this.#path, LONG_CODEC.encode(newValue), stat.version);
    } catch (err) {
      if (isContention(err)) return failed;
      throw err;
    }
    return { succeeded: true, preValue: value, postValue: newValue };
  }

  /** Sets the value whatever it was (retrying contention). */
  set(newValue: bigint): Promise<AtomicValue<bigint>> {
    this.#lifecycle.assertStarted();
    return optimisticUpdate(this.#client, this.#path, LONG_CODEC, () => newValue, this.#retry);
  }

  async close(): Promise<void> {
    this.#lifecycle.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
