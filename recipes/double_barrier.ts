import { type Client, CreateMode, ErrorCode } from "../core/client/mod.ts";
import { ensurePath, isKeeperCode, RecipeLifecycle, type RecipeState, WakeUp } from "./recipe_state.ts";

const READY = "ready";

/** Options of a {@link DoubleBarrier}. */
export interface DoubleBarrierOptions {
  /** How many members must enter before anyone proceeds. */
  memberQty: number;
  /** This member's node name; default a random UUID. */
  id?: string;
}

/**
 * The double barrier of the ZooKeeper recipes (Curator's DistributedDoubleBarrier): enter() blocks
 * until `memberQty` members have entered (the last creates a `ready` node), leave() blocks until all
 * have left. Members are ephemeral, so a crashed member leaves by itself. Leaving follows the recipe:
 * the lowest member waits for the highest, everyone else deletes itself and waits for the lowest.
 *
 * @example
 * await using barrier = new DoubleBarrier(client, "/barriers/step-1", { memberQty: 3 });
 * await barrier.start();
 * await barrier.enter({ signal: AbortSignal.timeout(10_000) });
 * await compute();
 * await barrier.leave({ signal: AbortSignal.timeout(10_000) });
 */
export class DoubleBarrier implements AsyncDisposable {
  readonly #client: Client;
  readonly #path: string;
  readonly #memberQty: number;
  readonly #id: string;
  readonly #lifecycle = new RecipeLifecycle("DoubleBarrier");
  readonly #wake = new WakeUp();
  readonly #closed = new AbortController();

  constructor(client: Client, path: string, opts: DoubleBarrierOptions) {
    if (!Number.isInteger(opts.memberQty) || opts.memberQty < 1) throw new RangeError(`memberQty must be >= 1, got ${opts.memberQty}`);
    this.#client = client;
    this.#path = path;
    this.#memberQty = opts.memberQty;
    this.#id = opts.id ?? crypto.randomUUID();
    if (this.#id === READY || this.#id.includes("/")) throw new RangeError(`bad member id ${JSON.stringify(this.#id)}`);
  }

  get state(): RecipeState {
    return this.#lifecycle.state;
  }

  async start(): Promise<void> {
    this.#lifecycle.start();
    await ensurePath(this.#client, this.#path);
  }

  /** Joins and waits until `memberQty` members have joined. */
  async enter(opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.#lifecycle.assertStarted();
    const signal = this.#signal(opts.signal);
    try {
      await this.#client.create(this.#member(this.#id), null, { mode: CreateMode.EPHEMERAL });
    } catch (err) {
      if (!isKeeperCode(err, ErrorCode.NODEEXISTS)) throw err;
    }
    const readyPath = this.#member(READY);
    for (;;) {
      signal.throwIfAborted();
      const next = this.#wake.next();
      if ((await this.#client.exists(readyPath, { watch: this.#wake.fire })) !== null) return;
      if ((await this.#members()).length >= this.#memberQty) {
        try {
          await this.#client.create(readyPath);
        } catch (err) {
          if (!isKeeperCode(err, ErrorCode.NODEEXISTS)) throw err;
        }
        return;
      }
      await this.#wake.wait(signal, next);
    }
  }

  /** Leaves and waits until every member has left. */
  async leave(opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.#lifecycle.assertStarted();
    const signal = this.#signal(opts.signal);
    for (;;) {
      signal.throwIfAborted();
      const members = await this.#members();
      if (members.length === 0) break;
      if (!members.includes(this.#id)) {
        // Already gone ourselves: wait for the lowest remaining member to leave.
        await this.#waitGone(members[0]!, signal);
        continue;
      }
      if (members.length === 1) {
        await this.#deleteQuietly(this.#member(this.#id));
        break;
      }
      const lowest = members[0]!;
      const highest = members[members.length - 1]!;
      if (lowest === this.#id) {
        await this.#waitGone(highest, signal);
      } else {
        await this.#deleteQuietly(this.#member(this.#id));
        await this.#waitGone(lowest, signal);
      }
    }
    // Everyone has left: the ready node goes, so the barrier can be used again.
    await this.#deleteQuietly(this.#member(READY));
  }

  async close(): Promise<void> {
    if (this.#lifecycle.close()) this.#closed.abort(new Error("double barrier closed"));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Waits until `name` is deleted; returns at once when it already is. */
  async #waitGone(name: string, signal: AbortSignal): Promise<void> {
    const next = this.#wake.next();
    if ((await this.#client.exists(this.#member(name), { watch: this.#wake.fire })) === null) return;
    await this.#wake.wait(signal, next);
  }

  async #members(): Promise<string[]> {
    const { children } = await this.#client.getChildren(this.#path);
    return children.filter((n) => n !== READY).sort();
  }

  async #deleteQuietly(path: string): Promise<void> {
    try {
      await this.#client.delete(path);
    } catch (err) {
      if (!isKeeperCode(err, ErrorCode.NONODE)) throw err;
    }
  }

  #member(name: string): string {
    return `${this.#path}/${name}`;
  }

  #signal(signal: AbortSignal | undefined): AbortSignal {
    return signal === undefined ? this.#closed.signal : AbortSignal.any([signal, this.#closed.signal]);
  }
}
