import { Fifo } from "../fifo.ts";

/** One committed txn as learners receive it: its zxid and its bytes (a PROPOSAL's data). */
export interface HistoryEntry {
  readonly zxid: bigint;
  readonly bytes: Uint8Array;
}

/** How much recent history a leader keeps in memory to bring learners up to date by DIFF. */
export interface HistoryLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

/** ZooKeeper keeps 500 txns (zookeeper.commitLogCount); a larger window turns more SNAPs into DIFFs. */
export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { maxEntries: 100_000, maxBytes: 64 * 1024 * 1024 };

/**
 * A standalone server has no learners to bring up to date: ZooKeeper's own commitLogCount (500)
 * is plenty, and a hundred thousand txns held for nobody cost tens of megabytes.
 */
export const STANDALONE_HISTORY_LIMITS: HistoryLimits = { maxEntries: 500, maxBytes: 1024 * 1024 };

/**
 * The newest committed txns, in zxid order (ZKDatabase's committedLog): appended as txns are
 * applied, trimmed from the front to stay within its limits. A leader answers a learner whose
 * last zxid falls inside the window with a DIFF instead of a whole snapshot.
 */
export class CommittedHistory {
  readonly #limits: HistoryLimits;
  readonly #entries = new Fifo<HistoryEntry>();
  #bytes = 0;

  constructor(limits: HistoryLimits = DEFAULT_HISTORY_LIMITS) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The oldest zxid held, or null when empty. */
  get minZxid(): bigint | null {
    return this.#entries.peek()?.zxid ?? null;
  }

  /** The newest zxid held, or null when empty. */
  get maxZxid(): bigint | null {
    return this.#entries.peekLast()?.zxid ?? null;
  }

  append(entry: HistoryEntry): void {
    const max = this.maxZxid;
    if (max !== null && entry.zxid <= max) throw new Error(`history: 0x${entry.zxid.toString(16)} after 0x${max.toString(16)}`);
    this.#entries.push(entry);
    this.#bytes += entry.bytes.length;
    while (this.size > 1 && (this.size > this.#limits.maxEntries || this.#bytes > this.#limits.maxBytes)) {
      this.#bytes -= this.#entries.shift()!.bytes.length;
    }
  }

  /** Every entry, oldest first. */
  *entries(): IterableIterator<HistoryEntry> {
    yield* this.#entries;
  }

  /** Forgets everything (the database was replaced or truncated). */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
