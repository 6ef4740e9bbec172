import { type Disk, type DiskFile, dirOf, OpenMode } from "../../core/io/disk.ts";
import { MemoryDisk, type MemoryDiskOptions } from "../../core/io/memory_disk.ts";
import type { SeededRandom } from "../support/seeded_random.ts";

/** What a sector fault did to a file, for reports and for the checkers. */
export interface SectorFault {
  readonly path: string;
  /** rot: bytes silently changed on the platter (checksums must notice); unreadable: reads fail with EIO. */
  readonly mode: "rot" | "unreadable";
  readonly offset: number;
  readonly length: number;
}

const SECTOR_BYTES = 512;

/**
 * A simulated machine's disk: the crash-simulating memory disk plus the faults a real disk has.
 *
 * - A full disk (ENOSPC): while `full`, nothing may take new space. Creating a file, a write that
 *   extends a file and a truncate that grows one (preallocation) fail; writes inside a file's
 *   size (its preallocated segment) and everything that frees space still work, as on a file
 *   system whose preallocation really allocates.
 * - Bad sectors: bytes that rot in place (a read returns other bytes than were written, which only
 *   a checksum can tell), or a sector that cannot be read at all (EIO until it is rewritten).
 *
 * Processes see it through a ProcessDisk; it outlives them, as a machine's disk outlives crashes.
 */
export class FaultyDisk implements Disk {
  readonly memory: MemoryDisk;
  /** Whether the disk is out of space now. */
  full = false;
  /** Writes, creates and grows refused with ENOSPC (reported per run). */
  refusals = 0;
  /** Reads that failed on an unreadable sector. */
  readErrors = 0;
  /** path -> unreadable [from, to) ranges; a write over a range makes it readable again (remapped). */
  readonly #unreadable = new Map<string, [number, number][]>();

  constructor(options: MemoryDiskOptions = {}) {
    this.memory = new MemoryDisk(options);
  }

  async open(path: string, mode: OpenMode): Promise<DiskFile> {
    if (mode === OpenMode.create) {
      if (this.full && !(await this.#exists(path))) throw this.#noSpace(`open ${path}`);
      this.#unreadable.delete(path);
    }
    const file = await this.memory.open(path, mode);
    return {
      path: file.path,
      read: (into, position) => this.#read(file, into, position),
      write: (data, position) => this.#write(file, data, position),
      sync: () => file.sync(),
      truncate: (size) => this.#truncate(file, size),
      size: () => file.size(),
      close: () => file.close(),
    };
  }

  list(dir: string): Promise<string[]> {
    return this.memory.list(dir);
  }

  mkdir(dir: string): Promise<void> {
    return this.memory.mkdir(dir);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.memory.rename(from, to);
    const ranges = this.#unreadable.get(from);
    this.#unreadable.delete(from);
    if (ranges === undefined) this.#unreadable.delete(to);
    else this.#unreadable.set(to, ranges);
  }

  async unlink(path: string): Promise<void> {
    await this.memory.unlink(path);
    this.#unreadable.delete(path);
  }

  syncDir(dir: string): Promise<void> {
    return this.memory.syncDir(dir);
  }

  /** The files of `dir` a sector fault can hit (non-empty ones). */
  async files(dir: string): Promise<{ path: string; size: number }[]> {
    const names = await this.memory.list(dir).catch(() => [] as string[]);
    const out: { path: string; size: number }[] = [];
    for (const name of names.sort()) {
      const path = `${dir}/${name}`;
      const size = this.memory.bytesOf(path).length;
      if (size > 0) out.push({ path, size });
    }
    return out;
  }

  /**
   * Damages one sector of `path` (durably: the damage is on the platter). Rot changes bytes where
   * the file holds data (a single flipped bit, or a whole sector of garbage); an unreadable sector
   * fails every read that touches it.
   */
  damage(path: string, mode: SectorFault["mode"], rng: SeededRandom): SectorFault {
    const bytes = this.memory.bytesOf(path);
    const end = Math.max(1, lastNonZero(bytes) + 1);
    const sector = Math.floor(rng.int(end) / SECTOR_BYTES) * SECTOR_BYTES;
    const length = Math.min(SECTOR_BYTES, bytes.length - sector);
    if (mode === "unreadable") {
      const ranges = this.#unreadable.get(path) ?? [];
      ranges.push([sector, sector + length]);
      this.#unreadable.set(path, ranges);
      return { path, mode, offset: sector, length };
    }
    if (rng.chance(0.5)) {
      const at = Math.min(bytes.length - 1, sector + rng.int(length));
      this.memory.poke(path, at, new Uint8Array([bytes[at]! ^ (1 << rng.int(8))]));
      return { path, mode, offset: at, length: 1 };
    }
    const garbage = new Uint8Array(length);
    for (let i = 0; i < length; i++) garbage[i] = rng.int(256);
    this.memory.poke(path, sector, garbage);
    return { path, mode, offset: sector, length };
  }

  /** An operator replaces the disk: every file is gone (the directories stay, empty). */
  async wipe(dirs: readonly string[]): Promise<void> {
    for (const dir of dirs) {
      for (const name of await this.memory.list(dir).catch(() => [] as string[])) await this.memory.unlink(`${dir}/${name}`);
      await this.memory.syncDir(dir);
    }
    this.#unreadable.clear();
  }

  async #exists(path: string): Promise<boolean> {
    const names = await this.memory.list(dirOf(path)).catch(() => [] as string[]);
    return names.includes(path.slice(path.lastIndexOf("/") + 1));
  }

  async #read(file: DiskFile, into: Uint8Array, position: number): Promise<number> {
    const bad = this.#unreadable.get(file.path)?.find(([from, to]) => position < to && position + into.length > from);
    if (bad !== undefined) {
      this.readErrors++;
      throw Object.assign(new Error(`EIO: i/o error, read ${file.path} at ${bad[0]}`), { code: "EIO" });
    }
    return await file.read(into, position);
  }

  async #write(file: DiskFile, data: Uint8Array, position: number): Promise<void> {
    if (this.full && position + data.length > await file.size()) throw this.#noSpace(`write ${file.path}`);
    await file.write(data, position);
    const ranges = this.#unreadable.get(file.path);
    if (ranges === undefined) return;
    const left = ranges.filter(([from, to]) => !(position <= from && position + data.length >= to));
    if (left.length === 0) this.#unreadable.delete(file.path);
    else this.#unreadable.set(file.path, left);
  }

  async #truncate(file: DiskFile, size: number): Promise<void> {
    if (this.full && size > await file.size()) throw this.#noSpace(`grow ${file.path}`);
    await file.truncate(size);
  }

  #noSpace(what: string): Error {
    this.refusals++;
    return Object.assign(new Error(`ENOSPC: no space left on device, ${what}`), { code: "ENOSPC" });
  }
}

function lastNonZero(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i >= 0; i--) if (bytes[i] !== 0) return i;
  return -1;
}
