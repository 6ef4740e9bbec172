import type { Id } from "../proto/records.ts";
import { javaHashOrderBy, javaStringHash } from "../tree/java_hash_order.ts";

/** The jute-generated `Id.hashCode()`: 37-based over scheme and id. */
function idHash(id: Id): number {
  return (Math.imul((Math.imul(17, 37) + javaStringHash(id.scheme)) | 0, 37) + javaStringHash(id.id)) | 0;
}

/**
 * The identities a connection has authenticated as. ZooKeeper keeps them in a concurrent hash
 * set: adding an id twice keeps one, and they come back in the set's iteration order, which
 * decides the order of `whoami` and of the ids an `auth` ACL expands to.
 */
export class AuthIds {
  readonly #ids: Id[] = [];
  #ordered: readonly Id[] = [];

  constructor(initial: readonly Id[] = []) {
    for (const id of initial) this.add(id);
  }

  add(id: Id): void {
    if (this.#ids.some((known) => known.scheme === id.scheme && known.id === id.id)) return;
    this.#ids.push(id);
    // ConcurrentHashMap starts at 16 buckets and doubles once it holds 3/4 of them.
    let capacity = 16;
    while (this.#ids.length >= capacity * 0.75) capacity *= 2;
    this.#ordered = javaHashOrderBy(this.#ids, idHash, capacity);
  }

  /** The ids in ZooKeeper's iteration order. */
  get list(): readonly Id[] {
    return this.#ordered;
  }
}
