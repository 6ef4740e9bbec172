// The tree digest kept incrementally by the DataTree equals the digest recomputed from scratch
// (ZooKeeper's definition) after every change, and starts where ZooKeeper's does.
// tests/zk_log_oracle.test.ts compares it with the digests a real ZooKeeper logs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32, crc32Utf8 } from "../core/checksum/crc32.ts";
import { adler32 } from "../core/checksum/adler32.ts";
import { OpCode, type ACL } from "../core/proto/mod.ts";
import { DataTree } from "../core/tree/data_tree.ts";
import { DigestSum, fieldsDigest } from "../core/tree/tree_digest.ts";
import { NULL_DATA } from "../core/tree/znode.ts";
import { applyTxn } from "../core/txn/apply_txn.ts";
import type { Txn } from "../core/txn/txn.ts";
import { SeededRandom } from "./support/seeded_random.ts";

const OPEN: ACL[] = [{ perms: 31, id: { scheme: "world", id: "anyone" } }];

/** ZooKeeper's definition: the sum of every node's digest, modulo 2^64, as a signed long. */
function recomputed(tree: DataTree): bigint {
  let sum = 0n;
  for (const [path, node] of tree.nodes) sum += BigInt(fieldsDigest(path, node));
  return BigInt.asIntN(64, sum);
}

test("checksums match java.util.zip's CRC32 and Adler32 check values", () => {
  const digits = new TextEncoder().encode("123456789");
  assert.equal(crc32(0, digits), 0xcbf43926);
  assert.equal(crc32(crc32(0, digits, 0, 5), digits, 5), 0xcbf43926);
  assert.equal(adler32(1, digits), 0x091e01de);
  const text = "/ü/日本/😀";
  assert.equal(crc32Utf8(0, text), crc32(0, new TextEncoder().encode(text)));
  // Adler-32 over more than NMAX (5552) bytes of 0xff, where a missing modulo would overflow.
  const ones = new Uint8Array(100_000).fill(0xff);
  let a = 1;
  let b = 0;
  for (const byte of ones) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  assert.equal(adler32(1, ones), ((b << 16) | a) >>> 0);
});

test("a fresh tree's digest is ZooKeeper 3.9.3's (its log says 'digest is 1371985504' for an empty database)", () => {
  assert.equal(new DataTree().digest, 1371985504n);
});

test("the running digest equals the recomputed one after every kind of change", () => {
  const random = new SeededRandom(7);
  const tree = new DataTree({ extendedTypesEnabled: true });
  const paths = ["/"];
  let zxid = 1n;
  const apply = (txn: Txn) => applyTxn(tree, { sessionId: 0x77n, cxid: 1, zxid: zxid++, time: 1000n + zxid, type: txn.type }, txn);
  for (let step = 0; step < 3000; step++) {
    const path = random.pick(paths);
    const node = tree.getNode(path)!;
    const roll = random.int(10);
    if (roll < 4 || paths.length < 3) {
      const child = `${path === "/" ? "" : path}/n${step}`;
      const owner = random.pick([0n, 0n, 0x77n]);
      if (node.ephemeralOwner !== 0n) continue;
      apply({ type: OpCode.create, path: child, data: random.chance(0.2) ? NULL_DATA : new Uint8Array(random.int(40)).fill(step & 0xff), acl: OPEN, ephemeralOwner: owner, parentCVersion: node.cversion + 1 });
      paths.push(child);
    } else if (roll < 6 && path !== "/" && node.children.size === 0) {
      apply({ type: OpCode.delete, path });
      paths.splice(paths.indexOf(path), 1);
    } else if (roll < 9) {
      apply({ type: OpCode.setData, path, data: new Uint8Array([step & 0xff]), version: node.version + 1 });
    } else {
      apply({ type: OpCode.setACL, path, acl: OPEN, version: node.aversion + 1 });
    }
    assert.equal(tree.digest, recomputed(tree), `after step ${step}`);
  }
  apply({ type: OpCode.closeSession, paths: [] });
  assert.equal(tree.digest, recomputed(tree), "after the session's ephemerals went");
  assert.equal(tree.ephemeralsOf(0x77n).length, 0);
});

test("nodes below /zookeeper/ are left out; / hashes as the empty path; /zookeeper itself counts", () => {
  const tree = new DataTree();
  assert.equal(fieldsDigest("/zookeeper/quota", tree.getNode("/zookeeper/quota")!), 0);
  assert.notEqual(fieldsDigest("/zookeeper", tree.getNode("/zookeeper")!), 0);
  assert.equal(fieldsDigest("/", tree.getNode("/")!), fieldsDigest("", tree.getNode("/")!));
  const before = tree.digest;
  tree.createNode("/zookeeper/quota/x", { data: NULL_DATA, acl: OPEN, ephemeralOwner: 0n, parentCVersion: 1, zxid: 1n, time: 1n });
  assert.equal(tree.digest, before, "a quota node changes nothing");
});

test("the digest sum wraps modulo 2^64 exactly, in both directions", () => {
  const sum = new DigestSum();
  let exact = 0n;
  const random = new SeededRandom(3);
  const added: number[] = [];
  for (let i = 0; i < 200_000; i++) {
    const d = (random.next() * 0x1_0000_0000) >>> 0;
    sum.add(d);
    added.push(d);
    exact += BigInt(d);
  }
  assert.equal(sum.value, BigInt.asIntN(64, exact));
  for (const d of added.slice(0, 150_000)) {
    sum.remove(d);
    exact -= BigInt(d);
  }
  assert.equal(sum.value, BigInt.asIntN(64, exact));
  const negative = new DigestSum();
  negative.remove(5);
  assert.equal(negative.value, -5n);
});

test("with zookeeper.digest.enabled=false the digest is 0, as ZooKeeper reports it", () => {
  const tree = new DataTree({ digestEnabled: false });
  tree.createNode("/a", { data: NULL_DATA, acl: OPEN, ephemeralOwner: 0n, parentCVersion: 1, zxid: 1n, time: 1n });
  tree.setData("/a", new Uint8Array([1]), 1, 2n, 2n);
  tree.deleteNode("/a", 3n);
  assert.equal(tree.digest, 0n);
});
