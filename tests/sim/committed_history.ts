import { OpCode } from "../../core/proto/op_code.ts";
import type { Txn, TxnHeader } from "../../core/txn/txn.ts";
import { decodeTxn } from "../../core/txn/txn_codec.ts";
import type { SimMember } from "./sim_member.ts";

/** One committed txn, decoded. */
export interface CommittedTxn {
  readonly header: TxnHeader;
  readonly txn: Txn;
}

/**
 * The ensemble's committed history as the members applied it while serving, in zxid order (the
 * agreement check makes sure they all applied the same txn at each zxid). A txn a member applied
 * when its role ended (its own log fast-forwarded into its tree) may never have committed, so it
 * counts only if some member applied it while serving. A txn a leader logged but never committed,
 * which the next epoch committed through a sync alone, may be missing: the checkers that read
 * this history only look for what contradicts it.
 */
export function committedHistory(members: readonly SimMember[]): CommittedTxn[] {
  const byZxid = new Map<bigint, Uint8Array>();
  for (const member of members) {
    for (const entry of member.applied) if (entry.serving && entry.bytes !== null && !byZxid.has(entry.zxid)) byZxid.set(entry.zxid, entry.bytes);
  }
  return [...byZxid.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, bytes]) => decodeTxn(bytes));
}

/** The txn and the sub-txns of a multi, flattened. */
export function flatTxns(txn: Txn): Txn[] {
  return txn.type === OpCode.multi ? txn.txns.flatMap(flatTxns) : [txn];
}

/** The path a txn changes, if it changes one node's data or existence. */
export function pathOf(txn: Txn): string | null {
  return "path" in txn && typeof txn.path === "string" ? txn.path : null;
}
