/**
 * Storage micro benchmark: what this disk can fsync, and how FileStore's group commit turns
 * that into txns/s. Run: npx tsx bench/storage_bench.ts [dir]   (default: the OS temp dir)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { nodeDisk } from "../core/io/node_disk.ts";
import { crc32c } from "../core/storage/crc32c.ts";
import { FileStore } from "../core/storage/file_store.ts";

const DURATION_MS = 2000;
const TXN_BYTES = 100;

async function rawFsyncsPerSecond(dir: string): Promise<number> {
  const file = await nodeDisk().open(path.join(dir, "raw"), "create");
  const payload = new Uint8Array(TXN_BYTES).fill(1);
  const start = performance.now();
  let count = 0;
  let offset = 0;
  while (performance.now() - start < DURATION_MS) {
    await file.write(payload, offset);
    await file.sync();
    offset += TXN_BYTES;
    count += 1;
  }
  await file.close();
  return count / ((performance.now() - start) / 1000);
}

interface Result {
  label: string;
  txnsPerSecond: number;
  fsyncs: number;
  averageBatch: number;
  p50Ms: number;
  p99Ms: number;
}

async function storeThroughput(dir: string, inFlight: number, forceSync = true): Promise<Result> {
  const store = new FileStore({ disk: nodeDisk(), dataDir: dir, random: Math.random, forceSync, snapCount: 10_000_000 });
  await store.recover();
  const payload = new Uint8Array(TXN_BYTES).fill(2);
  const latencies: number[] = [];
  let zxid = 0n;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    // Bounded by the benchmark duration.
    while (performance.now() - start < DURATION_MS) {
      zxid += 1n;
      const began = performance.now();
      await store.append({ zxid, bytes: payload });
      latencies.push(performance.now() - began);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - start) / 1000;
  const stats = store.stats();
  await store.close();
  latencies.sort((a, b) => a - b);
  return {
    label: `FileStore, ${inFlight} in flight${forceSync ? "" : " (forceSync=false)"}`,
    txnsPerSecond: latencies.length / seconds,
    fsyncs: stats.fsyncs,
    averageBatch: stats.averageBatchSize,
    p50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? 0,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
  };
}

/** CRC-32C speed bounds how fast snapshots are written and verified. */
function crcMegabytesPerSecond(): number {
  const data = new Uint8Array(64 * 1024 * 1024).map((_, i) => i * 31);
  const start = performance.now();
  let crc = 0;
  for (let round = 0; round < 4; round += 1) crc = crc32c(crc, data);
  return (4 * 64) / ((performance.now() - start) / 1000);
}

function freshDir(root: string, label: string): string {
  return fs.mkdtempSync(path.join(root, `paddock-bench-${label}-`));
}

async function main(): Promise<void> {
  const root = process.argv[2] ?? os.tmpdir();
  const dirs: string[] = [];
  try {
    const rawDir = freshDir(root, "raw");
    dirs.push(rawDir);
    const raw = await rawFsyncsPerSecond(rawDir);
    const results: Result[] = [];
    for (const [inFlight, forceSync] of [[1, true], [256, true], [256, false]] as const) {
      const dir = freshDir(root, `store${inFlight}`);
      dirs.push(dir);
      results.push(await storeThroughput(dir, inFlight, forceSync));
    }
    console.log(`disk under ${root}: raw write(${TXN_BYTES} B)+fdatasync: ${raw.toFixed(0)} fsyncs/s`);
    console.log(`crc32c: ${crcMegabytesPerSecond().toFixed(0)} MB/s\n`);
    console.log("| run | txns/s | fsyncs | avg batch | p50 ms | p99 ms |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const r of results) {
      console.log(`| ${r.label} | ${r.txnsPerSecond.toFixed(0)} | ${r.fsyncs} | ${r.averageBatch.toFixed(1)} | ${r.p50Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} |`);
    }
  } finally {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
