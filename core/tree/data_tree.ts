import { EventType } from "../proto/watch_event.ts";
import { Perms } from "../proto/acl_perms.ts";
import type { ACL } from "../proto/records.ts";
import { WatchMode, WatchTable, type Watcher } from "../watch/watch_manager.ts";
import { EphemeralKind, ephemeralKind } from "./ephemeral_type.ts";
import { javaHashCapacity, javaHashOrder, javaHashSetCloneOrder } from "./java_hash_order.ts";
import { QUOTA_LIMIT_NODE, QuotaTracker } from "./quota.ts";
import { DigestSum, nodeDigest } from "./tree_digest.ts";
import { newZNode, type ZNode } from "./znode.ts";

export const ROOT = "/";
export const ZOOKEEPER_NODE = "/zookeeper";
export const QUOTA_NODE = "/zookeeper/quota";
export const CONFIG_NODE = "/zookeeper/config";

/** ZooDefs.Ids.OPEN_ACL_UNSAFE */
export const OPEN_ACL: readonly ACL[] = Object.freeze([{ perms: Perms.ALL, id: { scheme: "world", id: "anyone" } }]);
/** ZooDefs.Ids.READ_ACL_UNSAFE */
export const READ_ACL: readonly ACL[] = Object.freeze([{ perms: Perms.READ, id: { scheme: "world", id: "anyone" } }]);

const EMPTY = new Uint8Array(0);

/** A node was expected by a txn and is missing: the log and the tree disagree. */
export class TreeInconsistency extends Error {
  override name = "TreeInconsistency";
}

/**
 * The znode tree and the indexes ZooKeeper keeps beside it (ephemerals per session, containers,
 * TTL nodes) plus the two watch tables. Only txn application changes it (core/txn/apply_txn.ts);
 * every change fires the watches ZooKeeper fires, synchronously, so that an event reaches a client
 * before the reply that shows the change.
 */
export class DataTree {
  readonly nodes = new Map<string, ZNode>();
  readonly ephemerals = new Map<bigint, Set<string>>();
  /** The most ephemerals each live session held at once: it sized ZooKeeper's HashSet, which orders them. */
  readonly #ephemeralPeak = new Map<bigint, number>();
  readonly containers = new Set<string>();
  readonly ttls = new Set<string>();
  readonly dataWatches = new WatchTable();
  readonly childWatches = new WatchTable();
  readonly extendedTypesEnabled: boolean;
  /** Quota roots and the upkeep of their stats nodes. */
  readonly quotas: QuotaTracker = new QuotaTracker({
    getNode: (path) => this.nodes.get(path),
    replaceDataQuietly: (path, data) => this.#replaceDataQuietly(path, data),
  });
  lastProcessedZxid = 0n;
  /**
   * The highest zxid stamped on a node restored from a snapshot (czxid, mzxid, pzxid; not
   * /zookeeper/config's, which is the config's version), -1 when none was. ZooKeeper takes its
   * snapshots while txns apply (a leader's SNAP too: it reads the zxid first, then walks the live
   * tree), so one can hold txns after its own zxid; replayed onto it, a txn up to this zxid may
   * find its change made already (see applyTxn).
   */
  fuzzyUntil = -1n;
  /** Bytes of path + data over all nodes, as ZooKeeper's `approximate_data_size`. */
  approximateDataSize = 0;
  readonly #digest = new DigestSum();
  readonly #digestEnabled: boolean;

  /**
   * @param extendedTypesEnabled zookeeper.extendedTypesEnabled: TTL nodes.
   * @param digestEnabled zookeeper.digest.enabled (default true, as in ZooKeeper): keep the tree
   *   digest. Off, `digest` is 0 as ZooKeeper reports it, and no write pays for the hashing.
   */
  constructor({ extendedTypesEnabled = false, digestEnabled = true }: { extendedTypesEnabled?: boolean; digestEnabled?: boolean } = {}) {
    this.extendedTypesEnabled = extendedTypesEnabled;
    this.#digestEnabled = digestEnabled;
    const base = { data: EMPTY, zxid: 0n, time: 0n, ephemeralOwner: 0n };
    this.#put(ROOT, newZNode({ ...base, acl: OPEN_ACL }));
    this.#put(ZOOKEEPER_NODE, newZNode({ ...base, acl: OPEN_ACL }));
    this.#put(QUOTA_NODE, newZNode({ ...base, acl: OPEN_ACL }));
    // ZooKeeper gives the config node its ACL with setACL(path, READ_ACL_UNSAFE, -1): aversion -1.
    this.#put(CONFIG_NODE, { ...newZNode({ ...base, acl: READ_ACL }), aversion: -1 });
    // The system nodes hang under their parents without touching cversion, as in ZooKeeper.
    this.#linkChild(ROOT, "zookeeper");
    this.#linkChild(ZOOKEEPER_NODE, "quota");
    this.#linkChild(ZOOKEEPER_NODE, "config");
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  /**
   * ZooKeeper's tree digest (tree_digest.ts): what 3.9 logs with every txn and writes into its
   * snapshots. Kept up to date by every change below, one CRC-32 per changed node.
   */
  get digest(): bigint {
    return this.#digest.value;
  }

  /** Whether this tree keeps its digest (zookeeper.digest.enabled). */
  get digestEnabled(): boolean {
    return this.#digestEnabled;
  }

  getNode(path: string): ZNode | undefined {
    // ZooKeeper's DataTree also files the root under "": getData/exists/getChildren("") see it.
    return this.nodes.get(path === "" ? ROOT : path);
  }

  #put(path: string, node: ZNode): void {
    this.nodes.set(path, node);
    this.approximateDataSize += path.length + node.data.length;
    if (!this.#digestEnabled) return;
    node.digest = nodeDigest(path, node);
    this.#digest.add(node.digest);
  }

  /** After a node's data or Stat changed: swaps its old digest for the new one. */
  #rehash(path: string, node: ZNode): void {
    if (!this.#digestEnabled) return;
    this.#digest.remove(node.digest);
    node.digest = nodeDigest(path, node);
    this.#digest.add(node.digest);
  }

  /**
   * Empties the tree (nodes, owner indexes, size, digest) for a snapshot to be loaded into it with
   * restoreNode. Watches and quota roots stay: only for a tree that has not served yet.
   */
  clearForLoad(): void {
    this.nodes.clear();
    this.ephemerals.clear();
    this.containers.clear();
    this.ttls.clear();
    this.approximateDataSize = 0;
    this.fuzzyUntil = -1n;
    this.#digest.clear();
  }

  #linkChild(parentPath: string, name: string): void {
    const parent = this.nodes.get(parentPath)!;
    parent.children.add(name);
    parent.childOrder = null;
    if (parent.children.size > parent.childrenPeak) parent.childrenPeak = parent.children.size;
  }

  /** Puts back a node read from a snapshot (parents come first). */
  restoreNode(path: string, node: ZNode): void {
    this.#put(path, node);
    if (path !== CONFIG_NODE) {
      for (const zxid of [node.czxid, node.mzxid, node.pzxid]) if (zxid > this.fuzzyUntil) this.fuzzyUntil = zxid;
    }
    if (path === ROOT) return;
    const slash = path.lastIndexOf("/");
    const parent = this.nodes.get(slash === 0 ? ROOT : path.slice(0, slash));
    if (parent === undefined) throw new TreeInconsistency(`snapshot: ${path} comes before its parent`);
    parent.children.add(path.slice(slash + 1));
    parent.childOrder = null;
    this.#indexOwner(path, node.ephemeralOwner);
    // Snapshots are taken between txns, so the stats nodes they hold are exact: index only.
    if (path.endsWith(`/${QUOTA_LIMIT_NODE}`)) this.quotas.created(path, node.data.length);
  }

  /**
   * Writes the ensemble's config into /zookeeper/config as ZooKeeper's initConfigInZKDatabase
   * does, outside any txn: each member from its own config, version -1, mzxid the config's
   * version (a zxid), mtime now. Outside the tree digest, like all of /zookeeper.
   */
  setConfigNode(text: string, configVersion: bigint, wallMs: bigint): void {
    const node = this.nodes.get(CONFIG_NODE);
    if (node === undefined) return;
    const data = new TextEncoder().encode(text);
    this.approximateDataSize += data.length - node.data.length;
    node.data = data;
    node.version = -1;
    node.mzxid = configVersion;
    node.mtime = wallMs;
  }

  /**
   * Takes over another tree's nodes and indexes (an admin restore), keeping this tree's watch
   * tables; `zxid` becomes the last processed zxid. Watchers that can hear of it are told.
   */
  adopt(other: DataTree, zxid: bigint): void {
    for (const [target, source] of [[this.nodes, other.nodes], [this.ephemerals, other.ephemerals]] as const) {
      target.clear();
      for (const [key, value] of source as Map<unknown, unknown>) (target as Map<unknown, unknown>).set(key, value);
    }
    this.containers.clear();
    for (const path of other.containers) this.containers.add(path);
    this.ttls.clear();
    for (const path of other.ttls) this.ttls.add(path);
    this.approximateDataSize = other.approximateDataSize;
    this.lastProcessedZxid = zxid;
    this.fuzzyUntil = other.fuzzyUntil;
    this.quotas.rebuild();
    // The adopted nodes carry the digests the other tree computed for them.
    this.#digest.clear();
    if (this.#digestEnabled) for (const node of this.nodes.values()) this.#digest.add(node.digest);
    const told = new Set<Watcher>();
    for (const table of [this.dataWatches, this.childWatches]) {
      for (const watcher of [...table.watchers()]) {
        if (told.has(watcher)) continue;
        told.add(watcher);
        watcher.reset?.();
      }
    }
  }

  /** Recomputes every quota's stats node from the tree (ZooKeeper's setupQuota). */
  rebuildQuotas(): void {
    this.quotas.rebuild();
  }

  #replaceDataQuietly(path: string, data: Uint8Array): void {
    const node = this.nodes.get(path);
    if (node === undefined) return;
    this.approximateDataSize += data.length - node.data.length;
    node.data = data;
    this.#rehash(path, node);
  }

  /** Children names in the order ZooKeeper returns them. */
  childrenOf(node: ZNode): readonly string[] {
    // ZooKeeper's DataNode creates its child set with capacity 8.
    // Cached until the children change: a busy parent is listed far more often than it changes.
    return node.childOrder ??= javaHashOrder([...node.children], javaHashCapacity(8, node.childrenPeak));
  }

  /** Applies a create; `parentCVersion` is the parent's new cversion as prep computed it. */
  createNode(
    path: string,
    fields: { data: Uint8Array; acl: readonly ACL[]; ephemeralOwner: bigint; parentCVersion: number; zxid: bigint; time: bigint },
  ): ZNode {
    const slash = path.lastIndexOf("/");
    const parentPath = slash === 0 ? ROOT : path.slice(0, slash);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) throw new TreeInconsistency(`create ${path}: no parent`);
    if (this.nodes.has(path)) throw new TreeInconsistency(`create ${path}: exists`);
    const node = newZNode({ ...fields, data: fields.data });
    this.#linkChild(parentPath, path.slice(slash + 1));
    if (fields.parentCVersion > parent.cversion) {
      parent.cversion = fields.parentCVersion;
      parent.pzxid = fields.zxid;
      this.#rehash(parentPath, parent);
    }
    this.#put(path, node);
    this.#indexOwner(path, fields.ephemeralOwner);
    this.quotas.created(path, node.data.length);
    this.#fire(this.dataWatches, path, EventType.NodeCreated, fields.zxid, node.acl);
    this.#fire(this.childWatches, parentPath, EventType.NodeChildrenChanged, fields.zxid, parent.acl);
    return node;
  }

  #indexOwner(path: string, owner: bigint): void {
    switch (ephemeralKind(owner, this.extendedTypesEnabled)) {
      case EphemeralKind.container:
        this.containers.add(path);
        break;
      case EphemeralKind.ttl:
        this.ttls.add(path);
        break;
      case EphemeralKind.session: {
        let paths = this.ephemerals.get(owner);
        if (paths === undefined) this.ephemerals.set(owner, (paths = new Set()));
        paths.add(path);
        if (paths.size > (this.#ephemeralPeak.get(owner) ?? 0)) this.#ephemeralPeak.set(owner, paths.size);
        break;
      }
    }
  }

  #unindexOwner(path: string, owner: bigint): void {
    this.containers.delete(path);
    this.ttls.delete(path);
    if (owner === 0n) return;
    const paths = this.ephemerals.get(owner);
    if (paths === undefined) return;
    paths.delete(path);
    if (paths.size === 0) this.ephemerals.delete(owner);
  }

  deleteNode(path: string, zxid: bigint): void {
    const slash = path.lastIndexOf("/");
    const parentPath = slash === 0 ? ROOT : path.slice(0, slash);
    const parent = this.nodes.get(parentPath);
    const node = this.nodes.get(path);
    if (parent === undefined || node === undefined) throw new TreeInconsistency(`delete ${path}: missing`);
    parent.children.delete(path.slice(slash + 1));
    parent.childOrder = null;
    // A later create may already have raised pzxid; never move it backwards.
    if (zxid > parent.pzxid) {
      parent.pzxid = zxid;
      this.#rehash(parentPath, parent);
    }
    this.nodes.delete(path);
    this.approximateDataSize -= path.length + node.data.length;
    this.#digest.remove(node.digest);
    this.#unindexOwner(path, node.ephemeralOwner);
    this.quotas.deleted(path, node.data.length);
    const reached = this.#fire(this.dataWatches, path, EventType.NodeDeleted, zxid, node.acl);
    this.#fire(this.childWatches, path, EventType.NodeDeleted, zxid, node.acl, reached);
    this.#fire(this.childWatches, parentPath, EventType.NodeChildrenChanged, zxid, parent.acl);
  }

  setData(path: string, data: Uint8Array, version: number, zxid: bigint, time: bigint): ZNode {
    const node = this.nodes.get(path);
    if (node === undefined) throw new TreeInconsistency(`setData ${path}: missing`);
    this.approximateDataSize += data.length - node.data.length;
    this.quotas.dataChanged(path, node.data.length, data.length);
    node.data = data;
    node.version = version;
    node.mzxid = zxid;
    node.mtime = time;
    this.#rehash(path, node);
    this.#fire(this.dataWatches, path, EventType.NodeDataChanged, zxid, node.acl);
    return node;
  }

  setACL(path: string, acl: readonly ACL[], aversion: number): ZNode {
    const node = this.nodes.get(path);
    if (node === undefined) throw new TreeInconsistency(`setACL ${path}: missing`);
    node.acl = acl;
    node.aversion = aversion;
    this.#rehash(path, node);
    return node;
  }

  /**
   * The paths of a session's ephemerals (a copy), in the order ZooKeeper lists and deletes them:
   * that of a clone of its per-session HashSet, whose capacity followed the session's peak count.
   */
  ephemeralsOf(sessionId: bigint): string[] {
    const paths = [...(this.ephemerals.get(sessionId) ?? [])];
    return paths.length < 2 ? paths : javaHashSetCloneOrder(paths, this.#ephemeralPeak.get(sessionId) ?? paths.length);
  }

  /** The session is gone: forget what its ephemeral set looked like (ZooKeeper drops the set). */
  sessionClosed(sessionId: bigint): void {
    this.#ephemeralPeak.delete(sessionId);
  }

  /** Number of descendants of a node (getAllChildrenNumber). */
  descendantCount(path: string): number {
    const prefix = path === ROOT ? ROOT : `${path}/`;
    let count = 0;
    for (const candidate of this.nodes.keys()) {
      if (candidate !== path && candidate.startsWith(prefix)) count++;
    }
    // The root's count leaves out the root itself only; ZooKeeper counts /zookeeper too.
    return count;
  }

  #fire(
    table: WatchTable,
    path: string,
    type: number,
    zxid: bigint,
    acl: readonly ACL[],
    suppress?: ReadonlySet<Watcher>,
  ): Set<Watcher> {
    const reached = new Set<Watcher>();
    table.trigger(path, reached);
    for (const watcher of reached) {
      if (suppress === undefined || !suppress.has(watcher)) watcher.notify(type, path, zxid, acl);
    }
    return reached;
  }

  /** Registers a watch as getData/exists/getChildren with watch=true do. */
  watchData(path: string, watcher: Watcher): void {
    this.dataWatches.add(path, watcher, WatchMode.standard);
  }

  watchChildren(path: string, watcher: Watcher): void {
    this.childWatches.add(path, watcher, WatchMode.standard);
  }

  /** addWatch: a persistent watch also watches children; a recursive one covers the subtree. */
  addPersistentWatch(path: string, watcher: Watcher, recursive: boolean): void {
    if (recursive) {
      this.dataWatches.add(path, watcher, WatchMode.persistentRecursive);
      return;
    }
    this.dataWatches.add(path, watcher, WatchMode.persistent);
    this.childWatches.add(path, watcher, WatchMode.persistent);
  }

  /** Drops every watch of a watcher (connection closed or session ended). */
  removeWatcher(watcher: Watcher): void {
    this.dataWatches.removeWatcher(watcher);
    this.childWatches.removeWatcher(watcher);
  }
}
