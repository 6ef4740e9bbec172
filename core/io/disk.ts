/**
 * The one door from core/ to the file system. Storage needs very little: positional reads and
 * writes, fsync, a directory listing and atomic rename. Everything else (records, preallocation,
 * torn-tail detection) lives above this interface, so the same code runs on real files
 * (node_disk.ts) and on the crash-simulating memory disk (memory_disk.ts).
 */

/** How a file is opened. `create` makes the file (or empties an existing one) and opens it read-write. */
export const OpenMode = {
  read: "read",
  readWrite: "readWrite",
  create: "create",
} as const;

/** One of the values of {@link OpenMode}. */
export type OpenMode = (typeof OpenMode)[keyof typeof OpenMode];

/** How a file is opened, besides its mode. */
export interface OpenOptions {
  /**
   * Every write is durable when it resolves, as after write + fdatasync (O_DSYNC): one call per
   * group commit instead of two, which a txn log wants. A disk may ignore it (see
   * {@link DiskFile.syncsWrites}).
   */
  readonly syncWrites?: boolean;
}

/** An open file. Offsets are byte positions; the layer above tracks where it appends. */
export interface DiskFile {
  /** The path the file was opened with. */
  readonly path: string;
  /** True when each write is durable once it resolves (opened with syncWrites, and honoured). */
  readonly syncsWrites?: boolean;
  /** Reads up to `into.length` bytes at `position`; resolves to the count read (0 at end of file). */
  read(into: Uint8Array, position: number): Promise<number>;
  /** Writes all of `data` at `position` (appending is writing at the current size). */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Makes every write so far, and the file size, durable (fdatasync). */
  sync(): Promise<void>;
  /** Sets the size: shrinking drops the tail, growing adds zero bytes (preallocation). */
  truncate(sizeBytes: number): Promise<void>;
  /** The current size in bytes. */
  size(): Promise<number>;
  /** Releases the handle. Does not sync. */
  close(): Promise<void>;
}

/** A file system. Paths use "/" and are joined with {@link joinPath}. */
export interface Disk {
  /** Opens a file; rejects if it does not exist unless `mode` is `create`. */
  open(path: string, mode: OpenMode, options?: OpenOptions): Promise<DiskFile>;
  /** The names (not paths) in a directory, in no particular order. */
  list(dir: string): Promise<string[]>;
  /** Creates a directory and its parents; succeeds if it exists. */
  mkdir(dir: string): Promise<void>;
  /** Atomically replaces `to` with `from`. Durable only after {@link Disk.syncDir}. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file. Durable only after {@link Disk.syncDir}. */
  unlink(path: string): Promise<void>;
  /** Makes creations, renames and unlinks in `dir` durable (fsync of the directory). */
  syncDir(dir: string): Promise<void>;
}

/**
 * Joins a directory and a file name with "/" (core/ does not import node:path).
 * @example joinPath("/var/paddock", "log.0000000000000001") // "/var/paddock/log.0000000000000001"
 */
export function joinPath(dir: string, name: string): string {
  if (dir === "") return name;
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** The directory part of a "/"-separated path ("" for a bare name). */
export function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return "";
  return slash === 0 ? "/" : path.slice(0, slash);
}

/**
 * Reads exactly `into.length` bytes at `position`, looping over short reads.
 * Resolves to the count read, which is less only at end of file.
 */
export async function readFully(file: DiskFile, into: Uint8Array, position: number): Promise<number> {
  let done = 0;
  // Bounded: every round either reads at least one byte or stops.
  while (done < into.length) {
    const n = await file.read(into.subarray(done), position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
