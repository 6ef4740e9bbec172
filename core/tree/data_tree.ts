import { crc32 } from "../checksum/crc32.ts";
import { EventType } from "../proto/watch_event.ts";
import { Perms } from "../proto/acl_perms.ts";
import { toExactNumber } from "../proto/int64.ts";
import type { JuteWriter } from "../proto/jute_writer.ts";
import type { ACL, Stat } from "../proto/records.ts";
import { WatchMode, WatchTable, type Watcher } from "../watch/watch_manager.ts";
import { AclTable } from "./acl_table.ts";
import type { ArenaOptions } from "./byte_arena.ts";
import { EphemeralKind, ephemeralKind } from "./ephemeral_type.ts";
import { javaHashCapacity, javaHashOrderBy, javaHashSetCloneOrder, javaStringHash } from "./java_hash_order.ts";
import { F64, I32, I32_BASE, PAGE_MASK, PAGE_SLOTS } from "./node_pages.ts";
import type { NodeReader } from "./node_reader.ts";
import { NO_SLOT, NodeStore, ROOT_SLOT } from "./node_store.ts";
import { QUOTA_LIMIT_NODE, QuotaTracker } from "./quota.ts";
import { DigestSum, digestAfterPath, nodeDigest } from "./tree_digest.ts";
import { type NodeStat, NULL_DATA, ownerHidden, statRecord, visibleCversion } from "./znode.ts";

export { NO_SLOT, ROOT_SLOT };

export const ROOT = "/";
export const ZOOKEEPER_NODE = "/zookeeper";
export const QUOTA_NODE = "/zookeeper/quota";
export const CONFIG_NODE = "/zookeeper/config";

/** ZooDefs.Ids.OPEN_ACL_UNSAFE */
export const OPEN_ACL: readonly ACL[] = Object.freeze([{ perms: Perms.ALL, id: { scheme: "world", id: "anyone" } }]);
/** ZooDefs.Ids.READ_ACL_UNSAFE */
export const READ_ACL: readonly ACL[] = Object.freeze([{ perms: Perms.READ, id: { scheme: "world", id: "anyone" } }]);

/** A node was expected by a txn and is missing: the log and the tree disagree. */
export class TreeInconsistency extends Error {
  override name = "TreeInconsistency";
}

/** A node as a snapshot or a SNAP carries it, to be put back with {@link DataTree.restoreNode}. */
export interface RestoredNode {
  /** Null data is NULL_DATA. */
  data: Uint8Array;
  acl: readonly ACL[];
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  pzxid: number;
  /** The most children the node ever had (0: as many as it gets while loading). */
  childrenPeak: number;
}

/** What a txn's create sets. */
export interface CreateFields {
  data: Uint8Array;
  acl: readonly ACL[];
  ephemeralOwner: bigint;
  parentCVersion: number;
  zxid: bigint;
  time: bigint;
}

/**
 * The znode tree and the indexes ZooKeeper keeps beside it (ephemerals per session, containers,
 * TTL nodes) plus the two watch tables. Only txn application changes it (core/txn/apply_txn.ts);
 * every change fires the watches ZooKeeper fires, synchronously, so that an event reaches a client
 * before the reply that shows the change.
 *
 * The znodes themselves live off the JavaScript heap in a {@link NodeStore} (`nodes`): a node is
 * a slot number, found by path with {@link find}, read with the store's accessors or the methods
 * below. Zxids and times are exact numbers there; they are bigints everywhere else.
 */
export class DataTree {
  #nodes: NodeStore;
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
    dataAt: (path) => {
      const slot = this.find(path);
      return slot === NO_SLOT ? undefined : this.dataOf(slot);
    },
    childrenAt: (path) => {
      const slot = this.find(path);
      return slot === NO_SLOT ? undefined : this.#childNames(slot);
    },
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
  /** fuzzyUntil as a number, compared per restored node (a bigint only when it grows). */
  #fuzzyMax = -1;
  /** Bytes of path + data over all nodes, as ZooKeeper's `approximate_data_size`. */
  approximateDataSize = 0;
  #acls = new AclTable(OPEN_ACL);
  #digest = new DigestSum();
  readonly #digestEnabled: boolean;
  /** Children in ZooKeeper's order per listed node, until its children change. */
  #childOrder = new Map<number, ChildOrder>();

  /**
   * @param extendedTypesEnabled zookeeper.extendedTypesEnabled: TTL nodes.
   * @param digestEnabled zookeeper.digest.enabled (default true, as in ZooKeeper): keep the tree
   *   digest. Off, `digest` is 0 as ZooKeeper reports it, and no write pays for the hashing.
   */
  constructor(
    { extendedTypesEnabled = false, digestEnabled = true, arena }: { extendedTypesEnabled?: boolean; digestEnabled?: boolean; arena?: ArenaOptions } = {},
  ) {
    this.#nodes = new NodeStore(arena);
    this.extendedTypesEnabled = extendedTypesEnabled;
    this.#digestEnabled = digestEnabled;
    this.#addSystemNodes();
  }

  #addSystemNodes(): void {
    const root = this.#nodes.addRoot(new Uint8Array(0));
    this.#initFields(root, 0, 0, OPEN_ACL, 0n);
    this.approximateDataSize += ROOT.length;
    this.#rehash(ROOT, root, true);
    // The system nodes hang under their parents without touching cversion, as in ZooKeeper.
    const zookeeper = this.#addSystemNode(root, "zookeeper", ZOOKEEPER_NODE, OPEN_ACL);
    this.#addSystemNode(zookeeper, "quota", QUOTA_NODE, OPEN_ACL);
    const config = this.#addSystemNode(zookeeper, "config", CONFIG_NODE, READ_ACL);
    // ZooKeeper gives the config node its ACL with setACL(path, READ_ACL_UNSAFE, -1): aversion -1.
    this.#nodes.setI32(config, I32.aversion, -1);
  }

  #addSystemNode(parent: number, name: string, path: string, acl: readonly ACL[]): number {
    const slot = this.#nodes.add(parent, name, new Uint8Array(0));
    this.#initFields(slot, 0, 0, acl, 0n);
    this.approximateDataSize += path.length;
    this.#rehash(path, slot, true);
    return slot;
  }

  /** The znodes (slots, fields, names, data); read-only outside this class. */
  get store(): NodeStore {
    return this.#nodes;
  }

  /**
   * The nodes by path as a read-only map of {@link NodeView} copies: for tests, tools and views,
   * not for hot paths (every access builds a view; iteration walks the whole tree).
   */
  readonly nodes: NodeMapView = nodeMapView(this);

  /** A copy of the node at `path` as a {@link NodeView}, or undefined (not for hot paths). */
  getNode(path: string): NodeView | undefined {
    const slot = this.find(path);
    return slot === NO_SLOT ? undefined : new NodeView(this, slot);
  }

  get nodeCount(): number {
    return this.#nodes.count;
  }

  /**
   * ZooKeeper's tree digest (tree_digest.ts): what 3.9 logs with every txn and writes into its
   * snapshots. Kept up to date by every change below, one CRC-32 per changed node.
   */
  get digest(): bigint {
    return this.#digest.value;
  }

  /** Whether the digest is kept (zookeeper.digest.enabled). */
  get digestEnabled(): boolean {
    return this.#digestEnabled;
  }

  /** The ACL lists by id (for snapshots). */
  get acls(): AclTable {
    return this.#acls;
  }

  // ---- reads ----

  /** The slot of `path`, or NO_SLOT. ZooKeeper also files the root under "": it is found by "". */
  find(path: string): number {
    return path === "" ? ROOT_SLOT : this.#nodes.find(path);
  }

  has(path: string): boolean {
    return this.find(path) !== NO_SLOT;
  }

  aclOf(slot: number): readonly ACL[] {
    return this.#acls.get(this.#nodes.aclId(slot));
  }

  /** The node's data: a view into the store, NULL_DATA for null data. */
  dataOf(slot: number): Uint8Array {
    return this.#nodes.data(slot) ?? NULL_DATA;
  }

  /** The node's data length as the Stat shows it (0 for null). */
  dataLengthOf(slot: number): number {
    return Math.max(0, this.#nodes.dataLength(slot));
  }

  /** ephemeralOwner as stored (containers and TTL nodes keep their markers). */
  ownerOf(slot: number): bigint {
    return this.#nodes.owner(slot);
  }

  /** The node's path. */
  pathOf(slot: number): string {
    return this.#nodes.pathOf(slot);
  }

  /** Writes the node's data as a jute buffer (null as -1) straight from the store. */
  writeData(w: JuteWriter, slot: number): void {
    const length = this.#nodes.dataLength(slot);
    if (length < 0) {
      w.int(-1);
      return;
    }
    const at = this.#nodes.dataOffset(slot);
    w.int(length).raw(this.#nodes.regionBytes(slot).subarray(at, at + length));
  }

  /** Writes the node's Stat as clients see it, straight from the store. */
  writeStat(w: JuteWriter, slot: number): void {
    const page = this.#nodes.page(slot);
    const f = slot & PAGE_MASK;
    const i = I32_BASE + f;
    const f64 = page.f64;
    const i32 = page.i32;
    const numChildren = i32[i + I32.numChildren * PAGE_SLOTS]!;
    const high = i32[i + I32.ownerHigh * PAGE_SLOTS]!;
    const low = i32[i + I32.ownerLow * PAGE_SLOTS]!;
    const hidden = ownerHidden(high, low);
    w.longNumber(f64[F64.czxid * PAGE_SLOTS + f]!).longNumber(f64[F64.mzxid * PAGE_SLOTS + f]!);
    w.longNumber(f64[F64.ctime * PAGE_SLOTS + f]!).longNumber(f64[F64.mtime * PAGE_SLOTS + f]!);
    w.int(i32[i + I32.version * PAGE_SLOTS]!).int(visibleCversion(i32[i + I32.cversion * PAGE_SLOTS]!, numChildren));
    w.int(i32[i + I32.aversion * PAGE_SLOTS]!).longHalves(hidden ? 0 : high, hidden ? 0 : low);
    w.int(Math.max(0, i32[i + I32.dataLength * PAGE_SLOTS]!)).int(numChildren).longNumber(f64[F64.pzxid * PAGE_SLOTS + f]!);
  }

  /** The node's Stat as clients see it (numbers), as of now. */
  nodeStat(slot: number): NodeStat {
    const n = this.#nodes;
    const high = n.ownerHigh(slot);
    const low = n.ownerLow(slot);
    const hidden = ownerHidden(high, low);
    const numChildren = n.numChildren(slot);
    return {
      czxid: n.czxid(slot),
      mzxid: n.mzxid(slot),
      ctime: n.ctime(slot),
      mtime: n.mtime(slot),
      version: n.version(slot),
      cversion: visibleCversion(n.cversion(slot), numChildren),
      aversion: n.aversion(slot),
      ownerHigh: hidden ? 0 : high,
      ownerLow: hidden ? 0 : low,
      dataLength: Math.max(0, n.dataLength(slot)),
      numChildren,
      pzxid: n.pzxid(slot),
    };
  }

  /** The node's Stat as clients see it, as the protocol's record (bigints). */
  statOf(slot: number): Stat {
    return statRecord(this.nodeStat(slot));
  }

  /** Children names in the order ZooKeeper returns them. */
  childrenOf(slot: number): readonly string[] {
    return this.#order(slot).names;
  }

  /** The children's slots in the order ZooKeeper returns them. */
  childSlotsInOrder(slot: number): readonly number[] {
    return this.#order(slot).slots;
  }

  #order(slot: number): ChildOrder {
    let order = this.#childOrder.get(slot);
    if (order === undefined) {
      // Cached until the children change: a busy parent is listed far more often than it changes.
      order = childOrder(this.#nodes, slot);
      this.#childOrder.set(slot, order);
    }
    return order;
  }

  /** Children names in insertion order. */
  #childNames(slot: number): string[] {
    return this.#nodes.childSlots(slot).map((child) => this.#nodes.nameOf(child));
  }

  /** Every node's path (parents before children). */
  *paths(): IterableIterator<string> {
    for (const slot of this.slots()) yield this.#nodes.pathOf(slot);
  }

  /** Every node's slot, parents before children (pre-order). */
  *slots(): IterableIterator<number> {
    const stack = [ROOT_SLOT];
    // Bounded: each node is pushed once.
    while (stack.length > 0) {
      const slot = stack.pop()!;
      yield slot;
      const children = this.#nodes.childSlots(slot);
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    }
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
    const start = this.find(path);
    if (start === NO_SLOT) return 0;
    let count = 0;
    const stack = [start];
    // Bounded: each node is pushed once. The root's count includes /zookeeper, as ZooKeeper's.
    while (stack.length > 0) {
      const slot = stack.pop()!;
      for (const child of this.#nodes.childSlots(slot)) {
        count++;
        if (this.#nodes.numChildren(child) > 0) stack.push(child);
      }
    }
    return count;
  }

  // ---- changes ----

  #initFields(slot: number, zxid: number, time: number, acl: readonly ACL[], owner: bigint): void {
    const n = this.#nodes;
    const page = n.pages.writable(slot);
    const f = slot & PAGE_MASK;
    const i = I32_BASE + f;
    page.f64[F64.czxid * PAGE_SLOTS + f] = zxid;
    page.f64[F64.mzxid * PAGE_SLOTS + f] = zxid;
    page.f64[F64.pzxid * PAGE_SLOTS + f] = zxid;
    page.f64[F64.ctime * PAGE_SLOTS + f] = time;
    page.f64[F64.mtime * PAGE_SLOTS + f] = time;
    page.i32[i + I32.version * PAGE_SLOTS] = 0;
    page.i32[i + I32.cversion * PAGE_SLOTS] = 0;
    page.i32[i + I32.aversion * PAGE_SLOTS] = 0;
    page.i32[i + I32.aclId * PAGE_SLOTS] = this.#acls.retain(acl);
    page.i32[i + I32.ownerHigh * PAGE_SLOTS] = owner === 0n ? 0 : Number(BigInt.asIntN(32, owner >> 32n));
    page.i32[i + I32.ownerLow * PAGE_SLOTS] = owner === 0n ? 0 : Number(BigInt.asIntN(32, owner));
    page.i32[i + I32.digest * PAGE_SLOTS] = 0;
  }

  /** After a node's data or Stat changed (or it was just made): swaps its old digest for the new one. */
  #rehash(path: string, slot: number, fresh = false): void {
    if (!this.#digestEnabled) return;
    const n = this.#nodes;
    if (!fresh) this.#digest.remove(n.digest(slot));
    const digest = nodeDigest(path, n, slot);
    n.setI32(slot, I32.digest, digest | 0);
    this.#digest.add(digest);
  }

  /** Applies a create; `parentCVersion` is the parent's new cversion as prep computed it. */
  createNode(path: string, fields: CreateFields): number {
    const slash = path.lastIndexOf("/");
    const parentPath = slash === 0 ? ROOT : path.slice(0, slash);
    const parent = this.find(parentPath);
    if (parent === NO_SLOT) throw new TreeInconsistency(`create ${path}: no parent`);
    const zxid = toExactNumber(fields.zxid);
    const data = fields.data === NULL_DATA ? null : fields.data;
    const slot = this.#nodes.add(parent, path.slice(slash + 1), data);
    if (slot === NO_SLOT) throw new TreeInconsistency(`create ${path}: exists`);
    this.#initFields(slot, zxid, toExactNumber(fields.time), fields.acl, fields.ephemeralOwner);
    this.#childOrder.delete(parent);
    if (fields.parentCVersion > this.#nodes.cversion(parent)) {
      this.#nodes.setI32(parent, I32.cversion, fields.parentCVersion);
      this.#nodes.setF64(parent, F64.pzxid, zxid);
      this.#rehash(parentPath, parent);
    }
    this.approximateDataSize += path.length + fields.data.length;
    this.#rehash(path, slot, true);
    this.#indexOwner(path, fields.ephemeralOwner);
    this.quotas.created(path, fields.data.length);
    const acl = this.aclOf(slot);
    this.#fire(this.dataWatches, path, EventType.NodeCreated, fields.zxid, acl);
    this.#fire(this.childWatches, parentPath, EventType.NodeChildrenChanged, fields.zxid, this.aclOf(parent));
    return slot;
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
    const slot = this.find(path);
    if (slot === NO_SLOT || slot === ROOT_SLOT) throw new TreeInconsistency(`delete ${path}: missing`);
    const n = this.#nodes;
    if (n.numChildren(slot) > 0) throw new TreeInconsistency(`delete ${path}: has children`);
    const slash = path.lastIndexOf("/");
    const parentPath = slash === 0 ? ROOT : path.slice(0, slash);
    const parent = n.parent(slot);
    const acl = this.aclOf(slot);
    const dataLength = Math.max(0, n.dataLength(slot));
    const owner = n.owner(slot);
    if (this.#digestEnabled) this.#digest.remove(n.digest(slot));
    this.#acls.release(n.aclId(slot));
    n.remove(slot);
    this.#childOrder.delete(slot);
    this.#childOrder.delete(parent);
    // A later create may already have raised pzxid; never move it backwards.
    const z = toExactNumber(zxid);
    if (z > n.pzxid(parent)) {
      n.setF64(parent, F64.pzxid, z);
      this.#rehash(parentPath, parent);
    }
    this.approximateDataSize -= path.length + dataLength;
    this.#unindexOwner(path, owner);
    this.quotas.deleted(path, dataLength);
    n.compactStep();
    const reached = this.#fire(this.dataWatches, path, EventType.NodeDeleted, zxid, acl);
    this.#fire(this.childWatches, path, EventType.NodeDeleted, zxid, acl, reached);
    this.#fire(this.childWatches, parentPath, EventType.NodeChildrenChanged, zxid, this.aclOf(parent));
  }

  setData(path: string, data: Uint8Array, version: number, zxid: bigint, time: bigint): number {
    const slot = this.find(path);
    if (slot === NO_SLOT) throw new TreeInconsistency(`setData ${path}: missing`);
    const n = this.#nodes;
    const oldLength = Math.max(0, n.dataLength(slot));
    this.approximateDataSize += data.length - oldLength;
    this.quotas.dataChanged(path, oldLength, data.length);
    n.setData(slot, data === NULL_DATA ? null : data);
    const page = n.pages.writable(slot);
    const f = slot & PAGE_MASK;
    page.i32[I32_BASE + f + I32.version * PAGE_SLOTS] = version;
    page.f64[F64.mzxid * PAGE_SLOTS + f] = toExactNumber(zxid);
    page.f64[F64.mtime * PAGE_SLOTS + f] = toExactNumber(time);
    this.#rehash(path, slot);
    n.compactStep();
    this.#fire(this.dataWatches, path, EventType.NodeDataChanged, zxid, this.aclOf(slot));
    return slot;
  }

  setACL(path: string, acl: readonly ACL[], aversion: number): number {
    const slot = this.find(path);
    if (slot === NO_SLOT) throw new TreeInconsistency(`setACL ${path}: missing`);
    const n = this.#nodes;
    const old = n.aclId(slot);
    n.setI32(slot, I32.aclId, this.#acls.retain(acl));
    this.#acls.release(old);
    n.setI32(slot, I32.aversion, aversion);
    this.#rehash(path, slot);
    return slot;
  }

  /**
   * Writes the ensemble's config into /zookeeper/config as ZooKeeper's initConfigInZKDatabase
   * does, outside any txn: each member from its own config, version -1, mzxid the config's
   * version (a zxid), mtime now. Outside the tree digest, like all of /zookeeper.
   */
  setConfigNode(text: string, configVersion: bigint, wallMs: bigint): void {
    const slot = this.find(CONFIG_NODE);
    if (slot === NO_SLOT) return;
    const data = new TextEncoder().encode(text);
    const n = this.#nodes;
    this.approximateDataSize += data.length - Math.max(0, n.dataLength(slot));
    n.setData(slot, data);
    n.setI32(slot, I32.version, -1);
    n.setF64(slot, F64.mzxid, toExactNumber(configVersion));
    n.setF64(slot, F64.mtime, toExactNumber(wallMs));
  }

  #replaceDataQuietly(path: string, data: Uint8Array): void {
    const slot = this.find(path);
    if (slot === NO_SLOT) return;
    this.approximateDataSize += data.length - Math.max(0, this.#nodes.dataLength(slot));
    this.#nodes.setData(slot, data);
    this.#rehash(path, slot);
  }

  // ---- loading ----

  /**
   * Empties the tree (nodes, owner indexes, size, digest, ACLs) for a snapshot to be loaded into
   * it. Watches and quota roots stay: only for a tree that has not served yet.
   */
  clearForLoad(): void {
    this.#nodes.clear();
    this.ephemerals.clear();
    this.containers.clear();
    this.ttls.clear();
    this.approximateDataSize = 0;
    this.fuzzyUntil = -1n;
    this.#fuzzyMax = -1;
    this.#digest.clear();
    this.#acls.clear();
    this.#childOrder.clear();
  }

  /**
   * Puts back a node read from a snapshot (parents come first); returns its slot, or NO_SLOT when
   * `path` is there already. Throws TreeInconsistency when its parent is missing.
   */
  restoreNode(path: string, node: RestoredNode): number {
    const data = node.data === NULL_DATA ? null : node.data;
    let slot: number;
    if (path === ROOT) {
      if (this.#nodes.count > 0) return NO_SLOT;
      slot = this.#nodes.addRoot(data);
    } else {
      const slash = path.lastIndexOf("/");
      const parent = this.find(slash === 0 ? ROOT : path.slice(0, slash));
      if (parent === NO_SLOT) throw new TreeInconsistency(`snapshot: ${path} comes before its parent`);
      slot = this.#nodes.add(parent, path.slice(slash + 1), data);
      if (slot === NO_SLOT) return NO_SLOT;
    }
    this.#setRestoredFields(slot, node);
    if (path !== CONFIG_NODE) this.#noteFuzzy(node);
    this.approximateDataSize += path.length + node.data.length;
    this.#rehash(path, slot, true);
    this.#indexRestored(path, node);
    return slot;
  }

  /**
   * {@link restoreNode} for a loader that knows the parent's slot and holds the path as ASCII
   * bytes, `path[0, length)` with the name from `nameAt`: no string is made for a plain node (a
   * SNAP of a million of them made two each, and hashed and encoded them again).
   */
  restoreChildAscii(parent: number, path: Uint8Array, nameAt: number, length: number, node: RestoredNode): number {
    const nodes = this.#nodes;
    const nameLength = length - nameAt;
    const data = node.data === NULL_DATA ? null : node.data;
    const slot = nodes.addBytes(parent, path, nameAt, nameLength, data, 0, data === null ? -1 : data.length);
    if (slot === NO_SLOT) return NO_SLOT;
    this.#setRestoredFields(slot, node);
    const system = startsWithAscii(path, length, ZOOKEEPER_PREFIX);
    // One UTF-16 unit per ASCII byte, as path.length counts them.
    this.approximateDataSize += length + node.data.length;
    if (system && length === CONFIG_NODE.length && startsWithAscii(path, length, CONFIG_NODE)) {
      // The config node is the member's own, outside the fuzzy range as in restoreNode.
    } else this.#noteFuzzy(node);
    if (this.#digestEnabled) {
      const digest = system ? 0 : digestAfterPath(crc32(0, path, 0, length), nodes, slot);
      nodes.setI32(slot, I32.digest, digest | 0);
      this.#digest.add(digest);
    }
    if (node.ephemeralOwner !== 0n || system) this.#indexRestored(asciiText(path, length), node);
    return slot;
  }

  /** A restored node's zxids extend the range a fuzzy snapshot may hold. */
  #noteFuzzy(node: RestoredNode): void {
    const top = Math.max(node.czxid, node.mzxid, node.pzxid);
    if (top > this.#fuzzyMax) {
      this.#fuzzyMax = top;
      this.fuzzyUntil = BigInt(top);
    }
  }

  /** Owner indexes and quota limits of a restored node. */
  #indexRestored(path: string, node: RestoredNode): void {
    this.#indexOwner(path, node.ephemeralOwner);
    // Snapshots are taken between txns, so the stats nodes they hold are exact: index only.
    if (path.endsWith(`/${QUOTA_LIMIT_NODE}`)) this.quotas.created(path, node.data.length);
  }

  #setRestoredFields(slot: number, node: RestoredNode): void {
    this.#initFields(slot, node.czxid, node.ctime, node.acl, node.ephemeralOwner);
    const page = this.#nodes.pages.writable(slot);
    const f = slot & PAGE_MASK;
    const i = I32_BASE + f;
    page.f64[F64.mzxid * PAGE_SLOTS + f] = node.mzxid;
    page.f64[F64.mtime * PAGE_SLOTS + f] = node.mtime;
    page.f64[F64.pzxid * PAGE_SLOTS + f] = node.pzxid;
    page.i32[i + I32.version * PAGE_SLOTS] = node.version;
    page.i32[i + I32.cversion * PAGE_SLOTS] = node.cversion;
    page.i32[i + I32.aversion * PAGE_SLOTS] = node.aversion;
    if (node.childrenPeak > page.i32[i + I32.childrenPeak * PAGE_SLOTS]!) page.i32[i + I32.childrenPeak * PAGE_SLOTS] = node.childrenPeak;
  }

  /**
   * Takes over another tree's nodes and indexes (an admin restore, a loaded snapshot), keeping
   * this tree's watch tables; `zxid` becomes the last processed zxid. Watchers that can hear of
   * it are told. The other tree must not be used afterwards.
   */
  adopt(other: DataTree, zxid: bigint): void {
    this.#nodes = other.#nodes;
    this.#acls = other.#acls;
    this.#childOrder = new Map();
    for (const [target, source] of [[this.ephemerals, other.ephemerals]] as const) {
      target.clear();
      for (const [key, value] of source) target.set(key, value);
    }
    this.containers.clear();
    for (const path of other.containers) this.containers.add(path);
    this.ttls.clear();
    for (const path of other.ttls) this.ttls.add(path);
    this.approximateDataSize = other.approximateDataSize;
    this.fuzzyUntil = other.fuzzyUntil;
    this.#fuzzyMax = other.#fuzzyMax;
    this.lastProcessedZxid = zxid;
    this.quotas.rebuild();
    // The adopted nodes carry the digests the other tree computed for them.
    this.#digest = new DigestSum();
    if (this.#digestEnabled) for (const slot of this.slots()) this.#digest.add(this.#nodes.digest(slot));
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

  /** Adds a node digest to the sum (a snapshot loader that read the digest with the node). */
  addLoadedDigest(digest: number): void {
    this.#digest.add(digest);
  }

  /** Indexes a loaded node by its owner (a snapshot loader that set the fields itself). */
  indexLoadedOwner(path: string, owner: bigint): void {
    this.#indexOwner(path, owner);
  }

  // ---- watches ----

  #fire(
    table: WatchTable,
    path: string,
    type: number,
    zxid: bigint,
    acl: readonly ACL[],
    suppress?: ReadonlySet<Watcher>,
  ): Set<Watcher> | undefined {
    if (table.size === 0) return undefined;
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

/**
 * A copy of one znode's fields as they were when it was made, in the protocol's types (zxids and
 * times as bigints, `cversion` as stored). For tests, tools and views.
 */
export class NodeView {
  readonly data: Uint8Array;
  readonly acl: readonly ACL[];
  readonly czxid: bigint;
  readonly mzxid: bigint;
  readonly ctime: bigint;
  readonly mtime: bigint;
  readonly version: number;
  /** The persisted cversion (child creates). */
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: bigint;
  readonly pzxid: bigint;
  readonly childrenPeak: number;
  readonly numChildren: number;
  readonly digest: number;
  readonly #tree: DataTree;
  readonly #slot: number;

  constructor(tree: DataTree, slot: number) {
    const n = tree.store;
    this.#tree = tree;
    this.#slot = slot;
    this.data = tree.dataOf(slot);
    this.acl = tree.aclOf(slot);
    this.czxid = BigInt(n.czxid(slot));
    this.mzxid = BigInt(n.mzxid(slot));
    this.ctime = BigInt(n.ctime(slot));
    this.mtime = BigInt(n.mtime(slot));
    this.version = n.version(slot);
    this.cversion = n.cversion(slot);
    this.aversion = n.aversion(slot);
    this.ephemeralOwner = n.owner(slot);
    this.pzxid = BigInt(n.pzxid(slot));
    this.childrenPeak = n.childrenPeak(slot);
    this.numChildren = n.numChildren(slot);
    this.digest = n.digest(slot);
  }

  /** The node's slot in its tree's store (a getter: two trees' views compare equal without it). */
  get slot(): number {
    return this.#slot;
  }

  /** The children's names in insertion order (read when asked). */
  get children(): ReadonlySet<string> {
    return new Set(this.#tree.store.childSlots(this.#slot).map((c) => this.#tree.store.nameOf(c)));
  }
}

/** A read-only map of paths to {@link NodeView}s. */
export interface NodeMapView extends Iterable<[string, NodeView]> {
  readonly size: number;
  get(path: string): NodeView | undefined;
  has(path: string): boolean;
  keys(): IterableIterator<string>;
  values(): IterableIterator<NodeView>;
  entries(): IterableIterator<[string, NodeView]>;
}

function nodeMapView(tree: DataTree): NodeMapView {
  function* entries(): IterableIterator<[string, NodeView]> {
    for (const slot of tree.slots()) yield [tree.pathOf(slot), new NodeView(tree, slot)];
  }
  return {
    get size() {
      return tree.nodeCount;
    },
    get: (path) => tree.getNode(path),
    has: (path) => tree.has(path),
    *keys() {
      for (const slot of tree.slots()) yield tree.pathOf(slot);
    },
    *values() {
      for (const slot of tree.slots()) yield new NodeView(tree, slot);
    },
    entries,
    [Symbol.iterator]: entries,
  };
}

/** A node's children in ZooKeeper's order: names and slots alike. */
export interface ChildOrder {
  readonly names: readonly string[];
  readonly slots: readonly number[];
}

/**
 * The children of `slot` in the order a Java HashSet iterates them: ZooKeeper's DataNode creates
 * its child set with capacity 8 and it grows with the most children it ever held.
 */
export function childOrder(nodes: NodeReader, slot: number): ChildOrder {
  const slots = childSlotsInJavaOrder(nodes, slot);
  return { names: slots.map((child) => nodes.nameOf(child)), slots };
}

/** The same, slots only: hashed from the names' bytes, no string made (a SNAP orders every parent). */
export function childSlotsInJavaOrder(nodes: NodeReader, slot: number): number[] {
  return javaHashOrderBy(nodes.childSlots(slot), (child) => javaNameHash(nodes, child), javaHashCapacity(8, nodes.childrenPeak(slot)));
}

/** Java's String.hashCode() of a node's name: over its bytes while they are ASCII (one UTF-16 unit each). */
function javaNameHash(nodes: NodeReader, slot: number): number {
  const bytes = nodes.regionBytes(slot);
  const at = nodes.nameOffset(slot);
  const end = at + nodes.nameLength(slot);
  let hash = 0;
  for (let i = at; i < end; i++) {
    const b = bytes[i]!;
    if (b >= 0x80) return javaStringHash(nodes.nameOf(slot));
    hash = (Math.imul(hash, 31) + b) | 0;
  }
  return hash;
}

/** Paths below it are left out of the digest and may be quota nodes (tree_digest.ts). */
const ZOOKEEPER_PREFIX = "/zookeeper/";

function startsWithAscii(bytes: Uint8Array, length: number, prefix: string): boolean {
  if (length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix.charCodeAt(i)) return false;
  return true;
}

function asciiText(bytes: Uint8Array, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}
