import { type Disk, joinPath } from "../io/disk.ts";
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
  for (const name of deletedSnapshots) await disk.unlink(joinPath(dataDir, name));
  for (const name of deletedLogs) await disk.unlink(joinPath(dataLogDir, name));
  options.log?.(`purge: removed ${deletedSnapshots.length} snapshot(s) and ${deletedLogs.length} log segment(s) older than zxid 0x${oldestKeptZxid.toString(16)}`);
  return { deletedSnapshots, deletedLogs };
}
