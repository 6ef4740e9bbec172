/**
 * Operating errors of the storage layer: what is on disk cannot be trusted or read. They are
 * typed (not assertions) because a user can hit them (bit rot, a file from a newer Paddock, a
 * deleted segment) and must be told which file and offset to look at.
 */
export const StorageErrorCode = {
  /** A log record that fails its checksum is followed by valid records: committed txns would be lost. */
  corruptLog: "corrupt_log",
  /** A file header carries a format version this build does not read. */
  unsupportedVersion: "unsupported_version",
  /** A file does not start with the expected magic bytes. */
  badMagic: "bad_magic",
  /** The txns after the snapshot do not continue from it, or segments do not follow each other. */
  zxidGap: "zxid_gap",
  /** The log could not be written or synced; the store stops accepting appends. */
  writeFailed: "write_failed",
  /**
   * truncateAfter would have to go below every snapshot the dataDir keeps: the state at that zxid
   * cannot be rebuilt from what stays, so the member needs a snapshot from the leader instead.
   */
  truncateBelowSnapshot: "truncate_below_snapshot",
  /**
   * The snapshot being installed does not verify, and the history it replaces is already partly
   * gone; or the newest snapshot does not verify and nothing older reaches its zxid.
   */
  corruptSnapshot: "corrupt_snapshot",
  /** A log read was overtaken by a truncation, a snapshot install or a purge of its segments. */
  logRewritten: "log_rewritten",
  /** currentEpoch or acceptedEpoch does not hold a decimal number (ZooKeeper refuses these too). */
  badEpochFile: "bad_epoch_file",
  /** The epoch files contradict each other or the log (e.g. acceptedEpoch below currentEpoch). */
  epochMismatch: "epoch_mismatch",
  /** dataDir or dataLogDir exists (or was created) but does not take new files. */
  notWritable: "not_writable",
} as const;

/** One of the values of {@link StorageErrorCode}. */
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

/**
 * A storage failure a user can act on.
 * @example throw new StorageError(StorageErrorCode.corruptLog, "corrupt record at offset 4096 of /data/log.0000000000000001")
 */
export class StorageError extends Error {
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StorageError";
    this.code = code;
  }
}
