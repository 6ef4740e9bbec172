import { type Disk, type DiskFile, joinPath, OpenMode, readFully } from "../io/disk.ts";
import { replaceFile } from "./atomic_file.ts";
import { crcCombine } from "../checksum/crc_combine.ts";
import { CRC32C_POLYNOMIAL, crc32c } from "./crc32c.ts";
import { checkFileHeader, decodeFileHeader, encodeFileHeader, FILE_HEADER_BYTES, SNAPSHOT_MAGIC } from "./file_header.ts";
import { fileName, SNAPSHOT_PREFIX, TEMP_SUFFIX, zxidFiles, type ZxidFile } from "./file_names.ts";
import type { SnapshotChunk, SnapshotLoader, SnapshotStream } from "./txn_log.ts";

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
  /** The bytes, whole or as they are encoded (chunks with their CRC-32C when the encoder computed it). */
  readonly data: Uint8Array | SnapshotStream;
  readonly dbid: bigint;
  /** When false, skip fsyncs (tests and benchmarks only). */
  readonly forceSync: boolean;
  /** The file name; `snapshot.<zxid>` unless given (a snapshot being installed is `install.<zxid>`). */
  readonly name?: string;
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
  let crc = crc32c(0, prefix);
  let written = 0;
  let syncedAt = 0;
  // Bounded: one slice or chunk per round over data of a known length. Written in place, never copied.
  for await (const chunk of chunksOf(write.data)) {
    crc = chunk.crc32c === undefined ? crc32c(crc, chunk.bytes) : crcCombine(CRC32C_POLYNOMIAL, crc, chunk.crc32c, chunk.bytes.length);
    await file.write(chunk.bytes, PREFIX_BYTES + written);
    written += chunk.bytes.length;
    if (written > write.data.length) throw new Error(`snapshot: more than the ${write.data.length} bytes announced`);
    // Hundreds of megabytes flushed at once would stall the txn log's own syncs behind them.
    if (write.forceSync && written - syncedAt >= SYNC_EVERY_BYTES) {
      await file.sync();
      syncedAt = written;
    }
  }
  if (written !== write.data.length) throw new Error(`snapshot: ${written} bytes of the ${write.data.length} announced`);
  const trailer = new Uint8Array(TRAILER_BYTES);
  new DataView(trailer.buffer).setUint32(0, crc, true);
  trailer.set(END_MAGIC, 4);
  await file.write(trailer, PREFIX_BYTES + write.data.length);
}

/**
 * Flush a snapshot being written every this many bytes. Every flush holds the disk, and the txn
 * log's O_DSYNC writes wait behind it: with a million znodes (200 MB snapshots every few seconds
 * under setData 8 x 16) a 64 MiB interval gave a p99.9 of 66-72 ms, 8 MiB 42-57 ms, 2 MiB no better.
 */
const SYNC_EVERY_BYTES = 8 * 1024 * 1024;

/** A whole buffer in slices, or a stream's chunks, as one sequence. */
async function* chunksOf(data: Uint8Array | SnapshotStream): AsyncIterable<SnapshotChunk> {
  if (!(data instanceof Uint8Array)) {
    yield* data.chunks;
    return;
  }
  for (let offset = 0; offset < data.length; offset += SLICE_BYTES) {
    yield { bytes: data.subarray(offset, Math.min(data.length, offset + SLICE_BYTES)) };
  }
}

/** A snapshot that read back whole, or why it did not. */
export type SnapshotRead =
  | { readonly ok: true; readonly data: Uint8Array }
  | { readonly ok: false; readonly reason: string };

/** Whether a snapshot streamed into a sink verified, or why it did not. */
export type SnapshotStreamed = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const SHORT = "shorter than its size";

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
    if (crc === null) return { ok: false, reason: SHORT };
    checkFileHeader(decodeFileHeader(bytes), SNAPSHOT_MAGIC, path);
    const damage = framingDamage(bytes.subarray(0, PREFIX_BYTES), bytes.subarray(size - TRAILER_BYTES), size, zxid) ?? crcDamage(bytes.subarray(size - TRAILER_BYTES), crc);
    return damage === null ? { ok: true, data: bytes.subarray(PREFIX_BYTES, size - TRAILER_BYTES) } : { ok: false, reason: damage };
  } finally {
    await file.close();
  }
}

/**
 * Reads a snapshot into a sink through one reused buffer of `windowBytes` (longer only for a
 * record that needs it), checking its CRC on the way: no buffer of the file's size, whose fresh
 * pages cost a sixth of a million-znode restart. Damage is `ok: false` as for readSnapshotFile;
 * the framing (zxid, length, end marker) is checked before any data is read, the CRC once all of
 * it went through, so the caller must drop what the sink built unless this returns `ok: true`
 * (the sink's `finish` runs only then). An error the sink throws is thrown if the CRC holds (the
 * content itself is wrong), and reported as damage if it does not.
 */
export async function streamSnapshotFile(disk: Disk, path: string, zxid: bigint, loader: SnapshotLoader, windowBytes = SLICE_BYTES): Promise<SnapshotStreamed> {
  const file = await disk.open(path, OpenMode.read);
  try {
    const size = await file.size();
    if (size < PREFIX_BYTES + TRAILER_BYTES) return { ok: false, reason: `only ${size} bytes long` };
    const prefix = new Uint8Array(PREFIX_BYTES);
    const trailer = new Uint8Array(TRAILER_BYTES);
    if ((await readFully(file, prefix, 0)) < PREFIX_BYTES) return { ok: false, reason: SHORT };
    checkFileHeader(decodeFileHeader(prefix), SNAPSHOT_MAGIC, path);
    if ((await readFully(file, trailer, size - TRAILER_BYTES)) < TRAILER_BYTES) return { ok: false, reason: SHORT };
    const framing = framingDamage(prefix, trailer, size, zxid);
    if (framing !== null) return { ok: false, reason: framing };
    const dataBytes = size - PREFIX_BYTES - TRAILER_BYTES;
    const sink = loader(dataBytes, zxid);
    let crc = crc32c(0, prefix);
    let window = new Uint8Array(Math.min(windowBytes, Math.max(dataBytes, 1)));
    let held = 0;
    let read = 0;
    let failure: { error: unknown } | null = null;
    // Bounded: every round reads at least one byte of a file of known size, or doubles the window.
    while (read < dataBytes) {
      if (held === window.length) {
        const longer = new Uint8Array(Math.min(window.length * 2, dataBytes));
        longer.set(window);
        window = longer;
      }
      const want = Math.min(window.length - held, dataBytes - read);
      if ((await readFully(file, window.subarray(held, held + want), PREFIX_BYTES + read)) < want) return { ok: false, reason: SHORT };
      crc = crc32c(crc, window, held, held + want);
      read += want;
      held += want;
      if (failure !== null) {
        held = 0;
        continue;
      }
      try {
        const used = sink.feed(window.subarray(0, held), read === dataBytes);
        window.copyWithin(0, used, held);
        held -= used;
      } catch (error) {
        // Read on for the CRC: it says whether this is damage or the content.
        failure = { error };
        held = 0;
      }
    }
    const damage = crcDamage(trailer, crc);
    if (damage !== null) return { ok: false, reason: damage };
    if (failure !== null) throw failure.error;
    sink.finish();
    return { ok: true };
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

/** What is wrong with a snapshot's prefix and trailer for a file of `size` named for `zxid`, or null. */
function framingDamage(prefix: Uint8Array, trailer: Uint8Array, size: number, zxid: bigint): string | null {
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const storedZxid = view.getBigUint64(FILE_HEADER_BYTES, true);
  const length = view.getBigUint64(FILE_HEADER_BYTES + 8, true);
  if (storedZxid !== zxid) return `holds zxid 0x${storedZxid.toString(16)}, not the one in its name`;
  if (length !== BigInt(size - PREFIX_BYTES - TRAILER_BYTES)) return `data length ${length} does not match the file size`;
  if (!END_MAGIC.every((b, i) => trailer[4 + i] === b)) return "end marker missing (incomplete write)";
  return null;
}

/** "checksum mismatch" unless the trailer holds `crc`. */
function crcDamage(trailer: Uint8Array, crc: number): string | null {
  return new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength).getUint32(0, true) === crc ? null : "checksum mismatch";
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
