/**
 * What ZAB's synchronization costs on this disk with FileStore (real files, forceSync on):
 * reading the log for a DIFF (readFrom), truncating it for a TRUNC, installing a snapshot for a
 * SNAP, and recovering afterwards. Run: npx tsx bench/storage_sync_bench.ts [--txns 200000] [dir]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { nodeDisk } from "../core/io/node_disk.ts";
import { FileStore } from "../core/storage/file_store.ts";

const TXN_BYTES = 100;
const IN_FLIGHT = 256;
const SNAPSHOT_EVERY = 50_000;
const SNAPSHOT_BYTES = 1024 * 1024;
const INSTALL_BYTES = 64 * 1024 * 1024;

function options(): { txns: number; root: string } {
  const args = process.argv.slice(2);
  const at = args.indexOf("--txns");
  const txns = at >= 0 ? Number(args[at + 1]) : 200_000;
  const rest = args.filter((_, i) => i !== at && i !== at + 1);
  return { txns, root: rest[0] ?? os.tmpdir() };
}

function openStore(dir: string): FileStore {
  return new FileStore({ disk: nodeDisk(), dataDir: dir, random: () => 0.5, snapCount: 10_000_000, autopurge: false });
}

async function timed<T>(label: string, rows: string[][], run: () => Promise<T>, detail: (value: T, ms: number) => string = () => ""): Promise<T> {
  const start = performance.now();
  const value = await run();
  const ms = performance.now() - start;
  rows.push([label, ms.toFixed(1), detail(value, ms)]);
  return value;
}

/** Appends 1..txns, IN_FLIGHT at a time, with a 1 MiB snapshot every SNAPSHOT_EVERY txns (so several segments). */
async function fill(store: FileStore, txns: number): Promise<void> {
  const payload = new Uint8Array(TXN_BYTES).fill(7);
  const snapshot = new Uint8Array(SNAPSHOT_BYTES).fill(3);
  for (let from = 1; from <= txns; from += IN_FLIGHT) {
    const batch: Promise<void>[] = [];
    for (let z = from; z < from + IN_FLIGHT && z <= txns; z += 1) batch.push(store.append({ zxid: BigInt(z), bytes: payload }));
    await Promise.all(batch);
    const last = Math.min(txns, from + IN_FLIGHT - 1);
    if (Math.floor(last / SNAPSHOT_EVERY) > Math.floor((from - 1) / SNAPSHOT_EVERY)) await store.writeSnapshot(BigInt(last), snapshot);
  }
}

async function readAll(store: FileStore, from: bigint): Promise<number> {
  const read = await store.readFrom(from);
  if (read.kind !== "entries") throw new Error(`readFrom(${from}) said ${read.kind}`);
  let count = 0;
  for await (const _entry of read.entries) count += 1;
  return count;
}

async function main(): Promise<void> {
  const { txns, root } = options();
  const dir = fs.mkdtempSync(path.join(root, "paddock-sync-bench-"));
  const rows: string[][] = [];
  try {
    let store = openStore(dir);
    await store.recover();
    await timed(`append ${txns} txns of ${TXN_BYTES} B (${IN_FLIGHT} in flight)`, rows, () => fill(store, txns), (_v, ms) => `${(txns / (ms / 1000)).toFixed(0)} txns/s`);
    const mib = (txns * (TXN_BYTES + 16)) / (1024 * 1024);
    await timed("readFrom(0): every txn, across segments", rows, () => readAll(store, 0n), (n, ms) => `${n} txns, ${(n / (ms / 1000)).toFixed(0)} txns/s, ${(mib / (ms / 1000)).toFixed(0)} MiB/s`);
    await timed("readFrom(last - 1000): seek into the newest segment + 1000 txns", rows, () => readAll(store, BigInt(txns - 1000)), (n) => `${n} txns`);
    await timed("readFrom(0, maxBytes 1 MiB): the size verdict", rows, async () => (await store.readFrom(0n, { maxBytes: 1024 * 1024 })).kind, (kind) => kind);
    await timed(`truncateAfter(last - ${SNAPSHOT_EVERY / 2}): a segment's tail and newer files`, rows, () => store.truncateAfter(BigInt(txns - SNAPSHOT_EVERY / 2)));
    await store.close();
    store = openStore(dir);
    await timed("recover after the truncation", rows, () => store.recover(), (r) => `${r.txns.length} txns replayed after snapshot 0x${r.snapshotZxid.toString(16)}`);
    const data = new Uint8Array(INSTALL_BYTES).fill(9);
    await timed(`installSnapshot of ${INSTALL_BYTES / (1024 * 1024)} MiB over that history`, rows, () => store.installSnapshot(BigInt(txns) + 0x100000000n, data));
    await store.close();
    store = openStore(dir);
    await timed("recover after the install", rows, () => store.recover(), (r) => `snapshot 0x${r.snapshotZxid.toString(16)}, ${r.txns.length} txns`);
    await store.close();
    console.log(`dir under ${root}\n`);
    console.log("| step | ms | |");
    console.log("|---|---:|---|");
    for (const [label, ms, detail] of rows) console.log(`| ${label} | ${ms} | ${detail} |`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
