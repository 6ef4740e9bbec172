import { aclAllows } from "../../core/acl/acl_check.ts";
import { Perms } from "../../core/proto/acl_perms.ts";
import type { ACL, Id } from "../../core/proto/records.ts";
import { EventType } from "../../core/proto/watch_event.ts";
import type { TreeView } from "../../core/server/server_view.ts";
import type { Watcher } from "../../core/watch/watch_manager.ts";

/** One change as the journal keeps it. */
export interface JournalEvent {
  /** Position in the journal: (zxid, index among that zxid's events). */
  zxid: bigint;
  index: number;
  type: number;
  path: string;
  /** The ACL of the node the event is about, to filter readers as the client port does. */
  acl: readonly ACL[] | null;
}

/** Where a stream resumes: after this event. */
export interface JournalPosition {
  zxid: bigint;
  /** -1: after every event of that zxid. */
  index: number;
}

/** What a watch stream is told. */
export interface JournalSubscriber {
  path: string;
  recursive: boolean;
  authIds: readonly Id[];
  event(event: JournalEvent): void;
  /** Events were lost (journal overrun, restore): the reader must re-read what it watches. */
  reset(reason: string, zxid: bigint): void;
}

/**
 * The gateway's record of recent changes: one internal persistent-recursive watch on `/` (events
 * reach it exactly as they reach a client connection), plus the NodeChildrenChanged each create
 * and delete implies for the parent (recursive watches do not report those; persistent ones do).
 * A bounded ring of events lets a Server-Sent Events stream resume from the last zxid it saw;
 * when that is older than the ring, the stream is told to reset instead.
 */
export class WatchJournal implements Watcher {
  readonly #tree: TreeView;
  readonly #capacity: number;
  readonly #events: JournalEvent[] = [];
  #head = 0;
  /** Streams may resume from any position at or after this one. */
  #oldest: JournalPosition;
  #lastZxid = -1n;
  #lastIndex = 0;
  readonly #subscribers = new Set<JournalSubscriber>();

  constructor(tree: TreeView, capacity: number) {
    this.#tree = tree;
    this.#capacity = capacity;
    this.#oldest = { zxid: tree.lastZxid, index: -1 };
    tree.addInternalWatch("/", this, true);
  }

  close(): void {
    this.#tree.removeInternalWatcher(this);
    this.#subscribers.clear();
  }

  /** The position of the newest event (or the tree's zxid when nothing happened since). */
  get position(): JournalPosition {
    const last = this.#at(this.size - 1);
    return last === undefined ? { zxid: this.#tree.lastZxid, index: -1 } : { zxid: last.zxid, index: last.index };
  }

  get size(): number {
    return this.#events.length - this.#head;
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  notify(type: number, path: string, zxid: bigint, acl: readonly ACL[] | null): void {
    this.#append(type, path, zxid, acl);
    if (type !== EventType.NodeCreated && type !== EventType.NodeDeleted) return;
    const parent = path.lastIndexOf("/") <= 0 ? "/" : path.slice(0, path.lastIndexOf("/"));
    if (parent === path) return;
    this.#append(EventType.NodeChildrenChanged, parent, zxid, this.#tree.get(parent)?.acl ?? null);
  }

  /** An admin restore replaced the tree: nothing before it can be replayed. */
  reset(): void {
    this.#events.length = 0;
    this.#head = 0;
    this.#oldest = { zxid: this.#tree.lastZxid, index: -1 };
    for (const subscriber of [...this.#subscribers]) subscriber.reset("the tree was restored from a snapshot", this.#tree.lastZxid);
  }

  /**
   * Adds a stream. With `from`, the events after it are replayed first; returns false when they
   * cannot be (too old, or from a different history): the caller resets the stream.
   */
  subscribe(subscriber: JournalSubscriber, from: JournalPosition | null): boolean {
    let replayable = true;
    if (from !== null) {
      replayable = !before(from, this.#oldest) && from.zxid <= this.#tree.lastZxid;
      if (replayable) {
        for (let i = this.#head; i < this.#events.length; i++) {
          const event = this.#events[i]!;
          if (before(from, event) && matches(subscriber, event)) subscriber.event(event);
        }
      }
    }
    this.#subscribers.add(subscriber);
    return replayable;
  }

  unsubscribe(subscriber: JournalSubscriber): void {
    this.#subscribers.delete(subscriber);
  }

  #at(i: number): JournalEvent | undefined {
    return this.#events[this.#head + i];
  }

  #append(type: number, path: string, zxid: bigint, acl: readonly ACL[] | null): void {
    const index = zxid === this.#lastZxid ? this.#lastIndex + 1 : 0;
    this.#lastZxid = zxid;
    this.#lastIndex = index;
    const event: JournalEvent = { zxid, index, type, path, acl };
    this.#events.push(event);
    if (this.size > this.#capacity) {
      const dropped = this.#events[this.#head]!;
      this.#events[this.#head++] = undefined as unknown as JournalEvent;
      this.#oldest = { zxid: dropped.zxid, index: dropped.index };
      if (this.#head > this.#capacity) {
        this.#events.splice(0, this.#head);
        this.#head = 0;
      }
    }
    for (const subscriber of this.#subscribers) if (matches(subscriber, event)) subscriber.event(event);
  }
}

/** True when position a comes strictly before b. */
function before(a: JournalPosition, b: JournalPosition): boolean {
  return a.zxid < b.zxid || (a.zxid === b.zxid && a.index !== -1 && (b.index === -1 || a.index < b.index));
}

/** ZooKeeper's delivery rules for a persistent (recursive) watch, and READ on the node. */
function matches(subscriber: JournalSubscriber, event: JournalEvent): boolean {
  if (event.acl !== null && !aclAllows(event.acl, Perms.READ, subscriber.authIds)) return false;
  if (event.type === EventType.NodeChildrenChanged) return !subscriber.recursive && event.path === subscriber.path;
  if (event.path === subscriber.path) return true;
  if (!subscriber.recursive) return false;
  return subscriber.path === "/" || event.path.startsWith(`${subscriber.path}/`);
}
