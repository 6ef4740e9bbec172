// ZooKeeper's snapshot format on its own: a tree encoded and decoded (in one piece, byte by byte,
// in random chunks) comes back identical, fields, order and digest; the file form seals and checks
// its parts; bad input is a WireError. tests/zk_log_oracle.test.ts reads a real 3.9.3 snapshot.
import assert from "node:assert/strict";
import { test } from "node:test";
import { OpCode } from "../core/proto/mod.ts";
import { childSlotsInJavaOrder, DataTree, OPEN_ACL } from "../core/tree/data_tree.ts";
import { javaHashCapacity, javaHashOrder } from "../core/tree/java_hash_order.ts";
import { NULL_DATA } from "../core/tree/znode.ts";
import { applyTxn } from "../core/txn/apply_txn.ts";
import { WireError, WireErrorCode } from "../core/zab/wire/wire_error.ts";
import { encodeZkSnapshot, ZkSnapshotDecoder } from "../core/zab/wire/zk_snapshot.ts";
import { decodeZkSnapshotFile, encodeZkSnapshotFile } from "../core/zab/wire/zk_snapshot_file.ts";
import { sampleTree, SESSIONS } from "./support/sample_tree.ts";
import { SeededRandom } from "./support/seeded_random.ts";
import { concatBytes } from "./support/bytes.ts";

/**
 * Everything a node holds that a snapshot must carry (children as a set; order is checked by
 * re-encoding). Not childrenPeak: that is history, which a snapshot does not keep.
 */
function image(tree: DataTree): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [path, n] of tree.nodes) {
    const { childrenPeak: _p, ...fields } = n;
    const children = n.children;
    out.set(path, { ...fields, data: [...n.data], isNull: n.data === NULL_DATA, acl: JSON.stringify(n.acl), children: [...children].sort() });
  }
  return out;
}


function decodeInChunks(bytes: Uint8Array, sizes: () => number): { tree: DataTree; decoder: ZkSnapshotDecoder } {
  const tree = new DataTree({ extendedTypesEnabled: true });
  const decoder = new ZkSnapshotDecoder(tree);
  let at = 0;
  let done = false;
  while (at < bytes.length) {
    const end = Math.min(bytes.length, at + sizes());
    assert.equal(done, false, "done only at the end");
    done = decoder.push(bytes.subarray(at, end));
    at = end;
  }
  assert.equal(done, true);
  return { tree, decoder };
}

test("a tree survives encode and decode: every field, the digest, the sessions, the bytes", () => {
  const tree = sampleTree();
  const bytes = concatBytes(encodeZkSnapshot(tree, SESSIONS, { chunkBytes: 4096 }));
  const { tree: copy, decoder } = decodeInChunks(bytes, () => bytes.length);
  assert.equal(copy.digest, tree.digest);
  assert.equal(copy.nodeCount, tree.nodeCount);
  assert.deepEqual(image(copy), image(tree));
  assert.deepEqual(new Set(decoder.sessions.map((s) => JSON.stringify(s, (_k, v) => (typeof v === "bigint" ? String(v) : v)))), new Set(SESSIONS.map((s) => JSON.stringify(s, (_k, v) => (typeof v === "bigint" ? String(v) : v)))));
  assert.deepEqual(copy.ephemeralsOf(0x77n), ["/app/ephemeral"]);
  assert.deepEqual([...copy.containers], ["/c"]);
  assert.deepEqual([...copy.ttls], ["/t"]);
  assert.equal(copy.getNode("/zookeeper/quota/app/zookeeper_stats")!.data.length > 0, true);
});

test("decoded and encoded again, a snapshot keeps its bytes (when no node ever had more children than now)", () => {
  // A loaded node's HashSet is sized for the children it has, as in ZooKeeper; a node that once
  // had more lists them in another order, so only such a tree can come back byte for byte.
  const tree = sampleTree(300, { deletes: false });
  const bytes = concatBytes(encodeZkSnapshot(tree, SESSIONS));
  const { tree: copy, decoder } = decodeInChunks(bytes, () => 777);
  const refs = new Map([...decoder.acls].map(([ref, acl]) => [JSON.stringify(acl), ref]));
  const again = concatBytes(encodeZkSnapshot(copy, decoder.sessions, { aclRef: (acl) => refs.get(JSON.stringify(acl)) }));
  assert.ok(Buffer.from(again).equals(bytes));
});

test("chunked decoding: byte by byte and in random chunk sizes, the same tree", () => {
  const tree = sampleTree(150);
  const bytes = concatBytes(encodeZkSnapshot(tree, SESSIONS));
  const one = decodeInChunks(bytes, () => 1).tree;
  assert.deepEqual(image(one), image(tree));
  const random = new SeededRandom(99);
  for (let round = 0; round < 5; round++) {
    const copy = decodeInChunks(bytes, () => 1 + random.int(random.chance(0.5) ? 16 : 5000)).tree;
    assert.equal(copy.digest, tree.digest, `round ${round}`);
    assert.deepEqual(image(copy), image(tree));
  }
});

test("bytes after the signature are kept for the packets that follow", () => {
  const tree = sampleTree(20);
  const tail = new Uint8Array([9, 8, 7, 6, 5]);
  const bytes = concatBytes([...encodeZkSnapshot(tree, [])].concat([tail]));
  const decoder = new ZkSnapshotDecoder(new DataTree({ extendedTypesEnabled: true }));
  assert.equal(decoder.push(bytes), true);
  assert.deepEqual(decoder.takeRemainder(), tail);
});

test("a cut stream, a wrong signature, an unknown ACL, an orphan node and huge lengths are WireErrors", () => {
  const tree = sampleTree(30);
  const bytes = concatBytes(encodeZkSnapshot(tree, SESSIONS));
  const fresh = () => new ZkSnapshotDecoder(new DataTree({ extendedTypesEnabled: true }));
  for (const cut of [0, 3, 20, 100, bytes.length - 1]) {
    const d = fresh();
    assert.equal(d.push(bytes.subarray(0, cut)), false);
    assert.throws(() => d.end(), (e: unknown) => e instanceof WireError && e.code === WireErrorCode.truncated);
  }
  const badSignature = bytes.slice();
  badSignature[badSignature.length - 1] = 0x21;
  assert.throws(() => fresh().push(badSignature), (e: unknown) => e instanceof WireError && e.code === WireErrorCode.badSignature);
  // Hand-made: no sessions, no ACLs, a root that names ACL 5, which does not exist.
  const w = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...new Array(8).fill(0).map((_, i) => (i === 7 ? 5 : 0)), ...new Array(60).fill(0)];
  assert.throws(() => fresh().push(new Uint8Array(w)), /ACL 5/);
  const orphan = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x2f, 0x78, 0xff, 0xff, 0xff, 0xff, ...new Array(8).fill(0xff), ...new Array(60).fill(0)];
  assert.throws(() => fresh().push(new Uint8Array(orphan)), /before its parent/);
  const huge = [0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff];
  assert.throws(() => fresh().push(new Uint8Array(huge)), (e: unknown) => e instanceof WireError && e.code === WireErrorCode.tooLarge);
});

test("the encoder refuses to go on when the tree changes between chunks", () => {
  const tree = sampleTree(200);
  const chunks = encodeZkSnapshot(tree, [], { chunkBytes: 512 });
  chunks.next();
  applyTxn(tree, { sessionId: 1n, cxid: 1, zxid: tree.lastProcessedZxid + 1n, time: 1n, type: OpCode.setData }, { type: OpCode.setData, path: "/app", data: NULL_DATA, version: 9 });
  assert.throws(() => chunks.next(), (e: unknown) => e instanceof WireError && e.code === WireErrorCode.treeChanged);
});

test("snapshot files: header, seals, zxid digest and last zxid round-trip; a flipped byte fails its seal", () => {
  const tree = sampleTree(100);
  const bytes = concatBytes(encodeZkSnapshotFile(tree, SESSIONS, { dbid: -1n, chunkBytes: 1000 }));
  const copy = new DataTree({ extendedTypesEnabled: true });
  const file = decodeZkSnapshotFile(bytes, copy);
  assert.deepEqual(file.header, { magic: "ZKSN", version: 2, dbid: -1n });
  assert.deepEqual(file.zxidDigest, { zxid: tree.lastProcessedZxid, digestVersion: 2, digest: tree.digest });
  assert.equal(file.lastProcessedZxid, tree.lastProcessedZxid);
  assert.deepEqual(image(copy), image(tree));
  for (const at of [2, 40, bytes.length - 40, bytes.length - 20, bytes.length - 3]) {
    const flipped = bytes.slice();
    flipped[at] = flipped[at]! ^ 0x10;
    assert.throws(() => decodeZkSnapshotFile(flipped, new DataTree()), (e: unknown) => e instanceof WireError, `flip at ${at}`);
  }
  // Older writers stop after the first or second seal, and ZooKeeper reads them.
  const sealBytes = 13;
  const withoutLastZxid = bytes.subarray(0, bytes.length - 8 - sealBytes);
  assert.equal(decodeZkSnapshotFile(withoutLastZxid, new DataTree()).lastProcessedZxid, undefined);
  const withoutDigest = withoutLastZxid.subarray(0, withoutLastZxid.length - 20 - sealBytes);
  assert.equal(decodeZkSnapshotFile(withoutDigest, new DataTree()).zxidDigest, undefined);
});

test("fuzz: mutated snapshot streams decode or fail with WireError, never anything else", () => {
  const bytes = concatBytes(encodeZkSnapshot(sampleTree(40), SESSIONS));
  const random = new SeededRandom(5);
  for (let round = 0; round < 300; round++) {
    const input = bytes.slice();
    for (let flips = 1 + random.int(6); flips > 0; flips--) input[random.int(input.length)] = random.int(256);
    const decoder = new ZkSnapshotDecoder(new DataTree({ extendedTypesEnabled: true }));
    try {
      decoder.push(input);
    } catch (error) {
      assert.ok(error instanceof WireError, `round ${round}: ${String(error)}`);
    }
  }
});

test("paths and child order come from the names' bytes: non-ASCII names are ordered and written as from their strings", () => {
  const tree = new DataTree();
  const names = ["a", "é", "日本", "z-😀", "plain", "ü-1", "ascii-2", "\u0080", "x".repeat(300)];
  let zxid = 1n;
  const create = (path: string) => tree.createNode(path, { data: new Uint8Array(1), acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: Number(zxid), zxid: zxid++, time: 1n });
  create("/p");
  for (let i = 0; i < 40; i++) for (const name of names) create(`/p/${name}-${i}`);
  create("/p/é-0/日本");
  const inserted = tree.store.childSlots(tree.find("/p")).map((slot) => tree.store.nameOf(slot));
  const expected = javaHashOrder(inserted, javaHashCapacity(8, inserted.length));
  assert.deepEqual(childSlotsInJavaOrder(tree.store, tree.find("/p")).map((slot) => tree.store.nameOf(slot)), expected);
  // The stream names every node by its full path, in that order.
  const copy = new DataTree();
  const decoder = new ZkSnapshotDecoder(copy);
  assert.ok(decoder.push(concatBytes(encodeZkSnapshot(tree, []))));
  assert.equal(copy.digest, tree.digest);
  assert.deepEqual(copy.childrenOf(copy.find("/p")), expected);
  assert.ok(copy.getNode("/p/é-0/日本") !== undefined);
});

test("a SNAP decoded without strings indexes the tree as restoreNode by path does (sizes, owners, fuzzy range, quotas)", () => {
  const source = sampleTree(300);
  const copy = new DataTree({ extendedTypesEnabled: true });
  assert.ok(new ZkSnapshotDecoder(copy).push(concatBytes(encodeZkSnapshot(source, SESSIONS))));
  const byPath = new DataTree({ extendedTypesEnabled: true });
  byPath.clearForLoad();
  const nodes = [...source.nodes].sort(([a], [b]) => a.split("/").length - b.split("/").length || (a < b ? -1 : 1));
  for (const [path, n] of nodes) {
    byPath.restoreNode(path === "" ? "/" : path, {
      data: n.data, acl: n.acl, czxid: Number(n.czxid), mzxid: Number(n.mzxid), ctime: Number(n.ctime), mtime: Number(n.mtime),
      version: n.version, cversion: n.cversion, aversion: n.aversion, ephemeralOwner: n.ephemeralOwner, pzxid: Number(n.pzxid), childrenPeak: 0,
    });
  }
  byPath.rebuildQuotas();
  const owners = (tree: DataTree) => [...tree.ephemerals].map(([owner, paths]) => [owner, [...paths].sort()]).sort();
  assert.equal(copy.approximateDataSize, byPath.approximateDataSize);
  assert.equal(copy.fuzzyUntil, byPath.fuzzyUntil);
  assert.equal(copy.digest, byPath.digest);
  assert.deepEqual(owners(copy), owners(byPath));
  assert.deepEqual([...copy.containers].sort(), [...byPath.containers].sort());
  assert.deepEqual([...copy.ttls].sort(), [...byPath.ttls].sort());
  assert.ok(copy.containers.size > 0 && copy.ttls.size > 0 && copy.ephemerals.size > 0, "the sample has every kind of owner");
  assert.deepEqual(image(copy), image(byPath));
});
