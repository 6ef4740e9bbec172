// The txn codec on its own: every txn type round-trips, the record layouts are ZooKeeper's
// (checked field by field against hand-written jute), owners map both ways, and garbage or cut
// bytes get a JuteError, never another exception. tests/zk_log_oracle.test.ts checks the same
// codec against a real ZooKeeper 3.9.3 log.
import assert from "node:assert/strict";
import { test } from "node:test";
import { OutstandingChanges } from "../core/pipeline/change_record.ts";
import { prepWrite } from "../core/pipeline/prep.ts";
import { JuteError, JuteReader, JuteWriter, OpCode, writeAcls, type ACL } from "../core/proto/mod.ts";
import { DataTree } from "../core/tree/data_tree.ts";
import { CONTAINER_OWNER, ttlOwner } from "../core/tree/ephemeral_type.ts";
import { NULL_DATA } from "../core/tree/znode.ts";
import type { Txn, TxnHeader } from "../core/txn/txn.ts";
import { decodeTxn, encodeTxn } from "../core/txn/txn_codec.ts";
import { SeededRandom } from "./support/seeded_random.ts";

const SESSION = 0x1000abc00000002n;
const ACL_A: ACL[] = [{ perms: 31, id: { scheme: "world", id: "anyone" } }];
const ACL_B: ACL[] = [{ perms: 1, id: { scheme: "digest", id: "u:h=" } }, { perms: 8, id: { scheme: "ip", id: "10.0.0.0/8" } }];
const bytes = (s: string) => new TextEncoder().encode(s);

function header(type: number, zxid = 0x500000007n): TxnHeader {
  return { sessionId: SESSION, cxid: 42, zxid, time: 1_700_000_000_123n, type };
}

/** One txn of every type Paddock and ZooKeeper 3.9 log, multis with every sub-type. */
const TXNS: Txn[] = [
  { type: OpCode.create, path: "/a", data: bytes("x"), acl: ACL_A, ephemeralOwner: 0n, parentCVersion: 3 },
  { type: OpCode.create, path: "/e", data: NULL_DATA, acl: ACL_B, ephemeralOwner: SESSION, parentCVersion: -7 },
  { type: OpCode.create2, path: "/ü/日本", data: new Uint8Array(0), acl: ACL_A, ephemeralOwner: 0n, parentCVersion: 0 },
  { type: OpCode.createContainer, path: "/c", data: bytes("c"), acl: ACL_A, ephemeralOwner: CONTAINER_OWNER, parentCVersion: 1 },
  { type: OpCode.createTTL, path: "/t", data: bytes("t"), acl: ACL_A, ephemeralOwner: ttlOwner(60_000n), parentCVersion: 2 },
  { type: OpCode.delete, path: "/a" },
  { type: OpCode.deleteContainer, path: "/c" },
  { type: OpCode.setData, path: "/a", data: bytes("y"), version: 4 },
  { type: OpCode.setData, path: "/a", data: NULL_DATA, version: 0 },
  { type: OpCode.reconfig, path: "/zookeeper/config", data: bytes("server.1=127.0.0.1:2888:3888:participant\nversion=100000001"), version: 1 },
  { type: OpCode.setACL, path: "/a", acl: ACL_B, version: 9 },
  { type: OpCode.check, path: "/a", version: 5 },
  { type: OpCode.createSession, timeoutMs: 30_000 },
  { type: OpCode.closeSession, paths: ["/e", "/f/g"] },
  { type: OpCode.closeSession, paths: [] },
  { type: OpCode.error, err: -110 },
  {
    type: OpCode.multi,
    txns: [
      { type: OpCode.create, path: "/m", data: bytes("m"), acl: ACL_A, ephemeralOwner: SESSION, parentCVersion: 1 },
      { type: OpCode.createContainer, path: "/m/c", data: NULL_DATA, acl: ACL_A, ephemeralOwner: CONTAINER_OWNER, parentCVersion: 1 },
      { type: OpCode.createTTL, path: "/m/t", data: NULL_DATA, acl: ACL_B, ephemeralOwner: ttlOwner(1n), parentCVersion: 2 },
      { type: OpCode.setData, path: "/m", data: bytes("n"), version: 1 },
      { type: OpCode.check, path: "/m", version: 1 },
      { type: OpCode.delete, path: "/m/c" },
      { type: OpCode.deleteContainer, path: "/m/t" },
    ],
  },
  { type: OpCode.multi, txns: [{ type: OpCode.error, err: 0 }, { type: OpCode.error, err: -103 }, { type: OpCode.error, err: -2 }] },
  { type: OpCode.multi, txns: [] },
];

test("every txn type round-trips, with and without a digest", () => {
  for (const txn of TXNS) {
    for (const digest of [undefined, { version: 2, treeDigest: -0x123456789abcdefn }]) {
      const encoded = encodeTxn(header(txn.type), txn, digest);
      const decoded = decodeTxn(encoded);
      assert.deepEqual(decoded, digest === undefined ? { header: header(txn.type), txn } : { header: header(txn.type), txn, digest }, `type ${txn.type}`);
      // Null data stays the NULL_DATA instance, so the tree keeps null apart from empty.
      if ("data" in txn && txn.data === NULL_DATA) assert.equal((decoded.txn as { data: Uint8Array }).data, NULL_DATA);
      assert.deepEqual(encodeTxn(decoded.header, decoded.txn, decoded.digest), encoded);
    }
  }
});

test("records are laid out as zookeeper.jute defines them", () => {
  const expect = (txn: Txn, write: (w: JuteWriter) => void) => {
    const w = new JuteWriter(256);
    const h = header(txn.type);
    w.long(h.sessionId).int(h.cxid).long(h.zxid).long(h.time).int(h.type);
    write(w);
    w.int(2).long(77n);
    assert.deepEqual(encodeTxn(h, txn, { version: 2, treeDigest: 77n }), w.bytes().slice(), `type ${txn.type}`);
  };
  const ephemeral = TXNS[1] as Extract<Txn, { type: 1 }>;
  // CreateTxn {path, data, acl, boolean ephemeral, parentCVersion}: the owner is the header's session.
  expect(ephemeral, (w) => {
    w.ustring("/e").buffer(null);
    writeAcls(w, ACL_B);
    w.bool(true).int(-7);
  });
  // CreateContainerTxn {path, data, acl, parentCVersion}.
  expect(TXNS[3]!, (w) => {
    w.ustring("/c").buffer(bytes("c"));
    writeAcls(w, ACL_A);
    w.int(1);
  });
  // CreateTTLTxn {path, data, acl, parentCVersion, long ttl}.
  expect(TXNS[4]!, (w) => {
    w.ustring("/t").buffer(bytes("t"));
    writeAcls(w, ACL_A);
    w.int(2).long(60_000n);
  });
  // CloseSessionTxn {vector<ustring> paths2Delete}.
  expect(TXNS[13]!, (w) => void w.int(2).ustring("/e").ustring("/f/g"));
  // MultiTxn {vector<Txn {int type, buffer data}>}.
  expect(TXNS[17]!, (w) => {
    w.int(3);
    for (const err of [0, -103, -2]) w.int(OpCode.error).int(4).int(err);
  });
});

test("a closeSession without a record (3.5 and older, or closeSessionTxn disabled) reads as naming no paths", () => {
  const h = header(OpCode.closeSession);
  const w = new JuteWriter(64);
  w.long(h.sessionId).int(h.cxid).long(h.zxid).long(h.time).int(h.type);
  assert.deepEqual(decodeTxn(w.bytes().slice()), { header: h, txn: { type: OpCode.closeSession, paths: [] } });
  w.int(2).long(5n);
  assert.deepEqual(decodeTxn(w.bytes().slice()), { header: h, txn: { type: OpCode.closeSession, paths: [] }, digest: { version: 2, treeDigest: 5n } });
});

test("an owner the record cannot express is a programming error, caught before anything is written", () => {
  const base = { path: "/x", data: NULL_DATA, acl: ACL_A, parentCVersion: 1 };
  const bad: Txn[] = [
    { type: OpCode.create, ...base, ephemeralOwner: 0x999n },
    { type: OpCode.create2, ...base, ephemeralOwner: CONTAINER_OWNER },
    { type: OpCode.createContainer, ...base, ephemeralOwner: 0n },
    { type: OpCode.createTTL, ...base, ephemeralOwner: SESSION },
    { type: OpCode.multi, txns: [{ type: OpCode.createSession, timeoutMs: 1 }] },
  ];
  for (const txn of bad) assert.throws(() => encodeTxn(header(txn.type), txn), /encodeTxn/);
  assert.throws(() => encodeTxn(header(OpCode.delete), { type: OpCode.setData, path: "/", data: NULL_DATA, version: 0 }), /header type/);
});

test("bytes that are no txn get a JuteError: unknown types, cut records, trailing bytes, nested multis", () => {
  const good = encodeTxn(header(OpCode.multi), TXNS[16]!, { version: 2, treeDigest: 1n });
  for (let cut = 0; cut < good.length; cut++) {
    if (cut === good.length - 12) continue; // without the digest it is a valid txn
    assert.throws(() => decodeTxn(good.subarray(0, cut)), JuteError, `cut at ${cut}`);
  }
  const withTail = new Uint8Array([...good, 1, 2, 3]);
  assert.throws(() => decodeTxn(withTail), /bytes after the record/);
  const unknown = encodeTxn(header(OpCode.delete), { type: OpCode.delete, path: "/a" });
  new DataView(unknown.buffer, unknown.byteOffset).setInt32(28, 77);
  assert.throws(() => decodeTxn(unknown), /unknown type 77/);
  const w = new JuteWriter(64);
  const h = header(OpCode.multi);
  w.long(h.sessionId).int(h.cxid).long(h.zxid).long(h.time).int(h.type).int(1).int(OpCode.multi).int(4).int(0);
  assert.throws(() => decodeTxn(w.bytes().slice()), /cannot be part of a multi/);
});

test("fuzz: mutated and random bytes decode or fail with JuteError, never anything else", () => {
  const random = new SeededRandom(20240607);
  const samples = TXNS.map((t) => encodeTxn(header(t.type), t, { version: 2, treeDigest: 3n }).slice());
  for (let round = 0; round < 20_000; round++) {
    let input: Uint8Array;
    if (round % 4 === 0) {
      input = new Uint8Array(random.int(80)).map(() => random.int(256));
    } else {
      input = random.pick(samples).slice();
      for (let flips = 1 + random.int(4); flips > 0; flips--) input[random.int(input.length)] = random.int(256);
    }
    try {
      decodeTxn(input);
    } catch (error) {
      assert.ok(error instanceof JuteError, `round ${round}: ${String(error)}`);
    }
  }
});

test("prep only builds txns whose records say the same: the opcode, not the flags, picks the owner", () => {
  const tree = new DataTree({ extendedTypesEnabled: true });
  const ctx = { tree, outstanding: new OutstandingChanges(), extendedTypesEnabled: true, checkSession: () => {} };
  const request = (type: number, path: string, flags: number, ttl?: bigint) => {
    const w = new JuteWriter(64);
    w.ustring(path).buffer(null);
    writeAcls(w, ACL_A);
    w.int(flags);
    if (ttl !== undefined) w.long(ttl);
    return { sessionId: SESSION, cxid: 1, type, body: new JuteReader(w.bytes().slice()), authIds: [] };
  };
  const cases: [ReturnType<typeof request>, number, bigint | null][] = [
    // ZooKeeper logs a CreateTxn for a plain create with the container flag: an ordinary node.
    [request(OpCode.create, "/plain", 4), OpCode.create, 0n],
    [request(OpCode.createContainer, "/container", 0), OpCode.createContainer, CONTAINER_OWNER],
    [request(OpCode.create2, "/eph", 1), OpCode.create2, SESSION],
    [request(OpCode.createTTL, "/ttl", 5, 1000n), OpCode.createTTL, ttlOwner(1000n)],
    // ZooKeeper 3.9 logs a CreateTTLTxn it then cannot apply; Paddock refuses the request.
    [request(OpCode.createTTL, "/no-ttl-mode", 0, -1n), OpCode.error, null],
  ];
  let zxid = 1n;
  for (const [req, type, owner] of cases) {
    const prepared = prepWrite(ctx, req, zxid++, 5n);
    assert.ok(!("malformed" in prepared));
    assert.equal(prepared.txn.type, type);
    if (owner !== null) assert.equal((prepared.txn as { ephemeralOwner: bigint }).ephemeralOwner, owner);
    else assert.deepEqual(prepared.txn, { type: OpCode.error, err: -8 });
    assert.deepEqual(decodeTxn(encodeTxn(prepared.header, prepared.txn)), { header: prepared.header, txn: prepared.txn });
  }
});
