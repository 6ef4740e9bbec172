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
