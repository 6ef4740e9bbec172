import { joinPath } from "../io/disk.ts";
import { fileName, INSTALL_PREFIX, LOG_PREFIX, SNAPSHOT_PREFIX, TEMP_SUFFIX, TRUNCATE_PREFIX, zxidFiles } from "./file_names.ts";
import { readSnapshotFile, writeSnapshotFile } from "./snapshot_files.ts";
import { StorageError, StorageErrorCode } from "./storage_error.ts";
import type { SnapshotStream } from "./txn_log.ts";
import type { RewriteContext } from "./truncate_log.ts";

/**
 * Replaces the whole history with one snapshot (a learner told SNAP), crash-safe at every step:
 *
 * 1. the snapshot is written as `install.<zxid>` (temp file, fsync, rename, directory fsync).
 *    Before the rename is durable, recovery ignores it: the old state stands.
 * 2. Once it is, the install is decided: every `snapshot.*` and `log.*` goes (older and newer
 *    alike: any of them could belong to another history), then `install.<zxid>` is renamed to
 *    `snapshot.<zxid>`. Recovery redoes this step whenever it finds `install.<zxid>`.
 *
 * Nothing is moved aside: the leader holds the authoritative history, and a member that keeps
 * flapping between SNAPs must not fill its disk. Keeping nothing of the old history is what makes
 * ZOOKEEPER-2832 impossible: an uncommitted txn of an abandoned history stays in ZooKeeper's log
 * through a sync and is replayed later; here no record survives the snapshot that replaces it.
 */
export async function installSnapshotFiles(context: RewriteContext, zxid: bigint, data: Uint8Array | SnapshotStream): Promise<void> {
  const name = fileName(INSTALL_PREFIX, zxid);
  await writeSnapshotFile({ disk: context.disk, dataDir: context.dataDir, zxid, data, dbid: 0n, forceSync: context.forceSync, name });
  await completeInstall(context, zxid);
  context.log(`installed snapshot 0x${zxid.toString(16)} (${data.length} bytes) in place of the previous history`);
}

/**
 * Finishes an install a crash interrupted (recovery, before anything is read): drops an install
 * whose snapshot never became durable, completes one whose snapshot did.
 */
export async function finishInstalls(context: RewriteContext): Promise<void> {
  const { disk, dataDir } = context;
  const names = await disk.list(dataDir);
  for (const name of names.filter((n) => n.startsWith(INSTALL_PREFIX) && n.endsWith(TEMP_SUFFIX))) {
    await disk.unlink(joinPath(dataDir, name));
    context.log(`removed ${name}: a snapshot install that a crash interrupted before it was decided`);
  }
  const installs = zxidFiles(INSTALL_PREFIX, names);
  // Only one install can be decided at a time (the next waits for this one); older ones are moot.
  const newest = installs.pop();
  if (newest === undefined) return;
  for (const older of installs) await disk.unlink(joinPath(dataDir, older.name));
  const read = await readSnapshotFile(disk, joinPath(dataDir, newest.name), newest.zxid);
  if (!read.ok) {
    throw new StorageError(StorageErrorCode.corruptSnapshot, `${joinPath(dataDir, newest.name)} was being installed but ${read.reason}; the history it replaces may be partly gone: restore this member from a healthy one (or empty its dataDir so it gets a snapshot)`);
  }
  await completeInstall(context, newest.zxid);
  context.log(`finished installing snapshot 0x${newest.zxid.toString(16)} that a crash interrupted`);
}

/** Step 2: every other snapshot, segment and truncation intent goes; then the snapshot takes its name. */
async function completeInstall(context: RewriteContext, zxid: bigint): Promise<void> {
  const { disk, dataDir, dataLogDir, forceSync } = context;
  const snapshotNames = (await disk.list(dataDir)).filter((n) => n.startsWith(SNAPSHOT_PREFIX) || n.startsWith(TRUNCATE_PREFIX));
  for (const name of snapshotNames) await disk.unlink(joinPath(dataDir, name));
  for (const segment of zxidFiles(LOG_PREFIX, await disk.list(dataLogDir))) await disk.unlink(joinPath(dataLogDir, segment.name));
  // The removals must be durable before the rename: once install.<zxid> is gone, nothing tells
  // recovery that a surviving old snapshot or segment belongs to the replaced history.
  if (forceSync) {
    await disk.syncDir(dataLogDir);
    await disk.syncDir(dataDir);
  }
  await disk.rename(joinPath(dataDir, fileName(INSTALL_PREFIX, zxid)), joinPath(dataDir, fileName(SNAPSHOT_PREFIX, zxid)));
  if (forceSync) await disk.syncDir(dataDir);
}
