// A learner's snapshot written while a SNAP loads (core/server/snapshot_transcoder.ts): the same
// bytes encodeSnapshot gives for the loaded tree (records across chunk boundaries, records larger
// than a chunk, /zookeeper changed after the load), loading to the same tree and digest; null when
// the tree moved on; installed as a stream on every store and read back after a restart.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeSnapshot, encodeSnapshot, liveSessions } from "../core/server/snapshot_codec.ts";
import { SnapshotTranscoder } from "../core/server/snapshot_transcoder.ts";
import { SessionTracker } from "../core/session/session_tracker.ts";
import type { SnapshotStream } from "../core/storage/txn_log.ts";
import { CONFIG_NODE, DataTree, OPEN_ACL } from "../core/tree/data_tree.ts";
import { encodeZkSnapshot, ZkSnapshotDecoder } from "../core/zab/wire/zk_snapshot.ts";
import { concatBytes } from "./support/bytes.ts";
import { sampleTree, SESSIONS } from "./support/sample_tree.ts";
import { SeededRandom } from "./support/seeded_random.ts";
import { STORE_KINDS } from "./support/store_harness.ts";

const CONFIG_TEXT = "server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\nversion=100000000";

/** A learner's load: the SNAP in random pieces into a fresh tree, then what ZkDatabase.replace does. */
function loadSnap(source: DataTree, chunkBytes: number, seed: number) {
  const bytes = concatBytes(encodeZkSnapshot(source, SESSIONS, { chunkBytes: 4096 }));
  const tree = new DataTree({ extendedTypesEnabled: true });
  const transcoder = new SnapshotTranscoder(tree, chunkBytes);
  const decoder = new ZkSnapshotDecoder(tree, { onNode: (slot) => transcoder.added(slot) });
  const random = new SeededRandom(seed);
  for (let at = 0; at < bytes.length;) {
    const end = Math.min(bytes.length, at + 1 + random.int(3000));
    decoder.push(bytes.subarray(at, end));
    at = end;
  }
  decoder.end();
  tree.lastProcessedZxid = source.lastProcessedZxid;
  const sessions = new SessionTracker({ tickMs: 2000, serverId: 1, nowMs: 0 });
  for (const s of decoder.sessions) sessions.add(s.sessionId, s.timeoutMs, 0);
  // The member's own config replaces the leader's, after the load (ZOOKEEPER-2819).
  tree.setConfigNode(CONFIG_TEXT, 0x100000000n, 1_700_000_000_000n);
  return { tree, sessions, transcoder };
}

async function gather(stream: SnapshotStream): Promise<Uint8Array> {
  const out = new Uint8Array(stream.length);
  let at = 0;
  for await (const chunk of stream.chunks) {
    out.set(chunk.bytes, at);
    at += chunk.bytes.length;
  }
  assert.equal(at, stream.length, "the chunks hold the announced length");
  return out;
}

function reload(bytes: Uint8Array): DataTree {
  const tree = new DataTree({ extendedTypesEnabled: true });
  decodeSnapshot(bytes, tree, { add: () => undefined }, 0);
  return tree;
}

for (const chunkBytes of [64, 4096, 1 << 20]) {
  test(`a SNAP's snapshot written as it loads is encodeSnapshot's bytes for the loaded tree (chunks of ${chunkBytes} B)`, async () => {
    const source = sampleTree(400);
    const { tree, sessions, transcoder } = loadSnap(source, chunkBytes, chunkBytes);
    const stream = transcoder.finish(liveSessions(sessions));
    assert.notEqual(stream, null, "nothing but /zookeeper changed after the load");
    const bytes = await gather(stream!);
    assert.deepEqual(bytes, encodeSnapshot(tree, sessions));
    const loaded = reload(bytes);
    assert.equal(loaded.nodeCount, source.nodeCount);
    assert.equal(loaded.digest, source.digest);
    assert.equal(loaded.lastProcessedZxid, source.lastProcessedZxid);
    assert.equal(new TextDecoder().decode(loaded.getNode(CONFIG_NODE)!.data), CONFIG_TEXT);
    for (const [path, node] of source.nodes) {
      const copy = loaded.getNode(path);
      assert.ok(copy !== undefined, path);
      assert.deepEqual({ ...copy, childrenPeak: 0, data: [...copy.data] }, { ...node, childrenPeak: 0, data: [...node.data], ...(path === CONFIG_NODE ? pick(copy) : {}) }, path);
      assert.equal(copy.childrenPeak, copy.children.size, `${path}: a loaded node's peak is its child count`);
    }
  });
}

/** The fields of /zookeeper/config the member rewrote. */
function pick(node: { data: Uint8Array; mzxid: bigint; mtime: bigint; version: number }) {
  return { data: [...node.data], mzxid: node.mzxid, mtime: node.mtime, version: node.version };
}

test("a tree that gained a node after the load gets no transcoded snapshot (it is encoded instead)", () => {
  const { tree, sessions, transcoder } = loadSnap(sampleTree(50), 4096, 3);
  tree.createNode("/late", { data: new Uint8Array(1), acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: 1, zxid: tree.lastProcessedZxid + 1n, time: 1n });
  assert.equal(transcoder.finish(liveSessions(sessions)), null);
});

for (const kind of STORE_KINDS) {
  test(`${kind.name}: a transcoded snapshot installed as a stream comes back after a restart and loads to the leader's tree`, async () => {
    const harness = await kind.open();
    try {
      const source = sampleTree(200);
      const { sessions, transcoder } = loadSnap(source, 1024, 7);
      const stream = transcoder.finish(liveSessions(sessions))!;
      const zxid = source.lastProcessedZxid;
      await harness.store.installSnapshot(zxid, stream);
      assert.equal(harness.store.lastLoggedZxid(), zxid);
      const recovered = await harness.restart();
      assert.equal(recovered.snapshotZxid, zxid);
      assert.equal(recovered.snapshot?.length, stream.length);
      const loaded = reload(recovered.snapshot!);
      assert.equal(loaded.nodeCount, source.nodeCount);
      assert.equal(loaded.digest, source.digest);
    } finally {
      await harness.cleanup();
    }
  });
}
