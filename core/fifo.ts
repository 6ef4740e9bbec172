/**
 * A first-in-first-out queue: a ring buffer that doubles when full. Push, shift and indexed reads
 * are O(1), and a shifted item's slot is cleared at once, so the queue never keeps what it handed
 * out alive.
 *
 * That last point is why the server uses it for every per-txn queue. An array with a moving head,
 * compacted once the consumed prefix passed a thousand items, kept up to a thousand finished txns
 * alive (about 20 ms of them at 50,000 writes a second), and some lived through a young-generation
 * GC and were promoted: replacing four such queues took promotion under setData 8 x 16 from 1.34
 * to 1.16 MB per scavenge (the rest was Map churn; see pipeline/pending_by_path.ts).
 *
 * @example const q = new Fifo<number>(); q.push(1); q.shift(); // 1
 */
export class Fifo<T> {
  #items: (T | undefined)[] = new Array(16);
  /** Index of the oldest item; the ring's size is a power of two. */
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = item;
    this.#length++;
  }

  /** The oldest item, or undefined when empty. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** The newest item, or undefined when empty. */
  peekLast(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[(this.#head + this.#length - 1) & (this.#items.length - 1)];
  }

  /** The item `index` places after the oldest (0 is the oldest); undefined past the end. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.#length) return undefined;
    return this.#items[(this.#head + index) & (this.#items.length - 1)];
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#length--;
    return item;
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.#length; i++) out.push(this.at(i)!);
    this.clear();
    return out;
  }

  clear(): void {
    this.#items = new Array(16);
    this.#head = 0;
    this.#length = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#length; i++) yield this.at(i)!;
  }

  #grow(): void {
    const items = new Array<T | undefined>(this.#items.length * 2);
    for (let i = 0; i < this.#length; i++) items[i] = this.at(i);
    this.#items = items;
    this.#head = 0;
  }
}
