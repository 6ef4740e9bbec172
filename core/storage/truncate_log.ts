import { type Disk, joinPath, OpenMode } from "../io/disk.ts";
import { fileName, lastIndexAtOrBefore, LOG_PREFIX, TRUNCATE_PREFIX, zxidFiles, type ZxidFile } from "./file_names.ts";
import { scanSegment } from "./log_scan.ts";
import { openSegment } from "./record_cursor.ts";
import { listSnapshots } from "./snapshot_files.ts";

/** Above every zxid: a scan asked to keep txns after it keeps none. */
const NO_ZXID_ABOVE = 1n << 64n;

/** Where a history rewrite works and how it reports. */
export interface RewriteContext {
  readonly disk: Disk;
  readonly dataDir: string;
  readonly dataLogDir: string;
  /** When false, skip fsyncs (tests and benchmarks only: then nothing here is crash-safe). */
  readonly forceSync: boolean;
  readonly log: (message: string) => void;
}

/** What truncating after a zxid removes and what it keeps. */
export interface TruncationPlan {
  readonly zxid: bigint;
  /** Snapshots after `zxid`: they include txns that go. */
  readonly snapshots: readonly ZxidFile[];
  /** Segments that hold only txns after `zxid` (or no txn at all), newest first. */
  readonly segments: readonly ZxidFile[];
  /** The segment whose tail goes, and the offset just past its last record <= zxid. */
  readonly cut: { readonly file: ZxidFile; readonly offset: number } | null;
  /** The newest snapshot at or before `zxid`, which recovery will start from. */
  readonly baseSnapshot: ZxidFile | null;
  /** The newest zxid kept, in the log or the base snapshot (0n when nothing is). */
  readonly keptZxid: bigint;
}

/**
 * Works out a truncation from what is on disk. Cuts only at a record boundary the cursor
 * verified, just past the last record <= zxid (ZOOKEEPER-1156: a miscounted byte position once
 * made ZooKeeper cut committed txns). Reads one segment window at a time.
 */
export async function planTruncation(context: RewriteContext, zxid: bigint): Promise<TruncationPlan> {
  const { disk, dataLogDir } = context;
  const allSnapshots = await listSnapshots(disk, context.dataDir);
  const baseIndex = lastIndexAtOrBefore(allSnapshots, zxid);
  const segments = zxidFiles(LOG_PREFIX, await disk.list(dataLogDir));
  const doomed = segments.slice(lastIndexAtOrBefore(segments, zxid) + 1).reverse();
  let cut: TruncationPlan["cut"] = null;
  let keptLogZxid: bigint | null = null;
  // Bounded by the number of segments: walks back until a segment holds a record <= zxid.
  for (let i = segments.length - doomed.length - 1; i >= 0 && keptLogZxid === null; i -= 1) {
    const end = await lastRecordAtOrBefore(disk, joinPath(dataLogDir, segments[i]!.name), segments[i]!, zxid);
    if (end === null) {
      doomed.push(segments[i]!);
      continue;
    }
    keptLogZxid = end.zxid;
    if (end.offset < end.size) cut = { file: segments[i]!, offset: end.offset };
  }
  const baseSnapshot = allSnapshots[baseIndex] ?? null;
  const keptZxid = maxOf(keptLogZxid ?? 0n, baseSnapshot?.zxid ?? 0n);
  return { zxid, snapshots: allSnapshots.slice(baseIndex + 1).reverse(), segments: doomed, cut, baseSnapshot, keptZxid };
}

/**
 * Why a truncation must not happen, or null. When a snapshot after `zxid` exists and none at or
 * before it, the state at `zxid` cannot be rebuilt from what would stay. ZooKeeper 3.9 truncates
 * the log anyway and keeps the newer snapshot, so after its reload (and any restart) the member
 * silently holds the txns it was told to drop. Paddock refuses: the member should get a snapshot.
 */
export function truncationRefusal(zxid: bigint, oldestNewerSnapshot: bigint | null, baseSnapshot: bigint | null): string | null {
  if (oldestNewerSnapshot === null || baseSnapshot !== null) return null;
  return `cannot truncate after 0x${zxid.toString(16)}: the oldest snapshot kept is at 0x${oldestNewerSnapshot.toString(16)}, ` +
    `newer than that, and the log before it is gone; this member needs a snapshot from the leader`;
}

/** True when the plan removes nothing. */
export function isEmptyPlan(plan: TruncationPlan): boolean {
  return plan.snapshots.length === 0 && plan.segments.length === 0 && plan.cut === null;
}

/**
 * Carries out a plan so that a crash at any point leaves the state before or after it. The intent
 * file `truncate.<zxid>` is made durable first; from then on recovery redoes the (idempotent)
 * plan before reading anything, so a crash between two deletions never leaves a shorter history
 * than the one asked for, nor a gap that hides later segments.
 */
export async function truncateWithIntent(context: RewriteContext, plan: TruncationPlan): Promise<void> {
  if (isEmptyPlan(plan)) return;
  const intent = joinPath(context.dataDir, fileName(TRUNCATE_PREFIX, plan.zxid));
  await (await context.disk.open(intent, OpenMode.create)).close();
  if (context.forceSync) await context.disk.syncDir(context.dataDir);
  await executeTruncation(context, plan);
  await context.disk.unlink(intent);
  if (context.forceSync) await context.disk.syncDir(context.dataDir);
  context.log(`truncated the log after 0x${plan.zxid.toString(16)}: removed ${plan.segments.length} segment(s), ` +
    `${plan.snapshots.length} snapshot(s)${plan.cut === null ? "" : `, and the tail of ${plan.cut.file.name} from offset ${plan.cut.offset}`}`);
}

/** Redoes every truncation a crash interrupted (recovery, before anything is read). */
export async function finishTruncations(context: RewriteContext): Promise<void> {
  const intents = zxidFiles(TRUNCATE_PREFIX, await context.disk.list(context.dataDir));
  for (const intent of intents) {
    await executeTruncation(context, await planTruncation(context, intent.zxid));
    await context.disk.unlink(joinPath(context.dataDir, intent.name));
    if (context.forceSync) await context.disk.syncDir(context.dataDir);
    context.log(`finished the truncation after 0x${intent.zxid.toString(16)} that a crash interrupted`);
  }
}

async function executeTruncation(context: RewriteContext, plan: TruncationPlan): Promise<void> {
  const { disk, dataDir, dataLogDir, forceSync } = context;
  for (const snapshot of plan.snapshots) await disk.unlink(joinPath(dataDir, snapshot.name));
  if (forceSync && plan.snapshots.length > 0) await disk.syncDir(dataDir);
  for (const segment of plan.segments) await disk.unlink(joinPath(dataLogDir, segment.name));
  if (plan.cut !== null) {
    const file = await disk.open(joinPath(dataLogDir, plan.cut.file.name), OpenMode.readWrite);
    try {
      await file.truncate(plan.cut.offset);
      if (forceSync) await file.sync();
    } finally {
      await file.close();
    }
  }
  if (forceSync && plan.segments.length > 0) await disk.syncDir(dataLogDir);
}

/**
 * The last record <= zxid of a segment: its zxid, the offset just past it and the file size; null
 * if none. When the records end before one > zxid turns up and bytes follow, recovery's scan
 * judges them: zeros or a torn tail are cut with the rest, but a damaged record with valid ones
 * after it throws, rather than cut committed txns away unseen.
 */
async function lastRecordAtOrBefore(disk: Disk, path: string, file: ZxidFile, zxid: bigint): Promise<{ zxid: bigint; offset: number; size: number } | null> {
  const segment = await openSegment(disk, path);
  let found: { zxid: bigint; offset: number } | null = null;
  let more = false;
  let size = 0;
  try {
    // Bounded: each round moves the cursor past one record.
    while ((more = await segment.cursor.next()) && segment.cursor.zxid <= zxid) found = { zxid: segment.cursor.zxid, offset: segment.cursor.offset };
    size = await segment.file.size();
  } finally {
    await segment.file.close();
  }
  if (!more && segment.cursor.offset < size) await scanSegment(disk, path, file, NO_ZXID_ABOVE);
  return found === null ? null : { ...found, size };
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
