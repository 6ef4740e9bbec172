import * as fs from "node:fs";
import { type Disk, type DiskFile, OpenMode, type OpenOptions } from "./disk.ts";

/**
 * The Disk on real files, through node:fs (which Node, Deno and Bun all provide).
 * Uses the callback API on raw descriptors: it is measurably cheaper per call than
 * fs/promises FileHandle, and the txn log makes one write and one fdatasync per batch.
 */
export function nodeDisk(): Disk {
  return {
    open: openFile,
    list: (dir) => call<string[]>((cb) => fs.readdir(dir, cb)),
    mkdir: (dir) => call<string | undefined>((cb) => fs.mkdir(dir, { recursive: true }, cb)).then(() => {}),
    rename: (from, to) => call<void>((cb) => fs.rename(from, to, (e) => cb(e))),
    unlink: (path) => call<void>((cb) => fs.unlink(path, (e) => cb(e))),
    syncDir,
  };
}

/** Largest single write handed to the OS: some runtimes reject writes over 2 GiB. */
const WRITE_CHUNK_BYTES = 256 * 1024 * 1024;

const FLAGS: Record<OpenMode, number> = {
  [OpenMode.read]: fs.constants.O_RDONLY,
  [OpenMode.readWrite]: fs.constants.O_RDWR,
  [OpenMode.create]: fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC,
};

async function openFile(path: string, mode: OpenMode, options: OpenOptions = {}): Promise<DiskFile> {
  // O_DSYNC where the platform has it: the write and its fdatasync are one system call, so a
  // group commit costs one trip to the thread pool, not two.
  const dsync = options.syncWrites === true && typeof fs.constants.O_DSYNC === "number" && mode !== OpenMode.read;
  const flags = FLAGS[mode] | (dsync ? fs.constants.O_DSYNC : 0);
  const fd = await call<number>((cb) => fs.open(path, flags, 0o644, cb));
  return new NodeFile(path, fd, dsync);
}

async function syncDir(dir: string): Promise<void> {
  const fd = await call<number>((cb) => fs.open(dir, "r", cb));
  try {
    await call<void>((cb) => fs.fsync(fd, (e) => cb(e)));
  } catch (error) {
    // Some platforms (Windows) cannot fsync a directory; rename there is already durable enough.
    if (!isCode(error, "EISDIR") && !isCode(error, "EPERM") && !isCode(error, "EINVAL")) throw error;
  } finally {
    await call<void>((cb) => fs.close(fd, (e) => cb(e)));
  }
}

class NodeFile implements DiskFile {
  readonly path: string;
  readonly syncsWrites: boolean;
  readonly #fd: number;

  constructor(path: string, fd: number, syncsWrites: boolean) {
    this.path = path;
    this.#fd = fd;
    this.syncsWrites = syncsWrites;
  }

  read(into: Uint8Array, position: number): Promise<number> {
    return call<number>((cb) => fs.read(this.#fd, into, 0, into.length, position, cb));
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    // Bounded: every round writes at least one byte (a zero-byte write would be an OS bug).
    while (done < data.length) {
      const length = Math.min(data.length - done, WRITE_CHUNK_BYTES);
      const n = await call<number>((cb) => fs.write(this.#fd, data, done, length, position + done, cb));
      if (n <= 0) throw new Error(`disk: write to ${this.path} made no progress`);
      done += n;
    }
  }

  sync(): Promise<void> {
    return call<void>((cb) => fs.fdatasync(this.#fd, (e) => cb(e)));
  }

  truncate(sizeBytes: number): Promise<void> {
    return call<void>((cb) => fs.ftruncate(this.#fd, sizeBytes, (e) => cb(e)));
  }

  async size(): Promise<number> {
    const stat = await call<fs.Stats>((cb) => fs.fstat(this.#fd, cb));
    return stat.size;
  }

  close(): Promise<void> {
    return call<void>((cb) => fs.close(this.#fd, (e) => cb(e)));
  }
}

type Callback<T> = (error: NodeJS.ErrnoException | null, value: T) => void;

function call<T>(start: (cb: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((error, value) => (error ? reject(error) : resolve(value)));
  });
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}
