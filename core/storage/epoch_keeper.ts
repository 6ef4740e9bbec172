import type { Disk } from "../io/disk.ts";
import { ACCEPTED_EPOCH_FILE, checkEpochWrite, CURRENT_EPOCH_FILE, decideEpochs, type Epochs, findEpochs, writeEpochFile } from "./epoch_files.ts";

/** Where a {@link EpochKeeper} keeps the files and what it reports to its store. */
export interface EpochKeeperOptions {
  readonly disk: Disk;
  /** ZooKeeper keeps the epoch files in its snapshot directory; Paddock in dataDir. */
  readonly dir: string;
  readonly forceSync: boolean;
  readonly log: (message: string) => void;
  /** The store's failure, if it failed: no epoch is written after it. */
  readonly failure: () => Error | null;
  /** Called when an epoch write fails: a member that cannot record its epoch must stop. */
  readonly fail: (error: Error) => void;
}

/**
 * A FileStore's currentEpoch and acceptedEpoch: read once (deriving missing files as ZooKeeper
 * does), then written one at a time in call order, each atomically and durably. Checks ZAB's
 * invariants on every write (see {@link checkEpochWrite}).
 * @example
 * const epochs = new EpochKeeper({ disk, dir: "/var/lib/paddock", forceSync: true, log, failure: () => null, fail: () => {} });
 * await epochs.read(lastZxid);
 * await epochs.writeAccepted(5n);
 */
export class EpochKeeper {
  readonly #options: EpochKeeperOptions;
  /** What the files hold once every queued write is done. */
  #epochs: Epochs | null = null;
  #writes: Promise<void> = Promise.resolve();

  constructor(options: EpochKeeperOptions) {
    this.#options = options;
  }

  /** Reads both files (after queued writes), writing back any that had to be derived or repaired. */
  async read(lastZxid: bigint): Promise<Epochs> {
    await this.#writes;
    const { disk, dir, forceSync, log } = this.#options;
    const decision = decideEpochs(await findEpochs(disk, dir), lastZxid);
    for (const note of decision.notes) log(note);
    if (decision.writeCurrent) await writeEpochFile(disk, dir, CURRENT_EPOCH_FILE, decision.epochs.currentEpoch, forceSync);
    if (decision.writeAccepted) await writeEpochFile(disk, dir, ACCEPTED_EPOCH_FILE, decision.epochs.acceptedEpoch, forceSync);
    this.#epochs = decision.epochs;
    return decision.epochs;
  }

  /** Durably records the epoch promised to a prospective leader. Throws at once if it breaks ZAB's order. */
  writeAccepted(epoch: bigint): Promise<void> {
    this.#epochs = checkEpochWrite(this.#epochs, { acceptedEpoch: epoch });
    return this.#queue(ACCEPTED_EPOCH_FILE, epoch, Promise.resolve());
  }

  /**
   * Durably records currentEpoch once `before` (the log's flush) has resolved, so the file never
   * claims a history the log does not hold yet (ZOOKEEPER-4643, -4785). Throws at once if it
   * breaks ZAB's order.
   */
  writeCurrent(epoch: bigint, before: () => Promise<void>): Promise<void> {
    this.#epochs = checkEpochWrite(this.#epochs, { currentEpoch: epoch });
    // Called now, so it covers exactly the appends made before this call.
    const flushed = before();
    // Handled here too: it may reject before the queue gets to it.
    flushed.catch(() => {});
    return this.#queue(CURRENT_EPOCH_FILE, epoch, flushed);
  }

  /** Resolves once every queued write settled. */
  settled(): Promise<void> {
    return this.#writes;
  }

  #queue(name: string, epoch: bigint, before: Promise<void>): Promise<void> {
    const { disk, dir, forceSync } = this.#options;
    const run = this.#writes.then(async () => {
      await before;
      const failure = this.#options.failure();
      if (failure !== null) throw failure;
      await writeEpochFile(disk, dir, name, epoch, forceSync);
    }).catch((error: unknown) => {
      this.#options.fail(error instanceof Error ? error : new Error(String(error)));
      throw error;
    });
    this.#writes = run.catch(() => {});
    return run;
  }
}
