/**
 * Settled entries are forgotten in one sweep once the map holds this many (or twice the live ones):
 * a settled create or setData still points at its data, a view of the request's socket buffer.
 */
const SWEEP_FLOOR = 1024;

/**
 * What txns prepared but not yet applied leave at each path, keyed by path, for prep's change
 * records and the digest predictor's overlay. An entry settles when its txn is applied (the tree
 * then says the same), and is from then on invisible to `get`; settled entries are dropped in a
 * sweep now and then, not one by one.
 *
 * Why not delete each entry as its txn is applied: under a steady pipeline such a Map fills and
 * empties with every group commit, and V8 reallocates its table as it grows and shrinks. A
 * discarded table that had reached the old generation still points at young entries, and V8's
 * young-generation GC keeps whatever an old object points at, dead or not: every write's records,
 * images, paths and data were copied, then promoted, about 0.8 KiB per write at 60,000 writes a
 * second, and a full collection followed every few hundred milliseconds. Settling in place keeps
 * a hot path's entry (and the table) for as long as writes keep coming.
 */
export class PendingByPath<V> {
  #map = new Map<string, V>();
  #sweepAt = SWEEP_FLOOR;
  readonly #settled: (value: V) => boolean;

  /** `settled(value)` says whether the txn that left `value` is applied. */
  constructor(settled: (value: V) => boolean) {
    this.#settled = settled;
  }

  /** The path's entry while the txn that left it is pending. */
  get(path: string): V | undefined {
    const value = this.#map.get(path);
    return value === undefined || this.#settled(value) ? undefined : value;
  }

  /** The path's entry, settled or not: a settled one can be reused in place of a new one. */
  entry(path: string): V | undefined {
    return this.#map.get(path);
  }

  set(path: string, value: V): void {
    this.#map.set(path, value);
  }

  delete(path: string): void {
    this.#map.delete(path);
  }

  /** Pending entries (settled ones skipped). */
  *pending(): IterableIterator<[string, V]> {
    for (const pair of this.#map) if (!this.#settled(pair[1])) yield pair;
  }

  /** Call after txns are applied: once settled entries pile up, keeps only the pending ones. */
  sweep(): void {
    if (this.#map.size < this.#sweepAt) return;
    const kept = new Map<string, V>();
    for (const [path, value] of this.#map) if (!this.#settled(value)) kept.set(path, value);
    this.#map = kept;
    this.#sweepAt = Math.max(SWEEP_FLOOR, 2 * kept.size);
  }

  /** Entries held, settled ones included (tests). */
  get heldSize(): number {
    return this.#map.size;
  }
}
