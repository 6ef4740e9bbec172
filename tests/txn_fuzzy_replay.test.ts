import { test } from "node:test";
import assert from "node:assert/strict";
import { OpCode } from "../core/proto/op_code.ts";
import { ErrorCode } from "../core/proto/error_code.ts";
import { DataTree } from "../core/tree/data_tree.ts";
import { applyTxn } from "../core/txn/apply_txn.ts";
import type { Txn, TxnHeader } from "../core/txn/txn.ts";

const ACL = [{ perms: 31, id: { scheme: "world", id: "anyone" } }];
const bytes = (text: string) => new TextEncoder().encode(text);

/** The workload: every kind of change, some undoing others, zxids 1..n of epoch 1. */
function workload(): [TxnHeader, Txn][] {
  const txns: Txn[] = [
    { type: OpCode.create, path: "/a", data: bytes("a"), acl: ACL, ephemeralOwner: 0n, parentCVersion: 1 },
    { type: OpCode.create, path: "/b", data: bytes("b"), acl: ACL, ephemeralOwner: 0n, parentCVersion: 2 },
    { type: OpCode.setData, path: "/a", data: bytes("a1"), version: 1 },
    { type: OpCode.create, path: "/b/c", data: bytes("c"), acl: ACL, ephemeralOwner: 0n, parentCVersion: 1 },
    { type: OpCode.delete, path: "/b/c" },
    { type: OpCode.multi, txns: [{ type: OpCode.delete, path: "/b" }, { type: OpCode.setData, path: "/a", data: bytes("a2"), version: 2 }] },
    { type: OpCode.create, path: "/d", data: bytes("d"), acl: ACL, ephemeralOwner: 0n, parentCVersion: 4 },
    { type: OpCode.setACL, path: "/d", acl: ACL, version: 1 },
    { type: OpCode.create, path: "/e", data: bytes("e"), acl: ACL, ephemeralOwner: 0n, parentCVersion: 5 },
  ];
  return txns.map((txn, i) => [{ sessionId: 1n, cxid: i, zxid: 0x100000001n + BigInt(i), time: 1000n + BigInt(i), type: txn.type }, txn]);
}

/**
 * The tree after the first `count` txns, loaded node by node as a snapshot claiming the zxid of
 * the `claimed`-th (ZooKeeper's fuzzy SNAP, as its leader's is read into a learner's tree).
 */
function loadedAfter(count: number, claimed: number): { tree: DataTree } {
  const source = new DataTree();
  for (const [header, txn] of workload().slice(0, count)) applyTxn(source, header, txn);
  const tree = new DataTree();
  tree.clearForLoad();
  tree.lastProcessedZxid = 0x100000000n + BigInt(claimed);
  // Parents first, as a snapshot lists them.
  const nodes = [...source.nodes].sort(([a], [b]) => a.split("/").length - b.split("/").length || (a < b ? -1 : 1));
  for (const [path, n] of nodes) {
    tree.restoreNode(path === "" ? "/" : path, {
      data: n.data, acl: n.acl, czxid: Number(n.czxid), mzxid: Number(n.mzxid), ctime: Number(n.ctime), mtime: Number(n.mtime),
      version: n.version, cversion: n.cversion, aversion: n.aversion, ephemeralOwner: n.ephemeralOwner, pzxid: Number(n.pzxid),
      childrenPeak: n.childrenPeak,
    });
  }
  return { tree };
}

test("txns replayed onto a fuzzy snapshot (one holding txns past its zxid, as a ZooKeeper leader's SNAP can) converge to the exact tree, digest included", () => {
  const exact = new DataTree();
  for (const [header, txn] of workload()) applyTxn(exact, header, txn);
  // The leader read zxid 2 for its SNAP, then serialized its tree after txn 7.
  const { tree } = loadedAfter(7, 2);
  assert.equal(tree.fuzzyUntil, 0x100000007n, "the highest zxid stamped in the snapshot");
  const results = workload().slice(2).map(([header, txn]) => applyTxn(tree, header, txn));
  // Replayed: /b/c's create finds no parent any more, its delete and /b's find nothing, /d exists.
  assert.equal(results[1]!.err, ErrorCode.NONODE);
  assert.equal(results[2]!.err, ErrorCode.NONODE);
  assert.equal(results[3]!.multi?.[0]?.err, ErrorCode.NONODE);
  assert.equal(results[4]!.err, ErrorCode.NODEEXISTS);
  assert.deepEqual([...tree.nodes.keys()].sort(), [...exact.nodes.keys()].sort());
  assert.equal(new TextDecoder().decode(tree.getNode("/a")!.data), "a2");
  assert.equal(tree.digest, exact.digest, "the replayed tree's digest is the exact tree's");
  assert.equal(tree.lastProcessedZxid, 0x100000009n);
});

test("past the snapshot's highest stamp the tree is exact again: a txn that does not fit is reported as a divergence, not taken for a replay", () => {
  const { tree } = loadedAfter(7, 7);
  const [header] = workload()[8]!;
  const again: Txn = { type: OpCode.create, path: "/d", data: bytes("d"), acl: ACL, ephemeralOwner: 0n, parentCVersion: 6 };
  const reported: string[] = [];
  const result = applyTxn(tree, { ...header, type: OpCode.create }, again, (error) => reported.push(error.message));
  assert.equal(result.err, ErrorCode.NODEEXISTS, "skipped with ZooKeeper's code");
  assert.deepEqual(reported, ["create /d: exists"]);
  // At or below the stamp the same misfit is a replay: skipped silently.
  const replayed: string[] = [];
  const [early] = workload()[1]!;
  applyTxn(tree, { ...early, type: OpCode.create }, { ...again, path: "/a" }, (error) => replayed.push(error.message));
  assert.deepEqual(replayed, []);
});
