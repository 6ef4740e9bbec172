import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryDisk } from "../core/io/memory_disk.ts";
import { nodeDisk } from "../core/io/node_disk.ts";
import { drive, filesIn, openStore, replay, tempDir, txnBytes, type ToyState } from "./support/storage_fixture.ts";

test("thousands of txns across several segments and snapshots come back exactly (real files)", async () => {
  const dir = tempDir("roundtrip");
  try {
    const disk = nodeDisk();
    const first = openStore(disk, dir.path, { snapCount: 400 });
    assert.equal(replay(await first.store.recover()).count, 0);
    const state: ToyState = { count: 0, sum: 0n, last: 0n };
    await drive(first.store, state, 1n, 3000n, 16);
    const stats = first.store.stats();
    await first.store.close();
    assert.ok(stats.snapshotsWritten >= 5, `expected several snapshots, got ${stats.snapshotsWritten}`);
    assert.ok(filesIn(dir.path, "log.").length >= 2, `expected several segments, got ${filesIn(dir.path, "log.")}`);

    const second = openStore(disk, dir.path, { snapCount: 400 });
    const recovered = await second.store.recover();
    assert.ok(recovered.snapshot !== null, "a snapshot should be used");
    assert.deepEqual(replay(recovered), state);
    await second.store.close();
  } finally {
    dir.remove();
  }
});

test("restarts carry on where they left off, also across an epoch change", async () => {
  const disk = new MemoryDisk();
  const state: ToyState = { count: 0, sum: 0n, last: 0n };
  const epoch1 = 0x100000000n;
  const rounds: Array<[bigint, bigint]> = [[1n, 150n], [151n, 300n], [epoch1 + 1n, epoch1 + 200n]];
  for (const [from, to] of rounds) {
    const { store } = openStore(disk, "/data", { snapCount: 100 });
    assert.deepEqual(replay(await store.recover()), state);
    await drive(store, state, from, to, 4);
    await store.close();
  }
  const { store } = openStore(disk, "/data", { snapCount: 100 });
  assert.deepEqual(replay(await store.recover()), state);
  await store.close();
});

test("dataLogDir can differ from dataDir", async () => {
  const disk = new MemoryDisk();
  const state: ToyState = { count: 0, sum: 0n, last: 0n };
  const { store } = openStore(disk, "/snap", { dataLogDir: "/txnlog", snapCount: 50 });
  await store.recover();
  await drive(store, state, 1n, 200n);
  await store.close();
  assert.ok((await disk.list("/txnlog")).every((n) => n.startsWith("log.")));
  assert.ok((await disk.list("/snap")).every((n) => n.startsWith("snapshot.")));
  const again = openStore(disk, "/snap", { dataLogDir: "/txnlog", snapCount: 50 });
  assert.deepEqual(replay(await again.store.recover()), state);
});

test("wantsSnapshot follows the randomised count and the size limit", async () => {
  const disk = new MemoryDisk();
  const byCount = openStore(disk, "/a", { snapCount: 100, random: () => 0.2 });
  await byCount.store.recover();
  for (let z = 1n; z <= 59n; z += 1n) await byCount.store.append({ zxid: z, bytes: txnBytes(z) });
  assert.equal(byCount.store.wantsSnapshot(), false, "50 + 0.2*50 = 60 txns are needed");
  await byCount.store.append({ zxid: 60n, bytes: txnBytes(60n) });
  assert.equal(byCount.store.wantsSnapshot(), true);
  const pending = byCount.store.writeSnapshot(60n, new Uint8Array([1]));
  assert.equal(byCount.store.wantsSnapshot(), false, "the counter restarts when a snapshot begins");
  await pending;

  const bySize = openStore(disk, "/b", { snapCount: 1_000_000, snapSizeLimitInKb: 1 });
  await bySize.store.recover();
  await bySize.store.append({ zxid: 1n, bytes: new Uint8Array(1100) });
  assert.equal(bySize.store.wantsSnapshot(), true);
});

test("appends keep flowing while a large snapshot is written", async () => {
  const disk = new MemoryDisk();
  const { store } = openStore(disk, "/data");
  await store.recover();
  await store.append({ zxid: 1n, bytes: txnBytes(1n) });
  const big = new Uint8Array(32 * 1024 * 1024).fill(7);
  let snapshotDone = false;
  const snapshot = store.writeSnapshot(1n, big).then(() => (snapshotDone = true));
  await store.append({ zxid: 2n, bytes: txnBytes(2n) });
  assert.equal(snapshotDone, false, "the append should not have waited for the snapshot");
  await snapshot;
  await store.close();
  const again = openStore(disk, "/data");
  const recovered = await again.store.recover();
  assert.equal(recovered.snapshotZxid, 1n);
  assert.equal(recovered.snapshot?.length, big.length);
  assert.deepEqual(recovered.txns.map((t) => t.zxid), [2n]);
});

test("out-of-order appends, and appends that leave a hole, are programmer errors", async () => {
  const { store } = openStore(new MemoryDisk(), "/data");
  await store.recover();
  assert.throws(() => store.append({ zxid: 5n, bytes: txnBytes(5n) }), /does not follow 0x0/);
  await store.append({ zxid: 1n, bytes: txnBytes(1n) });
  assert.throws(() => store.append({ zxid: 1n, bytes: txnBytes(1n) }), /out of order/);
  assert.throws(() => store.append({ zxid: 3n, bytes: txnBytes(3n) }), /does not follow 0x1/);
  await store.append({ zxid: 0x200000001n, bytes: txnBytes(0x200000001n) });
  await store.close();
  assert.throws(() => store.append({ zxid: 0x200000002n, bytes: txnBytes(0x200000002n) }), /after close/);
});
