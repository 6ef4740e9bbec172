import { EventQueue } from "../core/client/event_queue.ts";

/** Options of an event iterator. */
export interface StreamOptions {
  /** Ends the iteration. */
  signal?: AbortSignal;
  /** Events buffered for a slow consumer before the iteration fails. Default 10000. */
  capacity?: number;
}

const LISTENERS_MAX = 10_000;

/**
 * A recipe's event fan-out: callbacks and async iterators fed from one `emit`. A throwing
 * callback is isolated (reported to `onListenerError`) so it cannot break the recipe.
 *
 * @example
 * const events = new Listeners<string>();
 * const off = events.on((e) => console.log(e));
 * for await (const e of events.stream({ signal })) ...
 */
export class Listeners<T> {
  readonly #callbacks = new Set<(event: T) => void>();
  readonly #queues = new Set<EventQueue<T>>();
  #ended = false;

  /** Adds a callback; returns the function that removes it. */
  on(listener: (event: T) => void): () => void {
    if (this.#callbacks.size >= LISTENERS_MAX) throw new RangeError(`more than ${LISTENERS_MAX} listeners`);
    this.#callbacks.add(listener);
    return () => void this.#callbacks.delete(listener);
  }

  /** Events from now on as an async iterator; it ends when the recipe closes. */
  stream(opts: StreamOptions = {}): AsyncIterableIterator<T> {
    if (this.#queues.size >= LISTENERS_MAX) throw new RangeError(`more than ${LISTENERS_MAX} streams`);
    const queue: EventQueue<T> = new EventQueue<T>({
      capacity: opts.capacity ?? 10_000,
      signal: opts.signal,
      onStop: () => void this.#queues.delete(queue),
    });
    if (this.#ended) queue.end();
    else this.#queues.add(queue);
    return queue;
  }

  emit(event: T): void {
    for (const listener of this.#callbacks) {
      try {
        listener(event);
      } catch {
        // A listener's bug must not stop the cache from delivering to the others.
      }
    }
    for (const queue of this.#queues) queue.push(event);
  }

  /** Ends every iterator and drops the callbacks (the recipe closed). */
  end(): void {
    this.#ended = true;
    this.#callbacks.clear();
    for (const queue of [...this.#queues]) queue.end();
    this.#queues.clear();
  }
}
