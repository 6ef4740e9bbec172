// installSnapshot (a learner told SNAP) on every store: over a log whose history runs ahead of
// the snapshot and over one that is behind it; nothing of the old history survives, appends and
// reads carry on after the snapshot's zxid.
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildHistory, collect, range, STORE_KINDS, type StoreHarness } from "./support/store_harness.ts";
import { encodeState, replay, type ToyState, txnBytes } from "./support/storage_fixture.ts";

const EPOCH2 = 0x200000000n;

/** The leader's state at `zxid`: deliberately unlike anything this member logged. */
function leaderState(zxid: bigint): ToyState {
  return { count: 1000, sum: 123_456_789n, last: zxid };
}

/** After an install at `zxid`: only `snapshot.<zxid>` remains of the old files (file stores). */
async function assertOnlySnapshot(harness: StoreHarness, zxid: bigint): Promise<void> {
  const files = await harness.files();
  if (files === null) return;
  const name = `snapshot.${zxid.toString(16).padStart(16, "0")}`;
  assert.deepEqual(files.filter((n) => !n.endsWith("Epoch")), [name], `files after installing ${name}`);
}

async function installAndCheck(harness: StoreHarness, zxid: bigint): Promise<void> {
  const data = encodeState(leaderState(zxid));
  await harness.store.installSnapshot(zxid, data);
  assert.equal(harness.store.lastLoggedZxid(), zxid);
  await assertOnlySnapshot(harness, zxid);
  const recovered = await harness.restart();
  assert.equal(recovered.snapshotZxid, zxid);
  assert.deepEqual(recovered.txns, [], "no txn of the old history may be replayed over the snapshot");
  assert.deepEqual(replay(recovered), leaderState(zxid));
}

for (const kind of STORE_KINDS) {
  test(`${kind.name}: a snapshot behind the log replaces the history ahead of it, and newer snapshots`, async () => {
    const harness = await kind.open();
    try {
      await buildHistory(harness.store, range(1n, 40n), [10n, 25n, 35n]);
      await installAndCheck(harness, 20n);
      await buildHistory(harness.store, range(21n, 24n), [], leaderState(20n));
      const recovered = await harness.restart();
      assert.deepEqual(recovered.txns.map((t) => t.zxid), range(21n, 24n));
      const expected = leaderState(20n);
      for (const zxid of range(21n, 24n)) expected.count += 1, expected.sum += zxid, expected.last = zxid;
      assert.deepEqual(replay(recovered), expected);
      assert.equal((await harness.store.readFrom(5n)).kind, "purged", "the old log is gone");
      assert.deepEqual(await collect(await harness.store.readFrom(20n)), range(21n, 24n));
    } finally {
      await harness.cleanup();
    }
  });

  test(`${kind.name}: a snapshot ahead of the log (a later epoch) replaces everything behind it`, async () => {
    const harness = await kind.open();
    try {
      await buildHistory(harness.store, range(1n, 30n), [10n]);
      await installAndCheck(harness, EPOCH2 + 7n);
      assert.deepEqual(await collect(await harness.store.readFrom(EPOCH2 + 7n)), []);
      await buildHistory(harness.store, range(EPOCH2 + 8n, EPOCH2 + 12n));
      assert.deepEqual((await harness.restart()).txns.map((t) => t.zxid), range(EPOCH2 + 8n, EPOCH2 + 12n));
      assert.deepEqual(await collect(await harness.store.readFrom(EPOCH2 + 7n)), range(EPOCH2 + 8n, EPOCH2 + 12n));
    } finally {
      await harness.cleanup();
    }
  });

  test(`${kind.name}: installing at the zxid of an existing snapshot replaces that snapshot's contents`, async () => {
    const harness = await kind.open();
    try {
      await buildHistory(harness.store, range(1n, 30n), [10n, 20n]);
      await installAndCheck(harness, 20n);
      await installAndCheck(harness, 20n);
    } finally {
      await harness.cleanup();
    }
  });

  test(`${kind.name}: installSnapshot waits for appends in flight, then none of them survives`, async () => {
    const harness = await kind.open();
    try {
      await buildHistory(harness.store, range(1n, 10n));
      const pending = range(11n, 30n).map((zxid) => harness.store.append({ zxid, bytes: txnBytes(zxid) }));
      await harness.store.installSnapshot(EPOCH2 + 1n, encodeState(leaderState(EPOCH2 + 1n)));
      await Promise.all(pending);
      assert.equal(harness.store.lastLoggedZxid(), EPOCH2 + 1n);
      assert.deepEqual(replay(await harness.restart()), leaderState(EPOCH2 + 1n));
    } finally {
      await harness.cleanup();
    }
  });
}

for (const kind of STORE_KINDS) {
  test(`${kind.name}: writeSnapshot covers logged txns only; a state from elsewhere must be installed`, async () => {
    const harness = await kind.open();
    try {
      await buildHistory(harness.store, range(1n, 10n), [5n]);
      assert.throws(() => harness.store.writeSnapshot(12n, encodeState(leaderState(12n))), /ahead of the log \(0xa\); use installSnapshot/);
      assert.throws(() => harness.store.writeSnapshot(5n, encodeState(leaderState(5n))), /is not after 0x5/);
      await installAndCheck(harness, 12n);
    } finally {
      await harness.cleanup();
    }
  });
}
