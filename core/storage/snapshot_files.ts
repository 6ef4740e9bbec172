import { type Disk, type DiskFile, joinPath, OpenMode, readFully } from "../io/disk.ts";
import { replaceFile } from "./atomic_file.ts";
import { crcCombine } from "../checksum/crc_combine.ts";
import { CRC32C_POLYNOMIAL, crc32c } from "./crc32c.ts";
import { checkFileHeader, decodeFileHeader, encodeFileHeader, FILE_HEADER_BYTES, SNAPSHOT_MAGIC } from "./file_header.ts";
import { fileName, SNAPSHOT_PREFIX, TEMP_SUFFIX, zxidFiles, type ZxidFile } from "./file_names.ts";

/**
 * A snapshot file:
 *
 *   file header (16) | zxid u64 | data length u64 | data | crc32c u32 | end magic "PDKE"
 *
 * The CRC covers everything before it. It is written to `snapshot.<zxid>.tmp`, fsynced, renamed
 * and the directory fsynced, so a crash at any point leaves either the old set of snapshots or
 * the old set plus a complete new one.
 */
const PREFIX_BYTES = FILE_HEADER_BYTES + 16;
const TRAILER_BYTES = 8;
const END_MAGIC = [0x50, 0x44, 0x4b, 0x45]; // "PDKE"
/**
 * Data goes to disk and through the CRC in slices of this size. Each slice is a separate await,
 * so checksumming hundreds of megabytes never holds the event loop for long and txn appends keep
 * flowing while a snapshot is written.
 */
const SLICE_BYTES = 4 * 1024 * 1024;

/** Settings for writing one snapshot. */
export interface SnapshotWrite {
  readonly disk: Disk;
  readonly dataDir: string;
  readonly zxid: bigint;
  readonly data: Uint8Array;
  readonly dbid: bigint;
  /** When false, skip fsyncs (tests and benchmarks only). */
  readonly forceSync: boolean;
  /** The file name; `snapshot.<zxid>` unless given (a snapshot being installed is `install.<zxid>`). */
  readonly name?: string;
  /**
   * The CRC-32C of `data` when the encoder computed it already (a snapshot worker does, off the
   * event loop); otherwise it is computed here, slice by slice.
   */
  readonly dataCrc32c?: number;
}

/** Writes `snapshot.<zxid>` (or `name`) atomically (temp file, fsync, rename, directory fsync). */
export async function writeSnapshotFile(write: SnapshotWrite): Promise<void> {
  const name = write.name ?? fileName(SNAPSHOT_PREFIX, write.zxid);
  await replaceFile({ disk: write.disk, dir: write.dataDir, name, forceSync: write.forceSync, write: (file) => writeSnapshotBytes(file, write) });
}

async function writeSnapshotBytes(file: DiskFile, write: SnapshotWrite): Promise<void> {
  const prefix = new Uint8Array(PREFIX_BYTES);
  prefix.set(encodeFileHeader(SNAPSHOT_MAGIC, write.dbid));
  const view = new DataView(prefix.buffer);
  view.setBigUint64(FILE_HEADER_BYTES, write.zxid, true);
  view.setBigUint64(FILE_HEADER_BYTES + 8, BigInt(write.data.length), true);
  await file.write(prefix, 0);
  const known = write.dataCrc32c;
  let crc = crc32c(0, prefix);
  // Bounded: one slice per round over a finite array. The data is written in place, never copied.
  for (let offset = 0; offset < write.data.length; offset += SLICE_BYTES) {
    const slice = write.data.subarray(offset, Math.min(write.data.length, offset + SLICE_BYTES));
    if (known === undefined) crc = crc32c(crc, slice);
    await file.write(slice, PREFIX_BYTES + offset);
  }
  if (known !== undefined) crc = crcCombine(CRC32C_POLYNOMIAL, crc, known, write.data.length);
  const trailer = new Uint8Array(TRAILER_BYTES);
  new DataView(trailer.buffer).setUint32(0, crc, true);
  trailer.set(END_MAGIC, 4);
  await file.write(trailer, PREFIX_BYTES + write.data.length);
}

/** A snapshot that read back whole, or why it did not. */
export type SnapshotRead =
  | { readonly ok: true; readonly data: Uint8Array }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads and verifies a snapshot. Damage (short file, bad CRC, mismatched zxid) is returned as
 * `ok: false` so recovery can fall back to an older snapshot; a foreign magic or an unknown
 * format version throws StorageError, because falling back would silently lose newer state.
 */
export async function readSnapshotFile(disk: Disk, path: string, zxid: bigint): Promise<SnapshotRead> {
  const file = await disk.open(path, OpenMode.read);
  try {
    const size = await file.size();
    if (size < PREFIX_BYTES + TRAILER_BYTES) return { ok: false, reason: `only ${size} bytes long` };
    const bytes = new Uint8Array(size);
    const crc = await readAndChecksum(file, bytes, size - TRAILER_BYTES);
    if (crc === null) return { ok: false, reason: "shorter than its size" };
    checkFileHeader(decodeFileHeader(bytes), SNAPSHOT_MAGIC, path);
    return verifySnapshot(bytes, crc, zxid);
  } finally {
    await file.close();
  }
}

/** Reads the whole file into `into`; returns the CRC of its first `crcBytes` bytes, or null if short. */
async function readAndChecksum(file: DiskFile, into: Uint8Array, crcBytes: number): Promise<number | null> {
  let crc = 0;
  // Bounded: one slice per round over a file of known size.
  for (let offset = 0; offset < into.length; offset += SLICE_BYTES) {
    const slice = into.subarray(offset, Math.min(into.length, offset + SLICE_BYTES));
    if ((await readFully(file, slice, offset)) < slice.length) return null;
    crc = crc32c(crc, into, offset, Math.min(crcBytes, offset + slice.length));
  }
  return crc;
}

function verifySnapshot(bytes: Uint8Array, crc: number, zxid: bigint): SnapshotRead {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const storedZxid = view.getBigUint64(FILE_HEADER_BYTES, true);
  const length = view.getBigUint64(FILE_HEADER_BYTES + 8, true);
  if (storedZxid !== zxid) return { ok: false, reason: `holds zxid 0x${storedZxid.toString(16)}, not the one in its name` };
  if (length !== BigInt(bytes.length - PREFIX_BYTES - TRAILER_BYTES)) return { ok: false, reason: `data length ${length} does not match the file size` };
  const trailer = bytes.length - TRAILER_BYTES;
  if (!END_MAGIC.every((b, i) => bytes[trailer + 4 + i] === b)) return { ok: false, reason: "end marker missing (incomplete write)" };
  if (view.getUint32(trailer, true) !== crc) return { ok: false, reason: "checksum mismatch" };
  return { ok: true, data: bytes.subarray(PREFIX_BYTES, trailer) };
}

/** The snapshots in `dataDir`, oldest first (temp files excluded). */
export async function listSnapshots(disk: Disk, dataDir: string): Promise<ZxidFile[]> {
  return zxidFiles(SNAPSHOT_PREFIX, await disk.list(dataDir));
}

/** Removes `snapshot.*.tmp` left by a crash mid-snapshot; returns their names. */
export async function removeTempSnapshots(disk: Disk, dataDir: string): Promise<string[]> {
  const temps = (await disk.list(dataDir)).filter((n) => n.startsWith(SNAPSHOT_PREFIX) && n.endsWith(TEMP_SUFFIX));
  for (const name of temps) await disk.unlink(joinPath(dataDir, name));
  return temps;
}
