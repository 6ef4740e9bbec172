import { JuteReader } from "../proto/jute_reader.ts";
import { JuteWriter } from "../proto/jute_writer.ts";
import { type ACL, readAcls, writeAcls } from "../proto/records.ts";
import type { SessionTracker } from "../session/session_tracker.ts";
import { DataTree } from "../tree/data_tree.ts";
import { NULL_DATA, writeData, type ZNode } from "../tree/znode.ts";

const FORMAT_VERSION = 1;

/** One znode as a snapshot holds it: the node's fields copied at capture time. */
type NodeImage = Omit<ZNode, "children" | "childOrder" | "digest"> & { path: string };

/** A frozen copy of what a snapshot holds, taken between two txns. */
export interface SnapshotImage {
  zxid: bigint;
  sessions: { sessionId: bigint; timeoutMs: number }[];
  nodes: NodeImage[];
}

/**
 * Copies the state a snapshot needs, synchronously, so the snapshot is exact at one zxid. Copying
 * fields is several times cheaper than encoding them (data and ACLs are shared, never mutated
 * in place), and the encoding can then run in slices while the server keeps serving.
 */
export function captureSnapshot(tree: DataTree, sessions: SessionTracker): SnapshotImage {
  const nodes: NodeImage[] = [];
  for (const [path, n] of tree.nodes) {
    nodes.push({
      path,
      data: n.data,
      acl: n.acl,
      czxid: n.czxid,
      mzxid: n.mzxid,
      ctime: n.ctime,
      mtime: n.mtime,
      version: n.version,
      cversion: n.cversion,
      aversion: n.aversion,
      ephemeralOwner: n.ephemeralOwner,
      pzxid: n.pzxid,
      childrenPeak: n.childrenPeak,
    });
  }
  const live = [...sessions.all()].filter((s) => !s.closing);
  return { zxid: tree.lastProcessedZxid, sessions: live.map(({ sessionId, timeoutMs }) => ({ sessionId, timeoutMs })), nodes };
}

const NODES_PER_SLICE = 2048;

/**
 * Encodes an image, yielding after every slice of nodes so the caller can let other work run;
 * returns the bytes. Layout: sessions with their timeouts, an ACL table (most nodes share a few
 * ACLs, as ZooKeeper's ACL cache exploits), and every znode, parents before children (the tree's
 * map keeps creation order, and a child can't outlive its parent).
 */
export function* encodeSnapshotSlices(image: SnapshotImage): Generator<void, Uint8Array> {
  const aclIndex = new Map<readonly ACL[], number>();
  const aclTable: (readonly ACL[])[] = [];
  for (const node of image.nodes) {
    if (aclIndex.has(node.acl)) continue;
    aclIndex.set(node.acl, aclTable.length);
    aclTable.push(node.acl);
  }
  // Sized up front: growing by doubling copies tens of MiB inside one slice.
  const w = new JuteWriter(encodedSizeBound(image, aclTable));
  w.int(FORMAT_VERSION).long(image.zxid);
  w.int(image.sessions.length);
  for (const session of image.sessions) w.long(session.sessionId).int(session.timeoutMs);
  w.int(aclTable.length);
  for (const acl of aclTable) writeAcls(w, acl);
  w.int(image.nodes.length);
  for (let i = 0; i < image.nodes.length; i++) {
    const node = image.nodes[i]!;
    writeNode(w, node, aclIndex.get(node.acl)!);
    if (i % NODES_PER_SLICE === NODES_PER_SLICE - 1) yield;
  }
  return w.bytes();
}

/** An upper bound of the encoded size (paths counted at 3 UTF-8 bytes per UTF-16 unit). */
function encodedSizeBound(image: SnapshotImage, aclTable: readonly (readonly ACL[])[]): number {
  let bytes = 64 + image.sessions.length * 12;
  for (const acl of aclTable) for (const a of acl) bytes += 12 + (a.id.scheme.length + a.id.id.length) * 3;
  for (const node of image.nodes) bytes += NODE_FIXED_BYTES + node.path.length * 3 + node.data.length;
  return bytes;
}

/** Everything of a node record but its path, data and ACL: lengths, ACL ref, Stat fields. */
const NODE_FIXED_BYTES = 4 + 4 + 4 + 8 * 4 + 4 * 3 + 8 * 2 + 4;

/** Captures and encodes in one go (tests, benchmarks). */
export function encodeSnapshot(tree: DataTree, sessions: SessionTracker): Uint8Array {
  const slices = encodeSnapshotSlices(captureSnapshot(tree, sessions));
  for (let step = slices.next(); ; step = slices.next()) if (step.done) return step.value;
}

function writeNode(w: JuteWriter, node: NodeImage, aclRef: number): void {
  w.ustring(node.path);
  writeData(w, node.data);
  w.int(aclRef);
  w.long(node.czxid).long(node.mzxid).long(node.ctime).long(node.mtime);
  w.int(node.version).int(node.cversion).int(node.aversion).long(node.ephemeralOwner).long(node.pzxid);
  w.int(node.childrenPeak);
}

/** Loads a snapshot into an empty tree and session tracker. */
export function decodeSnapshot(bytes: Uint8Array, tree: DataTree, sessions: SessionTracker, nowMs: number): void {
  const r = new JuteReader(bytes);
  const version = r.int();
  if (version !== FORMAT_VERSION) throw new Error(`snapshot: unknown format version ${version}`);
  tree.lastProcessedZxid = r.long();
  const sessionCount = r.vectorLength(12);
  for (let i = 0; i < sessionCount; i++) sessions.add(r.long(), r.int(), nowMs);
  const aclCount = r.vectorLength(4);
  const aclTable: ACL[][] = [];
  for (let i = 0; i < aclCount; i++) aclTable.push(readAcls(r) ?? []);
  const nodeCount = r.vectorLength(20);
  tree.clearForLoad();
  for (let i = 0; i < nodeCount; i++) readNode(r, tree, aclTable);
}

function readNode(r: JuteReader, tree: DataTree, aclTable: ACL[][]): void {
  const path = r.string();
  const data = r.buffer() ?? NULL_DATA;
  const acl = aclTable[r.int()];
  if (acl === undefined) throw new Error(`snapshot: ${path} names a missing ACL`);
  const node: ZNode = {
    data,
    acl,
    czxid: r.long(),
    mzxid: r.long(),
    ctime: r.long(),
    mtime: r.long(),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.long(),
    pzxid: r.long(),
    children: new Set(),
    childrenPeak: r.int(),
    childOrder: null,
    digest: 0,
  };
  tree.restoreNode(path, node);
}

/**
 * A tree and session list built from a captured image (a SNAP received without serialization).
 * `digestEnabled: false` skips hashing every node, for a copy that is only read (encoded for a
 * learner): that hashing blocked a leader's event loop for most of a second per 6000 nodes.
 */
export function treeFromImage(
  image: SnapshotImage,
  { extendedTypesEnabled, digestEnabled = true }: { extendedTypesEnabled: boolean; digestEnabled?: boolean },
): { tree: DataTree; sessions: { sessionId: bigint; timeoutMs: number }[] } {
  const tree = new DataTree({ extendedTypesEnabled, digestEnabled });
  tree.clearForLoad();
  tree.lastProcessedZxid = image.zxid;
  for (const { path, ...fields } of image.nodes) {
    tree.restoreNode(path, { ...fields, children: new Set(), childOrder: null, digest: 0 });
  }
  return { tree, sessions: image.sessions.map((s) => ({ ...s })) };
}
