import { OpCode } from "../proto/op_code.ts";
import { type DataTree, NO_SLOT } from "../tree/data_tree.ts";
import { type DigestImage, DigestSum, DIGEST_VERSION, imageDigest } from "../tree/tree_digest.ts";
import type { Txn, TxnDigest, TxnHeader } from "../txn/txn.ts";
import { PendingByPath } from "./pending_by_path.ts";

/**
 * A node as prepared txns leave it: the fields its digest covers, zxids and times as numbers the
 * way the node store keeps them (one object per touched node, no bigint per field).
 */
type NodeImage = DigestImage;

/**
 * A node as the pending txns leave it (`image` null where one deletes it), the digest that state
 * adds to the tree's (kept, so replacing it needs no second hash), and the newest pending txn that
 * touched it (the entry settles once that txn is applied, and is reused by the next txn there).
 */
interface Overlaid {
  image: NodeImage | null;
  digest: number;
  zxid: number;
}

/**
 * The tree digest each prepared txn will leave behind, known before the txn is logged or
 * applied: what a leader sends beside every proposal (ZooKeeper's TxnDigest, which its
 * PrepRequestProcessor precalculates) so that learners can compare it with their own tree after
 * applying the txn and catch a divergence at the txn that caused it.
 *
 * Txns prepared but not yet applied are played onto copies of the nodes they touch (an overlay
 * over the tree), exactly as DataTree changes the real ones: each txn's digest is the previous
 * one minus the old digests of the nodes it touches plus their new ones. Once everything
 * prepared is applied, every overlay entry is settled and the tree's own digest is the base
 * again. The database compares the prediction with the tree after every apply, so a wrong
 * prediction shows as a digest mismatch on the leader itself.
 */
export class DigestPredictor {
  readonly #tree: () => DataTree;
  /** The newest zxid predicted, and the newest applied: nothing is pending when they meet. */
  #predicted = -1;
  #applied = -1;
  /** Nodes as pending txns leave them, keyed by path. */
  readonly #overlay = new PendingByPath<Overlaid>((overlaid) => overlaid.zxid <= this.#applied);
  /** The digest after the last prepared txn (meaningful while something is pending). */
  readonly #digest = new DigestSum();

  constructor(tree: () => DataTree) {
    this.#tree = tree;
  }

  /** The digest the tree will have right after `txn` applies (after every txn predicted before it). */
  predict(header: TxnHeader, txn: Txn): TxnDigest {
    if (this.#predicted <= this.#applied) this.#digest.assign(this.#tree().digest);
    this.#predicted = Number(header.zxid);
    this.#play(header, txn);
    return { version: DIGEST_VERSION, treeDigest: this.#digest.value };
  }

  /** Txns up to `zxid` are applied to the tree: their overlay entries are no longer needed. */
  applied(zxid: bigint): void {
    const upTo = Number(zxid);
    if (upTo > this.#applied) this.#applied = upTo;
    this.#overlay.sweep();
  }

  #play(header: TxnHeader, txn: Txn): void {
    const zxid = Number(header.zxid);
    switch (txn.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL: {
        const time = Number(header.time);
        const parentPath = parentOf(txn.path);
        const parent = this.#node(parentPath);
        if (parent !== undefined && txn.parentCVersion > parent.cversion) {
          this.#put(parentPath, image(parent, parent.data, parent.mzxid, zxid, parent.mtime, parent.version, txn.parentCVersion, parent.aversion), zxid);
        }
        this.#put(txn.path, {
          data: txn.data, czxid: zxid, mzxid: zxid, pzxid: zxid, ctime: time, mtime: time,
          version: 0, cversion: 0, aversion: 0, ephemeralOwner: txn.ephemeralOwner,
        }, zxid, false);
        return;
      }
      case OpCode.delete:
      case OpCode.deleteContainer:
        return this.#delete(txn.path, zxid);
      case OpCode.setData:
      case OpCode.reconfig: {
        const node = this.#node(txn.path);
        if (node !== undefined) {
          this.#put(txn.path, image(node, txn.data, zxid, node.pzxid, Number(header.time), txn.version, node.cversion, node.aversion), zxid);
        }
        return;
      }
      case OpCode.setACL: {
        const node = this.#node(txn.path);
        if (node !== undefined) this.#put(txn.path, image(node, node.data, node.mzxid, node.pzxid, node.mtime, node.version, node.cversion, txn.version), zxid);
        return;
      }
      case OpCode.closeSession: {
        for (const path of txn.paths) this.#delete(path, zxid);
        // As the tree's killSession: the session's other ephemerals go too, applied or pending.
        for (const path of this.#tree().ephemeralsOf(header.sessionId)) this.#delete(path, zxid);
        for (const [path, overlaid] of [...this.#overlay.pending()]) {
          if (overlaid.image !== null && overlaid.image.ephemeralOwner === header.sessionId) this.#delete(path, zxid);
        }
        return;
      }
      case OpCode.multi:
        if (txn.txns.some((t) => t.type === OpCode.error)) return;
        for (const sub of txn.txns) this.#play(header, sub);
        return;
      case OpCode.check:
      case OpCode.createSession:
      case OpCode.error:
        return;
    }
  }

  #delete(path: string, zxid: number): void {
    if (this.#node(path) === undefined) return;
    this.#put(path, null, zxid);
    const parentPath = parentOf(path);
    const parent = this.#node(parentPath);
    if (parent !== undefined && zxid > parent.pzxid) {
      this.#put(parentPath, image(parent, parent.data, parent.mzxid, zxid, parent.mtime, parent.version, parent.cversion, parent.aversion), zxid);
    }
  }

  /** The node as the txns prepared so far leave it. */
  #node(path: string): NodeImage | undefined {
    const overlaid = this.#overlay.get(path);
    if (overlaid !== undefined) return overlaid.image ?? undefined;
    const tree = this.#tree();
    const slot = tree.find(path);
    if (slot === NO_SLOT) return undefined;
    const n = tree.store;
    return {
      data: tree.dataOf(slot), czxid: n.czxid(slot), mzxid: n.mzxid(slot), pzxid: n.pzxid(slot), ctime: n.ctime(slot), mtime: n.mtime(slot),
      version: n.version(slot), cversion: n.cversion(slot), aversion: n.aversion(slot), ephemeralOwner: n.owner(slot),
    };
  }

  /**
   * Overlays `path` with its state after the txn `zxid` (null: deleted), swapping its digest in the
   * sum. `inTree` is false for the node a create makes: prep refuses a create whose node the tree
   * has unless a pending txn deletes it (and then it is overlaid), so there is nothing to look up.
   */
  #put(path: string, image: NodeImage | null, zxid: number, inTree = true): void {
    const digest = image === null ? 0 : imageDigest(path, image);
    const overlaid = this.#overlay.entry(path);
    if (overlaid !== undefined && overlaid.zxid > this.#applied) {
      this.#digest.remove(overlaid.digest);
    } else if (inTree) {
      // A node of the tree carries its digest already (read from its slot: no image built).
      this.#digest.remove(storedDigest(this.#tree(), path));
    }
    if (overlaid === undefined) {
      this.#overlay.set(path, { image, digest, zxid });
    } else {
      overlaid.image = image;
      overlaid.digest = digest;
      overlaid.zxid = zxid;
    }
    this.#digest.add(digest);
  }
}

/** `node` with the fields a txn changes replaced (created in one place, so every image has one shape). */
function image(
  node: NodeImage, data: Uint8Array, mzxid: number, pzxid: number, mtime: number, version: number, cversion: number, aversion: number,
): NodeImage {
  return { data, czxid: node.czxid, mzxid, pzxid, ctime: node.ctime, mtime, version, cversion, aversion, ephemeralOwner: node.ephemeralOwner };
}

/** The digest the tree keeps for the node at `path` (0 when there is none). */
function storedDigest(tree: DataTree, path: string): number {
  const slot = tree.find(path);
  return slot === NO_SLOT ? 0 : tree.store.digest(slot);
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === 0 ? "/" : path.slice(0, slash);
}
