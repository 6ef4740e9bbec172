/**
 * One storage contract, three stores: the scenarios in tests/storage_sync_*.test.ts run against
 * the MemoryStore, a FileStore on the crash-simulating MemoryDisk, and a FileStore on a real temp
 * directory (hono's shared contract-suite shape). A harness can "restart" its store: close it
 * and open the same data again, as a process would after a clean stop.
 */
import type { Disk } from "../../core/io/disk.ts";
import { MemoryDisk } from "../../core/io/memory_disk.ts";
import { nodeDisk } from "../../core/io/node_disk.ts";
import type { FileStoreOptions } from "../../core/storage/file_store.ts";
import { MemoryStore, type MemoryStoreOptions } from "../../core/storage/memory_store.ts";
import type { LogRead, RecoveredState, TxnLogEntry, TxnStore } from "../../core/storage/txn_log.ts";
import { apply, encodeState, openStore, tempDir, type ToyState, txnBytes } from "./storage_fixture.ts";

/** A store under test and the way to restart it on the same data. */
export interface StoreHarness {
  /** The current store (replaced by each restart). */
  store: TxnStore;
  /** Closes the store, opens the same data again and recovers it. */
  restart(): Promise<RecoveredState>;
  /** The storage files by name (dataDir and dataLogDir are one), or null for the memory store. */
  files(): Promise<string[] | null>;
  /** Log lines of the current store. */
  readonly lines: string[];
  cleanup(): Promise<void>;
}

/** A way to make a fresh, recovered store. */
export interface StoreKind {
  readonly name: string;
  open(options?: { file?: Partial<FileStoreOptions>; memory?: MemoryStoreOptions }): Promise<StoreHarness>;
}

/** The MemoryStore: `restart` recovers the same instance. */
export const memoryStoreKind: StoreKind = {
  name: "MemoryStore",
  async open(options = {}) {
    const store = new MemoryStore(options.memory);
    await store.recover();
    const harness: StoreHarness = {
      store,
      lines: [],
      restart: () => harness.store.recover(),
      files: () => Promise.resolve(null),
      cleanup: () => harness.store.close(),
    };
    return harness;
  },
};

/** A FileStore over `disk` in `dir`; `restart` opens a new FileStore on it. */
async function fileHarness(disk: Disk, dir: string, overrides: Partial<FileStoreOptions>, remove: () => void): Promise<StoreHarness> {
  const lines: string[] = [];
  const options = { ...overrides, log: (line: string) => lines.push(line) };
  const first = openStore(disk, dir, options).store;
  await first.recover();
  const harness: StoreHarness = {
    store: first,
    lines,
    async restart() {
      await harness.store.close();
      lines.length = 0;
      const next = openStore(disk, dir, options).store;
      harness.store = next;
      return await next.recover();
    },
    files: async () => (await disk.list(dir)).sort(),
    async cleanup() {
      await harness.store.close();
      remove();
    },
  };
  return harness;
}

/** FileStore on the MemoryDisk. */
export const fileStoreOnMemoryDiskKind: StoreKind = {
  name: "FileStore on MemoryDisk",
  open: (options = {}) => fileHarness(new MemoryDisk(), "/data", options.file ?? {}, () => {}),
};

/** FileStore on a real temp directory. */
export const fileStoreOnRealDirKind: StoreKind = {
  name: "FileStore on a real dir",
  open(options = {}) {
    const dir = tempDir("sync");
    return fileHarness(nodeDisk(), dir.path, options.file ?? {}, dir.remove);
  },
};

/** Every kind, for `for (const kind of STORE_KINDS) test(...)`. */
export const STORE_KINDS: readonly StoreKind[] = [memoryStoreKind, fileStoreOnMemoryDiskKind, fileStoreOnRealDirKind];

/**
 * Appends `zxids` in order (each awaited) and writes a snapshot of the toy state right after each
 * zxid in `snapshotAt`, as a server does. Returns the state after the last.
 */
export async function buildHistory(store: TxnStore, zxids: readonly bigint[], snapshotAt: readonly bigint[] = [], state: ToyState = emptyState()): Promise<ToyState> {
  for (const zxid of zxids) {
    await store.append({ zxid, bytes: txnBytes(zxid) });
    apply(state, zxid);
    if (snapshotAt.includes(zxid)) await store.writeSnapshot(zxid, encodeState(state));
  }
  return state;
}

/** The toy state of a history made of exactly `zxids`. */
export function stateOf(zxids: readonly bigint[]): ToyState {
  const state = emptyState();
  for (const zxid of zxids) apply(state, zxid);
  return state;
}

/** A fresh toy state. */
export function emptyState(): ToyState {
  return { count: 0, sum: 0n, last: 0n };
}

/** `from..to` as bigints. */
export function range(from: bigint, to: bigint): bigint[] {
  const zxids: bigint[] = [];
  for (let z = from; z <= to; z += 1n) zxids.push(z);
  return zxids;
}

/** Every entry of a read, checking each payload is the one logged for its zxid. */
export async function collect(read: LogRead): Promise<bigint[]> {
  if (read.kind !== "entries") throw new Error(`expected entries, got ${read.kind}`);
  const zxids: bigint[] = [];
  for await (const entry of read.entries) {
    checkEntry(entry);
    zxids.push(entry.zxid);
  }
  return zxids;
}

/** Throws unless the entry carries the bytes logged for its zxid. */
export function checkEntry(entry: TxnLogEntry): void {
  const expected = txnBytes(entry.zxid);
  if (entry.bytes.length !== expected.length || !entry.bytes.every((b, i) => b === expected[i])) {
    throw new Error(`entry 0x${entry.zxid.toString(16)} came back with different bytes`);
  }
}
