import { counterOf, epochOf } from "../proto/zxid.ts";
/**
 * Names of storage files: `log.<zxid>` (first zxid of a segment) and `snapshot.<zxid>` (last
 * zxid a snapshot covers), zxid as 16 lowercase hex digits so names sort like their zxids.
 * Two intent files mark a history rewrite under way (see history_rewrite.ts): `truncate.<zxid>`
 * and `install.<zxid>` (the snapshot being installed, complete and synced).
 */

/** Prefix of txn log segment names. */
export const LOG_PREFIX = "log.";
/** Prefix of snapshot names. */
export const SNAPSHOT_PREFIX = "snapshot.";
/** Suffix of a snapshot still being written; never read, removed by recovery. */
export const TEMP_SUFFIX = ".tmp";
/** Prefix of the intent file of a truncation under way; the zxid is the one kept last. */
export const TRUNCATE_PREFIX = "truncate.";
/** Prefix of a snapshot being installed: once it exists, the install is decided. */
export const INSTALL_PREFIX = "install.";
/**
 * A log segment made ready ahead of a roll (header written, space reserved, synced), renamed to
 * `log.<zxid>` when the log moves on to it. Recovery names it by its first record if a crash came
 * before the rename was durable, and removes it if it holds none.
 */
export const SPARE_LOG = "spare.log";

const HEX_ZXID = /^[0-9a-f]{16}$/;

/**
 * The 16-digit hex form of a zxid.
 * @example zxidHex(0x100000001n) // "0000000100000001"
 */
export function zxidHex(zxid: bigint): string {
  return zxid.toString(16).padStart(16, "0");
}

/** A file name for `prefix` and `zxid`, e.g. `log.0000000100000001`. */
export function fileName(prefix: string, zxid: bigint): string {
  return prefix + zxidHex(zxid);
}

/** The zxid in `name` if it is exactly `prefix` + 16 hex digits, else null. */
export function parseFileName(prefix: string, name: string): bigint | null {
  if (!name.startsWith(prefix)) return null;
  const hex = name.slice(prefix.length);
  return HEX_ZXID.test(hex) ? BigInt("0x" + hex) : null;
}

/** A named storage file. */
export interface ZxidFile {
  readonly name: string;
  readonly zxid: bigint;
}

/** The names among `names` that carry `prefix`, sorted by zxid ascending. */
export function zxidFiles(prefix: string, names: readonly string[]): ZxidFile[] {
  const files: ZxidFile[] = [];
  for (const name of names) {
    const zxid = parseFileName(prefix, name);
    if (zxid !== null) files.push({ name, zxid });
  }
  return files.sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));
}

/** Index of the last of `files` (sorted by zxid) whose zxid is <= `zxid`, or -1 when there is none. */
export function lastIndexAtOrBefore(files: readonly { readonly zxid: bigint }[], zxid: bigint): number {
  let found = -1;
  for (let i = 0; i < files.length && files[i]!.zxid <= zxid; i += 1) found = i;
  return found;
}

/**
 * True when `next` may directly follow `previous` in a history: the next counter of the same
 * epoch, or the first txns of a later epoch (a new leader starts its counter again).
 */
export function zxidFollows(previous: bigint, next: bigint): boolean {
  if (next === previous + 1n) return true;
  return epochOf(next) > epochOf(previous) && counterOf(next) <= 1n;
}

export { counterOf, epochOf };
