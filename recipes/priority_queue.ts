import type { Client, Data } from "../core/client/mod.ts";
import { ITEM_PREFIX, SequentialQueue } from "./queue.ts";

const PRIORITY_OFFSET = 2 ** 31;
const PRIORITY_DIGITS = 8;

/** Priority as 8 hex digits of (priority + 2^31): name order is then numeric order, negatives included. */
function priorityPrefix(priority: number): string {
  if (!Number.isInteger(priority) || priority < -PRIORITY_OFFSET || priority >= PRIORITY_OFFSET) {
    throw new RangeError(`priority must be a 32-bit integer, got ${priority}`);
  }
  return `${ITEM_PREFIX}${(priority + PRIORITY_OFFSET).toString(16).padStart(PRIORITY_DIGITS, "0")}-`;
}

/**
 * A queue where a lower priority number is taken first; equal priorities are FIFO
 * (Curator's DistributedPriorityQueue). Each item is taken exactly once.
 *
 * @example
 * await using queue = new PriorityQueue(client, "/queues/urgent");
 * await queue.start();
 * await queue.put("later", 10);
 * await queue.put("now", -1);
 * await queue.take(); // "now"
 */
export class PriorityQueue extends SequentialQueue {
  constructor(client: Client, path: string) {
    super(client, path, { prefix: (o) => priorityPrefix(o.priority ?? 0), availableAtMs: () => 0 }, { name: "PriorityQueue" });
  }

  /** Adds an item with a 32-bit integer priority (lower first); returns its znode path. */
  put(data: Data, priority: number): Promise<string> {
    return this.putItem(data, { priority });
  }
}
