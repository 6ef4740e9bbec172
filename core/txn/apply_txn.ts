import { ErrorCode } from "../proto/error_code.ts";
import { OpCode } from "../proto/op_code.ts";
import { type DataTree, NO_SLOT, TreeInconsistency } from "../tree/data_tree.ts";
import type { NodeStat } from "../tree/znode.ts";
import type { Txn, TxnHeader } from "./txn.ts";

/** What applying one txn produced: what the reply needs. */
export interface ApplyResult {
  type: number;
  err: number;
  path?: string;
  /** The node's Stat right after the op (a later op of the same multi does not change it); none in a replay. */
  stat?: NodeStat;
  multi?: ApplyResult[];
}

/** How to apply. */
export interface ApplyOptions {
  /** False: leave out the Stats, as a replay answers no one (making one was a quarter of replaying a setData). */
  readonly stats?: boolean;
}

/**
 * Applies one txn to the tree. This is the only way the tree changes, on every server and in
 * recovery alike; it is deterministic (time comes from the header).
 *
 * A txn whose operation the tree cannot take (a create whose node exists or has no parent, a
 * change to a node that is not there) is skipped with NODEEXISTS or NONODE, as ZooKeeper's
 * DataTree.processTxn does, and the txn still counts as applied. Replayed onto a fuzzy snapshot
 * (zxid up to `tree.fuzzyUntil`) that is expected: the snapshot may hold its change already.
 * Past it, the tree and the leader's have parted: `onInconsistency` hears of it (and the digest
 * check counts the divergence); serving on is what ZooKeeper does, and refusing would leave a
 * member that can never start again.
 */
export function applyTxn(
  tree: DataTree,
  header: TxnHeader,
  txn: Txn,
  onInconsistency?: (error: TreeInconsistency) => void,
  { stats = true }: ApplyOptions = {},
): ApplyResult {
  const replayedOntoFuzzy = header.zxid <= tree.fuzzyUntil;
  const result = applyOne(tree, header, txn, replayedOntoFuzzy ? undefined : onInconsistency, stats);
  if (header.zxid > tree.lastProcessedZxid) tree.lastProcessedZxid = header.zxid;
  return result;
}

function applyOne(tree: DataTree, header: TxnHeader, txn: Txn, onInconsistency: ((error: TreeInconsistency) => void) | undefined, stats: boolean): ApplyResult {
  try {
    return applyOp(tree, header, txn, onInconsistency, stats);
  } catch (error) {
    if (!(error instanceof TreeInconsistency)) throw error;
    onInconsistency?.(error);
    const exists = txn.type === OpCode.create || txn.type === OpCode.create2 || txn.type === OpCode.createContainer || txn.type === OpCode.createTTL;
    const err = exists && !/no parent/.test(error.message) ? ErrorCode.NODEEXISTS : ErrorCode.NONODE;
    return { type: txn.type, err, ...("path" in txn ? { path: txn.path } : {}) };
  }
}

function applyOp(tree: DataTree, header: TxnHeader, txn: Txn, onInconsistency: ((error: TreeInconsistency) => void) | undefined, stats: boolean): ApplyResult {
  switch (txn.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL: {
      const slot = tree.createNode(txn.path, {
        data: txn.data,
        acl: txn.acl,
        ephemeralOwner: txn.ephemeralOwner,
        parentCVersion: txn.parentCVersion,
        zxid: header.zxid,
        time: header.time,
      });
      return withStat(tree, slot, stats, { type: txn.type, err: 0, path: txn.path });
    }
    case OpCode.delete:
    case OpCode.deleteContainer:
      tree.deleteNode(txn.path, header.zxid);
      return { type: txn.type, err: 0, path: txn.path };
    case OpCode.setData:
    case OpCode.reconfig: {
      const slot = tree.setData(txn.path, txn.data, txn.version, header.zxid, header.time);
      return withStat(tree, slot, stats, { type: txn.type, err: 0, path: txn.path });
    }
    case OpCode.setACL: {
      const slot = tree.setACL(txn.path, txn.acl, txn.version);
      return withStat(tree, slot, stats, { type: txn.type, err: 0, path: txn.path });
    }
    case OpCode.check: {
      const slot = tree.find(txn.path);
      return withStat(tree, slot, stats && slot !== NO_SLOT, { type: txn.type, err: 0, path: txn.path });
    }
    case OpCode.createSession:
      return { type: txn.type, err: 0 };
    case OpCode.closeSession:
      for (const path of txn.paths) {
        if (tree.has(path)) tree.deleteNode(path, header.zxid);
      }
      // As ZooKeeper's killSession: ephemerals the txn does not name go too (a closeSession
      // logged without a record names none).
      for (const path of tree.ephemeralsOf(header.sessionId)) tree.deleteNode(path, header.zxid);
      tree.sessionClosed(header.sessionId);
      return { type: txn.type, err: 0 };
    case OpCode.error:
      return { type: txn.type, err: txn.err };
    case OpCode.multi:
      return { type: txn.type, err: 0, multi: applyMulti(tree, header, txn.txns, onInconsistency, stats) };
  }
}

/** `result` with the Stat of `slot` when `stats` asks for it. */
function withStat(tree: DataTree, slot: number, stats: boolean, result: ApplyResult): ApplyResult {
  if (stats) result.stat = tree.nodeStat(slot);
  return result;
}

/** A multi whose prep failed carries error txns: nothing applies, every op reports a code. */
function applyMulti(tree: DataTree, header: TxnHeader, txns: readonly Txn[], onInconsistency: ((error: TreeInconsistency) => void) | undefined, stats: boolean): ApplyResult[] {
  const failed = txns.some((t) => t.type === OpCode.error);
  if (!failed) return txns.map((t) => applyOne(tree, header, t, onInconsistency, stats));
  let pastFailure = false;
  return txns.map((t) => {
    if (t.type === OpCode.error) {
      pastFailure = true;
      return { type: OpCode.error, err: t.err };
    }
    return { type: OpCode.error, err: pastFailure ? ErrorCode.RUNTIMEINCONSISTENCY : ErrorCode.OK };
  });
}
