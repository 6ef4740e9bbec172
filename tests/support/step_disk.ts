/**
 * A Disk over a MemoryDisk that can stop a store in the middle of an operation: it lets a given
 * number of state-changing calls through (creating, writing, truncating, syncing, renaming,
 * unlinking a file, syncing a directory) and then hangs every later one forever, as the calls of
 * a process killed at that point never complete. The test then crashes the MemoryDisk (dropping
 * or tearing what was not synced) and recovers from it.
 */
import { type Disk, type DiskFile, OpenMode, type OpenOptions } from "../../core/io/disk.ts";
import type { MemoryDisk } from "../../core/io/memory_disk.ts";

/** See the module comment. */
export class StepDisk implements Disk {
  readonly memory: MemoryDisk;
  /** State-changing calls let through since the last {@link stopAfter}. */
  steps = 0;
  /** True once a call was held back. */
  hung = false;
  #budget = Infinity;

  constructor(memory: MemoryDisk) {
    this.memory = memory;
  }

  /** Lets `steps` more state-changing calls through, then hangs; Infinity never hangs. */
  stopAfter(steps: number): void {
    this.steps = 0;
    this.hung = false;
    this.#budget = steps;
  }

  /** Runs `call` if the budget allows, else returns a promise that never settles. */
  step<T>(call: () => Promise<T>): Promise<T> {
    if (this.steps >= this.#budget) {
      this.hung = true;
      return new Promise<T>(() => {});
    }
    this.steps += 1;
    return call();
  }

  async open(path: string, mode: OpenMode, options?: OpenOptions): Promise<DiskFile> {
    const open = () => this.memory.open(path, mode, options);
    const file = await (mode === OpenMode.create ? this.step(open) : open());
    return new StepFile(this, file);
  }

  list(dir: string): Promise<string[]> {
    return this.memory.list(dir);
  }

  mkdir(dir: string): Promise<void> {
    return this.step(() => this.memory.mkdir(dir));
  }

  rename(from: string, to: string): Promise<void> {
    return this.step(() => this.memory.rename(from, to));
  }

  unlink(path: string): Promise<void> {
    return this.step(() => this.memory.unlink(path));
  }

  syncDir(dir: string): Promise<void> {
    return this.step(() => this.memory.syncDir(dir));
  }
}

class StepFile implements DiskFile {
  readonly path: string;
  readonly syncsWrites: boolean;
  readonly #disk: StepDisk;
  readonly #file: DiskFile;

  constructor(disk: StepDisk, file: DiskFile) {
    this.#disk = disk;
    this.#file = file;
    this.path = file.path;
    this.syncsWrites = file.syncsWrites === true;
  }

  read(into: Uint8Array, position: number): Promise<number> {
    return this.#file.read(into, position);
  }

  write(data: Uint8Array, position: number): Promise<void> {
    return this.#disk.step(() => this.#file.write(data, position));
  }

  sync(): Promise<void> {
    return this.#disk.step(() => this.#file.sync());
  }

  truncate(sizeBytes: number): Promise<void> {
    return this.#disk.step(() => this.#file.truncate(sizeBytes));
  }

  size(): Promise<number> {
    return this.#file.size();
  }

  close(): Promise<void> {
    return this.#file.close();
  }
}
