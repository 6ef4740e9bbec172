import type { Epochs, MemberStore } from "../../core/quorum/member_store.ts";
import type { RecoveredState, TxnLogEntry } from "../../core/storage/txn_log.ts";

/**
 * A member's durable state as the simulator keeps it across a process crash: snapshot, log and
 * epochs, each write durable at once. INTERIM: stands in until FileStore over MemoryDisk grows
 * truncate/install/epochs; it cannot tear or lose unsynced writes.
 */
export class DurableState {
  snapshot: { zxid: bigint; data: Uint8Array } | null = null;
  log: TxnLogEntry[] = [];
  epochs: Epochs = { currentEpoch: 0n, acceptedEpoch: 0n };
}

/** A MemberStore over a {@link DurableState} (one per process incarnation). */
export class InterimStore implements MemberStore {
  readonly #state: DurableState;
  #closed = false;

  constructor(state: DurableState) {
    this.#state = state;
  }

  recover(): Promise<RecoveredState> {
    const snapshotZxid = this.#state.snapshot?.zxid ?? 0n;
    return Promise.resolve({
      snapshot: this.#state.snapshot?.data ?? null,
      snapshotZxid,
      txns: this.#state.log.filter((e) => e.zxid > snapshotZxid),
    });
  }

  lastLoggedZxid(): bigint {
    const last = this.#state.log.at(-1)?.zxid ?? 0n;
    const snap = this.#state.snapshot?.zxid ?? 0n;
    return last > snap ? last : snap;
  }

  append(entry: TxnLogEntry): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("store closed"));
    if (entry.zxid <= this.lastLoggedZxid()) return Promise.reject(new Error(`append 0x${entry.zxid.toString(16)} out of order`));
    this.#state.log.push({ zxid: entry.zxid, bytes: entry.bytes.slice() });
    return Promise.resolve();
  }

  wantsSnapshot(): boolean {
    return false;
  }

  writeSnapshot(zxid: bigint, data: Uint8Array): Promise<void> {
    this.#state.snapshot = { zxid, data: data.slice() };
    return Promise.resolve();
  }

  truncateAfter(zxid: bigint): Promise<void> {
    this.#state.log = this.#state.log.filter((e) => e.zxid <= zxid);
    if (this.#state.snapshot !== null && this.#state.snapshot.zxid > zxid) this.#state.snapshot = null;
    return Promise.resolve();
  }

  installSnapshot(zxid: bigint, data: Uint8Array): Promise<void> {
    this.#state.snapshot = { zxid, data: data.slice() };
    this.#state.log = [];
    return Promise.resolve();
  }

  readEpochs(): Promise<Epochs> {
    return Promise.resolve(this.#state.epochs);
  }

  writeAcceptedEpoch(epoch: bigint): Promise<void> {
    this.#state.epochs = { ...this.#state.epochs, acceptedEpoch: epoch };
    return Promise.resolve();
  }

  writeCurrentEpoch(epoch: bigint): Promise<void> {
    this.#state.epochs = { ...this.#state.epochs, currentEpoch: epoch };
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
