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
