/**
 * A bounded queue read as an async iterator: the producer pushes, one consumer awaits. When the
 * consumer stops (break, return, abort) `onStop` runs once, so the producer can unregister.
 * A producer that outruns the consumer by more than `capacity` items ends the iteration with an
 * error instead of growing without bound.
 *
 * @example
 * const q = new EventQueue<number>({ capacity: 100 });
 * q.push(1); q.end();
 * for await (const n of q) console.log(n);
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  readonly #capacity: number;
  readonly #items: T[] = [];
  #head = 0;
  #waiter: ((result: IteratorResult<T>) => void) | undefined;
  #waiterReject: ((error: Error) => void) | undefined;
  #done = false;
  #error: Error | undefined;
  #onStop: (() => void | Promise<void>) | undefined;

  constructor(opts: { capacity: number; onStop?: () => void | Promise<void>; signal?: AbortSignal }) {
    this.#capacity = opts.capacity;
    this.#onStop = opts.onStop;
    const signal = opts.signal;
    if (signal === undefined) return;
    if (signal.aborted) this.end();
    else signal.addEventListener("abort", () => void this.return(), { once: true });
  }

  /** Adds an item; false (and the iteration fails) when the queue is full. */
  push(item: T): boolean {
    if (this.#done) return false;
    if (this.#waiter !== undefined) {
      const waiter = this.#waiter;
      this.#clearWaiter();
      waiter({ value: item, done: false });
      return true;
    }
    if (this.#items.length - this.#head >= this.#capacity) {
      this.fail(new RangeError(`event queue overflow: consumer is more than ${this.#capacity} events behind`));
      return false;
    }
    this.#items.push(item);
    return true;
  }

  /** Ends the iteration after the queued items. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#runStop();
    if (this.#waiter !== undefined && this.#head >= this.#items.length) {
      const waiter = this.#waiter;
      this.#clearWaiter();
      waiter({ value: undefined, done: true });
    }
  }

  /** Ends the iteration with an error (after the queued items). */
  fail(error: Error): void {
    if (this.#done) return;
    this.#error = error;
    this.end();
    if (this.#waiterReject !== undefined) {
      const reject = this.#waiterReject;
      this.#clearWaiter();
      reject(error);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as T;
      if (this.#head === this.#items.length) {
        this.#items.length = 0;
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#waiterReject = reject;
    });
  }

  async return(): Promise<IteratorResult<T>> {
    this.#items.length = 0;
    this.#head = 0;
    const stop = this.#onStop;
    this.end();
    if (stop !== undefined) await this.#stopped;
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #stopped: Promise<void> = Promise.resolve();

  #runStop(): void {
    const stop = this.#onStop;
    this.#onStop = undefined;
    if (stop === undefined) return;
    // The stop hook talks to the server; its failure must not break the consumer's loop exit.
    this.#stopped = Promise.resolve().then(stop).then(
      () => undefined,
      () => undefined,
    );
  }

  #clearWaiter(): void {
    this.#waiter = undefined;
    this.#waiterReject = undefined;
  }
}
