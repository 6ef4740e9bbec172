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

  /**
   * Runs `op` for a live process; if the process was killed meanwhile, the result never arrives
   * (a killed process runs no more code). Otherwise an fsync that was slow when the kill came
   * finished afterwards, and the dead leader counted its own ACK for a write the crash had undone.
   */
  #run<T>(op: () => Promise<T>): Promise<T> {
    return this.#check().then(op).then((value) => (this.#alive ? value : new Promise<T>(() => {})));
  }

  async open(path: string, mode: OpenMode, options?: OpenOptions): Promise<DiskFile> {
    const file = await this.#run(() => this.#disk.open(path, mode, options));
    const guard = <T>(run: () => Promise<T>) => this.#run(run);
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
    return this.#run(() => this.#disk.list(dir));
  }

  mkdir(dir: string): Promise<void> {
    return this.#run(() => this.#disk.mkdir(dir));
  }

  rename(from: string, to: string): Promise<void> {
    return this.#run(() => this.#disk.rename(from, to));
  }

  unlink(path: string): Promise<void> {
    return this.#run(() => this.#disk.unlink(path));
  }

  syncDir(dir: string): Promise<void> {
    return this.#run(() => this.#disk.syncDir(dir));
  }
}
