import type { ACL } from "../proto/records.ts";

/** Who receives watch events: a client connection (or a test double). */
export interface Watcher {
  /** Delivers one event; `acl` is the znode's ACL so the receiver can drop what it may not read. */
  notify(type: number, path: string, zxid: bigint, acl: readonly ACL[] | null): void;
  /**
   * The whole tree was replaced (an admin restore): events since the watch was set cannot be
   * told apart. Client connections are closed instead; watchers inside the process implement it.
   */
  reset?(): void;
}

/** Modes a watcher can hold on one path at once (ZooKeeper's WatcherMode). */
export const WatchMode = {
  standard: 1,
  persistent: 2,
  persistentRecursive: 4,
} as const;

/**
 * One table of watches (ZooKeeper keeps two: data watches and child watches). A watcher holds a
 * set of modes per path: a one-shot standard watch is removed when it fires, persistent ones stay,
 * and persistent-recursive ones also fire for events on descendants.
 */
export class WatchTable {
  readonly #byPath = new Map<string, Map<Watcher, number>>();
  readonly #byWatcher = new Map<Watcher, Map<string, number>>();
  #recursiveCount = 0;

  get size(): number {
    let total = 0;
    for (const watchers of this.#byPath.values()) total += watchers.size;
    return total;
  }

  add(path: string, watcher: Watcher, mode: number): void {
    let watchers = this.#byPath.get(path);
    if (watchers === undefined) this.#byPath.set(path, (watchers = new Map()));
    const current = watchers.get(watcher) ?? 0;
    if ((current & mode) !== 0) return;
    watchers.set(watcher, current | mode);
    let paths = this.#byWatcher.get(watcher);
    if (paths === undefined) this.#byWatcher.set(watcher, (paths = new Map()));
    paths.set(path, current | mode);
    if (mode === WatchMode.persistentRecursive) this.#recursiveCount++;
  }

  /** True when the watcher holds any of `modeMask` on path. */
  has(path: string, watcher: Watcher, modeMask: number): boolean {
    return ((this.#byPath.get(path)?.get(watcher) ?? 0) & modeMask) !== 0;
  }

  /** Removes the given modes; returns true when something was removed. */
  remove(path: string, watcher: Watcher, modeMask: number): boolean {
    const watchers = this.#byPath.get(path);
    const current = watchers?.get(watcher) ?? 0;
    if ((current & modeMask) === 0) return false;
    this.#setModes(path, watcher, current & ~modeMask);
    return true;
  }

  #setModes(path: string, watcher: Watcher, modes: number): void {
    const watchers = this.#byPath.get(path)!;
    const paths = this.#byWatcher.get(watcher)!;
    const before = watchers.get(watcher) ?? 0;
    if ((before & WatchMode.persistentRecursive) !== 0 && (modes & WatchMode.persistentRecursive) === 0) {
      this.#recursiveCount--;
    }
    if (modes === 0) {
      watchers.delete(watcher);
      paths.delete(path);
      if (watchers.size === 0) this.#byPath.delete(path);
      if (paths.size === 0) this.#byWatcher.delete(watcher);
    } else {
      watchers.set(watcher, modes);
      paths.set(path, modes);
    }
  }

  /**
   * Collects the watchers an event on `path` reaches (the path's own watchers, and recursive
   * watchers of its ancestors) and consumes one-shot watches. Each watcher appears once.
   */
  trigger(path: string, into: Set<Watcher>): void {
    const own = this.#byPath.get(path);
    if (own !== undefined) {
      for (const [watcher, modes] of [...own]) {
        into.add(watcher);
        if ((modes & WatchMode.standard) !== 0) this.#setModes(path, watcher, modes & ~WatchMode.standard);
      }
    }
    if (this.#recursiveCount === 0) return;
    let ancestor = path;
    for (let guard = 0; ancestor !== "/" && guard < 100_000; guard++) {
      const slash = ancestor.lastIndexOf("/");
      ancestor = slash <= 0 ? "/" : ancestor.slice(0, slash);
      const watchers = this.#byPath.get(ancestor);
      if (watchers === undefined) continue;
      for (const [watcher, modes] of watchers) {
        if ((modes & WatchMode.persistentRecursive) !== 0) into.add(watcher);
      }
    }
  }

  /** Every path the watcher watches, with its modes. */
  pathsOf(watcher: Watcher): ReadonlyMap<string, number> {
    return this.#byWatcher.get(watcher) ?? new Map();
  }

  /** All paths with watchers (for `wchp`). */
  paths(): IterableIterator<[string, Map<Watcher, number>]> {
    return this.#byPath.entries();
  }

  /** Every watcher holding a watch in this table. */
  watchers(): IterableIterator<Watcher> {
    return this.#byWatcher.keys();
  }

  /** Forgets a watcher entirely (its connection closed). */
  removeWatcher(watcher: Watcher): void {
    const paths = this.#byWatcher.get(watcher);
    if (paths === undefined) return;
    for (const path of [...paths.keys()]) this.#setModes(path, watcher, 0);
  }
}
