import { type Disk, type DiskFile, joinPath, OpenMode } from "../io/disk.ts";
import { TEMP_SUFFIX } from "./file_names.ts";

/** What {@link replaceFile} writes, and where. */
export interface FileReplacement {
  readonly disk: Disk;
  /** The directory (fsynced after the rename) and the name of the file that gets the new contents. */
  readonly dir: string;
  readonly name: string;
  /** Writes the contents into the temp file (`<name>.tmp`), from offset 0. */
  readonly write: (file: DiskFile) => Promise<void>;
  /** When false, skip the fsyncs (tests and benchmarks only): the rename stays atomic, not durable. */
  readonly forceSync: boolean;
}

/**
 * Replaces a file so that a crash at any point leaves either the old file or the whole new one:
 * the contents go to `<path>.tmp`, which is fsynced, renamed over `path`, and the directory is
 * fsynced so the rename itself survives. (ZooKeeper's AtomicFileOutputStream does the first three,
 * but not the directory fsync, so a crash can undo a rename it already relied on.)
 * @example await replaceFile({ disk, dir: "/data", name: "currentEpoch", forceSync: true, write: (f) => f.write(bytes, 0) })
 */
export async function replaceFile(replacement: FileReplacement): Promise<void> {
  const { disk, dir, forceSync } = replacement;
  const path = joinPath(dir, replacement.name);
  const tempPath = path + TEMP_SUFFIX;
  const file = await disk.open(tempPath, OpenMode.create);
  try {
    await replacement.write(file);
    if (forceSync) await file.sync();
  } catch (error) {
    await file.close().catch(() => {});
    // A failed write leaves no half file behind (a crash's is removed at the next start).
    await disk.unlink(tempPath).catch(() => {});
    throw error;
  }
  await file.close();
  await disk.rename(tempPath, path);
  if (forceSync) await disk.syncDir(dir);
}
