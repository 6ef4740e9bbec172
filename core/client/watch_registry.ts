import { EventType as EventCode, WatcherType } from "../proto/mod.ts";
import { EventType, watchedEvent } from "./event_names.ts";
import type { WatchedEvent, Watcher } from "./types.ts";

/** Which table a one-shot watch lives in (as ZooKeeper's client: exists on a missing node is an "exist" watch). */
export const OneShotKind = { data: "data", exist: "exist", child: "child" } as const;
/** One of {@link OneShotKind}. */
export type OneShotKind = (typeof OneShotKind)[keyof typeof OneShotKind];

/** The server paths to re-register after a reconnect, in SetWatches2 order. */
export interface WatchLists {
  data: string[];
  exist: string[];
  child: string[];
  persistent: string[];
  recursive: string[];
}

/** A watcher and the event to tell it (used for removals and terminal state events). */
export interface Delivery {
  watcher: Watcher;
  event: WatchedEvent;
}

type Table = Map<string, Set<Watcher>>;

/**
 * The client's side of its watches, keyed by chroot-relative path. It decides which local
 * watchers an incoming event reaches (the same rules as ZooKeeper's ZKWatchManager) and what
 * to re-register with the server after a reconnect.
 */
export class WatchRegistry {
  readonly #data: Table = new Map();
  readonly #exist: Table = new Map();
  readonly #child: Table = new Map();
  readonly #persistent: Table = new Map();
  readonly #recursive: Table = new Map();

  addOneShot(kind: OneShotKind, path: string, watcher: Watcher): void {
    add(this.#oneShotTable(kind), path, watcher);
  }

  addPersistent(path: string, recursive: boolean, listener: Watcher): void {
    add(recursive ? this.#recursive : this.#persistent, path, listener);
  }

  /** Removes one persistent listener; true when it was the last of its mode on that path. */
  removePersistent(path: string, recursive: boolean, listener: Watcher): boolean {
    const table = recursive ? this.#recursive : this.#persistent;
    const set = table.get(path);
    if (set === undefined || !set.delete(listener)) return false;
    if (set.size > 0) return false;
    table.delete(path);
    return true;
  }

  /** The watchers a node event reaches; one-shot watchers are consumed. */
  materialize(event: WatchedEvent): Watcher[] {
    const out: Watcher[] = [];
    const path = event.path;
    if (event.type === EventType.NodeDataChanged || event.type === EventType.NodeCreated) {
      take(this.#data, path, out);
      take(this.#exist, path, out);
    } else if (event.type === EventType.NodeChildrenChanged) {
      take(this.#child, path, out);
    } else if (event.type === EventType.NodeDeleted) {
      take(this.#data, path, out);
      take(this.#exist, path, out);
      take(this.#child, path, out);
    }
    addAll(this.#persistent.get(path), out);
    // Recursive watches promise no child events (the server may still send some for other watches).
    if (event.type !== EventType.NodeChildrenChanged) this.#addRecursive(path, out);
    // A listener registered several ways on one path hears each event once, as in the Java client.
    return out.length > 1 ? [...new Set(out)] : out;
  }

  #addRecursive(path: string, out: Watcher[]): void {
    if (this.#recursive.size === 0) return;
    let p = path;
    // One step per path segment; paths are bounded by jute.maxbuffer, so this loop is too.
    for (;;) {
      addAll(this.#recursive.get(p), out);
      if (p === "/") return;
      const slash = p.lastIndexOf("/");
      p = slash <= 0 ? "/" : p.slice(0, slash);
    }
  }

  /** Every persistent listener, for connection-state events (they stay registered). */
  persistentListeners(): Watcher[] {
    const out: Watcher[] = [];
    for (const set of this.#persistent.values()) addAll(set, out);
    for (const set of this.#recursive.values()) addAll(set, out);
    return out;
  }

  /** Every watcher of every kind, and forgets them all (the session ended). */
  drainAll(): Watcher[] {
    const out: Watcher[] = [];
    for (const table of this.#tables()) {
      for (const set of table.values()) addAll(set, out);
      table.clear();
    }
    return out;
  }

  /** Removes all local watchers of a WatcherType on a path; each gets the matching *Removed event. */
  removeLocal(path: string, type: number, state: number): Delivery[] {
    const out: Delivery[] = [];
    const removeFrom = (table: Table, eventCode: number) => {
      const set = table.get(path);
      if (set === undefined) return;
      table.delete(path);
      for (const watcher of set) out.push({ watcher, event: watchedEvent(eventCode, state, path) });
    };
    if (type === WatcherType.Children || type === WatcherType.Any) removeFrom(this.#child, EventCode.ChildWatchRemoved);
    if (type === WatcherType.Data || type === WatcherType.Any) {
      removeFrom(this.#data, EventCode.DataWatchRemoved);
      removeFrom(this.#exist, EventCode.DataWatchRemoved);
    }
    if (type === WatcherType.Persistent || type === WatcherType.Any) removeFrom(this.#persistent, EventCode.PersistentWatchRemoved);
    if (type === WatcherType.PersistentRecursive || type === WatcherType.Any) {
      removeFrom(this.#recursive, EventCode.PersistentWatchRemoved);
    }
    return out;
  }

  /** True when a local watch of this WatcherType exists on the path (removeWatches checks first). */
  hasLocal(path: string, type: number): boolean {
    const any = type === WatcherType.Any;
    return ((type === WatcherType.Children || any) && this.#child.has(path)) ||
      ((type === WatcherType.Data || any) && (this.#data.has(path) || this.#exist.has(path))) ||
      ((type === WatcherType.Persistent || any) && this.#persistent.has(path)) ||
      ((type === WatcherType.PersistentRecursive || any) && this.#recursive.has(path));
  }

  /** The server paths of every watch, for SetWatches2 after a reconnect. */
  lists(toServerPath: (path: string) => string): WatchLists {
    const keys = (table: Table) => Array.from(table.keys(), toServerPath);
    return {
      data: keys(this.#data),
      exist: keys(this.#exist),
      child: keys(this.#child),
      persistent: keys(this.#persistent),
      recursive: keys(this.#recursive),
    };
  }

  /** True when any watch of any kind is registered on exactly this path. */
  hasAny(path: string): boolean {
    return this.#tables().some((table) => table.has(path));
  }

  get size(): number {
    let n = 0;
    for (const table of this.#tables()) n += table.size;
    return n;
  }

  #tables(): Table[] {
    return [this.#data, this.#exist, this.#child, this.#persistent, this.#recursive];
  }

  #oneShotTable(kind: OneShotKind): Table {
    return kind === OneShotKind.data ? this.#data : kind === OneShotKind.exist ? this.#exist : this.#child;
  }
}

function add(table: Table, path: string, watcher: Watcher): void {
  let set = table.get(path);
  if (set === undefined) {
    set = new Set();
    table.set(path, set);
  }
  set.add(watcher);
}

function take(table: Table, path: string, out: Watcher[]): void {
  const set = table.get(path);
  if (set === undefined) return;
  table.delete(path);
  addAll(set, out);
}

function addAll(set: Set<Watcher> | undefined, out: Watcher[]): void {
  if (set !== undefined) for (const w of set) out.push(w);
}
