import type { Client, Data } from "../core/client/mod.ts";
import { ITEM_PREFIX, SequentialQueue } from "./queue.ts";

const TIME_DIGITS = 16;

/** The epoch ms encoded in an item name (`qn-<16 hex digits>-<seq>`). */
function availableAtMs(name: string): number {
  const hex = name.slice(ITEM_PREFIX.length, ITEM_PREFIX.length + TIME_DIGITS);
  const ms = Number.parseInt(hex, 16);
  return Number.isFinite(ms) ? ms : 0;
}

/** Options of a {@link DelayQueue}. */
export interface DelayQueueOptions {
  /** The clock the delays are measured on (ms since epoch); default Date.now. Clients should agree. */
  now?: () => number;
}

/**
 * A queue whose items become available at a time (Curator's DistributedDelayQueue): names carry
 * the due time, so they sort by it; take() waits until the earliest is due or a new item arrives.
 * Delays use the clients' clocks, so they are only as exact as those clocks agree.
 *
 * @example
 * await using queue = new DelayQueue(client, "/queues/retry");
 * await queue.start();
 * await queue.put("again", Date.now() + 500);
 * await queue.take({ signal: AbortSignal.timeout(5000) }); // after ~500 ms
 */
export class DelayQueue extends SequentialQueue {
  constructor(client: Client, path: string, opts: DelayQueueOptions = {}) {
    const prefix = (o: { availableAtMs?: number }) =>
      `${ITEM_PREFIX}${Math.max(0, Math.floor(o.availableAtMs ?? 0)).toString(16).padStart(TIME_DIGITS, "0")}-`;
    super(client, path, { prefix, availableAtMs }, { name: "DelayQueue", now: opts.now });
  }

  /** Adds an item that becomes available at `availableAtMs` (epoch ms); returns its znode path. */
  put(data: Data, availableAtMs: number): Promise<string> {
    return this.putItem(data, { availableAtMs });
  }
}
