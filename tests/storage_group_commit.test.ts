import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryDisk } from "../core/io/memory_disk.ts";
import { nodeDisk } from "../core/io/node_disk.ts";
import type { Disk } from "../core/io/disk.ts";
import { openStore, replay, tempDir, txnBytes } from "./support/storage_fixture.ts";

async function burst(disk: Disk, dataDir: string, count: number): Promise<{ order: number[]; fsyncs: number; average: number }> {
  const { store } = openStore(disk, dataDir, { preAllocSizeKb: 1024 });
  await store.recover();
  const order: number[] = [];
  const appends: Promise<void>[] = [];
  // Waves of concurrent appends, as many clients would send them.
  for (let i = 1; i <= count; i += 1) {
    appends.push(store.append({ zxid: BigInt(i), bytes: txnBytes(BigInt(i)) }).then(() => void order.push(i)));
    if (i % 50 === 0) await new Promise((r) => setTimeout(r, 0));
  }
  await Promise.all(appends);
  const stats = store.stats();
  await store.close();
  assert.equal(stats.txnsSynced, count);
  return { order, fsyncs: stats.fsyncs, average: stats.averageBatchSize };
}

test("concurrent appends share fsyncs and resolve in append order (slow memory disk)", async () => {
  const disk = new MemoryDisk({ syncDelay: () => new Promise((r) => setTimeout(r, 2)) });
  const { order, fsyncs, average } = await burst(disk, "/data", 500);
  assert.deepEqual(order, Array.from({ length: 500 }, (_, i) => i + 1));
  assert.ok(fsyncs < 100, `expected far fewer fsyncs than 500 txns, got ${fsyncs}`);
  assert.ok(average > 5, `expected batches, average was ${average}`);
  const { store } = openStore(disk, "/data");
  assert.equal(replay(await store.recover()).count, 500);
});

test("concurrent appends share fsyncs on a real disk", async () => {
  const dir = tempDir("groupcommit");
  try {
    const { order, fsyncs } = await burst(nodeDisk(), dir.path, 1000);
    assert.deepEqual(order, Array.from({ length: 1000 }, (_, i) => i + 1));
    assert.ok(fsyncs < 1000, `expected fewer fsyncs than txns, got ${fsyncs}`);
  } finally {
    dir.remove();
  }
});

test("a failing disk rejects the batch and every later append with a typed error", async () => {
  const disk = new MemoryDisk();
  const { store } = openStore(disk, "/data");
  await store.recover();
  await store.append({ zxid: 1n, bytes: txnBytes(1n) });
  disk.crash();
  await assert.rejects(store.append({ zxid: 2n, bytes: txnBytes(2n) }), (e: unknown) => (e as { code?: string }).code === "write_failed");
  await assert.rejects(store.append({ zxid: 3n, bytes: txnBytes(3n) }), (e: unknown) => (e as { code?: string }).code === "write_failed");
});
