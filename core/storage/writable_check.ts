import { type Disk, joinPath, OpenMode } from "../io/disk.ts";
import { StorageError, StorageErrorCode } from "./storage_error.ts";

/** The file the check creates and removes; a crash in between leaves only this harmless name. */
const PROBE_NAME = ".paddock-write-check";

/**
 * Creates a directory if needed and proves it takes a new file (created, written, synced,
 * removed), so a server whose dataDir or dataLogDir exists but is read-only refuses to start
 * instead of failing on its first write. The error names the directory, what it is for, and why.
 *
 * @example await prepareWritableDir(disk, "/var/lib/paddock", "dataDir");
 */
export async function prepareWritableDir(disk: Disk, dir: string, role: string): Promise<void> {
  try {
    await disk.mkdir(dir);
  } catch (error) {
    throw new StorageError(StorageErrorCode.notWritable, `${role} ${dir} cannot be created: ${reason(error)}`, { cause: error });
  }
  const path = joinPath(dir, PROBE_NAME);
  try {
    const file = await disk.open(path, OpenMode.create);
    try {
      await file.write(new Uint8Array([0]), 0);
      await file.sync();
    } finally {
      await file.close();
    }
    await disk.unlink(path);
  } catch (error) {
    throw new StorageError(StorageErrorCode.notWritable, `${role} ${dir} is not writable: ${reason(error)}`, { cause: error });
  }
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" && !message.startsWith(code) ? `${code} ${message}` : message;
}
