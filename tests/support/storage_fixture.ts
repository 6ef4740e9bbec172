/**
 * Shared pieces of the storage tests: temp dirs, deterministic txn payloads, a toy "server"
 * whose state is easy to snapshot and compare, and a way to collect log lines.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Disk } from "../../core/io/disk.ts";
import { FileStore, type FileStoreOptions } from "../../core/storage/file_store.ts";
import type { RecoveredState } from "../../core/storage/txn_log.ts";

/** A fresh directory under the OS temp dir; removed by `remove()`. */
export function tempDir(label: string): { path: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `paddock-${label}-`));
  return { path: dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The payload of txn `zxid`: 1..97 bytes derived from the zxid, so recovery can be checked byte for byte. */
export function txnBytes(zxid: bigint): Uint8Array {
  const length = Number(zxid % 97n) + 1;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 1) bytes[i] = Number((zxid * 31n + BigInt(i) * 7n) & 0xffn);
  return bytes;
}

/** A toy server state: how many txns were applied, the sum of their zxids, the last zxid. */
export interface ToyState {
  count: number;
  sum: bigint;
  last: bigint;
}

/** The state as snapshot bytes. */
export function encodeState(state: ToyState): Uint8Array {
  return new TextEncoder().encode(`${state.count},${state.sum},${state.last}`);
}

/** Rebuilds the state from what recovery returned, checking every payload on the way. */
export function replay(recovered: RecoveredState): ToyState {
  const state = recovered.snapshot === null ? { count: 0, sum: 0n, last: 0n } : decodeState(recovered.snapshot);
  for (const txn of recovered.txns) {
    const expected = txnBytes(txn.zxid);
    if (!sameBytes(txn.bytes, expected)) throw new Error(`txn 0x${txn.zxid.toString(16)} came back with different bytes`);
    if (txn.zxid <= state.last) throw new Error(`txn 0x${txn.zxid.toString(16)} replayed after 0x${state.last.toString(16)}`);
    apply(state, txn.zxid);
  }
  return state;
}

/** Applies one txn to the toy state. */
export function apply(state: ToyState, zxid: bigint): void {
  state.count += 1;
  state.sum += zxid;
  state.last = zxid;
}

function decodeState(bytes: Uint8Array): ToyState {
  const [count, sum, last] = new TextDecoder().decode(bytes).split(",");
  return { count: Number(count), sum: BigInt(sum!), last: BigInt(last!) };
}

/** True when both arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A FileStore with small, test-friendly defaults and captured log lines. */
export function openStore(disk: Disk, dataDir: string, overrides: Partial<FileStoreOptions> = {}): { store: FileStore; lines: string[] } {
  const lines: string[] = [];
  const store = new FileStore({
    disk,
    dataDir,
    preAllocSizeKb: 4,
    random: () => 0.5,
    log: (line) => lines.push(line),
    ...overrides,
  });
  return { store, lines };
}

/**
 * Drives a store like a server would: appends txns `from..to` (epoch 0 counters), `inFlight` at
 * a time, applying each to `state` when durable and snapshotting whenever the store asks.
 * Snapshots are not awaited before further appends, as in the real pipeline.
 */
export async function drive(store: FileStore, state: ToyState, from: bigint, to: bigint, inFlight = 1): Promise<void> {
  const snapshots: Promise<void>[] = [];
  let pending: Promise<void>[] = [];
  for (let zxid = from; zxid <= to; zxid += 1n) {
    const z = zxid;
    pending.push(store.append({ zxid: z, bytes: txnBytes(z) }).then(() => apply(state, z)));
    if (pending.length >= inFlight) {
      await Promise.all(pending);
      pending = [];
      if (store.wantsSnapshot()) snapshots.push(store.writeSnapshot(state.last, encodeState(state)));
    }
  }
  await Promise.all(pending);
  await Promise.all(snapshots);
}

/** Files in a directory that start with `prefix`, sorted. */
export function filesIn(dir: string, prefix: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.startsWith(prefix)).sort();
}
