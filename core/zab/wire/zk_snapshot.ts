/**
 * ZooKeeper's snapshot serialization (SerializeUtils.serializeSnapshot, DataTree.serialize): what
 * a leader streams after a SNAP packet and what the body of a snapshot file holds.
 *
 *   int count, then count x (long sessionId, int timeoutMs)          sessions
 *   int count, then count x (long ref, vector<ACL>)                 the ACL cache
 *   (ustring path, buffer data, long aclRef, StatPersisted)*        pre-order, root as ""
 *   ustring "/"                                                     end of the tree
 *   ustring "BenWasHere"                                            SNAP only (LearnerHandler)
 *
 * Nodes refer to ACL lists by ref; -1 is ZooKeeper's OPEN_ACL_UNSAFE without a cache entry (its
 * root, /zookeeper and /zookeeper/quota). Children come in Java HashSet order and sessions and ACL
 * refs in HashMap order, as ZooKeeper iterates them, so the same tree yields the same bytes.
 */
import type { ACL } from "../../proto/records.ts";
import { JuteWriter } from "../../proto/jute_writer.ts";
import { writeAcls } from "../../proto/records.ts";
import { aclKey } from "../../tree/acl_table.ts";
import { type DataTree, NO_SLOT, OPEN_ACL, type RestoredNode, ROOT, ROOT_SLOT, TreeInconsistency } from "../../tree/data_tree.ts";
import { javaHashMapCopyCapacity, javaHashOrderBy, javaLongHash } from "../../tree/java_hash_order.ts";
import { copyBytes } from "../../tree/byte_arena.ts";
import type { NodeReader } from "../../tree/node_reader.ts";
import { type TreeSource, treeSource } from "../../tree/tree_image.ts";
import { NULL_DATA } from "../../tree/znode.ts";
import { ByteQueue } from "./byte_queue.ts";
import { INCOMPLETE, WireCursor } from "./wire_cursor.ts";
import { WireError, WireErrorCode } from "./wire_error.ts";

/** The string LearnerHandler writes after a SNAP's tree and Learner checks. */
export const SNAP_SIGNATURE = "BenWasHere";
/** The path that ends the node list. */
const END_OF_TREE = "/";
/** The ACL ref ZooKeeper gives nodes created with a null ACL (OPEN_ACL_UNSAFE, never cached). */
export const OPEN_ACL_REF = -1n;
/** jute.maxbuffer plus ZooKeeper's default extra (zookeeper.jute.maxbuffer.extrasize = jute.maxbuffer). */
export const ZK_MAX_LENGTH_BYTES = 0xfffff * 2;

/** A session as a snapshot keeps it. */
export interface SessionTimeout {
  sessionId: bigint;
  timeoutMs: number;
}

/** How to encode a snapshot. */
export interface ZkSnapshotEncodeOptions {
  /** Append "BenWasHere" (a SNAP stream). Default true; a snapshot file has none. */
  signature?: boolean;
  /** Bytes per chunk, roughly (a node is never split). Default 64 KiB. */
  chunkBytes?: number;
  /**
   * The ref to write for an ACL list, when the caller knows the one ZooKeeper would use (ZooKeeper
   * numbers lists as it first meets them, over its whole history). Default: refs 1, 2, ... in the
   * order the encoder meets the lists; the system nodes' OPEN_ACL is -1.
   */
  aclRef?: (acl: readonly ACL[]) => bigint | undefined;
}

/**
 * Encodes a tree (or a frozen image's source, tree_image.ts) and its sessions as ZooKeeper serializes them, yielding
 * chunks of about `chunkBytes`, so a million-znode SNAP needs neither one giant buffer nor one long
 * stall. A live tree must not change while the generator runs (a later chunk would contradict an
 * earlier one): applying a txn in between makes the next resume throw WireError `tree_changed`.
 *
 * @example for (const chunk of encodeZkSnapshot(tree, sessions)) socket.write(chunk);
 */
export function* encodeZkSnapshot(
  from: DataTree | TreeSource,
  sessions: Iterable<SessionTimeout>,
  opts: ZkSnapshotEncodeOptions = {},
): Generator<Uint8Array, void, void> {
  const source = "store" in from ? treeSource(from) : from;
  const nodes = source.nodes;
  const chunkBytes = opts.chunkBytes ?? 64 * 1024;
  const zxidAtStart = source.zxid();
  const refs = aclRefs(source, opts.aclRef);
  let w = new JuteWriter(chunkBytes + 1024);
  writeSessions(w, [...sessions]);
  writeAclMap(w, refs);
  // Pre-order with an explicit stack: no recursion however deep the tree. Paths are built as
  // UTF-8 in one buffer from the names' bytes in the store, not as a string per node: a frame's
  // path is the buffer's first `length` bytes, which only deeper frames write past.
  const path = new PathBuffer();
  const stack: { length: number; children: readonly number[]; next: number }[] = [];
  const visit = (length: number, slot: number) => {
    writeNode(w, path.bytes, length, nodes, slot, refs.byId[nodes.aclId(slot)]!);
    // Most nodes are leaves: no frame, no ordering of an empty set.
    if (nodes.numChildren(slot) > 0) stack.push({ length, children: source.childSlotsInOrder(slot), next: 0 });
  };
  visit(0, ROOT_SLOT);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next === top.children.length) {
      stack.pop();
      continue;
    }
    const child = top.children[top.next++]!;
    visit(path.appendName(top.length, nodes, child), child);
    if (w.length < chunkBytes) continue;
    yield w.bytes();
    if (source.zxid() !== zxidAtStart) {
      throw new WireError(WireErrorCode.treeChanged, `snapshot: the tree moved from zxid 0x${zxidAtStart.toString(16)} to 0x${source.zxid().toString(16)} while encoding`);
    }
    w = new JuteWriter(chunkBytes + 1024);
  }
  w.ustring(END_OF_TREE);
  if (opts.signature ?? true) w.ustring(SNAP_SIGNATURE);
  yield w.bytes();
}

/** Every ACL list the tree uses with its ref (the system OPEN_ACL, id 0, is -1 and not listed). */
interface AclRefs {
  /** By ACL id. */
  byId: bigint[];
  lists: Map<bigint, readonly ACL[]>;
}

function aclRefs(source: TreeSource, chosen: ZkSnapshotEncodeOptions["aclRef"]): AclRefs {
  const refs: AclRefs = { byId: [OPEN_ACL_REF], lists: new Map() };
  const byKey = new Map<string, bigint>();
  let next = 1n;
  const nodes = source.nodes;
  const stack = [ROOT_SLOT];
  // Bounded: every node is pushed once (pre-order, the order the nodes are written in).
  while (stack.length > 0) {
    const slot = stack.pop()!;
    for (let c = nodes.lastChild(slot); c !== NO_SLOT; c = nodes.prevSibling(c)) stack.push(c);
    const id = nodes.aclId(slot);
    if (refs.byId[id] !== undefined) continue;
    const acl = source.acl(id);
    const key = aclKey(acl);
    let ref = byKey.get(key);
    if (ref === undefined) {
      ref = chosen?.(acl) ?? next;
      while (refs.lists.has(next) || next === ref) next++;
      if (refs.lists.has(ref)) throw new Error(`snapshot: ACL ref ${ref} given to two lists`);
      byKey.set(key, ref);
      refs.lists.set(ref, acl);
    }
    refs.byId[id] = ref;
  }
  return refs;
}

/** `new HashMap<>(map)` iteration: bucket order at the copy's capacity, ties in source order. */
function javaMapOrder<T>(entries: readonly T[], key: (entry: T) => bigint): T[] {
  return javaHashOrderBy(entries, (e) => javaLongHash(key(e)), javaHashMapCopyCapacity(entries.length));
}

function writeSessions(w: JuteWriter, sessions: readonly SessionTimeout[]): void {
  w.int(sessions.length);
  for (const s of javaMapOrder(sessions, (e) => e.sessionId)) w.long(s.sessionId).int(s.timeoutMs);
}

function writeAclMap(w: JuteWriter, refs: AclRefs): void {
  w.int(refs.lists.size);
  for (const [ref, acl] of javaMapOrder([...refs.lists], (e) => e[0])) {
    w.long(ref);
    writeAcls(w, acl);
  }
}

/** A path being built as UTF-8 bytes (the root's is empty, as ZooKeeper writes it). */
class PathBuffer {
  bytes = new Uint8Array(1024);

  /** Writes "/" and the node's name after the first `length` bytes; returns the new length. */
  appendName(length: number, nodes: NodeReader, slot: number): number {
    const nameLength = nodes.nameLength(slot);
    const end = length + 1 + nameLength;
    if (end > this.bytes.length) {
      const grown = new Uint8Array(Math.max(end, 2 * this.bytes.length));
      grown.set(this.bytes.subarray(0, length));
      this.bytes = grown;
    }
    const bytes = this.bytes;
    bytes[length] = SLASH;
    copyBytes(bytes, length + 1, nodes.regionBytes(slot), nodes.nameOffset(slot), nameLength);
    return end;
  }
}

const SLASH = 0x2f;

function writeNode(w: JuteWriter, path: Uint8Array, pathLength: number, nodes: NodeReader, slot: number, aclRef: bigint): void {
  w.int(pathLength).raw(path.subarray(0, pathLength));
  const length = nodes.dataLength(slot);
  if (length < 0) w.int(-1);
  else {
    const at = nodes.dataOffset(slot);
    w.int(length).raw(nodes.regionBytes(slot).subarray(at, at + length));
  }
  w.long(aclRef);
  w.longNumber(nodes.czxid(slot)).longNumber(nodes.mzxid(slot)).longNumber(nodes.ctime(slot)).longNumber(nodes.mtime(slot));
  w.int(nodes.version(slot)).int(nodes.cversion(slot)).int(nodes.aversion(slot));
  w.longHalves(nodes.ownerHigh(slot), nodes.ownerLow(slot)).longNumber(nodes.pzxid(slot));
}

/** StatPersisted: 6 longs and 3 ints. */
const STAT_PERSISTED_BYTES = 8 * 6 + 4 * 3;
/** The smallest ACL: perms and two empty strings. */
const ACL_MIN_BYTES = 12;

const Stage = { sessionCount: 0, sessions: 1, aclCount: 2, acls: 3, nodes: 4, signature: 5, done: 6 } as const;
type Stage = (typeof Stage)[keyof typeof Stage];

/** How to decode a snapshot. */
export interface ZkSnapshotDecodeOptions {
  /** Expect "BenWasHere" after the tree (a SNAP stream). Default true. */
  signature?: boolean;
  /** The largest buffer or string accepted. Default {@link ZK_MAX_LENGTH_BYTES}, as ZooKeeper. */
  maxLengthBytes?: number;
  /** Told each node's slot as it is loaded, in stream order (a learner writing its own snapshot meanwhile). */
  onNode?: (slot: number) => void;
}

/**
 * Loads a snapshot into a DataTree as its bytes arrive, in chunks of any size (a SNAP stream
 * between quorum packets, or a file). The tree is emptied first; when the end is read, quota
 * stats are recomputed as ZooKeeper's setupQuota does. Throws WireError on bytes that are no
 * snapshot (the tree is then half loaded: drop it); never buffers more than one record (bounded
 * by `maxLengthBytes`).
 *
 * @example
 * const snap = new ZkSnapshotDecoder(tree);
 * for await (const chunk of socket) if (snap.push(chunk)) break;
 * packets.resume(snap.takeRemainder());
 */
export class ZkSnapshotDecoder {
  /** The sessions read so far, in stream order. */
  readonly sessions: SessionTimeout[] = [];
  readonly #tree: DataTree;
  readonly #signature: boolean;
  readonly #maxLengthBytes: number;
  readonly #onNode: ((slot: number) => void) | undefined;
  readonly #queue = new ByteQueue();
  readonly #acls = new Map<bigint, readonly ACL[]>();
  readonly #chain = new AncestorChain();

  /** The ACL map read (ref to list): nodes share these lists. */
  get acls(): ReadonlyMap<bigint, readonly ACL[]> {
    return this.#acls;
  }
  #stage: Stage = Stage.sessionCount;
  #left = 0;
  #consumedBytes = 0;

  constructor(tree: DataTree, opts: ZkSnapshotDecodeOptions = {}) {
    this.#tree = tree;
    this.#signature = opts.signature ?? true;
    this.#maxLengthBytes = opts.maxLengthBytes ?? ZK_MAX_LENGTH_BYTES;
    this.#onNode = opts.onNode;
    tree.clearForLoad();
  }

  /** True once the end of the tree (and the signature, if expected) has been read. */
  get done(): boolean {
    return this.#stage === Stage.done;
  }

  /** Bytes of the snapshot read so far (not counting what is buffered). */
  get consumedBytes(): number {
    return this.#consumedBytes;
  }

  /** Feeds a chunk; returns true once the snapshot is complete. Bytes past the end are kept. */
  push(chunk: Uint8Array): boolean {
    if (this.done) throw new Error("snapshot: push after the end");
    this.#queue.push(chunk);
    const c = new WireCursor(this.#queue.view(), this.#maxLengthBytes);
    let recordStart = 0;
    try {
      while (this.#stage !== Stage.done) {
        this.#step(c);
        recordStart = c.offset;
      }
    } catch (error) {
      if (error !== INCOMPLETE) throw error;
      this.#consume(recordStart);
      // One record may not grow past a maximal buffer plus the fields around it.
      const limit = 2 * this.#maxLengthBytes + 1024;
      if (this.#queue.length > limit) throw new WireError(WireErrorCode.tooLarge, `snapshot: a record is over ${limit} bytes`);
      return false;
    }
    this.#consume(recordStart);
    this.#finish();
    return true;
  }

  #consume(count: number): void {
    this.#queue.consume(count);
    this.#consumedBytes += count;
  }

  /** Removes and returns the bytes after the snapshot (the packets that follow a SNAP). */
  takeRemainder(): Uint8Array {
    if (!this.done) throw new Error("snapshot: takeRemainder before the end");
    return this.#queue.takeAll();
  }

  /** Throws WireError `truncated` unless the snapshot is complete (call it when the stream ends). */
  end(): void {
    if (!this.done) throw new WireError(WireErrorCode.truncated, `snapshot: the stream ended after ${this.#consumedBytes} bytes, inside the ${stageName(this.#stage)}`);
  }

  /**
   * Parses one record. Every read comes before any change of state, so a record cut short
   * (INCOMPLETE) is simply parsed again once more bytes arrive.
   */
  #step(c: WireCursor): void {
    switch (this.#stage) {
      case Stage.sessionCount:
        // ZooKeeper reads `while (count > 0)`: a negative count is no sessions.
        this.#left = Math.max(0, c.int());
        this.#stage = this.#left > 0 ? Stage.sessions : Stage.aclCount;
        return;
      case Stage.sessions:
        this.sessions.push({ sessionId: c.long(), timeoutMs: c.int() });
        if (--this.#left === 0) this.#stage = Stage.aclCount;
        return;
      case Stage.aclCount:
        this.#left = Math.max(0, c.int());
        this.#stage = this.#left > 0 ? Stage.acls : Stage.nodes;
        return;
      case Stage.acls:
        this.#readAclEntry(c);
        if (--this.#left === 0) this.#stage = Stage.nodes;
        return;
      case Stage.nodes: {
        const path = c.bufferView("snapshot path") ?? NO_BYTES;
        if (path.length === 1 && path[0] === SLASH) this.#stage = this.#signature ? Stage.signature : Stage.done;
        else this.#readNode(c, path);
        return;
      }
      case Stage.signature: {
        const signature = c.ustring("snapshot signature");
        if (signature !== SNAP_SIGNATURE) throw new WireError(WireErrorCode.badSignature, `snapshot: signature ${JSON.stringify(signature)}, expected "${SNAP_SIGNATURE}"`);
        this.#stage = Stage.done;
        return;
      }
      case Stage.done:
        return;
    }
  }

  #readAclEntry(c: WireCursor): void {
    const ref = c.long();
    const count = c.int();
    if (count < 0) throw new WireError(WireErrorCode.malformed, `snapshot: ACL ${ref} has no list (count ${count})`);
    if (count > this.#maxLengthBytes / ACL_MIN_BYTES) throw new WireError(WireErrorCode.tooLarge, `snapshot: ACL ${ref} has ${count} entries`);
    const acl: ACL[] = [];
    for (let i = 0; i < count; i++) {
      const perms = c.int();
      acl.push({ perms, id: { scheme: c.ustring("ACL scheme") ?? "", id: c.ustring("ACL id") ?? "" } });
    }
    this.#acls.set(ref, Object.freeze(acl));
  }

  #readNode(c: WireCursor, path: Uint8Array): void {
    // A view: the node's bytes are copied into the tree's arena, nowhere else.
    const data = c.bufferView("znode data") ?? NULL_DATA;
    const ref = c.long();
    if (c.remaining < STAT_PERSISTED_BYTES) throw INCOMPLETE;
    const acl = ref === OPEN_ACL_REF ? OPEN_ACL : this.#acls.get(ref);
    if (acl === undefined) throw new WireError(WireErrorCode.malformed, `snapshot: ${textOf(path)} refers to ACL ${ref}, which the ACL map lacks`);
    const node: RestoredNode = {
      data,
      acl,
      czxid: c.longNumber(),
      mzxid: c.longNumber(),
      ctime: c.longNumber(),
      mtime: c.longNumber(),
      version: c.int(),
      cversion: c.int(),
      aversion: c.int(),
      ephemeralOwner: c.long(),
      pzxid: c.longNumber(),
      // A HashSet filled by n adds has the capacity for n: what ZooKeeper's loaded tree has.
      childrenPeak: 0,
    };
    const slot = this.#restoreAscii(path, node) ?? this.#restoreByString(path, node);
    this.#onNode?.(slot);
  }

  /**
   * The common case without strings: an ASCII path whose parent is the previous node or one of
   * its ancestors (the stream is pre-order). Undefined when that does not hold.
   */
  #restoreAscii(path: Uint8Array, node: RestoredNode): number | undefined {
    const length = path.length;
    if (length < 2 || path[0] !== SLASH) return undefined;
    let lastSlash = 0;
    for (let i = 0; i < length; i++) {
      const b = path[i]!;
      if (b >= 0x80) return undefined;
      if (b === SLASH) lastSlash = i;
    }
    if (lastSlash === length - 1) return undefined;
    const parent = this.#chain.parentOf(path, lastSlash);
    if (parent === NO_SLOT) return undefined;
    const slot = this.#tree.restoreChildAscii(parent, path, lastSlash + 1, length, node);
    if (slot === NO_SLOT) throw new WireError(WireErrorCode.malformed, `snapshot: ${textOf(path)} appears twice`);
    this.#chain.entered(path, slot);
    return slot;
  }

  #restoreByString(pathBytes: Uint8Array, node: RestoredNode): number {
    const path = textOf(pathBytes);
    const treePath = path === "" ? ROOT : path;
    if (treePath[0] !== "/") throw new WireError(WireErrorCode.malformed, `snapshot: path ${JSON.stringify(path)} is not absolute`);
    let slot: number;
    try {
      slot = this.#tree.restoreNode(treePath, node);
    } catch (error) {
      if (error instanceof TreeInconsistency) throw new WireError(WireErrorCode.malformed, `snapshot: ${treePath} comes before its parent`);
      throw error;
    }
    if (slot === NO_SLOT) throw new WireError(WireErrorCode.malformed, `snapshot: ${treePath} appears twice`);
    this.#chain.restart(pathBytes, slot);
    return slot;
  }

  #finish(): void {
    const tree = this.#tree;
    if (tree.nodeCount === 0) throw new WireError(WireErrorCode.malformed, "snapshot: no root node");
    tree.rebuildQuotas();
  }
}

const NO_BYTES = new Uint8Array(0);
const pathDecoder = new TextDecoder();

function textOf(path: Uint8Array): string {
  return pathDecoder.decode(path);
}

/**
 * The previous node's path (ASCII bytes) and the slots of it and of those of its ancestors the
 * decoder met, by path length: in a pre-order stream the next node's parent is among them.
 */
class AncestorChain {
  #path = new Uint8Array(256);
  readonly #lengths: number[] = [];
  readonly #slots: number[] = [];

  /** The slot of the node whose path is `path[0, parentLength)`, if it is in the chain. */
  parentOf(path: Uint8Array, parentLength: number): number {
    const known = this.#path;
    const lengths = this.#lengths;
    if (lengths.length === 0 || parentLength > lengths[lengths.length - 1]!) return NO_SLOT;
    for (let i = 0; i < parentLength; i++) if (path[i] !== known[i]) return NO_SLOT;
    // Bounded by the chain's depth: the nodes deeper than the parent are done with.
    while (lengths[lengths.length - 1]! > parentLength) {
      lengths.pop();
      this.#slots.pop();
    }
    return lengths[lengths.length - 1] === parentLength ? this.#slots[this.#slots.length - 1]! : NO_SLOT;
  }

  /** The node just restored (its parent is the chain's last entry). */
  entered(path: Uint8Array, slot: number): void {
    const from = this.#lengths[this.#lengths.length - 1]!;
    if (path.length > this.#path.length) {
      const grown = new Uint8Array(Math.max(path.length, 2 * this.#path.length));
      grown.set(this.#path.subarray(0, from));
      this.#path = grown;
    }
    for (let i = from; i < path.length; i++) this.#path[i] = path[i]!;
    this.#lengths.push(path.length);
    this.#slots.push(slot);
  }

  /** A node restored by its string path: the chain starts again from it (the root's path is empty). */
  restart(path: Uint8Array, slot: number): void {
    this.#lengths.length = 0;
    this.#slots.length = 0;
    for (const b of path) if (b >= 0x80) return;
    if (path.length > this.#path.length) this.#path = new Uint8Array(path.length);
    this.#path.set(path);
    this.#lengths.push(path.length);
    this.#slots.push(slot);
  }
}

function stageName(stage: Stage): string {
  return ["session count", "sessions", "ACL count", "ACL map", "nodes", "signature", "end"][stage]!;
}
