import { test } from "node:test";
import assert from "node:assert/strict";
import { ZkDatabase } from "../core/server/zk_database.ts";
import { OpCode } from "../core/proto/op_code.ts";
import { encodeTxn } from "../core/txn/txn_codec.ts";
import { CommittedHistory } from "../core/zab/history.ts";
import { planSync, SyncMode } from "../core/zab/sync_plan.ts";

function createTxn(zxid: bigint, path: string): Uint8Array {
  return encodeTxn(
    { sessionId: 0n, cxid: 0, zxid, time: 1n, type: OpCode.create },
    { type: OpCode.create, path, data: new Uint8Array(0), acl: [{ perms: 31, id: { scheme: "world", id: "anyone" } }], ephemeralOwner: 0n, parentCVersion: 1 },
  );
}

test("ZOOKEEPER-4925: every txn a learner applies, in its sync or after, enters its committed history, with no hole", () => {
  const db = new ZkDatabase({ tickMs: 100, serverId: 2, extendedTypesEnabled: false, wallMs: 0 });
  const zxids = [0x100000001n, 0x100000002n, 0x200000001n, 0x200000002n];
  zxids.forEach((zxid, i) => db.applyBytes(createTxn(zxid, `/n${i}`), 0));
  assert.deepEqual([...db.history.entries()].map((e) => e.zxid), zxids);
  // Were it to lead now, a member at 0x100000002 gets exactly the two txns it lacks.
  const plan = planSync(db.history, 0x100000002n, db.lastProcessedZxid);
  assert.equal(plan.mode, SyncMode.diff);
  assert.deepEqual(plan.entries.map((e) => e.zxid), [0x200000001n, 0x200000002n]);
});

test("the committed history refuses to go backwards and keeps only its window", () => {
  const history = new CommittedHistory({ maxEntries: 3, maxBytes: 1 << 20 });
  for (let i = 1n; i <= 5n; i++) history.append({ zxid: i, bytes: new Uint8Array(1) });
  assert.equal(history.minZxid, 3n);
  assert.equal(history.maxZxid, 5n);
  assert.throws(() => history.append({ zxid: 5n, bytes: new Uint8Array(1) }), /history/);
  // A learner older than the window is sent the whole database.
  assert.equal(planSync(history, 1n, 5n).mode, SyncMode.snap);
  // One inside the window gets a DIFF of what follows its zxid.
  assert.equal(planSync(history, 4n, 5n).mode, SyncMode.diff);
});
