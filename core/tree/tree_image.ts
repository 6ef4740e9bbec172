/**
 * A tree frozen at one zxid for a snapshot: the store's pages (copy-on-write from the capture on),
 * its chunk table, its ACL lists and the live sessions. Capturing copies no znode, so it costs the
 * same at a thousand znodes or a million; the tree moves on at once, and the image can be encoded
 * later, in slices or in a worker (it is structured-clonable: SharedArrayBuffers, arrays, bigints).
 */
import type { ACL } from "../proto/records.ts";
import { childSlotsInJavaOrder, type DataTree } from "./data_tree.ts";
import { ImageReader, type NodeReader } from "./node_reader.ts";

/** A session as a snapshot keeps it. */
export interface ImageSession {
  readonly sessionId: bigint;
  readonly timeoutMs: number;
}

/** What a snapshot holds. Read it with {@link ImageReader}. */
export interface TreeImage {
  readonly zxid: bigint;
  readonly pages: readonly SharedArrayBuffer[];
  readonly chunks: readonly (SharedArrayBuffer | null)[];
  /** ACL lists by id (null: unused); id 0 is the system OPEN_ACL. */
  readonly acls: readonly (readonly ACL[] | null)[];
  readonly sessions: readonly ImageSession[];
  readonly nodeCount: number;
  /** Whether the nodes' digest fields are kept (zookeeper.digest.enabled). */
  readonly digestEnabled: boolean;
}

/** An image and the hold it has on the tree's pages: release it once it has been read. */
export interface CapturedImage {
  readonly image: TreeImage;
  release(): void;
}

/**
 * Freezes `tree` as it is now, with `sessions`.
 * @example const { image, release } = captureImage(tree, sessions); try { encode(image) } finally { release() }
 */
export function captureImage(tree: DataTree, sessions: readonly ImageSession[]): CapturedImage {
  const pages = tree.store.pages.capture();
  const image: TreeImage = {
    zxid: tree.lastProcessedZxid,
    pages: pages.pages.map((p) => p.buffer),
    chunks: tree.store.arena.captureChunks(),
    acls: tree.acls.capture(),
    sessions: sessions.map(({ sessionId, timeoutMs }) => ({ sessionId, timeoutMs })),
    nodeCount: tree.nodeCount,
    digestEnabled: tree.digestEnabled,
  };
  return { image, release: pages.release };
}

/** What a serializer reads: a live tree's nodes, or an image's. */
export interface TreeSource {
  readonly nodes: NodeReader;
  /** The ACL list with this id; id 0 is the system OPEN_ACL. */
  acl(aclId: number): readonly ACL[];
  /** The children of a node in ZooKeeper's order, as slots. */
  childSlotsInOrder(slot: number): readonly number[];
  /** The zxid the source is at (a live tree's moves on). */
  zxid(): bigint;
}

/** An image as a {@link TreeSource}. */
export function imageSource(image: TreeImage): TreeSource {
  const nodes = new ImageReader(image.pages, image.chunks);
  return {
    nodes,
    acl: (id) => image.acls[id]!,
    childSlotsInOrder: (slot) => childSlotsInJavaOrder(nodes, slot),
    zxid: () => image.zxid,
  };
}

/** A live tree as a {@link TreeSource}. */
export function treeSource(tree: DataTree): TreeSource {
  return {
    nodes: tree.store,
    acl: (id) => tree.acls.get(id),
    childSlotsInOrder: (slot) => tree.childSlotsInOrder(slot),
    zxid: () => tree.lastProcessedZxid,
  };
}
