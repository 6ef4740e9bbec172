// Quorum packets on their own: every learner-protocol packet round-trips through the streaming
// parser (whole, byte by byte, random chunks), a SNAP's snapshot sits between packets, payload
// readers give back what builders put in, and garbage, cut or oversized input is a WireError.
// tests/zk_quorum_oracle.test.ts exchanges these packets with a real ZooKeeper 3.9.3 follower.
import assert from "node:assert/strict";
import { test } from "node:test";
import { OpCode } from "../core/proto/mod.ts";
import { DataTree } from "../core/tree/data_tree.ts";
import { encodeTxn } from "../core/txn/txn_codec.ts";
import {
  ackEpochPacket,
  bareQuorumPacket,
  commitAndActivatePacket,
  epochOf,
  informAndActivatePacket,
  learnerInfoPacket,
  leaderInfoPacket,
  makeZxid,
  newLeaderPacket,
  pingReplyPacket,
  readAckEpoch,
  readActivation,
  readLeaderInfo,
  readLearnerInfo,
  readPingTouches,
  readRequest,
  readRevalidate,
  readRevalidateAnswer,
  requestPacket,
  revalidateAnswerPacket,
  revalidatePacket,
  txnPacket,
  ZAB_PROTOCOL_VERSION,
} from "../core/zab/wire/learner_packets.ts";
import { encodeQuorumPacket, PacketType, packetTypeName, type QuorumPacket, QuorumPacketParser } from "../core/zab/wire/quorum_packet.ts";
import { WireError, WireErrorCode } from "../core/zab/wire/wire_error.ts";
import { encodeZkSnapshot, ZkSnapshotDecoder } from "../core/zab/wire/zk_snapshot.ts";
import { SeededRandom } from "./support/seeded_random.ts";
import { concatBytes } from "./support/bytes.ts";

const TXN = encodeTxn(
  { sessionId: 5n, cxid: 1, zxid: makeZxid(3n, 9n), time: 7n, type: OpCode.setData },
  { type: OpCode.setData, path: "/a", data: new Uint8Array([1]), version: 2 },
  { version: 2, treeDigest: 123n },
).slice();
const CONFIG = new TextEncoder().encode("server.1=127.0.0.1:2888:3888:participant\nversion=0");

/** One packet of every type, built as ZooKeeper builds it. */
const PACKETS: QuorumPacket[] = [
  requestPacket({ sessionId: 0x100n, cxid: 3, type: OpCode.create, request: new Uint8Array([1, 2, 3]), authinfo: [{ scheme: "ip", id: "127.0.0.1" }, { scheme: "digest", id: "u" }] }),
  requestPacket({ sessionId: 0x100n, cxid: 4, type: OpCode.sync, request: new Uint8Array(0), authinfo: [] }),
  txnPacket(PacketType.PROPOSAL, makeZxid(3n, 9n), TXN),
  bareQuorumPacket(PacketType.ACK, makeZxid(3n, 9n)),
  bareQuorumPacket(PacketType.COMMIT, makeZxid(3n, 9n)),
  bareQuorumPacket(PacketType.PING, makeZxid(3n, 9n)),
  pingReplyPacket(makeZxid(3n, 9n), [{ sessionId: 0x100n, timeoutMs: 4000 }, { sessionId: -2n, timeoutMs: 30000 }]),
  pingReplyPacket(0n, []),
  revalidatePacket(0x100n, 4000),
  revalidateAnswerPacket(0x100n, true),
  bareQuorumPacket(PacketType.SYNC, 0n),
  txnPacket(PacketType.INFORM, makeZxid(3n, 9n), TXN),
  commitAndActivatePacket(makeZxid(3n, 9n), 2n),
  newLeaderPacket(4n, CONFIG),
  newLeaderPacket(4n, null),
  learnerInfoPacket({ serverId: 2n, protocolVersion: ZAB_PROTOCOL_VERSION, configVersion: 0x100000000n, acceptedEpoch: 3n }),
  bareQuorumPacket(PacketType.UPTODATE, -1n),
  bareQuorumPacket(PacketType.DIFF, makeZxid(3n, 9n)),
  bareQuorumPacket(PacketType.TRUNC, makeZxid(3n, 1n)),
  learnerInfoPacket({ serverId: 9n, protocolVersion: ZAB_PROTOCOL_VERSION, configVersion: 0n, acceptedEpoch: 0n, observer: true }),
  leaderInfoPacket(4n),
  ackEpochPacket(3, makeZxid(3n, 9n)),
  informAndActivatePacket(makeZxid(3n, 9n), 1n, TXN),
];

function parseAll(bytes: Uint8Array, chunkSize: () => number, parser = new QuorumPacketParser()): QuorumPacket[] {
  const out: QuorumPacket[] = [];
  for (let at = 0; at < bytes.length;) {
    const end = Math.min(bytes.length, at + chunkSize());
    parser.push(bytes.subarray(at, end));
    at = end;
    for (let p = parser.next(); p !== null; p = parser.next()) out.push(p);
  }
  assert.equal(parser.pendingBytes, 0);
  return out;
}


test("every packet type has ZooKeeper's number and name, and the list covers them all", () => {
  assert.deepEqual(Object.values(PacketType).sort((a, b) => a - b), Array.from({ length: 19 }, (_, i) => i + 1));
  assert.deepEqual(new Set(PACKETS.map((p) => p.type)), new Set(Object.values(PacketType).filter((t) => t !== PacketType.SNAP)));
  assert.equal(packetTypeName(PacketType.INFORMANDACTIVATE), "INFORMANDACTIVATE");
  assert.equal(packetTypeName(99), "UNKNOWN");
});

test("the record layout: int type, long zxid, buffer data (-1 null), vector<Id> authinfo (-1 null)", () => {
  const bytes = encodeQuorumPacket({ type: PacketType.ACK, zxid: 0x100000002n, data: null, authinfo: null });
  assert.deepEqual([...bytes], [0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 255, 255, 255, 255, 255, 255, 255, 255]);
  const withAuth = encodeQuorumPacket({ type: 1, zxid: -1n, data: new Uint8Array([7]), authinfo: [{ scheme: "a", id: "b" }] });
  assert.deepEqual([...withAuth.subarray(12)], [0, 0, 0, 1, 7, 0, 0, 0, 1, 0, 0, 0, 1, 97, 0, 0, 0, 1, 98]);
});

test("all packets round-trip through the parser, whole, byte by byte and in random chunks", () => {
  const stream = concatBytes(PACKETS.map(encodeQuorumPacket));
  assert.deepEqual(parseAll(stream, () => stream.length), PACKETS);
  assert.deepEqual(parseAll(stream, () => 1), PACKETS);
  const random = new SeededRandom(42);
  for (let round = 0; round < 20; round++) assert.deepEqual(parseAll(stream, () => 1 + random.int(40)), PACKETS, `round ${round}`);
});

test("payload readers give back what the builders put in", () => {
  assert.deepEqual(readLearnerInfo(PACKETS[15]!), { acceptedEpoch: 3n, serverId: 2n, protocolVersion: 0x10000, configVersion: 0x100000000n });
  // Old learners send less: only what is there is read; no data, no server id.
  assert.deepEqual(readLearnerInfo({ ...PACKETS[15]!, data: PACKETS[15]!.data!.subarray(0, 8) }), { acceptedEpoch: 3n, serverId: 2n });
  assert.deepEqual(readLearnerInfo({ ...PACKETS[15]!, data: null }), { acceptedEpoch: 3n });
  assert.deepEqual(readLeaderInfo(leaderInfoPacket(4n)), { newEpoch: 4n, protocolVersion: 0x10000 });
  assert.deepEqual(readAckEpoch(ackEpochPacket(-1, 0x300000009n)), { currentEpoch: -1, lastZxid: 0x300000009n });
  assert.deepEqual(readPingTouches(PACKETS[6]!), [{ sessionId: 0x100n, timeoutMs: 4000 }, { sessionId: -2n, timeoutMs: 30000 }]);
  assert.deepEqual(readPingTouches(PACKETS[5]!), []);
  assert.deepEqual(readRevalidate(PACKETS[8]!), { sessionId: 0x100n, timeoutMs: 4000 });
  assert.deepEqual(readRevalidateAnswer(PACKETS[9]!), { sessionId: 0x100n, valid: true });
  assert.deepEqual(readRevalidateAnswer(revalidateAnswerPacket(7n, false)), { sessionId: 7n, valid: false });
  const request = readRequest(PACKETS[0]!);
  assert.deepEqual({ ...request, request: [...request.request] }, { sessionId: 0x100n, cxid: 3, type: OpCode.create, request: [1, 2, 3], authinfo: PACKETS[0]!.authinfo });
  assert.deepEqual(readActivation(PACKETS[12]!), { designatedLeader: 2n, txn: new Uint8Array(0) });
  assert.deepEqual([...readActivation(PACKETS[22]!).txn], [...TXN]);
  assert.equal(epochOf(makeZxid(7n, 0xffffffffn)), 7n);
  assert.throws(() => readPingTouches({ ...PACKETS[6]!, data: new Uint8Array(13) }), (e: unknown) => e instanceof WireError && e.code === WireErrorCode.malformed);
  assert.throws(() => readLeaderInfo({ ...PACKETS[20]!, data: null }), WireError);
  assert.throws(() => readRequest({ ...PACKETS[0]!, data: new Uint8Array(15) }), WireError);
});

test("a SNAP's snapshot sits between packets: SNAP, the snapshot, NEWLEADER, UPTODATE, in any chunking", () => {
  const leaderTree = new DataTree();
  leaderTree.createNode("/from-leader", { data: new Uint8Array([1, 2]), acl: [{ perms: 31, id: { scheme: "world", id: "anyone" } }], ephemeralOwner: 0n, parentCVersion: 1, zxid: 5n, time: 6n });
  const stream = concatBytes([
    encodeQuorumPacket(bareQuorumPacket(PacketType.SNAP, 5n)),
    ...encodeZkSnapshot(leaderTree, [{ sessionId: 9n, timeoutMs: 4000 }], { chunkBytes: 64 }),
    encodeQuorumPacket(newLeaderPacket(1n, CONFIG)),
    encodeQuorumPacket(bareQuorumPacket(PacketType.UPTODATE, -1n)),
  ]);
  const random = new SeededRandom(8);
  for (const sizes of [() => stream.length, () => 1, () => 1 + random.int(30)]) {
    const parser = new QuorumPacketParser();
    const tree = new DataTree();
    let snapshot: ZkSnapshotDecoder | undefined;
    const types: number[] = [];
    for (let at = 0; at < stream.length;) {
      const end = Math.min(stream.length, at + sizes());
      parser.push(stream.subarray(at, end));
      at = end;
      for (let p = parser.next(); p !== null; p = parser.next()) {
        types.push(p.type);
        if (p.type !== PacketType.SNAP) continue;
        assert.throws(() => parser.next(), /receiveSnapshot/);
        snapshot = new ZkSnapshotDecoder(tree);
        parser.receiveSnapshot(snapshot);
      }
    }
    assert.deepEqual(types, [PacketType.SNAP, PacketType.NEWLEADER, PacketType.UPTODATE]);
    assert.equal(snapshot?.done, true);
    assert.equal(parser.inSnapshot, false);
    assert.deepEqual([...tree.getNode("/from-leader")!.data], [1, 2]);
    assert.equal(tree.digest, leaderTree.digest);
    assert.deepEqual(snapshot!.sessions, [{ sessionId: 9n, timeoutMs: 4000 }]);
  }
});

test("oversized data, a huge authinfo count and garbage are WireErrors before anything big is buffered", () => {
  const big = encodeQuorumPacket({ type: 1, zxid: 0n, data: new Uint8Array(2000), authinfo: null });
  const small = new QuorumPacketParser({ maxDataBytes: 1000 });
  small.push(big.subarray(0, 20));
  assert.throws(() => small.next(), (e: unknown) => e instanceof WireError && e.code === WireErrorCode.tooLarge);
  const count = new QuorumPacketParser();
  count.push(new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 0x7f, 0, 0, 0]));
  assert.throws(() => count.next(), /authinfo count/);
  const negative = new QuorumPacketParser();
  negative.push(new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0]));
  assert.throws(() => negative.next(), (e: unknown) => e instanceof WireError && e.code === WireErrorCode.tooLarge);
});

test("fuzz: random and mutated streams yield packets or a WireError; a cut stream waits, never hangs", () => {
  const stream = concatBytes(PACKETS.map(encodeQuorumPacket));
  const random = new SeededRandom(1234);
  for (let round = 0; round < 2000; round++) {
    const input = round % 3 === 0 ? new Uint8Array(random.int(200)).map(() => random.int(256)) : stream.slice(0, random.int(stream.length + 1));
    if (round % 3 === 2) for (let f = 0; f < 3; f++) input[random.int(Math.max(1, input.length))] = random.int(256);
    const parser = new QuorumPacketParser({ maxDataBytes: 4096 });
    try {
      parser.push(input);
      // Every call consumes a packet or returns null: bounded by the input size.
      for (let guard = 0; parser.next() !== null; guard++) assert.ok(guard < input.length);
    } catch (error) {
      assert.ok(error instanceof WireError || (error instanceof Error && /receiveSnapshot/.test(error.message)), `round ${round}: ${String(error)}`);
    }
  }
});
