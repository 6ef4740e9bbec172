// Prep's change records and the digest predictor's overlay settle in place once their txn is
// applied, and are swept in bulk: pending entries stay visible, settled ones never show.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PendingByPath } from "../core/pipeline/pending_by_path.ts";
import { OutstandingChanges, type ChangeRecord } from "../core/pipeline/change_record.ts";

test("settled entries are hidden, reusable, and swept once they pile up", () => {
  let applied = 0;
  const map = new PendingByPath<{ zxid: number }>((v) => v.zxid <= applied);
  map.set("/a", { zxid: 1 });
  map.set("/b", { zxid: 2 });
  assert.equal(map.get("/a")?.zxid, 1);
  applied = 1;
  assert.equal(map.get("/a"), undefined, "settled: the tree has it now");
  assert.equal(map.entry("/a")?.zxid, 1, "but the entry is there to reuse");
  assert.deepEqual([...map.pending()].map(([path]) => path), ["/b"]);
  // A hot path keeps one entry however many txns pass through it.
  const hot = map.entry("/a")!;
  for (let zxid = 3; zxid < 10_000; zxid++) {
    hot.zxid = zxid;
    applied = zxid;
    map.sweep();
  }
  assert.equal(map.heldSize, 2, "no sweep while few entries are held");
  // Unique paths: held entries stay bounded, pending ones are never dropped.
  for (let i = 0; i < 50_000; i++) {
    map.set(`/n${i}`, { zxid: 20_000 + i });
    applied = 20_000 + i - 100;
    map.sweep();
    assert.ok(map.heldSize <= 1024, `held ${map.heldSize} after ${i}`);
  }
  assert.equal([...map.pending()].length, 100);
  for (let i = 49_900; i < 50_000; i++) assert.equal(map.get(`/n${i}`)?.zxid, 20_000 + i);
  applied = Number.MAX_SAFE_INTEGER;
  map.sweep();
  assert.equal(map.get("/n49999"), undefined);
});

test("outstanding changes: newest record per path until its txn is applied; a rollback restores", () => {
  const changes = new OutstandingChanges();
  const record = (zxid: bigint, path: string, version: number): ChangeRecord => ({
    zxid, path, exists: true, version, cversion: 0, aversion: 0, ephemeralOwner: 0n, childCount: 0, acl: [], dataLength: 0,
  });
  changes.add(record(1n, "/x", 1));
  changes.add(record(2n, "/x", 2));
  changes.add(record(3n, "/y", 1));
  assert.equal(changes.get("/x")?.version, 2);
  changes.applied(1n);
  assert.equal(changes.get("/x")?.version, 2, "the newer record stays while its txn is pending");
  assert.equal(changes.size, 2);
  changes.applied(2n);
  assert.equal(changes.get("/x"), undefined);
  assert.deepEqual([...changes.pending()].map((r) => r.path), ["/y"]);
  // A multi that fails puts back what it replaced.
  const saved = changes.get("/y");
  changes.add(record(4n, "/y", 2));
  changes.restore("/y", saved);
  assert.equal(changes.get("/y")?.version, 1);
  changes.restore("/z", undefined);
  assert.equal(changes.get("/z"), undefined);
  changes.applied(4n);
  assert.equal(changes.get("/y"), undefined);
  assert.equal(changes.size, 0);
});
