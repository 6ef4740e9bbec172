import { type Disk, joinPath, OpenMode } from "../io/disk.ts";
import { lastIndexAtOrBefore, LOG_PREFIX, zxidFiles } from "./file_names.ts";
import { listSnapshots } from "./snapshot_files.ts";

/** What to purge. */
export interface PurgeOptions {
  readonly disk: Disk;
  readonly dataDir: string;
  /** Where log segments live; defaults to dataDir. */
  readonly dataLogDir?: string;
  /** Snapshots to keep, newest first; at least 1 (ZooKeeper's autopurge insists on 3). */
  readonly snapRetainCount: number;
  readonly log?: (message: string) => void;
}

/** The files a purge removed. */
export interface PurgeResult {
  readonly deletedSnapshots: string[];
  readonly deletedLogs: string[];
}

/**
 * Deletes old snapshots and the log segments no retained snapshot needs: it keeps the newest
 * `snapRetainCount` snapshots, the segment that starts at or before the oldest kept snapshot
 * (it holds the txns right after it) and every later segment. Recovery from any kept snapshot
 * therefore still finds every txn it needs.
 * @example await purge({ disk: nodeDisk(), dataDir: "/var/lib/paddock", snapRetainCount: 3 })
 */
export async function purge(options: PurgeOptions): Promise<PurgeResult> {
  if (!(options.snapRetainCount >= 1)) throw new Error("purge: snapRetainCount must be at least 1");
  const { disk, dataDir } = options;
  const dataLogDir = options.dataLogDir ?? dataDir;
  // What a purge cut short (a crash, a failed step) left under the purging name.
  for (const dir of new Set([dataDir, dataLogDir])) {
    for (const name of await disk.list(dir)) {
      if (name.startsWith(PURGING_PREFIX)) await removeGently(disk, dir, name);
    }
  }
  const snapshots = await listSnapshots(disk, dataDir);
  if (snapshots.length <= options.snapRetainCount) return { deletedSnapshots: [], deletedLogs: [] };
  const keepFrom = snapshots.length - options.snapRetainCount;
  const oldestKeptZxid = snapshots[keepFrom]!.zxid;
  const segments = zxidFiles(LOG_PREFIX, await disk.list(dataLogDir));
  // -1 when every segment starts after it: then every segment is kept.
  const firstNeeded = lastIndexAtOrBefore(segments, oldestKeptZxid);
  const deletedLogs = segments.slice(0, Math.max(0, firstNeeded)).map((s) => s.name);
  const deletedSnapshots = snapshots.slice(0, keepFrom).map((s) => s.name);
  // Snapshots first: a crash in between leaves old segments no snapshot refers to, which are
  // harmless and go at the next purge. The other order could leave a snapshot without its log.
  for (const name of deletedSnapshots) await removeGently(disk, dataDir, name);
  for (const name of deletedLogs) await removeGently(disk, dataLogDir, name);
  options.log?.(`purge: removed ${deletedSnapshots.length} snapshot(s) and ${deletedLogs.length} log segment(s) older than zxid 0x${oldestKeptZxid.toString(16)}`);
  return { deletedSnapshots, deletedLogs };
}

/** The name prefix of a file being deleted: neither a snapshot's nor a log segment's. */
const PURGING_PREFIX = "purging.";

/**
 * The bytes cut off a file being deleted per step. On ext4 mounted with `discard` (common on cloud
 * disks) the blocks a deletion frees are trimmed inside the next journal commit, and the txn log's
 * O_DSYNC writes wait for that commit: unlinking a 200 MB snapshot at once held the log's next write
 * for 40 ms (strace, a million znodes under setData 8 x 16), which every write in flight paid. Cut
 * in 8 MiB steps, each commit carries at most a step's worth.
 */
const PURGE_STEP_BYTES = 8 * 1024 * 1024;

/**
 * Deletes `name` without holding the disk: renamed to a name recovery never reads (so a crash
 * midway leaves no cut snapshot or segment under its own name), shortened a step at a time, then
 * unlinked.
 */
async function removeGently(disk: Disk, dir: string, name: string): Promise<void> {
  let doomed = joinPath(dir, name);
  if (!name.startsWith(PURGING_PREFIX)) {
    const renamed = joinPath(dir, PURGING_PREFIX + name);
    await disk.rename(doomed, renamed);
    doomed = renamed;
  }
  const file = await disk.open(doomed, OpenMode.readWrite);
  try {
    // Bounded: one step per round, the size shrinking each time.
    for (let size = await file.size(); size > PURGE_STEP_BYTES;) {
      size -= PURGE_STEP_BYTES;
      await file.truncate(size);
    }
  } finally {
    await file.close();
  }
  await disk.unlink(doomed);
}
