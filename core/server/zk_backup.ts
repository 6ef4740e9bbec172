/**
 * The AdminServer's backups in ZooKeeper's own snapshot file format (FileSnap: what 3.9's
 * `snapshot` command streams and its `restore` command reads), so that a backup moves between
 * ZooKeeper and Paddock in both directions: a ZooKeeper ensemble's snapshot restores into a Paddock
 * server and the other way round. `restore` also still takes Paddock's own snapshot encoding
 * (snapshot_codec.ts), which backups taken by earlier Paddock versions hold.
 */
import { SNAP_MAGIC } from "../zab/wire/zk_file_header.ts";
import { decodeZkSnapshotFile, encodeZkSnapshotFile } from "../zab/wire/zk_snapshot_file.ts";
import type { DataTree } from "../tree/data_tree.ts";
import { DIGEST_VERSION } from "../tree/tree_digest.ts";
import { imageSource, type TreeImage } from "../tree/tree_image.ts";
import type { SessionSink } from "./snapshot_codec.ts";

/** FileSnap's dbId: always -1. */
const FILE_SNAP_DBID = -1n;
/** Chunks encoded between two yields to the event loop (64 KiB each). */
const CHUNKS_PER_TURN = 16;

/** Whether `bytes` start as a ZooKeeper snapshot file ("ZKSN"), as opposed to Paddock's encoding. */
export function isZkSnapshotFile(bytes: Uint8Array): boolean {
  if (bytes.length < SNAP_MAGIC.length) return false;
  for (let i = 0; i < SNAP_MAGIC.length; i++) if (bytes[i] !== SNAP_MAGIC.charCodeAt(i)) return false;
  return true;
}

/**
 * Encodes a frozen image as a ZooKeeper 3.9 snapshot file, letting other work run every few
 * chunks. `digest` is the tree's digest at the image's zxid (an image does not carry it: read it
 * in the same turn as the capture).
 *
 * @example const { image, release } = captureSnapshot(tree, sessions); const digest = tree.digest;
 */
export async function encodeZkBackup(image: TreeImage, digest: bigint, yieldToIo: () => Promise<void>): Promise<Uint8Array> {
  const zxidDigest = image.digestEnabled && image.zxid !== 0n
    ? { zxid: image.zxid, digestVersion: DIGEST_VERSION, digest }
    : { zxid: 0n, digestVersion: DIGEST_VERSION, digest: 0n }; // "no digest yet": ZooKeeper compares none
  const chunks: Uint8Array[] = [];
  let length = 0;
  let sinceYield = 0;
  for (const chunk of encodeZkSnapshotFile(imageSource(image), image.sessions, { dbid: FILE_SNAP_DBID, zxidDigest })) {
    chunks.push(chunk);
    length += chunk.length;
    if (++sinceYield === CHUNKS_PER_TURN) {
      sinceYield = 0;
      await yieldToIo();
    }
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** What a loaded ZooKeeper snapshot said about itself. */
export interface ZkBackupLoaded {
  /** The zxid the snapshot is at (its lastProcessedZxid, else its digest's zxid, else 0). */
  zxid: bigint;
  /** The digest the file recorded for that zxid and the one the loaded tree has, when they differ. */
  digestMismatch: { recorded: bigint; loaded: bigint } | null;
}

/**
 * Loads a ZooKeeper snapshot file into an empty tree and session sink, checking every seal
 * (throws WireError on a bad one). A digest that differs from the loaded tree's is reported, not
 * refused: ZooKeeper's snapshots are fuzzy, and its own restore logs the difference and goes on.
 */
export function decodeZkBackup(bytes: Uint8Array, tree: DataTree, sessions: SessionSink, nowMs: number): ZkBackupLoaded {
  const file = decodeZkSnapshotFile(bytes, tree, "ZooKeeper snapshot");
  const zxid = file.lastProcessedZxid ?? file.zxidDigest?.zxid ?? 0n;
  tree.lastProcessedZxid = zxid;
  for (const session of file.sessions) sessions.add(session.sessionId, session.timeoutMs, nowMs);
  const recorded = file.zxidDigest;
  const loaded = BigInt.asIntN(64, tree.digest);
  const digestMismatch = recorded !== undefined && recorded.zxid === zxid && zxid !== 0n && tree.digestEnabled && BigInt.asIntN(64, recorded.digest) !== loaded
    ? { recorded: BigInt.asIntN(64, recorded.digest), loaded }
    : null;
  return { zxid, digestMismatch };
}
