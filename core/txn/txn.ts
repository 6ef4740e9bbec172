import type { ACL } from "../proto/records.ts";
import { OpCode } from "../proto/op_code.ts";

/** Who asked, and when and in which order the txn happened (ZooKeeper's TxnHeader). */
export interface TxnHeader {
  sessionId: bigint;
  cxid: number;
  zxid: bigint;
  /** Wall-clock ms when the leader/standalone server prepared the txn: ctime/mtime come from it. */
  time: bigint;
  type: number;
}

export interface CreateTxn {
  type: typeof OpCode.create | typeof OpCode.create2 | typeof OpCode.createContainer | typeof OpCode.createTTL;
  path: string;
  data: Uint8Array;
  acl: readonly ACL[];
  /** The owner field the node gets: 0, a session id, the container marker or a TTL encoding. */
  ephemeralOwner: bigint;
  parentCVersion: number;
}

export interface DeleteTxn {
  type: typeof OpCode.delete | typeof OpCode.deleteContainer;
  path: string;
}

/** A setData, or a reconfig: ZooKeeper logs a reconfig as a SetDataTxn on /zookeeper/config. */
export interface SetDataTxn {
  type: typeof OpCode.setData | typeof OpCode.reconfig;
  path: string;
  data: Uint8Array;
  version: number;
}

export interface SetACLTxn {
  type: typeof OpCode.setACL;
  path: string;
  acl: readonly ACL[];
  version: number;
}

export interface CheckTxn {
  type: typeof OpCode.check;
  path: string;
  version: number;
}

export interface CreateSessionTxn {
  type: typeof OpCode.createSession;
  timeoutMs: number;
}

export interface CloseSessionTxn {
  type: typeof OpCode.closeSession;
  /** The session's ephemerals as prep saw them (including outstanding creates). */
  paths: readonly string[];
}

export interface ErrorTxn {
  type: typeof OpCode.error;
  err: number;
}

export interface MultiTxn {
  type: typeof OpCode.multi;
  txns: readonly Txn[];
}

/** Every state change Paddock makes is one of these, applied in zxid order. */
export type Txn =
  | CreateTxn
  | DeleteTxn
  | SetDataTxn
  | SetACLTxn
  | CheckTxn
  | CreateSessionTxn
  | CloseSessionTxn
  | ErrorTxn
  | MultiTxn;

/**
 * The tree digest ZooKeeper 3.6+ logs after a txn (TxnDigest): the digest of the tree once the
 * txn is applied, so that a learner can check that it applied the txn the same way.
 */
export interface TxnDigest {
  /** DigestCalculator's version (2 in 3.6-3.9). */
  version: number;
  treeDigest: bigint;
}
