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
  #entries: HistoryEntry[] = [];
  #head = 0;
  #bytes = 0;

  constructor(limits: HistoryLimits = DEFAULT_HISTORY_LIMITS) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** The oldest zxid held, or null when empty. */
  get minZxid(): bigint | null {
    return this.size === 0 ? null : this.#entries[this.#head]!.zxid;
  }

  /** The newest zxid held, or null when empty. */
  get maxZxid(): bigint | null {
    return this.size === 0 ? null : this.#entries[this.#entries.length - 1]!.zxid;
  }

  append(entry: HistoryEntry): void {
    const max = this.maxZxid;
    if (max !== null && entry.zxid <= max) throw new Error(`history: 0x${entry.zxid.toString(16)} after 0x${max.toString(16)}`);
    this.#entries.push(entry);
    this.#bytes += entry.bytes.length;
    while (this.size > 1 && (this.size > this.#limits.maxEntries || this.#bytes > this.#limits.maxBytes)) {
      this.#bytes -= this.#entries[this.#head]!.bytes.length;
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Every entry, oldest first. */
  *entries(): IterableIterator<HistoryEntry> {
    for (let i = this.#head; i < this.#entries.length; i++) yield this.#entries[i]!;
  }

  /** Forgets everything (the database was replaced or truncated). */
  clear(): void {
    this.#entries = [];
    this.#head = 0;
    this.#bytes = 0;
  }
}
