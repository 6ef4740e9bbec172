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
  readonly #byPath = new Map<string, ChangeRecord>();
  readonly #queue: ChangeRecord[] = [];
  #head = 0;

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
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.zxid <= zxid) {
      const record = this.#queue[this.#head++]!;
      if (this.#byPath.get(record.path) === record) this.#byPath.delete(record.path);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Records still pending, oldest first. */
  *pending(): IterableIterator<ChangeRecord> {
    for (let i = this.#head; i < this.#queue.length; i++) yield this.#queue[i]!;
  }

  get size(): number {
    return this.#queue.length - this.#head;
  }
}
