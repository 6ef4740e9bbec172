// The off-heap tree (core/tree/node_store.ts and friends) against a plain model: random creates,
// deletes, setData and setACL keep every node's fields, data, children and order right while
// slots and arena regions are reused and compacted; an image captured mid-way still encodes the
// tree as it was at the capture however the tree moves on; snapshots round-trip (version 2) and
// a version 1 file written before the change still loads; a worker thread encodes the same bytes.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ACL } from "../core/proto/records.ts";
import { IDLE_WORKER_MS, workerSnapshotEncoder } from "../core/io/worker_snapshot_encoder.ts";
import { decodeSnapshot, encodeSnapshotSlices, finishSlices, SNAPSHOT_CHUNK_BYTES } from "../core/server/snapshot_codec.ts";
import { slicedSnapshotEncoder, withFallback } from "../core/server/snapshot_encoder.ts";
import { SessionTracker } from "../core/session/session_tracker.ts";
import { crc32c } from "../core/storage/crc32c.ts";
import { DataTree, NO_SLOT, OPEN_ACL } from "../core/tree/data_tree.ts";
import { captureImage } from "../core/tree/tree_image.ts";
import { NULL_DATA } from "../core/tree/znode.ts";
import { MemoryDisk } from "../core/io/memory_disk.ts";
import { SeededRandom } from "./support/seeded_random.ts";
import { openStore } from "./support/storage_fixture.ts";
import { concatBytes } from "./support/bytes.ts";

const ACLS: readonly (readonly ACL[])[] = [
  [{ perms: 31, id: { scheme: "world", id: "anyone" } }],
  [{ perms: 1, id: { scheme: "world", id: "anyone" } }],
  [{ perms: 31, id: { scheme: "digest", id: "u:p=" } }, { perms: 1, id: { scheme: "ip", id: "10.0.0.0/8" } }],
];

interface ModelNode {
  data: Uint8Array;
  acl: readonly ACL[];
  version: number;
  aversion: number;
  owner: bigint;
  children: string[];
}

/** The tree the random operations should have built, in the simplest form. */
class Model {
  readonly nodes = new Map<string, ModelNode>();

  constructor(tree: DataTree) {
    for (const [path, node] of tree.nodes) {
      this.nodes.set(path, { data: node.data.slice(), acl: node.acl, version: node.version, aversion: node.aversion, owner: node.ephemeralOwner, children: [...node.children] });
    }
  }

  copy(): Map<string, ModelNode> {
    return new Map([...this.nodes].map(([p, n]) => [p, { ...n, children: [...n.children] }]));
  }
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === 0 ? "/" : path.slice(0, slash);
}

/** Checks every node of `tree` against `expected`: fields, data (null apart from empty), children in order. */
function assertTreeIs(tree: DataTree, expected: Map<string, ModelNode>, what: string): void {
  assert.equal(tree.nodeCount, expected.size, `${what}: node count`);
  for (const [path, want] of expected) {
    const slot = tree.find(path);
    assert.notEqual(slot, NO_SLOT, `${what}: ${path} is there`);
    const got = tree.getNode(path)!;
    assert.deepEqual([...got.data], [...want.data], `${what}: ${path} data`);
    assert.equal(got.data === NULL_DATA, want.data === NULL_DATA, `${what}: ${path} null data stays null`);
    assert.deepEqual(got.acl, want.acl, `${what}: ${path} acl`);
    assert.equal(got.version, want.version, `${what}: ${path} version`);
    assert.equal(got.aversion, want.aversion, `${what}: ${path} aversion`);
    assert.equal(got.ephemeralOwner, want.owner, `${what}: ${path} owner`);
    assert.deepEqual([...got.children], want.children, `${what}: ${path} children in creation order`);
    assert.equal(tree.pathOf(slot), path, `${what}: ${path} path from its slot`);
  }
}

/** Random operations on tree and model alike; returns the next zxid. */
function churn(tree: DataTree, model: Model, random: SeededRandom, steps: number, zxid: bigint): bigint {
  const names = ["a", "b", "c", "dé", "e-日本", "f".repeat(40), "0000000001"];
  for (let step = 0; step < steps; step++) {
    const paths = [...model.nodes.keys()].filter((p) => !p.startsWith("/zookeeper"));
    const path = random.pick(paths);
    const node = model.nodes.get(path)!;
    const data = random.chance(0.1) ? NULL_DATA : new Uint8Array(random.int(random.chance(0.05) ? 5000 : 120)).fill(step & 0xff);
    const roll = random.next();
    if (roll < 0.45 && node.owner === 0n) {
      const child = `${path === "/" ? "" : path}/${random.pick(names)}${random.int(30)}`;
      if (model.nodes.has(child)) continue;
      const acl = random.pick(ACLS);
      const owner = random.chance(0.2) ? 0x100000000000000n + BigInt(random.int(5)) : 0n;
      tree.createNode(child, { data, acl, ephemeralOwner: owner, parentCVersion: 0, zxid, time: 1_700_000_000_000n + zxid });
      model.nodes.set(child, { data, acl, version: 0, aversion: 0, owner, children: [] });
      node.children.push(child.slice(child.lastIndexOf("/") + 1));
    } else if (roll < 0.7 && path !== "/" && node.children.length === 0) {
      tree.deleteNode(path, zxid);
      model.nodes.delete(path);
      const parent = model.nodes.get(parentOf(path))!;
      parent.children.splice(parent.children.indexOf(path.slice(path.lastIndexOf("/") + 1)), 1);
    } else if (roll < 0.92) {
      tree.setData(path, data, node.version + 1, zxid, 1_700_000_000_000n + zxid);
      node.data = data;
      node.version++;
    } else {
      const acl = random.pick(ACLS);
      tree.setACL(path, acl, node.aversion + 1);
      node.acl = acl;
      node.aversion++;
    }
    tree.lastProcessedZxid = zxid;
    zxid++;
  }
  return zxid;
}

test("random changes keep every node, its data, ACL, owner and children in order, with slots and regions reused and compacted", () => {
  // Small chunks: regions move to new chunks constantly, and compaction runs many times.
  const tree = new DataTree({ arena: { chunkBytes: 4096, compactGarbageMinBytes: 16 * 1024 } });
  const model = new Model(tree);
  const random = new SeededRandom(7);
  let zxid = 0x100000001n;
  for (let round = 0; round < 20; round++) {
    zxid = churn(tree, model, random, 400, zxid);
    assertTreeIs(tree, model.nodes, `round ${round}`);
  }
  const arena = tree.store.arena;
  assert.ok(arena.totalBytes < Math.max(4 * arena.liveBytes, 64 * 1024), `garbage is reclaimed: ${arena.totalBytes} bytes held for ${arena.liveBytes} live`);
  assert.ok(tree.store.highWater < 3 * tree.nodeCount + 100, `slots are reused: ${tree.store.highWater} for ${tree.nodeCount} nodes`);
});

test("a create of a name the parent already has is refused and changes nothing, ASCII or not; a parent is found right after a sibling", () => {
  const tree = new DataTree({});
  const fields = (zxid: bigint) => ({ data: new Uint8Array([1, 2, 3]), acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: 0, zxid, time: 1_700_000_000_000n });
  tree.createNode("/app", fields(1n));
  for (const name of ["plain", "dé-日本", "0000000001"]) tree.createNode(`/app/${name}`, fields(2n));
  const before = { count: tree.nodeCount, digest: tree.digest, children: [...tree.getNode("/app")!.children] };
  for (const name of ["plain", "dé-日本", "0000000001"]) {
    assert.throws(() => tree.createNode(`/app/${name}`, fields(3n)), { name: "TreeInconsistency" }, name);
  }
  assert.deepEqual({ count: tree.nodeCount, digest: tree.digest, children: [...tree.getNode("/app")!.children] }, before);
  // find caches the parent of the last path it walked; the parent's own path must come back right,
  // also once that parent is deleted and its slot taken by another node.
  assert.notEqual(tree.find("/app/plain"), NO_SLOT);
  assert.equal(tree.pathOf(tree.find("/app")), "/app");
  tree.createNode("/other", fields(4n));
  tree.createNode("/other/x", fields(4n));
  assert.equal(tree.find("/other/y"), NO_SLOT);
  tree.deleteNode("/other/x", 5n);
  tree.deleteNode("/other", 5n);
  tree.createNode("/third", fields(6n));
  assert.equal(tree.find("/other"), NO_SLOT);
  assert.equal(tree.pathOf(tree.find("/third")), "/third");
  assert.equal(tree.find("/other/x"), NO_SLOT);
});

test("an image captured mid-way encodes the tree as it was at the capture, however the tree moves on", () => {
  const tree = new DataTree({ extendedTypesEnabled: true, arena: { chunkBytes: 4096, compactGarbageMinBytes: 16 * 1024 } });
  const model = new Model(tree);
  const random = new SeededRandom(99);
  let zxid = churn(tree, model, random, 1500, 0x100000001n);
  const sessions = new SessionTracker({ tickMs: 2000, serverId: 1, nowMs: 0 });
  sessions.add(0x100000000000001n, 30_000, 0);
  const expected = model.copy();
  const digest = tree.digest;
  const captured = captureImage(tree, [{ sessionId: 0x100000000000001n, timeoutMs: 30_000 }]);
  // Every kind of change after the capture, slot reuse and compaction included.
  zxid = churn(tree, model, random, 3000, zxid);
  const bytes = finishSlices(encodeSnapshotSlices(captured.image));
  captured.release();
  const loaded = new DataTree({ extendedTypesEnabled: true });
  const loadedSessions = new SessionTracker({ tickMs: 2000, serverId: 1, nowMs: 0 });
  decodeSnapshot(bytes, loaded, loadedSessions, 0);
  assertTreeIs(loaded, expected, "loaded image");
  assert.equal(loaded.digest, digest, "the digest at the capture");
  assert.deepEqual([...loadedSessions.all()].map((s) => [s.sessionId, s.timeoutMs]), [[0x100000000000001n, 30_000]]);
  assert.deepEqual(loaded.ephemeralsOf(0x100000000000001n).sort(), [...expected].filter(([, n]) => n.owner === 0x100000000000001n).map(([p]) => p).sort());
  // The live tree is still right, and encodes and loads as itself.
  assertTreeIs(tree, model.nodes, "live tree");
  const again = new DataTree({ extendedTypesEnabled: true });
  decodeSnapshot(finishSlices(encodeSnapshotSlices(captureImage(tree, []).image)), again, new SessionTracker({ tickMs: 2000, serverId: 1, nowMs: 0 }), 0);
  assertTreeIs(again, model.nodes, "live tree loaded");
  assert.equal(again.digest, tree.digest);
  assert.equal(again.approximateDataSize, tree.approximateDataSize, "approximate data size (paths in UTF-16 units)");
  assert.ok(tree.store.pages.copiedPages > 0, "pages the image held were copied, not written");
  assert.ok(zxid > 0n);
});

test("a snapshot written by Paddock before the off-heap tree (format 1) still loads", () => {
  // Written by the previous snapshot codec: /app ("v2", version 1), /app/e (null data, a digest
  // ACL, an ephemeral), /app/ü (empty data), one session.
  const v1 = Uint8Array.from(V1_SNAPSHOT_HEX.match(/../g)!.map((h) => Number.parseInt(h, 16)));
  const tree = new DataTree();
  const sessions = new SessionTracker({ tickMs: 2000, serverId: 1, nowMs: 0 });
  decodeSnapshot(v1, tree, sessions, 0);
  assert.equal(tree.lastProcessedZxid, 0x100000004n);
  assert.equal(tree.digest, 12567023748n, "the digest the old tree had");
  const app = tree.getNode("/app")!;
  assert.equal(new TextDecoder().decode(app.data), "v2");
  assert.equal(app.version, 1);
  assert.deepEqual([...app.children], ["e", "ü"]);
  const e = tree.getNode("/app/e")!;
  assert.equal(e.data, NULL_DATA);
  assert.equal(e.ephemeralOwner, 0x1234567890abcdefn);
  assert.deepEqual(e.acl, [{ perms: 1, id: { scheme: "digest", id: "u:x" } }]);
  assert.deepEqual(tree.ephemeralsOf(0x1234567890abcdefn), ["/app/e"]);
  assert.equal(tree.getNode("/app/ü")!.data.length, 0);
  assert.notEqual(tree.getNode("/app/ü")!.data, NULL_DATA);
  assert.equal(sessions.get(0x1234567890abcdefn)?.timeoutMs, 30_000);
});

test("a worker thread streams an image as the same bytes, chunk by chunk with their CRC-32C", async () => {
  const tree = new DataTree();
  const model = new Model(tree);
  churn(tree, model, new SeededRandom(5), 2000, 0x100000001n);
  const lines: string[] = [];
  const encoder = workerSnapshotEncoder((line) => lines.push(line));
  assert.ok(encoder !== null, `a worker can run here: ${lines.join("; ")}`);
  try {
    const captured = captureImage(tree, [{ sessionId: 7n, timeoutMs: 4000 }]);
    const inline = finishSlices(encodeSnapshotSlices(captured.image));
    const streamed = await encoder.encode(captured.image);
    assert.equal(streamed.length, inline.length);
    const chunks: Uint8Array[] = [];
    for await (const chunk of streamed.chunks) {
      assert.equal(chunk.crc32c, crc32c(0, chunk.bytes), "each chunk's CRC-32C");
      // A chunk is good until the next is asked for: the worker reuses its buffer.
      chunks.push(chunk.bytes.slice());
    }
    captured.release();
    assert.deepEqual(concatBytes(chunks), inline);
  } finally {
    encoder.close();
  }
});

test("a worker still loading is passed over: the snapshot is encoded on the event loop instead of waiting", async () => {
  const tree = new DataTree();
  churn(tree, new Model(tree), new SeededRandom(9), 300, 0x100000001n);
  const encoder = workerSnapshotEncoder(() => {});
  assert.ok(encoder !== null);
  const lines: string[] = [];
  let usedFallback = 0;
  const sliced = slicedSnapshotEncoder(() => new Promise((resolve) => setTimeout(resolve, 0)));
  const fallback = { encode: (image: Parameters<typeof sliced.encode>[0]) => (usedFallback++, sliced.encode(image)) };
  const both = withFallback(encoder, fallback, (line) => lines.push(line));
  const captured = captureImage(tree, []);
  const inline = finishSlices(encodeSnapshotSlices(captured.image));
  try {
    assert.equal(encoder.ready(), false, "a worker just started has not loaded yet");
    const early = await both.encode(captured.image);
    assert.deepEqual(concatBytes(await collect(early.chunks)), inline);
    assert.equal(usedFallback, 1, "the first snapshot did not wait for the worker");
    // Bounded: a worker loads in well under a minute even on a loaded machine.
    for (let i = 0; i < 600 && !encoder.ready(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(encoder.ready(), "the worker said it is ready");
    const late = await both.encode(captured.image);
    assert.deepEqual(concatBytes(await collect(late.chunks)), inline);
    assert.equal(usedFallback, 1, "once ready, the worker encodes");
    assert.deepEqual(lines, [], "no failure reported");
  } finally {
    captured.release();
    both.close?.();
  }
});

async function collect(chunks: AsyncIterable<{ bytes: Uint8Array }>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of chunks) out.push(chunk.bytes);
  return out;
}

test("the worker reuses a chunk's buffer only after the reader took it, across jobs and after a reader that gave up", async () => {
  // 36 MB of records: nine chunks, more than the ring of buffers the worker reuses holds.
  const tree = new DataTree();
  tree.createNode("/big", { data: new Uint8Array(0), acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: 1, zxid: 1n, time: 1n });
  for (let i = 0; i < 1200; i++) {
    const data = new Uint8Array(30_000).fill(i & 0xff);
    tree.createNode(`/big/n${i}`, { data, acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: i + 1, zxid: BigInt(i + 2), time: 1n });
  }
  tree.lastProcessedZxid = 1201n;
  const encoder = workerSnapshotEncoder(() => {});
  assert.ok(encoder !== null);
  const captured = captureImage(tree, []);
  try {
    const inline = finishSlices(encodeSnapshotSlices(captured.image));
    /** Reads a stream slowly (the worker runs ahead to its credit limit), copying each chunk when it comes. */
    const readSlowly = async (limit = Infinity): Promise<Uint8Array> => {
      const stream = await encoder.encode(captured.image);
      const chunks: Uint8Array[] = [];
      for await (const chunk of stream.chunks) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        chunks.push(chunk.bytes.slice());
        if (chunks.length >= limit) break;
      }
      return concatBytes(chunks);
    };
    /** Where two byte arrays first differ (-1: nowhere): a 36 MB deepEqual would print for minutes. */
    const firstDifference = (a: Uint8Array, b: Uint8Array): number => {
      for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
      return -1;
    };
    const first = await readSlowly();
    assert.ok(first.length > 8 * SNAPSHOT_CHUNK_BYTES, `${first.length} bytes`);
    assert.equal(firstDifference(first, inline), -1, "first job");
    assert.equal(firstDifference(await readSlowly(), inline), -1, "second job, on the same buffers");
    await readSlowly(2);
    assert.equal(firstDifference(await readSlowly(), inline), -1, "after a reader that stopped at its second chunk");
  } finally {
    captured.release();
    encoder.close();
  }
});

test("a worker idle after a snapshot is ended, and the next snapshot starts a new one", async () => {
  const tree = new DataTree();
  const model = new Model(tree);
  churn(tree, model, new SeededRandom(8), 500, 0x100000001n);
  const encoder = workerSnapshotEncoder(() => {});
  assert.ok(encoder !== null);
  const captured = captureImage(tree, []);
  const encode = async () => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of (await encoder.encode(captured.image)).chunks) chunks.push(chunk.bytes.slice());
    return concatBytes(chunks);
  };
  try {
    const inline = finishSlices(encodeSnapshotSlices(captured.image));
    assert.deepEqual(await encode(), inline);
    assert.ok(encoder.running(), "just after a snapshot");
    // Bounded: the idle timer ends the worker after IDLE_WORKER_MS.
    for (let waited = 0; encoder.running() && waited < IDLE_WORKER_MS + 5_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(encoder.running(), false, "ended once idle");
    assert.deepEqual(await encode(), inline, "a new worker encodes the next");
    assert.ok(encoder.running());
  } finally {
    captured.release();
    encoder.close();
  }
});

test("a snapshot of several chunks streams from the worker into a snapshot file that loads as the tree", async () => {
  // Over 4 MiB of records: the worker sends more than one chunk, paced by the store's writes.
  const tree = new DataTree();
  tree.createNode("/big", { data: new Uint8Array(0), acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: 1, zxid: 1n, time: 1n });
  const value = new Uint8Array(100).fill(7);
  for (let i = 0; i < 45_000; i++) {
    tree.createNode(`/big/n${i}`, { data: value, acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: i + 1, zxid: BigInt(i + 2), time: 1n });
  }
  tree.lastProcessedZxid = 45_001n;
  const encoder = workerSnapshotEncoder(() => {});
  assert.ok(encoder !== null);
  const disk = new MemoryDisk();
  const { store } = openStore(disk, "/data");
  await store.recover();
  for (let z = 1n; z <= 45_001n; z += 1n) void store.append({ zxid: z, bytes: new Uint8Array([1]) });
  await store.flush();
  try {
    const captured = captureImage(tree, []);
    const stream = await encoder.encode(captured.image);
    let chunks = 0;
    await store.writeSnapshot(45_001n, { length: stream.length, chunks: (async function* () {
      for await (const chunk of stream.chunks) {
        chunks++;
        yield chunk;
      }
    })() });
    captured.release();
    assert.ok(chunks >= 2, `${chunks} chunk(s)`);
  } finally {
    encoder.close();
    await store.close();
  }
  const recovered = await openStore(disk, "/data").store.recover();
  assert.equal(recovered.snapshotZxid, 45_001n);
  const loaded = new DataTree();
  decodeSnapshot(recovered.snapshot!, loaded, new SessionTracker({ tickMs: 2000, serverId: 1, nowMs: 0 }), 0);
  assert.equal(loaded.nodeCount, tree.nodeCount);
  assert.equal(loaded.digest, tree.digest);
  assert.deepEqual([...loaded.getNode("/big/n44999")!.data], [...value]);
});

test("the system nodes keep ZooKeeper's null-ACL identity apart from an equal list a client sets", () => {
  const tree = new DataTree();
  tree.createNode("/open", { data: new Uint8Array(1), acl: [...OPEN_ACL], ephemeralOwner: 0n, parentCVersion: 1, zxid: 1n, time: 1n });
  assert.equal(tree.aclOf(tree.find("/")), OPEN_ACL);
  assert.notEqual(tree.aclOf(tree.find("/open")), OPEN_ACL);
  assert.deepEqual(tree.aclOf(tree.find("/open")), OPEN_ACL);
});

const V1_SNAPSHOT_HEX =
  "000000010000000100000004000000011234567890abcdef0000753000000005000000010000001f00000005776f726c6400000006616e796f6e6500" +
  "0000010000000100000005776f726c6400000006616e796f6e65000000010000001f00000005776f726c6400000006616e796f6e6500000001000000" +
  "010000000664696765737400000003753a78000000010000001f00000005776f726c6400000006616e796f6e6500000007000000012f000000000000" +
  "000000000000000000000000000000000000000000000000000000000000000000000000000000000001000000000000000000000000000000010000" +
  "0001000000020000000a2f7a6f6f6b656570657200000000000000000000000000000000000000000000000000000000000000000000000000000000" +
  "0000000000000000000000000000000000000000000000000000000000000002000000102f7a6f6f6b65657065722f71756f74610000000000000000" +
  "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
  "00000000000000112f7a6f6f6b65657065722f636f6e6669670000000000000001000000000000000000000000000000000000000000000000000000" +
  "00000000000000000000000000ffffffff0000000000000000000000000000000000000000000000042f617070000000027632000000020000000100" +
  "00000100000001000000040000018bcfe568000000018bcfe56803000000010000000200000000000000000000000000000001000000030000000200" +
  "0000062f6170702f65ffffffff00000003000000010000000200000001000000020000018bcfe568010000018bcfe568010000000000000000000000" +
  "001234567890abcdef000000010000000200000000000000072f6170702fc3bc0000000000000004000000010000000300000001000000030000018b" +
  "cfe568020000018bcfe568020000000000000000000000000000000000000000000000010000000300000000";
