// truncateAfter (a learner told TRUNC) on every store: in the middle of a segment, across
// segments, to a snapshot boundary, across an epoch jump; refusals; appends carrying on after.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryDisk } from "../core/io/memory_disk.ts";
import { StorageError } from "../core/storage/storage_error.ts";
import { buildHistory, range, STORE_KINDS, type StoreHarness, stateOf } from "./support/store_harness.ts";
import { openStore, replay, txnBytes } from "./support/storage_fixture.ts";

const EPOCH2 = 0x200000000n;
const EPOCH3 = 0x300000000n;

/** 1..40, snapshots after 10 and 25: on a FileStore, segments log.1, log.11 and log.26. */
async function fortyTxns(harness: StoreHarness): Promise<void> {
  await buildHistory(harness.store, range(1n, 40n), [10n, 25n]);
}

/** Restarts and checks the recovered state is exactly the history `zxids`. */
async function assertRecovers(harness: StoreHarness, zxids: readonly bigint[], label: string): Promise<void> {
  const recovered = await harness.restart();
  assert.deepEqual(replay(recovered), stateOf(zxids), `${label}: recovered state`);
  assert.equal(harness.store.lastLoggedZxid(), zxids[zxids.length - 1] ?? 0n, `${label}: lastLoggedZxid after restart`);
}

/** No snapshot newer than `zxid` and no intent file left behind (file stores only). */
async function assertFilesAfter(harness: StoreHarness, zxid: bigint): Promise<void> {
  const files = await harness.files();
  if (files === null) return;
  for (const name of files) {
    assert.ok(!name.startsWith("truncate."), `intent file left behind: ${files.join(" ")}`);
    if (name.startsWith("snapshot.")) assert.ok(BigInt("0x" + name.slice(9)) <= zxid, `snapshot newer than 0x${zxid.toString(16)} kept: ${files.join(" ")}`);
  }
}

for (const kind of STORE_KINDS) {
  test(`${kind.name}: truncate in the middle of the last segment, then a new epoch carries on`, async () => {
    const harness = await kind.open();
    try {
      await fortyTxns(harness);
      await harness.store.truncateAfter(33n);
      assert.equal(harness.store.lastLoggedZxid(), 33n);
      await assertFilesAfter(harness, 33n);
      await assertRecovers(harness, range(1n, 33n), "after truncateAfter(33)");
      await buildHistory(harness.store, range(EPOCH2 + 1n, EPOCH2 + 3n));
      await assertRecovers(harness, [...range(1n, 33n), ...range(EPOCH2 + 1n, EPOCH2 + 3n)], "after new-epoch appends");
    } finally {
      await harness.cleanup();
    }
  });

  test(`${kind.name}: truncate across segments drops whole segments, the newer snapshot and a segment's tail`, async () => {
    const harness = await kind.open();
    try {
      await fortyTxns(harness);
      await harness.store.truncateAfter(18n);
      assert.equal(harness.store.lastLoggedZxid(), 18n);
      await assertFilesAfter(harness, 18n);
      const files = await harness.files();
      if (files !== null) {
        assert.deepEqual(files.filter((n) => n.startsWith("log.") || n.startsWith("snapshot.")), ["log.0000000000000001", "log.000000000000000b", "snapshot.000000000000000a"]);
      }
      const recovered = await harness.restart();
      assert.equal(recovered.snapshotZxid, 10n);
      assert.deepEqual(recovered.txns.map((t) => t.zxid), range(11n, 18n));
      assert.deepEqual(replay(recovered), stateOf(range(1n, 18n)));
      await buildHistory(harness.store, range(19n, 22n));
      await assertRecovers(harness, range(1n, 22n), "after appends that reuse the truncated zxids");
    } finally {
      await harness.cleanup();
    }
  });

  test(`${kind.name}: truncate to a snapshot boundary keeps that snapshot and nothing after it`, async () => {
    const harness = await kind.open();
    try {
      await fortyTxns(harness);
      await harness.store.truncateAfter(25n);
      await assertFilesAfter(harness, 25n);
      const recovered = await harness.restart();
      assert.equal(recovered.snapshotZxid, 25n);
      assert.deepEqual(recovered.txns, []);
      assert.deepEqual(replay(recovered), stateOf(range(1n, 25n)));
      await buildHistory(harness.store, [EPOCH3 + 1n]);
      await assertRecovers(harness, [...range(1n, 25n), EPOCH3 + 1n], "after an append in a later epoch");
    } finally {
      await harness.cleanup();
    }
  });

  test(`${kind.name}: truncating below every snapshot is refused and changes nothing`, async () => {
    const harness = await kind.open();
    try {
      await fortyTxns(harness);
      await assert.rejects(harness.store.truncateAfter(5n), (e: unknown) =>
        e instanceof StorageError && e.code === "truncate_below_snapshot" && /needs a snapshot from the leader/.test(e.message));
      assert.equal(harness.store.lastLoggedZxid(), 40n);
      await harness.store.append({ zxid: 41n, bytes: txnBytes(41n) });
      await assertRecovers(harness, range(1n, 41n), "after the refusal");
    } finally {
      await harness.cleanup();
    }
  });

  test(`${kind.name}: truncating at or after the end removes nothing; truncating to 0 without snapshots empties the log`, async () => {
    const harness = await kind.open();
    try {
      await buildHistory(harness.store, range(1n, 20n));
      await harness.store.truncateAfter(20n);
      await harness.store.truncateAfter(EPOCH2);
      await assertRecovers(harness, range(1n, 20n), "after no-op truncations");
      await harness.store.truncateAfter(0n);
      assert.equal(harness.store.lastLoggedZxid(), 0n);
      await assertRecovers(harness, [], "after truncateAfter(0)");
      await buildHistory(harness.store, range(EPOCH2 + 1n, EPOCH2 + 2n));
      await assertRecovers(harness, range(EPOCH2 + 1n, EPOCH2 + 2n), "after appends on the emptied log");
    } finally {
      await harness.cleanup();
    }
  });

  test(`${kind.name}: a log that jumps epochs inside a segment recovers, and truncates inside the jump`, async () => {
    const harness = await kind.open();
    try {
      const history = [...range(1n, 5n), ...range(EPOCH2 + 1n, EPOCH2 + 4n)];
      await buildHistory(harness.store, history);
      await assertRecovers(harness, history, "a segment holding two epochs");
      await harness.store.truncateAfter(EPOCH2 + 2n);
      await assertRecovers(harness, [...range(1n, 5n), EPOCH2 + 1n, EPOCH2 + 2n], "cut inside the second epoch");
      await harness.store.truncateAfter(5n);
      await buildHistory(harness.store, [EPOCH3 + 1n, EPOCH3 + 2n]);
      await assertRecovers(harness, [...range(1n, 5n), EPOCH3 + 1n, EPOCH3 + 2n], "cut at the epoch boundary, then a third epoch");
    } finally {
      await harness.cleanup();
    }
  });

  test(`${kind.name}: truncateAfter waits for appends in flight, which stay or go by their zxid`, async () => {
    const harness = await kind.open();
    try {
      await buildHistory(harness.store, range(1n, 10n));
      const pending = range(11n, 30n).map((zxid) => harness.store.append({ zxid, bytes: txnBytes(zxid) }));
      await harness.store.truncateAfter(15n);
      await Promise.all(pending);
      assert.equal(harness.store.lastLoggedZxid(), 15n);
      assert.throws(() => harness.store.append({ zxid: 17n, bytes: txnBytes(17n) }), /does not follow 0xf/);
      await assertRecovers(harness, range(1n, 15n), "after truncating appends in flight");
    } finally {
      await harness.cleanup();
    }
  });
}

test("FileStore: a damaged record before the cut, with valid records after it, stops the truncation instead of cutting them", async () => {
  const disk = new MemoryDisk();
  const { store } = openStore(disk, "/data");
  await store.recover();
  await buildHistory(store, range(1n, 30n));
  let offset = 16;
  for (let z = 1n; z < 10n; z += 1n) offset += 16 + txnBytes(z).length;
  disk.poke("/data/log.0000000000000001", offset + 16, new Uint8Array([0xee]));
  await assert.rejects(store.truncateAfter(20n), (e: unknown) => e instanceof StorageError && e.code === "corrupt_log" && /a valid record follows/.test(e.message));
  await assert.rejects(store.append({ zxid: 31n, bytes: txnBytes(31n) }), (e: unknown) => e instanceof StorageError && e.code === "corrupt_log", "the store stops after a failed rewrite");
  assert.deepEqual((await disk.list("/data")).sort(), ["log.0000000000000001"], "nothing was removed");
});
