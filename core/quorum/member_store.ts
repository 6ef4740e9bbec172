import type { TxnStore } from "../storage/txn_log.ts";

/** The epochs an ensemble member keeps beside its log (ZooKeeper's currentEpoch/acceptedEpoch files). */
export interface Epochs {
  readonly currentEpoch: bigint;
  readonly acceptedEpoch: bigint;
}

/** The storage an ensemble member needs on top of a standalone server's. */
export interface MemberStore extends TxnStore {
  lastLoggedZxid(): bigint;
  truncateAfter(zxid: bigint): Promise<void>;
  installSnapshot(zxid: bigint, data: Uint8Array): Promise<void>;
  readEpochs(): Promise<Epochs>;
  writeAcceptedEpoch(epoch: bigint): Promise<void>;
  writeCurrentEpoch(epoch: bigint): Promise<void>;
}
