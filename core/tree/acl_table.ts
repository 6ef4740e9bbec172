import { type ACL, isSharedWorldAcl } from "../proto/records.ts";

/**
 * The ACL lists of a tree, each stored once and referred to by id (ZooKeeper's
 * ReferenceCountedACLCache): most znodes share a handful of lists. Ids are counted and reused once
 * no znode refers to them.
 *
 * Id 0 is the `system` list by identity (OPEN_ACL_UNSAFE as ZooKeeper gives the nodes it creates
 * with a null ACL: the root, /zookeeper, /zookeeper/quota), kept apart from an equal list a client
 * set, because ZooKeeper's snapshots tell the two apart (ref -1 against a cached ref).
 */
export class AclTable {
  readonly #system: readonly ACL[];
  readonly #lists: (readonly ACL[] | null)[];
  readonly #counts: number[];
  readonly #byKey = new Map<string, number>();
  /** Shared lists (records.ts's world:anyone ones) by identity: no key to build on the hot path. */
  readonly #byIdentity = new Map<readonly ACL[], number>();
  readonly #freeIds: number[] = [];

  constructor(system: readonly ACL[]) {
    this.#system = system;
    this.#lists = [system];
    this.#counts = [0];
  }

  /** The id of `acl` (an equal list's if there is one), counted as one more reference. */
  retain(acl: readonly ACL[]): number {
    if (acl === this.#system) return 0;
    const known = this.#byIdentity.get(acl);
    if (known !== undefined) {
      this.#counts[known]!++;
      return known;
    }
    const key = aclKey(acl);
    let id = this.#byKey.get(key);
    if (isSharedWorldAcl(acl) && id !== undefined) this.#byIdentity.set(acl, id);
    if (id === undefined) {
      id = this.#freeIds.pop() ?? this.#lists.length;
      this.#lists[id] = Object.isFrozen(acl) ? acl : Object.freeze([...acl]);
      this.#counts[id] = 0;
      this.#byKey.set(key, id);
      if (isSharedWorldAcl(acl)) this.#byIdentity.set(acl, id);
    }
    this.#counts[id]!++;
    return id;
  }

  /** Counts one more reference to an id already in the table (a snapshot being loaded). */
  retainId(id: number): void {
    if (id !== 0) this.#counts[id]!++;
  }

  /** One reference fewer; the id is forgotten when none is left. */
  release(id: number): void {
    if (id === 0) return;
    const count = --this.#counts[id]!;
    if (count > 0) return;
    this.#forget(id);
  }

  #forget(id: number): void {
    this.#byKey.delete(aclKey(this.#lists[id]!));
    for (const [list, known] of this.#byIdentity) if (known === id) this.#byIdentity.delete(list);
    this.#lists[id] = null;
    this.#freeIds.push(id);
  }

  /** Whether the id names a list. */
  has(id: number): boolean {
    return id === 0 || (id > 0 && (this.#lists[id] ?? null) !== null);
  }

  /** The list with this id. */
  get(id: number): readonly ACL[] {
    return this.#lists[id]!;
  }

  /** The lists by id (null: unused) as they are now, for a snapshot image. */
  capture(): (readonly ACL[] | null)[] {
    return [...this.#lists];
  }

  /**
   * Puts a snapshot's table back, ids unchanged (0 must be the system list); references are
   * counted as the snapshot's nodes are loaded.
   */
  load(lists: readonly (readonly ACL[] | null)[]): void {
    this.clear();
    for (let id = 1; id < lists.length; id++) {
      const acl = lists[id] ?? null;
      this.#lists[id] = acl === null ? null : Object.freeze([...acl]);
      this.#counts[id] = 0;
      if (acl === null) this.#freeIds.push(id);
      else this.#byKey.set(aclKey(acl), id);
    }
  }

  /** Forgets every list but the system one. */
  clear(): void {
    this.#lists.length = 1;
    this.#counts.length = 1;
    this.#byKey.clear();
    this.#byIdentity.clear();
    this.#freeIds.length = 0;
  }

  /** Drops ids a load left unreferenced. */
  trim(): void {
    for (let id = 1; id < this.#lists.length; id++) {
      if (this.#lists[id] !== null && this.#counts[id] === 0) this.#forget(id);
    }
  }
}

/** A string that equal lists share. */
export function aclKey(acl: readonly ACL[]): string {
  let key = "";
  for (const a of acl) key += `${a.perms}\u0000${a.id.scheme}\u0000${a.id.id}\u0001`;
  return key;
}
