/**
 * ReadWriteLock: many readers or one writer, laid out as Curator's InterProcessReadWriteLock
 * (`__READ__` and `__WRIT__` sequence nodes in one directory), so both share one lock.
 */
import { type Client, type Data, ErrorCode, KeeperError } from "../core/client/mod.ts";
import type { ConnectionPolicyOptions } from "./connection_policy.ts";
import { type AcquireOptions, SequenceLock } from "./lock_internals.ts";
import type { Lease } from "./lock_lease.ts";
import { type SequenceDriver, standardDriver } from "./sorted_sequence.ts";

/** Curator's read lock name. */
export const READ_LOCK_NAME = "__READ__";
/** Curator's write lock name. */
export const WRITE_LOCK_NAME = "__WRIT__";
const BOTH_NAMES = [READ_LOCK_NAME, WRITE_LOCK_NAME] as const;

/** How a ReadWriteLock behaves. */
export interface ReadWriteLockOptions extends ConnectionPolicyOptions {
  /** Stored in the lock nodes. Default empty. */
  data?: Data | null;
}

/**
 * The reader's driver: a reader holds when no writer is queued before it, and otherwise
 * watches the first such writer (readers do not wait for each other). An owner that holds
 * the write lock may read at once (downgrade), as in Curator.
 *
 * @example readDriver(false)(["_c_a-__READ__0000000001", "_c_b-__WRIT__0000000002"], "_c_a-__READ__0000000001").holds === true
 */
export function readDriver(ownerHoldsWrite: boolean): SequenceDriver {
  return (sorted, ourName) => {
    if (ownerHoldsWrite) return { holds: true };
    let firstWrite = -1;
    for (let i = 0; i < sorted.length; i++) {
      const name = sorted[i]!;
      if (name === ourName) {
        return firstWrite < 0 ? { holds: true } : { holds: false, watch: sorted[firstWrite] };
      }
      if (firstWrite < 0 && name.includes(WRITE_LOCK_NAME)) firstWrite = i;
    }
    throw new KeeperError(ErrorCode.NONODE, ourName);
  };
}

/** One side of the lock (read or write). */
export interface LockSide {
  /**
   * Waits for this side; reentrant per owner (default: the ReadWriteLock).
   *
   * @example await using lease = await rw.readLock.acquire({ signal: AbortSignal.timeout(2000) });
   */
  acquire(opts?: AcquireOptions): Promise<Lease>;
  /** True when the owner holds this side. */
  isHeld(owner?: object): boolean;
}

/**
 * A shared/exclusive lock on a path: readers run together, a writer alone, in arrival order
 * (a queued writer holds back later readers, so writers do not starve).
 *
 * @example
 * await using rw = new ReadWriteLock(client, "/locks/catalog");
 * { await using r = await rw.readLock.acquire(); await readCatalog(); }
 * { await using w = await rw.writeLock.acquire(); await rewriteCatalog(w.fencingToken); }
 */
export class ReadWriteLock implements AsyncDisposable {
  readonly path: string;
  readonly readLock: LockSide;
  readonly writeLock: LockSide;
  readonly #read: SequenceLock;
  readonly #write: SequenceLock;

  constructor(client: Client, path: string, opts: ReadWriteLockOptions = {}) {
    this.path = path;
    this.#write = new SequenceLock(client, {
      ...opts,
      dir: path,
      lockName: WRITE_LOCK_NAME,
      sortNames: BOTH_NAMES,
      driver: () => standardDriver(1),
    });
    this.#read = new SequenceLock(client, {
      ...opts,
      dir: path,
      lockName: READ_LOCK_NAME,
      sortNames: BOTH_NAMES,
      driver: (owner) => readDriver(this.#write.isHeldBy(owner)),
    });
    this.readLock = this.#side(this.#read);
    this.writeLock = this.#side(this.#write);
  }

  #side(lock: SequenceLock): LockSide {
    return {
      acquire: (opts = {}) => lock.acquire(opts.owner ?? this, opts.signal),
      isHeld: (owner = this) => lock.isHeldBy(owner),
    };
  }

  /**
   * Lock node names in queue order, readers and writers together.
   *
   * @example const queue = await rw.participants();
   */
  participants(opts: { signal?: AbortSignal } = {}): Promise<string[]> {
    return this.#write.participants(opts.signal);
  }

  /**
   * Releases every hold of this object, both sides, and refuses further acquisitions.
   *
   * @example await rw.close();
   */
  async close(): Promise<void> {
    await Promise.all([this.#read.close(), this.#write.close()]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
