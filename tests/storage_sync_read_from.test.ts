// readFrom (a leader sending a DIFF) on every store: across segments while appends go on, the
// history point before the reader's zxid (DIFF or TRUNC), purged logs, the size limit, and a
// truncation or purge overtaking an open read.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FileStore } from "../core/storage/file_store.ts";
import { recordBytes } from "../core/storage/record_codec.ts";
import { StorageError } from "../core/storage/storage_error.ts";
import { buildHistory, checkEntry, collect, range, STORE_KINDS } from "./support/store_harness.ts";
import { txnBytes } from "./support/storage_fixture.ts";

const EPOCH2 = 0x200000000n;

for (const kind of STORE_KINDS) {
  test(`${kind.name}: readFrom reads across segments while appends go on, and sees every append made durable`, async () => {
    const harness = await kind.open();
    try {
      const store = harness.store;
      await buildHistory(store, range(1n, 40n), [10n, 25n]);
      const appending = (async () => {
        // Five at a time, each batch durable before the next: reads in between must see it.
        for (let from = 41n; from <= 200n; from += 5n) {
          await Promise.all(range(from, from + 4n).map((zxid) => store.append({ zxid, bytes: txnBytes(zxid) })));
          const read = await store.readFrom(from + 1n);
          assert.deepEqual(await collect(read), range(from + 2n, from + 4n), `a read after 0x${(from + 1n).toString(16)} right after its batch`);
        }
      })();
      const early = await store.readFrom(5n);
      assert.equal(early.kind, "entries");
      if (early.kind !== "entries") return;
      assert.equal(early.previousZxid, 5n);
      assert.ok(early.lastZxid >= 40n, `lastZxid ${early.lastZxid}`);
      const seen: bigint[] = [];
      for await (const entry of early.entries) {
        checkEntry(entry);
        seen.push(entry.zxid);
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      await appending;
      assert.deepEqual(seen, range(6n, early.lastZxid), "the early read yields up to what was durable when it began");
      assert.deepEqual(await collect(await store.readFrom(5n)), range(6n, 200n));
      assert.deepEqual(await collect(await store.readFrom(100n)), range(101n, 200n));
    } finally {
      await harness.cleanup();
    }
  });

  test(`${kind.name}: previousZxid says DIFF (the reader's zxid is ours) or TRUNC (the reader has txns we lack)`, async () => {
    const harness = await kind.open();
    try {
      await buildHistory(harness.store, [...range(1n, 5n), ...range(EPOCH2 + 1n, EPOCH2 + 5n)]);
      const cases: Array<[bigint, bigint, bigint[]]> = [
        [5n, 5n, range(EPOCH2 + 1n, EPOCH2 + 5n)],
        [7n, 5n, range(EPOCH2 + 1n, EPOCH2 + 5n)], // it logged 6 and 7 of an epoch we abandoned: TRUNC to 5
        // A new-epoch zxid (counter 0, what a learner reports after a sync) is no txn: the newest txn
        // before it is 5. ZooKeeper's leader sends a DIFF for such zxids anyway; that is ZAB's call.
        [EPOCH2, 5n, range(EPOCH2 + 1n, EPOCH2 + 5n)],
        [EPOCH2 + 3n, EPOCH2 + 3n, [EPOCH2 + 4n, EPOCH2 + 5n]],
        [EPOCH2 + 5n, EPOCH2 + 5n, []],
        [EPOCH2 + 9n, EPOCH2 + 5n, []], // the reader is ahead: TRUNC to our last
      ];
      for (const [from, previous, zxids] of cases) {
        const read = await harness.store.readFrom(from);
        assert.ok(read.kind === "entries" && read.previousZxid === previous, `readFrom(0x${from.toString(16)}): ${JSON.stringify(read, (_k, v) => typeof v === "bigint" ? `0x${v.toString(16)}` : v)}`);
        assert.deepEqual(await collect(read), zxids, `readFrom(0x${from.toString(16)})`);
      }
    } finally {
      await harness.cleanup();
    }
  });

  test(`${kind.name}: a log that no longer holds the txn after the zxid says purged`, async () => {
    const harness = await kind.open({ file: { snapRetainCount: 1 }, memory: { retainTxns: 8 } });
    try {
      await buildHistory(harness.store, range(1n, 40n), [10n, 25n]);
      const gone = await harness.store.readFrom(0n);
      assert.equal(gone.kind, "purged", "the first txns were purged");
      if (gone.kind !== "purged" || gone.oldestZxid === null) return;
      const oldest = gone.oldestZxid;
      assert.ok(oldest > 1n && oldest <= 40n, `oldest 0x${oldest.toString(16)}`);
      assert.equal((await harness.store.readFrom(oldest - 2n)).kind, "purged");
      const read = await harness.store.readFrom(oldest - 1n);
      assert.equal(read.kind === "entries" ? read.previousZxid : read.kind, oldest - 1n);
      assert.deepEqual(await collect(read), range(oldest, 40n));
    } finally {
      await harness.cleanup();
    }
  });

  test(`${kind.name}: more log than maxBytes says tooLarge, measured from what was logged`, async () => {
    const harness = await kind.open();
    try {
      await buildHistory(harness.store, range(1n, 40n), [10n, 25n]);
      let logged = 0;
      for (const zxid of range(1n, 40n)) logged += recordBytes(txnBytes(zxid).length);
      const tooLarge = await harness.store.readFrom(0n, { maxBytes: logged - 1 });
      assert.equal(tooLarge.kind, "tooLarge");
      if (tooLarge.kind !== "tooLarge") return;
      // Segment headers (16 bytes each) count too; preallocated space must not.
      assert.ok(tooLarge.bytes >= logged && tooLarge.bytes <= logged + 3 * 16, `measured ${tooLarge.bytes} for ${logged} logged bytes`);
      const fits = await harness.store.readFrom(0n, { maxBytes: logged + 3 * 16 });
      assert.deepEqual(await collect(fits), range(1n, 40n));
    } finally {
      await harness.cleanup();
    }
  });

  test(`${kind.name}: a truncation overtaking an open read makes it fail with log_rewritten`, async () => {
    const harness = await kind.open();
    try {
      await buildHistory(harness.store, range(1n, 40n), [10n, 25n]);
      const read = await harness.store.readFrom(0n);
      assert.equal(read.kind, "entries");
      if (read.kind !== "entries") return;
      assert.equal((await read.entries.next()).value?.zxid, 1n);
      await harness.store.truncateAfter(30n);
      await assert.rejects(read.entries.next(), (e: unknown) => e instanceof StorageError && e.code === "log_rewritten");
      assert.deepEqual(await collect(await harness.store.readFrom(25n)), range(26n, 30n));
    } finally {
      await harness.cleanup();
    }
  });
}

for (const kind of STORE_KINDS.filter((k) => k.name.startsWith("FileStore"))) {
  test(`${kind.name}: a purge waits while a read is open, then runs`, async () => {
    const harness = await kind.open({ file: { snapRetainCount: 1, autopurge: false } });
    try {
      await buildHistory(harness.store, range(1n, 40n), [10n, 25n]);
      const store = harness.store as FileStore;
      const read = await store.readFrom(0n);
      assert.equal(read.kind, "entries");
      if (read.kind !== "entries") return;
      assert.equal((await read.entries.next()).value?.zxid, 1n);
      assert.equal(store.stats().openReaders, 1);
      assert.deepEqual(await store.purge(), { deletedSnapshots: [], deletedLogs: [] });
      assert.ok(harness.lines.some((l) => l.startsWith("purge deferred: 1 log reader(s) open")), harness.lines.join(" | "));
      const rest: bigint[] = [];
      for await (const entry of read.entries) rest.push(entry.zxid);
      assert.deepEqual(rest, range(2n, 40n));
      assert.equal(store.stats().openReaders, 0);
      const purged = await store.purge();
      assert.deepEqual(purged.deletedSnapshots, ["snapshot.000000000000000a"]);
      assert.deepEqual(purged.deletedLogs, ["log.0000000000000001"]);
    } finally {
      await harness.cleanup();
    }
  });

  test(`${kind.name}: a read stopped early releases its segment`, async () => {
    const harness = await kind.open();
    try {
      await buildHistory(harness.store, range(1n, 40n), [10n, 25n]);
      const store = harness.store as FileStore;
      const read = await store.readFrom(0n);
      if (read.kind !== "entries") throw new Error(read.kind);
      for await (const entry of read.entries) if (entry.zxid === 12n) break;
      assert.equal(store.stats().openReaders, 0);
      const unread = await store.readFrom(20n);
      if (unread.kind !== "entries") throw new Error(unread.kind);
      assert.equal(store.stats().openReaders, 1);
      await unread.entries.return?.();
      assert.equal(store.stats().openReaders, 0, "a read given up before its first entry releases too");
      const purged = await store.readFrom(0n, { maxBytes: 1 });
      assert.equal(purged.kind, "tooLarge");
      assert.equal(store.stats().openReaders, 0, "a read that hands out no entries releases at once");
    } finally {
      await harness.cleanup();
    }
  });
}
