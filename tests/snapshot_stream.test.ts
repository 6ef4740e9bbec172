// Recovery streams a snapshot file into the tree through one reused window (core/storage/
// snapshot_files.ts streamSnapshotFile, core/server/snapshot_codec.ts SnapshotDecoder): windows
// of any size build the tree a whole read builds, and damage found only by the checksum at the end
// throws the half-built tree away, on real files.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { nodeDisk } from "../core/io/node_disk.ts";
import { OpCode } from "../core/proto/mod.ts";
import { decodeSnapshot, encodeSnapshot, SnapshotDecoder } from "../core/server/snapshot_codec.ts";
import { SessionTracker } from "../core/session/session_tracker.ts";
import { readSnapshotFile, streamSnapshotFile, writeSnapshotFile } from "../core/storage/snapshot_files.ts";
import type { SnapshotSink } from "../core/storage/txn_log.ts";
import { DataTree, TreeInconsistency } from "../core/tree/data_tree.ts";
import { applyTxn } from "../core/txn/apply_txn.ts";
import { OPEN, SESSIONS, sampleTree } from "./support/sample_tree.ts";
import { tempDir } from "./support/storage_fixture.ts";

const ZXID = 0x500000007n;
/** Bigger than the smallest windows below: a record that does not fit makes the window grow. */
const BIG_DATA_BYTES = 300_000;

/** The sample tree plus one node whose data is longer than most windows, and its sessions. */
function treeAndSessions(): { tree: DataTree; sessions: SessionTracker } {
  const tree = sampleTree(600);
  const zxid = tree.lastProcessedZxid + 1n;
  applyTxn(tree, { sessionId: 0n, cxid: 0, zxid, time: 9000n, type: OpCode.create }, {
    type: OpCode.create, path: "/big", data: new Uint8Array(BIG_DATA_BYTES).map((_, i) => i), acl: OPEN, ephemeralOwner: 0n, parentCVersion: tree.getNode("/")!.cversion + 1,
  });
  const sessions = new SessionTracker({ tickMs: 2000, serverId: 1, nowMs: 0 });
  for (const s of SESSIONS) sessions.add(s.sessionId, s.timeoutMs, 0);
  return { tree, sessions };
}

/** Writes `data` as snapshot.<ZXID> in a new temp dir; returns the dir and the file's path. */
async function snapshotFile(data: Uint8Array): Promise<{ dir: { path: string; remove: () => void }; file: string }> {
  const dir = tempDir("snapstream");
  await writeSnapshotFile({ disk: nodeDisk(), dataDir: dir.path, zxid: ZXID, data, dbid: 1n, forceSync: false });
  return { dir, file: path.join(dir.path, fs.readdirSync(dir.path).find((n) => n.startsWith("snapshot."))!) };
}

/** A loader that decodes into a fresh tree per snapshot, and notes which ones finished. */
function treeLoader() {
  const built: { tree: DataTree; sessions: SessionTracker; finished: boolean }[] = [];
  const loader = (dataBytes: number): SnapshotSink => {
    const entry = { tree: new DataTree({ extendedTypesEnabled: true }), sessions: new SessionTracker({ tickMs: 2000, serverId: 1, nowMs: 0 }), finished: false };
    built.push(entry);
    const decoder = new SnapshotDecoder(entry.tree, entry.sessions, 0, dataBytes);
    return { feed: (window, final) => decoder.feed(window, final), finish: () => (decoder.finish(), (entry.finished = true)) };
  };
  return { built, loader };
}

/** Where the data part starts in a snapshot file (file header 16, zxid 8, length 8). */
const DATA_AT = 32;

test("a snapshot streamed through windows of any size builds exactly the tree a whole read builds", async () => {
  const { tree, sessions } = treeAndSessions();
  const data = encodeSnapshot(tree, sessions);
  const { dir, file } = await snapshotFile(data);
  try {
    const whole = await readSnapshotFile(nodeDisk(), file, ZXID);
    assert.ok(whole.ok);
    assert.deepEqual(whole.data, data);
    // 61 bytes: every record and the header straddle windows; 4 KiB and 64 KiB: the big node does not fit.
    for (const windowBytes of [61, 4096, 65_536, 4 * 1024 * 1024]) {
      const { built, loader } = treeLoader();
      const streamed = await streamSnapshotFile(nodeDisk(), file, ZXID, loader, windowBytes);
      assert.deepEqual(streamed, { ok: true }, `window ${windowBytes}`);
      assert.equal(built.length, 1);
      const loaded = built[0]!;
      assert.ok(loaded.finished);
      // Encoding what was loaded gives back the very bytes on disk: every node, field, ACL and session.
      assert.deepEqual(encodeSnapshot(loaded.tree, loaded.sessions), data, `window ${windowBytes}: re-encoded`);
      assert.equal(loaded.tree.digest, tree.digest);
      assert.equal(loaded.tree.approximateDataSize, tree.approximateDataSize);
      assert.equal(loaded.tree.getNode("/big")!.data.length, BIG_DATA_BYTES);
    }
  } finally {
    dir.remove();
  }
});

/**
 * Writes the sample snapshot, flips one byte of its file (`at`: an offset in the data, found from
 * the data), streams it through `windowBytes`: the stream's verdict, and whether the sink finished.
 */
async function streamWithFlippedByte(at: (data: Uint8Array) => number, mask: number, windowBytes: number): Promise<{ streamed: unknown; sinks: number; finished: boolean }> {
  const { tree, sessions } = treeAndSessions();
  const data = encodeSnapshot(tree, sessions);
  const { dir, file } = await snapshotFile(data);
  try {
    const bytes = fs.readFileSync(file);
    bytes[DATA_AT + at(data)] ^= mask;
    fs.writeFileSync(file, bytes);
    const { built, loader } = treeLoader();
    const streamed = await streamSnapshotFile(nodeDisk(), file, ZXID, loader, windowBytes);
    return { streamed, sinks: built.length, finished: built.some((b) => b.finished) };
  } finally {
    dir.remove();
  }
}

test("a byte flipped in a node's data: the stream reports a checksum mismatch and the half-built tree is never finished", async () => {
  // Inside /big's data, which decodes fine whatever it holds.
  const run = await streamWithFlippedByte((data) => findBytes(data, new Uint8Array([10, 11, 12, 13, 14, 15, 16, 17])), 0xff, 65_536);
  assert.deepEqual(run, { streamed: { ok: false, reason: "checksum mismatch" }, sinks: 1, finished: false });
});

test("a flipped byte the decoder trips on is reported as damage, since the checksum fails too", async () => {
  // The node count's first byte: far more nodes than the snapshot can hold.
  const run = await streamWithFlippedByte(nodeCountOffset, 0x40, 4096);
  assert.deepEqual(run, { streamed: { ok: false, reason: "checksum mismatch" }, sinks: 1, finished: false });
});

test("content that is wrong under a good checksum is an error, not damage to skip", async () => {
  const { tree, sessions } = treeAndSessions();
  const data = encodeSnapshot(tree, sessions);
  // The second record (the root's first child) names itself as its parent.
  const second = DATA_AT + nodeCountOffset(data) + 4 + rootRecordBytes(data);
  const bad = data.slice();
  new DataView(bad.buffer).setInt32(second - DATA_AT, 1);
  const { dir, file } = await snapshotFile(bad);
  try {
    const { built, loader } = treeLoader();
    await assert.rejects(streamSnapshotFile(nodeDisk(), file, ZXID, loader, 4096), (error: unknown) => error instanceof TreeInconsistency && /node 1 names parent 1/.test(error.message));
    assert.equal(built[0]!.finished, false);
    // A whole read decodes to the same verdict.
    assert.throws(() => decodeSnapshot(bad, new DataTree(), { add: () => undefined }, 0), TreeInconsistency);
  } finally {
    dir.remove();
  }
});

/** Offset of `needle` in `haystack`. */
function findBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let k = 0; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return i;
  }
  throw new Error("not found");
}

/** Where the node count sits in a version 2 snapshot's data (after version, zxid, flags, sessions, ACL lists). */
function nodeCountOffset(data: Uint8Array): number {
  const tree = new DataTree({ extendedTypesEnabled: true });
  const decoder = new SnapshotDecoder(tree, { add: () => undefined }, 0, data.length);
  // Fed only the header and the node count, the decoder takes exactly the header; the count is its last int.
  for (let end = 8; end <= data.length; end++) {
    const used = decoder.feed(data.subarray(0, end), false);
    if (used > 0) return used - 4;
  }
  throw new Error("no header");
}

/** The root record's length: parent, name length (0), data length, data, and the 72 fixed bytes. */
function rootRecordBytes(data: Uint8Array): number {
  const view = new DataView(data.buffer, data.byteOffset);
  const at = nodeCountOffset(data) + 4;
  return 12 + Math.max(0, view.getInt32(at + 8)) + 72;
}
