import { type Disk, type DiskFile, dirOf, OpenMode, type OpenOptions } from "./disk.ts";

/**
 * An in-memory Disk that knows what has been made durable, so a test or the deterministic
 * simulator can crash it: every write, truncate, create, rename and unlink since the last
 * `sync`/`syncDir` is lost, or the last unsynced write of one file is torn at a chosen byte.
 * Directories themselves are durable as soon as `mkdir` returns (a simplification: storage
 * creates them once, before anything else).
 */
export interface MemoryDiskOptions {
  /** Awaited by every `sync`, e.g. to make fsync slow so group commit has something to batch. */
  readonly syncDelay?: () => Promise<void>;
}

/** What {@link MemoryDisk.crash} keeps of unsynced writes. */
export interface CrashOptions {
  /**
   * Tear the last unsynced write of this file: its first `keepBytes` bytes reach "disk", and the
   * file's earlier unsynced writes survive whole. Every other file loses all unsynced changes.
   */
  readonly tear?: { readonly path: string; readonly keepBytes: number };
}

/** One change since the last sync, with what it overwrote, so a crash can undo it. */
interface Undo {
  readonly kind: "write" | "truncate";
  readonly offset: number;
  readonly length: number;
  readonly old: Uint8Array;
  readonly oldSize: number;
}

class Inode {
  data = new Uint8Array(0);
  size = 0;
  undo: Undo[] = [];

  /** Keeps the invariant that bytes past `size` are zero, so growing reads as zeros. */
  reserve(capacity: number): void {
    if (capacity <= this.data.length) return;
    const grown = new Uint8Array(Math.max(capacity, this.data.length * 2));
    grown.set(this.data.subarray(0, this.size));
    this.data = grown;
  }

  setSize(sizeBytes: number): void {
    if (sizeBytes < this.size) this.data.fill(0, sizeBytes, this.size);
    this.reserve(sizeBytes);
    this.size = sizeBytes;
  }

  write(bytes: Uint8Array, offset: number): void {
    const end = offset + bytes.length;
    const old = this.data.slice(offset, Math.min(end, this.size));
    this.undo.push({ kind: "write", offset, length: bytes.length, old, oldSize: this.size });
    if (end > this.size) this.setSize(end);
    this.data.set(bytes, offset);
  }

  truncate(sizeBytes: number): void {
    const old = this.data.slice(sizeBytes, this.size);
    this.undo.push({ kind: "truncate", offset: sizeBytes, length: 0, old, oldSize: this.size });
    this.setSize(sizeBytes);
  }

  revert(entry: Undo): void {
    this.setSize(entry.oldSize);
    this.data.set(entry.old, entry.offset);
  }

  /** Undoes unsynced changes newest first; `keep` of them (the oldest) stay. */
  revertUnsynced(keep: number): void {
    let count = this.undo.length - keep;
    // Bounded by the undo log length.
    while (count > 0) {
      this.revert(this.undo.pop()!);
      count -= 1;
    }
  }
}

/** The in-memory Disk: see {@link MemoryDiskOptions} and {@link CrashOptions}. */
export class MemoryDisk implements Disk {
  readonly #options: MemoryDiskOptions;
  /** Current directory entries: dir -> name -> inode. */
  #entries = new Map<string, Map<string, Inode>>();
  /** Directory entries as they were at each dir's last syncDir. */
  #durableEntries = new Map<string, Map<string, Inode>>();
  /** Bumped by crash(): handles opened before a crash stop working, as after a real reboot. */
  #generation = 0;
  #syncs = 0;

  constructor(options: MemoryDiskOptions = {}) {
    this.#options = options;
  }

  /** How many file syncs have run (all files). */
  get syncCount(): number {
    return this.#syncs;
  }

  open(path: string, mode: OpenMode, options: OpenOptions = {}): Promise<DiskFile> {
    const entries = this.#dir(dirOf(path));
    const name = baseOf(path);
    let inode = entries.get(name);
    if (inode === undefined) {
      if (mode !== OpenMode.create) return Promise.reject(notFound(path));
      inode = new Inode();
      entries.set(name, inode);
    } else if (mode === OpenMode.create) {
      inode.truncate(0);
    }
    return Promise.resolve(new MemoryFile(this, path, inode, this.#generation, options.syncWrites === true));
  }

  list(dir: string): Promise<string[]> {
    const entries = this.#entries.get(dir);
    if (entries === undefined) return Promise.reject(notFound(dir));
    return Promise.resolve([...entries.keys()]);
  }

  mkdir(dir: string): Promise<void> {
    if (!this.#entries.has(dir)) {
      this.#entries.set(dir, new Map());
      this.#durableEntries.set(dir, new Map());
    }
    return Promise.resolve();
  }

  rename(from: string, to: string): Promise<void> {
    const source = this.#dir(dirOf(from));
    const inode = source.get(baseOf(from));
    if (inode === undefined) return Promise.reject(notFound(from));
    source.delete(baseOf(from));
    this.#dir(dirOf(to)).set(baseOf(to), inode);
    return Promise.resolve();
  }

  unlink(path: string): Promise<void> {
    if (!this.#dir(dirOf(path)).delete(baseOf(path))) return Promise.reject(notFound(path));
    return Promise.resolve();
  }

  syncDir(dir: string): Promise<void> {
    this.#durableEntries.set(dir, new Map(this.#dir(dir)));
    return Promise.resolve();
  }

  /** Loses everything not made durable (see {@link CrashOptions}); open handles become invalid. */
  crash(options: CrashOptions = {}): void {
    const torn = options.tear === undefined ? undefined : this.#inode(options.tear.path);
    for (const entries of this.#entries.values()) {
      for (const inode of entries.values()) {
        if (inode !== torn) inode.revertUnsynced(0);
      }
    }
    if (torn !== undefined && options.tear !== undefined) tearLast(torn, options.tear.keepBytes);
    this.#entries = new Map([...this.#durableEntries].map(([dir, m]) => [dir, new Map(m)]));
    for (const entries of this.#entries.values()) {
      for (const inode of entries.values()) inode.undo = [];
    }
    this.#generation += 1;
  }

  /** A copy of a file's current bytes (test helper). */
  bytesOf(path: string): Uint8Array {
    const inode = this.#inode(path);
    return inode.data.slice(0, inode.size);
  }

  /** Overwrites bytes in place and durably, as bit rot would (test helper). */
  poke(path: string, offset: number, bytes: Uint8Array): void {
    const inode = this.#inode(path);
    assert(offset + bytes.length <= inode.size, "poke past end of file");
    inode.data.set(bytes, offset);
  }

  /** Length of the last unsynced write to `path` (0 if none): the range a tear can cut. */
  lastUnsyncedWriteBytes(path: string): number {
    const undo = this.#inode(path).undo;
    const last = undo[undo.length - 1];
    return last !== undefined && last.kind === "write" ? last.length : 0;
  }

  /** @internal Used by MemoryFile to refuse work after a crash. */
  checkGeneration(generation: number, path: string): void {
    if (generation !== this.#generation) throw new Error(`memory disk: ${path} was opened before a crash`);
  }

  /** @internal */
  async noteSync(inode: Inode): Promise<void> {
    if (this.#options.syncDelay !== undefined) await this.#options.syncDelay();
    inode.undo = [];
    this.#syncs += 1;
  }

  #dir(dir: string): Map<string, Inode> {
    const entries = this.#entries.get(dir);
    if (entries === undefined) throw notFound(dir);
    return entries;
  }

  #inode(path: string): Inode {
    const inode = this.#entries.get(dirOf(path))?.get(baseOf(path));
    if (inode === undefined) throw notFound(path);
    return inode;
  }
}

/** Keeps all but the last unsynced change, then the first `keepBytes` of the last write. */
function tearLast(inode: Inode, keepBytes: number): void {
  const last = inode.undo[inode.undo.length - 1];
  if (last === undefined || last.kind !== "write") return;
  assert(keepBytes >= 0 && keepBytes <= last.length, "tear keepBytes outside the last write");
  const kept = inode.data.slice(last.offset, last.offset + keepBytes);
  inode.revertUnsynced(inode.undo.length - 1);
  if (keepBytes === 0) return;
  if (last.offset + keepBytes > inode.size) inode.setSize(last.offset + keepBytes);
  inode.data.set(kept, last.offset);
}

class MemoryFile implements DiskFile {
  readonly path: string;
  readonly syncsWrites: boolean;
  readonly #disk: MemoryDisk;
  readonly #inode: Inode;
  readonly #generation: number;

  constructor(disk: MemoryDisk, path: string, inode: Inode, generation: number, syncsWrites: boolean) {
    this.#disk = disk;
    this.path = path;
    this.#inode = inode;
    this.#generation = generation;
    this.syncsWrites = syncsWrites;
  }

  // async, so that use after a crash rejects like a failed syscall instead of throwing.
  async read(into: Uint8Array, position: number): Promise<number> {
    this.#check();
    const end = Math.min(this.#inode.size, position + into.length);
    if (end <= position) return 0;
    into.set(this.#inode.data.subarray(position, end));
    return end - position;
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    this.#check();
    this.#inode.write(data, position);
    // O_DSYNC: durable once it resolves; a crash before then loses or tears it, as a real one can.
    if (this.syncsWrites) await this.#disk.noteSync(this.#inode);
  }

  async sync(): Promise<void> {
    this.#check();
    await this.#disk.noteSync(this.#inode);
  }

  async truncate(sizeBytes: number): Promise<void> {
    this.#check();
    this.#inode.truncate(sizeBytes);
  }

  async size(): Promise<number> {
    this.#check();
    return this.#inode.size;
  }

  async close(): Promise<void> {}

  #check(): void {
    this.#disk.checkGeneration(this.#generation, this.path);
  }
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function notFound(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, '${path}'`), { code: "ENOENT" });
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`memory disk: ${message}`);
}
