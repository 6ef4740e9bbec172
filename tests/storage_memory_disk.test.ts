import assert from "node:assert/strict";
import { test } from "node:test";
import { OpenMode } from "../core/io/disk.ts";
import { MemoryDisk } from "../core/io/memory_disk.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

test("a crash keeps synced data and drops unsynced writes and size changes", async () => {
  const disk = new MemoryDisk();
  await disk.mkdir("/d");
  const file = await disk.open("/d/f", OpenMode.create);
  await disk.syncDir("/d");
  await file.write(bytes(1, 2, 3), 0);
  await file.sync();
  await file.write(bytes(9, 9), 1);
  await file.truncate(10);
  disk.crash();
  assert.deepEqual(disk.bytesOf("/d/f"), bytes(1, 2, 3));
  await assert.rejects(file.write(bytes(1), 0), /before a crash/);
});

test("a file whose creation was never made durable by syncDir disappears", async () => {
  const disk = new MemoryDisk();
  await disk.mkdir("/d");
  const file = await disk.open("/d/new", OpenMode.create);
  await file.write(bytes(1), 0);
  await file.sync();
  disk.crash();
  assert.deepEqual(await disk.list("/d"), []);
});

test("a rename is atomic: before syncDir a crash restores the old name", async () => {
  const disk = new MemoryDisk();
  await disk.mkdir("/d");
  await (await disk.open("/d/a.tmp", OpenMode.create)).sync();
  await disk.syncDir("/d");
  await disk.rename("/d/a.tmp", "/d/a");
  disk.crash();
  assert.deepEqual(await disk.list("/d"), ["a.tmp"]);
});

test("tearing keeps a prefix of the last unsynced write over what was there", async () => {
  const disk = new MemoryDisk();
  await disk.mkdir("/d");
  const file = await disk.open("/d/f", OpenMode.create);
  await disk.syncDir("/d");
  await file.truncate(8);
  await file.sync();
  await file.write(bytes(1, 1), 0);
  await file.write(bytes(5, 6, 7, 8), 2);
  assert.equal(disk.lastUnsyncedWriteBytes("/d/f"), 4);
  disk.crash({ tear: { path: "/d/f", keepBytes: 2 } });
  assert.deepEqual(disk.bytesOf("/d/f"), bytes(1, 1, 5, 6, 0, 0, 0, 0));
});
