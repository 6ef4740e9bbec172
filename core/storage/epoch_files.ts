import { type Disk, joinPath, OpenMode, readFully } from "../io/disk.ts";
import { replaceFile } from "./atomic_file.ts";
import { epochOf, TEMP_SUFFIX } from "./file_names.ts";
import { StorageError, StorageErrorCode } from "./storage_error.ts";

/**
 * ZAB's two promises a member keeps on disk, in ZooKeeper's own files (QuorumPeer's
 * CURRENT_EPOCH_FILENAME and ACCEPTED_EPOCH_FILENAME): the epoch as decimal text, nothing else.
 * `acceptedEpoch` is the newest epoch the member promised a prospective leader (ACKEPOCH);
 * `currentEpoch` is the epoch whose history the member has fully synced (NEWLEADER).
 */
export const CURRENT_EPOCH_FILE = "currentEpoch";
/** See {@link CURRENT_EPOCH_FILE}. */
export const ACCEPTED_EPOCH_FILE = "acceptedEpoch";

/**
 * A member's epochs. Invariants: acceptedEpoch >= currentEpoch, and acceptedEpoch >= the epoch of
 * the last logged zxid (currentEpoch is below it only while a sync is unfinished).
 */
export interface Epochs {
  readonly currentEpoch: bigint;
  readonly acceptedEpoch: bigint;
}

/** What the dataDir holds: each file's value, null when absent. */
export interface FoundEpochs {
  readonly currentEpoch: bigint | null;
  readonly acceptedEpoch: bigint | null;
  /** `currentEpoch.tmp`, left by a crash in the middle of replacing currentEpoch; an error if unreadable. */
  readonly currentEpochTmp: bigint | null | StorageError;
}

/** The epochs to use and which of them must be written back (they were derived or repaired). */
export interface EpochDecision {
  readonly epochs: Epochs;
  readonly writeCurrent: boolean;
  readonly writeAccepted: boolean;
  /** Why something was derived or repaired, for the log. */
  readonly notes: readonly string[];
}

/** Largest value Java's Long.parseLong accepts, which is what ZooKeeper reads these files with. */
const LONG_MAX = (1n << 63n) - 1n;
/** The files hold one short line; more than this is not an epoch file. */
const READ_BYTES_MAX = 4096;

/**
 * Applies QuorumPeer.loadDataBase's rules to what was found, given the newest zxid on disk:
 * a missing file is derived from that zxid's epoch (and written); a currentEpoch older than that
 * epoch is repaired from `currentEpoch.tmp` if a crash left one; acceptedEpoch below currentEpoch
 * is refused. Pure, so the file store and the memory store share it.
 * @example decideEpochs({ currentEpoch: null, acceptedEpoch: null, currentEpochTmp: null }, 0x300000005n).epochs // { currentEpoch: 3n, acceptedEpoch: 3n }
 */
export function decideEpochs(found: FoundEpochs, lastZxid: bigint): EpochDecision {
  const epochOfZxid = epochOf(lastZxid);
  const notes: string[] = [];
  let current = found.currentEpoch;
  let writeCurrent = false;
  if (current === null) {
    current = epochOfZxid;
    writeCurrent = true;
    notes.push(`${CURRENT_EPOCH_FILE} not found: derived ${current} from the last zxid 0x${lastZxid.toString(16)}`);
  }
  if (epochOfZxid > current) {
    const torn = found.currentEpochTmp instanceof StorageError ? found.currentEpochTmp : null;
    const tmp = torn === null ? found.currentEpochTmp as bigint | null : null;
    // ZooKeeper trusts the temp file a crash left mid-replace; Paddock also checks that it helps.
    // A torn one (empty: its write never reached the disk, though another file's directory sync
    // made its name durable) proves nothing, as if the crash came before it: the rule below
    // decides, and only if that one refuses too is the torn file the reason given.
    if (tmp !== null && tmp >= epochOfZxid) {
      notes.push(`${CURRENT_EPOCH_FILE}${TEMP_SUFFIX} found: current epoch set to ${tmp}`);
      current = tmp;
      writeCurrent = true;
    } else if (found.acceptedEpoch !== null && found.acceptedEpoch >= epochOfZxid) {
      // A learner logs the new leader's history as it arrives and records currentEpoch once all
      // of it is durable (NEWLEADER); a crash in between leaves txns of the accepted epoch in the
      // log. ZooKeeper refuses to start then; keeping the older current epoch is safe (the member
      // ranks below every member that finished that sync) and keeps it available.
      notes.push(`the last zxid 0x${lastZxid.toString(16)} is of epoch ${epochOfZxid}, accepted but not yet current ` +
        `(a sync was interrupted): current epoch stays ${current}`);
    } else {
      if (torn !== null) throw torn;
      throw new StorageError(StorageErrorCode.epochMismatch, `the current epoch ${current} is older than the last zxid 0x${lastZxid.toString(16)} (epoch ${epochOfZxid})`);
    }
  }
  let accepted = found.acceptedEpoch;
  const writeAccepted = accepted === null;
  if (accepted === null) {
    accepted = epochOfZxid;
    notes.push(`${ACCEPTED_EPOCH_FILE} not found: derived ${accepted} from the last zxid 0x${lastZxid.toString(16)}`);
  }
  if (accepted < current) {
    throw new StorageError(StorageErrorCode.epochMismatch, `the accepted epoch ${accepted} is less than the current epoch ${current}`);
  }
  return { epochs: { currentEpoch: current, acceptedEpoch: accepted }, writeCurrent, writeAccepted, notes };
}

/**
 * The epochs after writing one of them, checked against ZAB's invariants: the epochs were read
 * first (readEpochs), neither ever goes back, and currentEpoch never passes acceptedEpoch (a
 * member syncs only with the leader whose epoch it accepted). Breaking them is a programmer error.
 * @example checkEpochWrite({ currentEpoch: 1n, acceptedEpoch: 1n }, { acceptedEpoch: 2n }) // { currentEpoch: 1n, acceptedEpoch: 2n }
 */
export function checkEpochWrite(epochs: Epochs | null, change: Partial<Epochs>): Epochs {
  if (epochs === null) throw new Error("epoch files: readEpochs() must come before writing an epoch");
  const next = { ...epochs, ...change };
  if (next.acceptedEpoch < epochs.acceptedEpoch) throw new Error(`epoch files: acceptedEpoch cannot go back from ${epochs.acceptedEpoch} to ${next.acceptedEpoch}`);
  if (next.currentEpoch < epochs.currentEpoch) throw new Error(`epoch files: currentEpoch cannot go back from ${epochs.currentEpoch} to ${next.currentEpoch}`);
  if (next.currentEpoch > next.acceptedEpoch) throw new Error(`epoch files: currentEpoch ${next.currentEpoch} cannot pass acceptedEpoch ${next.acceptedEpoch}`);
  formatEpoch(next.currentEpoch);
  formatEpoch(next.acceptedEpoch);
  return next;
}

/**
 * Parses an epoch file as ZooKeeper's readLongFromFile does: the first line, as a Java long.
 * Anything else (an empty file, spaces, a negative number) is refused with the text found.
 */
export function parseEpoch(text: string, path: string): bigint {
  const line = text.split(/\r\n|\r|\n/, 1)[0] ?? "";
  const valid = /^\+?[0-9]{1,19}$/.test(line) && BigInt(line) <= LONG_MAX;
  if (!valid) throw new StorageError(StorageErrorCode.badEpochFile, `found ${JSON.stringify(line)} in ${path}: not an epoch (a decimal number)`);
  return BigInt(line);
}

/** The file contents ZooKeeper writes: Long.toString, no newline. */
export function formatEpoch(epoch: bigint): Uint8Array {
  if (epoch < 0n || epoch > LONG_MAX) throw new Error(`epoch files: ${epoch} is not an epoch`);
  return new TextEncoder().encode(epoch.toString());
}

/** Reads and parses `dir/name`; null when the file does not exist. */
export async function readEpochFile(disk: Disk, dir: string, name: string): Promise<bigint | null> {
  const path = joinPath(dir, name);
  const text = await readSmallFile(disk, path);
  return text === null ? null : parseEpoch(text, path);
}

/** Reads what every epoch file of `dir` holds, for {@link decideEpochs}. */
export async function findEpochs(disk: Disk, dir: string): Promise<FoundEpochs> {
  const currentEpoch = await readEpochFile(disk, dir, CURRENT_EPOCH_FILE);
  const acceptedEpoch = await readEpochFile(disk, dir, ACCEPTED_EPOCH_FILE);
  let currentEpochTmp: bigint | null | StorageError;
  try {
    currentEpochTmp = await readEpochFile(disk, dir, CURRENT_EPOCH_FILE + TEMP_SUFFIX);
  } catch (error) {
    // A torn temp file only matters if it is needed; decideEpochs throws it then.
    if (!(error instanceof StorageError)) throw error;
    currentEpochTmp = error;
  }
  return { currentEpoch, acceptedEpoch, currentEpochTmp };
}

/** Replaces `dir/name` with `epoch` atomically and durably (temp, fsync, rename, directory fsync). */
export function writeEpochFile(disk: Disk, dir: string, name: string, epoch: bigint, forceSync: boolean): Promise<void> {
  const bytes = formatEpoch(epoch);
  return replaceFile({ disk, dir, name, forceSync, write: (file) => file.write(bytes, 0) });
}

async function readSmallFile(disk: Disk, path: string): Promise<string | null> {
  let file;
  try {
    file = await disk.open(path, OpenMode.read);
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return null;
    throw error;
  }
  try {
    const bytes = new Uint8Array(Math.min(await file.size(), READ_BYTES_MAX));
    const read = await readFully(file, bytes, 0);
    return new TextDecoder().decode(bytes.subarray(0, read));
  } finally {
    await file.close();
  }
}
