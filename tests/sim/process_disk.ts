import type { Disk, DiskFile, OpenMode, OpenOptions } from "../../core/io/disk.ts";

/**
 * One process's view of its machine's disk: once the process is killed, every operation it
 * still attempts fails, as a dead process does nothing. (The MemoryDisk's crash already voids
 * the handles it had open; this also stops it from opening, renaming or deleting anything new.)
 */
export class ProcessDisk implements Disk {
  readonly #disk: Disk;
  #alive = true;

  constructor(disk: Disk) {
    this.#disk = disk;
  }

  kill(): void {
    this.#alive = false;
  }

  #check(): Promise<void> {
    return this.#alive ? Promise.resolve() : Promise.reject(new Error("process killed"));
  }

  async open(path: string, mode: OpenMode, options?: OpenOptions): Promise<DiskFile> {
    await this.#check();
    const file = await this.#disk.open(path, mode, options);
    const guard = <T>(run: () => Promise<T>) => this.#check().then(run);
    return {
      path: file.path,
      syncsWrites: file.syncsWrites,
      read: (into, position) => guard(() => file.read(into, position)),
      write: (data, position) => guard(() => file.write(data, position)),
      sync: () => guard(() => file.sync()),
      truncate: (size) => guard(() => file.truncate(size)),
      size: () => guard(() => file.size()),
      close: () => file.close(),
    };
  }

  list(dir: string): Promise<string[]> {
    return this.#check().then(() => this.#disk.list(dir));
  }

  mkdir(dir: string): Promise<void> {
    return this.#check().then(() => this.#disk.mkdir(dir));
  }

  rename(from: string, to: string): Promise<void> {
    return this.#check().then(() => this.#disk.rename(from, to));
  }

  unlink(path: string): Promise<void> {
    return this.#check().then(() => this.#disk.unlink(path));
  }

  syncDir(dir: string): Promise<void> {
    return this.#check().then(() => this.#disk.syncDir(dir));
  }
}
