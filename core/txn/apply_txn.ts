import { ErrorCode } from "../proto/error_code.ts";
import { OpCode } from "../proto/op_code.ts";
import type { Stat } from "../proto/records.ts";
import type { DataTree } from "../tree/data_tree.ts";
import { statOf } from "../tree/znode.ts";
import type { Txn, TxnHeader } from "./txn.ts";

/** What applying one txn produced: what the reply needs. */
export interface ApplyResult {
  type: number;
  err: number;
  path?: string;
  stat?: Stat;
  multi?: ApplyResult[];
}

/**
 * Applies one txn to the tree. This is the only way the tree changes, on every server and in
 * recovery alike; it is deterministic (time comes from the header). A txn replayed onto a fuzzy
 * snapshot (zxid up to `tree.fuzzyUntil`) may find its change made already: a create whose node
 * exists, or a change to a node deleted later, is skipped with NODEEXISTS or NONODE, as
 * ZooKeeper's DataTree.processTxn does; past that zxid the tree is exact and such a txn is a bug.
 */
export function applyTxn(tree: DataTree, header: TxnHeader, txn: Txn): ApplyResult {
  const result = applyOne(tree, header, txn, header.zxid <= tree.fuzzyUntil);
  if (header.zxid > tree.lastProcessedZxid) tree.lastProcessedZxid = header.zxid;
  return result;
}

function applyOne(tree: DataTree, header: TxnHeader, txn: Txn, replay: boolean): ApplyResult {
  const skipped = replay ? madeAlready(tree, txn) : null;
  if (skipped !== null) return { type: txn.type, err: skipped, path: (txn as { path: string }).path };
  switch (txn.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL: {
      const node = tree.createNode(txn.path, {
        data: txn.data,
        acl: txn.acl,
        ephemeralOwner: txn.ephemeralOwner,
        parentCVersion: txn.parentCVersion,
        zxid: header.zxid,
        time: header.time,
      });
      return { type: txn.type, err: 0, path: txn.path, stat: statOf(node) };
    }
    case OpCode.delete:
    case OpCode.deleteContainer:
      tree.deleteNode(txn.path, header.zxid);
      return { type: txn.type, err: 0, path: txn.path };
    case OpCode.setData:
    case OpCode.reconfig: {
      const node = tree.setData(txn.path, txn.data, txn.version, header.zxid, header.time);
      return { type: txn.type, err: 0, path: txn.path, stat: statOf(node) };
    }
    case OpCode.setACL: {
      const node = tree.setACL(txn.path, txn.acl, txn.version);
      return { type: txn.type, err: 0, path: txn.path, stat: statOf(node) };
    }
    case OpCode.check: {
      const node = tree.getNode(txn.path);
      return { type: txn.type, err: 0, path: txn.path, ...(node ? { stat: statOf(node) } : {}) };
    }
    case OpCode.createSession:
      return { type: txn.type, err: 0 };
    case OpCode.closeSession:
      for (const path of txn.paths) {
        if (tree.getNode(path) !== undefined) tree.deleteNode(path, header.zxid);
      }
      // As ZooKeeper's killSession: ephemerals the txn does not name go too (a closeSession
      // logged without a record names none).
      for (const path of tree.ephemeralsOf(header.sessionId)) tree.deleteNode(path, header.zxid);
      tree.sessionClosed(header.sessionId);
      return { type: txn.type, err: 0 };
    case OpCode.error:
      return { type: txn.type, err: txn.err };
    case OpCode.multi:
      return { type: txn.type, err: 0, multi: applyMulti(tree, header, txn.txns, replay) };
  }
}

/** The error ZooKeeper's processTxn meets replaying `txn` onto a tree that holds its change, or null. */
function madeAlready(tree: DataTree, txn: Txn): number | null {
  switch (txn.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL: {
      if (tree.getNode(txn.path) !== undefined) return ErrorCode.NODEEXISTS;
      const slash = txn.path.lastIndexOf("/");
      return tree.getNode(slash === 0 ? "/" : txn.path.slice(0, slash)) === undefined ? ErrorCode.NONODE : null;
    }
    case OpCode.delete:
    case OpCode.deleteContainer:
    case OpCode.setData:
    case OpCode.reconfig:
    case OpCode.setACL:
      return tree.getNode(txn.path) === undefined ? ErrorCode.NONODE : null;
    default:
      return null;
  }
}

/** A multi whose prep failed carries error txns: nothing applies, every op reports a code. */
function applyMulti(tree: DataTree, header: TxnHeader, txns: readonly Txn[], replay: boolean): ApplyResult[] {
  const failed = txns.some((t) => t.type === OpCode.error);
  if (!failed) return txns.map((t) => applyOne(tree, header, t, replay));
  let pastFailure = false;
  return txns.map((t) => {
    if (t.type === OpCode.error) {
      pastFailure = true;
      return { type: OpCode.error, err: t.err };
    }
    return { type: OpCode.error, err: pastFailure ? ErrorCode.RUNTIMEINCONSISTENCY : ErrorCode.OK };
  });
}
