import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32c } from "../core/storage/crc32c.ts";
import { checkFileHeader, decodeFileHeader, encodeFileHeader, FORMAT_VERSION, LOG_MAGIC, SNAPSHOT_MAGIC } from "../core/storage/file_header.ts";
import { parseFileName, zxidFollows, zxidHex } from "../core/storage/file_names.ts";
import { checkRecord, encodeRecord, RecordCheck, recordZxid } from "../core/storage/record_codec.ts";
import { StorageError } from "../core/storage/storage_error.ts";

test("crc32c matches the standard check value and is incremental", () => {
  const bytes = new TextEncoder().encode("123456789");
  assert.equal(crc32c(0, bytes), 0xe3069283);
  assert.equal(crc32c(crc32c(0, bytes, 0, 4), bytes, 4), 0xe3069283);
  const long = new Uint8Array(1000).map((_, i) => i * 7);
  assert.equal(crc32c(crc32c(0, long, 0, 333), long, 333), crc32c(0, long));
});

/** CRC-32C one bit at a time, straight from the definition. */
function crc32cByBits(data: Uint8Array, start: number, end: number): number {
  let c = ~0;
  for (let i = start; i < end; i++) {
    c ^= data[i]!;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

test("crc32c's word loop agrees with the definition at every alignment, length and kind of buffer", () => {
  for (const buffer of [new ArrayBuffer(4200), new SharedArrayBuffer(4200)]) {
    const whole = new Uint8Array(buffer).map((_, i) => (i * 2654435761) >>> 24);
    // Views that start off a word boundary, ranges that start and end anywhere, lengths either side of the word loop's threshold.
    for (const viewStart of [0, 1, 2, 3, 5]) {
      const data = whole.subarray(viewStart);
      for (const [start, length] of [[0, 4000], [1, 255], [2, 256], [3, 257], [7, 1024], [13, 17], [0, 0], [100, 3333]] as const) {
        assert.equal(crc32c(0, data, start, start + length), crc32cByBits(data, start, start + length), `view +${viewStart}, [${start}, +${length})`);
      }
    }
  }
});

test("a record verifies, and any flipped byte or missing byte is caught", () => {
  const buffer = new Uint8Array(64);
  const view = new DataView(buffer.buffer);
  const end = encodeRecord(buffer, view, 0, 0x100000007n, new Uint8Array([1, 2, 3, 4, 5]));
  assert.equal(end, 21);
  assert.equal(checkRecord(buffer, view, 0, end), RecordCheck.valid);
  assert.equal(recordZxid(view, 0), 0x100000007n);
  assert.equal(checkRecord(buffer, view, 0, end - 1), RecordCheck.incomplete);
  for (let i = 0; i < end; i += 1) {
    const copy = buffer.slice();
    copy[i]! ^= 0x40;
    assert.notEqual(checkRecord(copy, new DataView(copy.buffer), 0, end), RecordCheck.valid, `flip at byte ${i}`);
  }
  assert.equal(checkRecord(new Uint8Array(16), new DataView(new ArrayBuffer(16)), 0, 16), RecordCheck.zeros);
});

test("file headers round-trip and unknown versions are refused by name", () => {
  const header = encodeFileHeader(LOG_MAGIC, 9n);
  assert.deepEqual(decodeFileHeader(header), { magic: "PDKL", version: FORMAT_VERSION, dbid: 9n });
  checkFileHeader(decodeFileHeader(header), LOG_MAGIC, "log.x");
  header[4] = FORMAT_VERSION + 1;
  assert.throws(() => checkFileHeader(decodeFileHeader(header), LOG_MAGIC, "log.x"), (e: unknown) => e instanceof StorageError && e.code === "unsupported_version" && new RegExp(`version ${FORMAT_VERSION + 1}.*newer`).test(e.message));
  // Version 1 logs held another txn encoding: refused by name, never misread.
  header[4] = 1;
  assert.throws(() => checkFileHeader(decodeFileHeader(header), LOG_MAGIC, "log.x"), (e: unknown) => e instanceof StorageError && e.code === "unsupported_version" && /version 1.*older Paddock/.test(e.message));
  assert.throws(() => checkFileHeader(decodeFileHeader(header), SNAPSHOT_MAGIC, "snap.x"), (e: unknown) => e instanceof StorageError && e.code === "bad_magic");
});

test("file names carry 16 hex digits and zxid continuity knows about epochs", () => {
  assert.equal(zxidHex(0x100000001n), "0000000100000001");
  assert.equal(parseFileName("log.", "log.0000000100000001"), 0x100000001n);
  assert.equal(parseFileName("log.", "log.1"), null);
  assert.equal(parseFileName("log.", "snapshot.0000000100000001"), null);
  assert.ok(zxidFollows(5n, 6n));
  assert.ok(!zxidFollows(5n, 7n));
  assert.ok(zxidFollows(0x100000009n, 0x200000001n));
  assert.ok(!zxidFollows(0x100000009n, 0x200000002n));
});
