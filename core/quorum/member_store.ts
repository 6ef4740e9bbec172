import type { Epochs, TxnStore } from "../storage/txn_log.ts";

/** The storage an ensemble member runs on: every TxnStore has what ZAB's sync needs. */
export type MemberStore = TxnStore;
export type { Epochs };
