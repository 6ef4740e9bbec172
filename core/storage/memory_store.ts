import { checkEpochWrite, decideEpochs, type Epochs } from "./epoch_files.ts";
import { lastIndexAtOrBefore } from "./file_names.ts";
import { recordBytes } from "./record_codec.ts";
import { StorageError, StorageErrorCode } from "./storage_error.ts";
import { truncationRefusal } from "./truncate_log.ts";
import { checkAppendOrder, checkSnapshotZxid, readStart } from "./zxid_order.ts";
import { type LogRead, LogReadKind, type ReadFromOptions, type RecoveredState, type SnapshotStream, type TxnLogEntry, type TxnStore } from "./txn_log.ts";

/** Settings of a {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Txns kept at least for readFrom and recover (up to twice as many are held between drops);
   * older ones are dropped as a purge would drop them. Default 1000 (ZooKeeper keeps 500 committed proposals in memory). Bounds the memory of
   * `--in-memory` servers, which never snapshot.
   */
  readonly retainTxns?: number;
  /** Snapshots kept, newest first. Default 3. */
  readonly snapRetainCount?: number;
}

interface Snapshot {
  readonly zxid: bigint;
  readonly data: Uint8Array;
}

/**
 * A TxnStore that keeps everything in memory, with the semantics of the durable FileStore minus
 * the durability (every promise resolves at once): for tests, benchmarks and `--in-memory`
 * servers. `recover()` hands back what it holds, so a test can "restart" on the same instance.
 * @example
 * const store = new MemoryStore();
 * await store.append({ zxid: 1n, bytes });
 * await store.truncateAfter(0n);
 */
export class MemoryStore implements TxnStore {
  readonly #retainTxns: number;
  readonly #snapRetainCount: number;
  #entries: TxnLogEntry[] = [];
  /** Snapshots, oldest first. */
  #snapshots: Snapshot[] = [];
  /** The newest zxid dropped from `#entries` (0n when none was). */
  #droppedThroughZxid = 0n;
  #lastZxid = 0n;
  #epochs: Epochs | null = null;
  /** Bumped by truncateAfter and installSnapshot, so open readFrom iterators stop. */
  #historyVersion = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.#retainTxns = options.retainTxns ?? 1000;
    this.#snapRetainCount = options.snapRetainCount ?? 3;
    if (!(this.#retainTxns >= 1)) throw new Error("memory store: retainTxns must be at least 1");
    if (!(this.#snapRetainCount >= 1)) throw new Error("memory store: snapRetainCount must be at least 1");
  }

  /** The newest snapshot and the txns after it; refuses if txns after it were dropped. */
  recover(): Promise<RecoveredState> {
    const snapshot = this.#snapshots[this.#snapshots.length - 1] ?? null;
    const snapshotZxid = snapshot?.zxid ?? 0n;
    if (this.#droppedThroughZxid > snapshotZxid) {
      return Promise.reject(new Error(`memory store: txns up to 0x${this.#droppedThroughZxid.toString(16)} were dropped after the newest snapshot (0x${snapshotZxid.toString(16)}); raise retainTxns or take snapshots`));
    }
    const txns = this.#entries.filter((e) => e.zxid > snapshotZxid);
    return Promise.resolve({ snapshot: snapshot?.data ?? null, snapshotZxid, txns });
  }

  lastLoggedZxid(): bigint {
    return this.#lastZxid;
  }

  append(entry: TxnLogEntry): Promise<void> {
    checkAppendOrder(this.#lastZxid, entry.zxid);
    this.#entries.push({ zxid: entry.zxid, bytes: entry.bytes.slice() });
    this.#lastZxid = entry.zxid;
    // Dropping in chunks keeps the array copy amortised: at most once per retainTxns appends.
    if (this.#entries.length >= 2 * this.#retainTxns) this.#drop(this.#entries.length - this.#retainTxns);
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** Never: a server on this store takes no snapshots of its own. */
  wantsSnapshot(): boolean {
    return false;
  }

  writeSnapshot(zxid: bigint, data: Uint8Array | SnapshotStream): Promise<void> {
    checkSnapshotZxid(zxid, this.#snapshots[this.#snapshots.length - 1]?.zxid ?? 0n, this.#lastZxid);
    return this.#keepSnapshot(zxid, data);
  }

  async #keepSnapshot(zxid: bigint, data: Uint8Array | SnapshotStream): Promise<void> {
    const bytes = await copyOf(data);
    this.#snapshots.push({ zxid, data: bytes });
    if (this.#snapshots.length > this.#snapRetainCount) this.#snapshots.splice(0, this.#snapshots.length - this.#snapRetainCount);
  }

  truncateAfter(zxid: bigint): Promise<void> {
    const baseIndex = lastIndexAtOrBefore(this.#snapshots, zxid);
    const base = this.#snapshots[baseIndex]?.zxid ?? null;
    const refusal = truncationRefusal(zxid, this.#snapshots[baseIndex + 1]?.zxid ?? null, base) ?? this.#droppedRefusal(zxid, base);
    if (refusal !== null) return Promise.reject(new StorageError(StorageErrorCode.truncateBelowSnapshot, refusal));
    this.#historyVersion += 1;
    this.#snapshots = this.#snapshots.slice(0, baseIndex + 1);
    this.#entries = this.#entries.filter((e) => e.zxid <= zxid);
    const keptLog = this.#entries[this.#entries.length - 1]?.zxid ?? 0n;
    const keptSnapshot = base ?? 0n;
    this.#lastZxid = keptLog > keptSnapshot ? keptLog : keptSnapshot;
    return Promise.resolve();
  }

  installSnapshot(zxid: bigint, data: Uint8Array | SnapshotStream): Promise<void> {
    // Bytes in hand are installed at once, as before; a stream once it is read.
    if (data instanceof Uint8Array) {
      this.#install(zxid, data.slice());
      return Promise.resolve();
    }
    return copyOf(data).then((bytes) => this.#install(zxid, bytes));
  }

  #install(zxid: bigint, data: Uint8Array): void {
    this.#historyVersion += 1;
    this.#snapshots = [{ zxid, data }];
    this.#entries = [];
    this.#droppedThroughZxid = zxid;
    this.#lastZxid = zxid;
  }

  readFrom(zxid: bigint, options: ReadFromOptions = {}): Promise<LogRead> {
    const until = this.#lastZxid;
    if (zxid >= until) return Promise.resolve(entriesRead(until, until, fromArray([])));
    const entries = this.#entries;
    const index = firstIndexAfter(entries, zxid);
    const oldestZxid = entries[0]?.zxid ?? null;
    if (index >= entries.length) return Promise.resolve({ kind: LogReadKind.purged, oldestZxid });
    const previous = readStart(zxid, index > 0 ? entries[index - 1]!.zxid : null, entries[index]!.zxid);
    if (previous === null) return Promise.resolve({ kind: LogReadKind.purged, oldestZxid });
    const toSend = entries.slice(index);
    if (options.maxBytes !== undefined) {
      let bytes = 0;
      for (const entry of toSend) bytes += recordBytes(entry.bytes.length);
      if (bytes > options.maxBytes) return Promise.resolve({ kind: LogReadKind.tooLarge, bytes });
    }
    return Promise.resolve(entriesRead(previous, until, this.#iterate(toSend, this.#historyVersion)));
  }

  /** The epochs, derived from the last zxid's epoch until written (as for a fresh dataDir). */
  readEpochs(): Promise<Epochs> {
    const found = { currentEpoch: this.#epochs?.currentEpoch ?? null, acceptedEpoch: this.#epochs?.acceptedEpoch ?? null, currentEpochTmp: null };
    try {
      this.#epochs = decideEpochs(found, this.#lastZxid).epochs;
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(this.#epochs);
  }

  writeAcceptedEpoch(epoch: bigint): Promise<void> {
    this.#epochs = checkEpochWrite(this.#epochs, { acceptedEpoch: epoch });
    return Promise.resolve();
  }

  writeCurrentEpoch(epoch: bigint): Promise<void> {
    this.#epochs = checkEpochWrite(this.#epochs, { currentEpoch: epoch });
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Dropped txns after the base snapshot leave no way to rebuild the state at `zxid`. */
  #droppedRefusal(zxid: bigint, base: bigint | null): string | null {
    if (this.#droppedThroughZxid <= (base ?? 0n) || zxid >= this.#lastZxid) return null;
    return `cannot truncate after 0x${zxid.toString(16)}: txns up to 0x${this.#droppedThroughZxid.toString(16)} were dropped after the newest snapshot at or before it; this member needs a snapshot from the leader`;
  }

  #drop(count: number): void {
    this.#droppedThroughZxid = this.#entries[count - 1]!.zxid;
    this.#entries = this.#entries.slice(count);
  }

  async *#iterate(entries: readonly TxnLogEntry[], version: number): AsyncGenerator<TxnLogEntry> {
    for (const entry of entries) {
      if (this.#historyVersion !== version) {
        throw new StorageError(StorageErrorCode.logRewritten, "the log was truncated or replaced by a snapshot while being read; read again");
      }
      yield { zxid: entry.zxid, bytes: entry.bytes.slice() };
    }
  }
}

function entriesRead(previousZxid: bigint, lastZxid: bigint, entries: AsyncIterableIterator<TxnLogEntry>): LogRead {
  return { kind: LogReadKind.entries, previousZxid, lastZxid, entries };
}

async function* fromArray(entries: readonly TxnLogEntry[]): AsyncGenerator<TxnLogEntry> {
  yield* entries;
}

/** Index of the first entry with a zxid above `zxid` (binary search; entries are in zxid order). */
function firstIndexAfter(entries: readonly TxnLogEntry[], zxid: bigint): number {
  let low = 0;
  let high = entries.length;
  // Bounded: the range halves every round.
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (entries[middle]!.zxid <= zxid) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** A snapshot's bytes, copied (the caller may reuse what it passed). */
async function copyOf(data: Uint8Array | SnapshotStream): Promise<Uint8Array> {
  const bytes = new Uint8Array(data.length);
  if (data instanceof Uint8Array) bytes.set(data);
  else {
    let at = 0;
    // Bounded by the stream, which holds `length` bytes.
    for await (const chunk of data.chunks) {
      bytes.set(chunk.bytes, at);
      at += chunk.bytes.length;
    }
  }
  return bytes;
}
