/**
 * The order rules of a history, shared by both stores: what may be appended, what a snapshot may
 * cover, and where a read after a zxid starts.
 */
import { zxidFollows } from "./file_names.ts";

/**
 * Throws unless `next` may be appended after `last`: a larger zxid that follows it
 * ({@link zxidFollows}). Both stores check every append with it; a caller that breaks it has a bug
 * (it must check what a peer sends first), and refusing it keeps holes out of every log.
 */
export function checkAppendOrder(last: bigint, next: bigint): void {
  if (next <= last) throw new Error(`txn log: zxid 0x${next.toString(16)} after 0x${last.toString(16)} is out of order`);
  if (!zxidFollows(last, next)) throw new Error(`txn log: zxid 0x${next.toString(16)} does not follow 0x${last.toString(16)}: the history would have a hole`);
}

/**
 * Where a read after `fromZxid` starts in a history: the zxid of the history at or before
 * `fromZxid` that the first record after it follows. That is the newest record seen at or before
 * `fromZxid` when the log holds one; otherwise only `fromZxid + 1` itself proves that nothing is
 * missing in between (a later epoch's first zxid could follow a purged tail), so any other first
 * record means the log no longer holds what comes after `fromZxid`: null.
 * @example readStart(5n, 5n, 6n) // 5n: a DIFF
 * @example readStart(5n, 3n, 0x200000001n) // 3n: the reader has txns we do not (TRUNC to 3 first)
 * @example readStart(5n, null, 9n) // null: purged
 */
export function readStart(fromZxid: bigint, seenAtOrBefore: bigint | null, firstAfter: bigint): bigint | null {
  if (seenAtOrBefore !== null) return seenAtOrBefore;
  return firstAfter === fromZxid + 1n ? fromZxid : null;
}

/**
 * A snapshot must come after the previous one and cover only appended txns: one ahead of the log
 * would leave a hole between the log and the txns appended after it.
 */
export function checkSnapshotZxid(zxid: bigint, previousSnapshotZxid: bigint, lastAppendedZxid: bigint): void {
  if (zxid <= previousSnapshotZxid) throw new Error(`txn store: snapshot 0x${zxid.toString(16)} is not after 0x${previousSnapshotZxid.toString(16)}`);
  if (zxid > lastAppendedZxid) throw new Error(`txn store: snapshot 0x${zxid.toString(16)} is ahead of the log (0x${lastAppendedZxid.toString(16)}); use installSnapshot`);
}
