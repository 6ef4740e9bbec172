import { Fifo } from "../fifo.ts";
import { PendingByPath } from "./pending_by_path.ts";
import type { ACL } from "../proto/records.ts";
import type { DataTree } from "../tree/data_tree.ts";

/**
 * What prep believes a node looks like once every txn prepared so far is applied (ZooKeeper's
 * ChangeRecord). Prep validates each write against these, so writes can be prepared while earlier
 * ones are still being logged.
 */
export interface ChangeRecord {
  zxid: bigint;
  path: string;
  /** False for a node that a prepared txn deletes. */
  exists: boolean;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  childCount: number;
  acl: readonly ACL[];
  /** Bytes of data (null counts as 0): all a quota check needs. */
  dataLength: number;
}

/** The record of a node as the tree holds it now (`slot` is its slot in `tree`). */
export function recordOfNode(path: string, tree: DataTree, slot: number, zxid: bigint): ChangeRecord {
  const nodes = tree.store;
  return {
    zxid,
    path,
    exists: true,
    version: nodes.version(slot),
    cversion: nodes.cversion(slot),
    aversion: nodes.aversion(slot),
    ephemeralOwner: nodes.owner(slot),
    childCount: nodes.numChildren(slot),
    acl: tree.aclOf(slot),
    dataLength: tree.dataLengthOf(slot),
  };
}

/** Outstanding change records, newest per path, and in zxid order for cleanup after apply. */
export class OutstandingChanges {
  /** Newest applied zxid: records up to it are settled (the tree has caught up with them). */
  #applied = -1n;
  readonly #byPath = new PendingByPath<ChangeRecord>((record) => record.zxid <= this.#applied);
  readonly #queue = new Fifo<ChangeRecord>();

  get(path: string): ChangeRecord | undefined {
    return this.#byPath.get(path);
  }

  add(record: ChangeRecord): void {
    this.#queue.push(record);
    this.#byPath.set(record.path, record);
  }

  /** Restores a path to an earlier record (or to none) when a multi rolls back. */
  restore(path: string, record: ChangeRecord | undefined): void {
    if (record === undefined) this.#byPath.delete(path);
    else this.#byPath.set(path, record);
  }

  /** Forgets records whose txns are now applied to the tree. */
  applied(zxid: bigint): void {
    if (zxid > this.#applied) this.#applied = zxid;
    while (this.#queue.length > 0 && this.#queue.peek()!.zxid <= zxid) this.#queue.shift();
    this.#byPath.sweep();
  }

  /** Records still pending, oldest first. */
  *pending(): IterableIterator<ChangeRecord> {
    yield* this.#queue;
  }

  get size(): number {
    return this.#queue.length;
  }
}
