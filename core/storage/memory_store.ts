import type { RecoveredState, TxnLogEntry, TxnStore } from "./txn_log.ts";

/**
 * A TxnStore that keeps nothing across restarts: for tests, benchmarks and `--in-memory` servers.
 * It still checks the zxid order the pipeline promises.
 */
export class MemoryStore implements TxnStore {
  #lastZxid = 0n;

  recover(): Promise<RecoveredState> {
    return Promise.resolve({ snapshot: null, snapshotZxid: 0n, txns: [] });
  }

  append(entry: TxnLogEntry): Promise<void> {
    if (entry.zxid <= this.#lastZxid) {
      throw new Error(`txn log: zxid ${entry.zxid} after ${this.#lastZxid} is out of order`);
    }
    this.#lastZxid = entry.zxid;
    return Promise.resolve();
  }

  wantsSnapshot(): boolean {
    return false;
  }

  writeSnapshot(_zxid: bigint, _data: Uint8Array): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
