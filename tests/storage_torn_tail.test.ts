import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { MemoryDisk } from "../core/io/memory_disk.ts";
import { nodeDisk } from "../core/io/node_disk.ts";
import { StorageError } from "../core/storage/storage_error.ts";
import { filesIn, openStore, replay, tempDir, txnBytes } from "./support/storage_fixture.ts";

const SEGMENT = "/data/log.0000000000000001";
const HEADER_BYTES = 16;

function recordSize(zxid: bigint): number {
  return 16 + txnBytes(zxid).length;
}

/**
 * A disk where fsyncs can be held (they never complete), so the last batch is written but never
 * durable. A crash releases the hold: the rebooted disk syncs normally again.
 */
class HoldableDisk extends MemoryDisk {
  /** Syncs that still complete before the hold begins. */
  syncsLeft = Infinity;

  constructor() {
    super({ syncDelay: () => (this.syncsLeft-- > 0 ? Promise.resolve() : new Promise<void>(() => {})) });
  }

  override crash(options?: Parameters<MemoryDisk["crash"]>[0]): void {
    super.crash(options);
    this.syncsLeft = Infinity;
  }
}

/** `hold(n)`: the next n syncs complete, later ones hang until a crash. */
function holdableDisk(): { disk: HoldableDisk; hold: (syncsLeft?: number) => void } {
  const disk = new HoldableDisk();
  return { disk, hold: (syncsLeft = 0) => (disk.syncsLeft = syncsLeft) };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((r) => setTimeout(r, 0));
}

/** 20 durable txns, then txns 21..23 written as one batch whose fsync never completes. */
async function diskWithUnsyncedBatch(): Promise<MemoryDisk> {
  const { disk, hold } = holdableDisk();
  const { store } = openStore(disk, "/data");
  await store.recover();
  for (let z = 1n; z <= 20n; z += 1n) await store.append({ zxid: z, bytes: txnBytes(z) });
  hold();
  for (let z = 21n; z <= 23n; z += 1n) void store.append({ zxid: z, bytes: txnBytes(z) });
  await settle();
  return disk;
}

test("a crash tearing the last batch at any byte keeps every complete record and starts", async () => {
  const batchBytes = recordSize(21n) + recordSize(22n) + recordSize(23n);
  assert.equal((await diskWithUnsyncedBatch()).lastUnsyncedWriteBytes(SEGMENT), batchBytes);
  for (let keep = 0; keep <= batchBytes; keep += 1) {
    const disk = await diskWithUnsyncedBatch();
    disk.crash({ tear: { path: SEGMENT, keepBytes: keep } });
    let complete = 20;
    let boundary = 0;
    for (let z = 21n; z <= 23n && boundary + recordSize(z) <= keep; z += 1n) {
      boundary += recordSize(z);
      complete += 1;
    }
    const { store, lines } = openStore(disk, "/data");
    const state = replay(await store.recover());
    assert.equal(state.count, complete, `tear after ${keep} bytes: expected ${complete} txns, got ${state.count}`);
    const truncated = lines.some((l) => l.startsWith("truncated"));
    assert.equal(truncated, keep !== boundary, `tear after ${keep} bytes: truncation logged? ${lines.join(" | ")}`);
    await store.append({ zxid: BigInt(complete + 1), bytes: txnBytes(BigInt(complete + 1)) });
    await store.close();
    const again = openStore(disk, "/data");
    assert.equal(replay(await again.store.recover()).count, complete + 1, `tear after ${keep} bytes: the store did not carry on`);
  }
});

test("a crash that drops everything unsynced loses only unacknowledged txns", async () => {
  const disk = await diskWithUnsyncedBatch();
  disk.crash();
  const { store } = openStore(disk, "/data");
  assert.equal(replay(await store.recover()).count, 20);
});

test("a roll that crashed before its first txn was synced leaves a segment that recovery removes", async () => {
  const { disk, hold } = holdableDisk();
  // The segment is made on the write path here (no spare made ready ahead of the roll).
  const { store } = openStore(disk, "/data", { spareSegments: false });
  await store.recover();
  for (let z = 1n; z <= 5n; z += 1n) await store.append({ zxid: z, bytes: txnBytes(z) });
  await store.writeSnapshot(5n, new TextEncoder().encode("5,15,5"));
  // The new segment's header (written O_DSYNC) and its own sync complete; the write of txn 6 never does.
  hold(2);
  void store.append({ zxid: 6n, bytes: txnBytes(6n) });
  await settle();
  assert.ok((await disk.list("/data")).includes("log.0000000000000006"));
  disk.crash();
  const again = openStore(disk, "/data");
  assert.equal(replay(await again.store.recover()).count, 5);
  assert.ok(again.lines.some((l) => l.startsWith("removed log.0000000000000006")), again.lines.join(" | "));
  await again.store.append({ zxid: 6n, bytes: txnBytes(6n) });
  await again.store.close();
  assert.equal(replay(await openStore(disk, "/data").store.recover()).count, 6);
});

test("a roll onto the spare segment whose first txn was never synced loses nothing acknowledged", async () => {
  const { disk, hold } = holdableDisk();
  const { store } = openStore(disk, "/data");
  await store.recover();
  for (let z = 1n; z <= 5n; z += 1n) await store.append({ zxid: z, bytes: txnBytes(z) });
  await store.writeSnapshot(5n, new TextEncoder().encode("5,15,5"));
  await settle();
  assert.ok((await disk.list("/data")).includes("spare.log"), "a spare segment is ready");
  hold(0);
  void store.append({ zxid: 6n, bytes: txnBytes(6n) });
  await settle();
  assert.ok((await disk.list("/data")).includes("log.0000000000000006"), "the spare became log.6");
  disk.crash();
  const again = openStore(disk, "/data");
  assert.equal(replay(await again.store.recover()).count, 5);
  assert.ok(again.lines.some((l) => l.startsWith("removed spare.log")), again.lines.join(" | "));
  await again.store.append({ zxid: 6n, bytes: txnBytes(6n) });
  await again.store.close();
  assert.equal(replay(await openStore(disk, "/data").store.recover()).count, 6);
});

test("a txn acknowledged from the spare segment survives a crash before its rename was durable", async () => {
  const { disk, hold } = holdableDisk();
  const { store } = openStore(disk, "/data");
  await store.recover();
  for (let z = 1n; z <= 5n; z += 1n) await store.append({ zxid: z, bytes: txnBytes(z) });
  await store.writeSnapshot(5n, new TextEncoder().encode("5,15,5"));
  await settle();
  // The roll renames spare.log to log.6 without syncing the directory, and txn 6's write is
  // durable; the next spare, whose directory sync would make the rename durable, never gets there.
  hold(1);
  await store.append({ zxid: 6n, bytes: txnBytes(6n) });
  disk.crash();
  assert.ok((await disk.list("/data")).includes("spare.log"), "the rename was lost with the crash");
  const again = openStore(disk, "/data");
  assert.equal(replay(await again.store.recover()).count, 6, "acknowledged txn 6 is there");
  assert.ok(again.lines.some((l) => l.startsWith("renamed spare.log to log.0000000000000006")), again.lines.join(" | "));
  assert.ok((await disk.list("/data")).includes("log.0000000000000006"));
});

/**
 * Txns 1..5 durable in log.1, a restart (the writer rolls), txn 6's segment made but its write
 * never durable, a crash: log.1 is closed and log.6 holds no record. Then the last `rotBytes`
 * bytes of log.1's records rot (sim seed 6325 at 3 members).
 */
async function closedSegmentRotted(rotBytes: number): Promise<MemoryDisk> {
  const { disk, hold } = holdableDisk();
  const first = openStore(disk, "/data");
  await first.store.recover();
  for (let z = 1n; z <= 5n; z += 1n) await first.store.append({ zxid: z, bytes: txnBytes(z) });
  await first.store.close();
  const { store } = openStore(disk, "/data", { spareSegments: false });
  await store.recover();
  // The new segment's header and its sync complete; the write of txn 6 never does.
  hold(2);
  void store.append({ zxid: 6n, bytes: txnBytes(6n) });
  await settle();
  disk.crash();
  assert.deepEqual((await disk.list("/data")).filter((n) => n.startsWith("log.")).sort(), [SEGMENT.slice(6), "log.0000000000000006"]);
  let end = HEADER_BYTES;
  for (let z = 1n; z <= 5n; z += 1n) end += recordSize(z);
  const garbage = new Uint8Array(rotBytes);
  for (let i = 0; i < rotBytes; i += 1) garbage[i] = (i * 73 + 41) & 0xff;
  disk.poke(SEGMENT, end - rotBytes, garbage);
  return disk;
}

test("rot at the end of a closed segment refuses to start: a later segment proves those records were durable", async () => {
  for (const rotBytes of [1, recordSize(5n), recordSize(5n) + recordSize(4n) + 3]) {
    const disk = await closedSegmentRotted(rotBytes);
    const before = disk.bytesOf(SEGMENT).slice();
    const { store } = openStore(disk, "/data");
    await assert.rejects(store.recover(), (e: unknown) => {
      assert.ok(e instanceof StorageError, `expected a StorageError, got ${String(e)}`);
      assert.equal(e.code, "corrupt_log");
      assert.match(e.message, /log\.0000000000000001 is damaged at offset \d+, but the later segment log\.0000000000000006 exists/);
      return true;
    }, `${rotBytes} bytes rotted`);
    assert.deepEqual(disk.bytesOf(SEGMENT), before, "a refused log must not be modified");
    assert.ok((await disk.list("/data")).includes("log.0000000000000006"), "nor the later segment removed");
  }
});

test("a store run without forceSync promised nothing durable: it cuts the same damage as a torn tail", async () => {
  const disk = await closedSegmentRotted(recordSize(5n));
  const { store, lines } = openStore(disk, "/data", { forceSync: false });
  assert.equal(replay(await store.recover()).count, 4);
  assert.ok(lines.some((l) => l.includes("torn tail")), lines.join(" | "));
});

interface Written {
  dir: { path: string; remove: () => void };
  file: string;
  original: Uint8Array;
  /** Offset where each record starts, plus the end of the last one. */
  boundaries: number[];
}

/** A real segment with 30 txns, closed cleanly (with its preallocated zeros). */
async function writeThirty(): Promise<Written> {
  const dir = tempDir("torn");
  const { store } = openStore(nodeDisk(), dir.path);
  await store.recover();
  const boundaries = [HEADER_BYTES];
  for (let z = 1n; z <= 30n; z += 1n) {
    await store.append({ zxid: z, bytes: txnBytes(z) });
    boundaries.push(boundaries[boundaries.length - 1]! + recordSize(z));
  }
  await store.close();
  const file = path.join(dir.path, filesIn(dir.path, "log.")[0]!);
  return { dir, file, original: new Uint8Array(fs.readFileSync(file)), boundaries };
}

async function recoverCount(dir: string): Promise<{ count: number; lines: string[] }> {
  const { store, lines } = openStore(nodeDisk(), dir);
  const state = replay(await store.recover());
  await store.close();
  return { count: state.count, lines };
}

test("real files: truncating or zeroing anywhere in the last two records keeps what came before", async () => {
  const w = await writeThirty();
  try {
    const from = w.boundaries[28]!;
    const end = w.boundaries[30]!;
    for (let cut = from; cut <= end; cut += 1) {
      const complete = w.boundaries.filter((b) => b <= cut).length - 1;
      const onBoundary = w.boundaries.includes(cut);
      fs.writeFileSync(w.file, w.original.subarray(0, cut));
      const truncatedRun = await recoverCount(w.dir.path);
      assert.equal(truncatedRun.count, complete, `file cut at ${cut}`);
      assert.equal(truncatedRun.lines.some((l) => l.includes(`torn tail at offset ${w.boundaries[complete]}`)), !onBoundary, `file cut at ${cut}: ${truncatedRun.lines.join(" | ")}`);
      const zeroed = w.original.slice();
      zeroed.fill(0, cut);
      fs.writeFileSync(w.file, zeroed);
      assert.equal((await recoverCount(w.dir.path)).count, complete, `zeros from ${cut}`);
      for (const name of filesIn(w.dir.path, "log.")) if (path.join(w.dir.path, name) !== w.file) fs.rmSync(path.join(w.dir.path, name));
    }
  } finally {
    w.dir.remove();
  }
});

test("real files: a corrupt byte anywhere in the last record drops only that record", async () => {
  const w = await writeThirty();
  try {
    const start = w.boundaries[29]!;
    for (let at = start; at < w.boundaries[30]!; at += 1) {
      const corrupt = w.original.slice();
      corrupt[at]! ^= 0x5a;
      fs.writeFileSync(w.file, corrupt);
      const run = await recoverCount(w.dir.path);
      assert.equal(run.count, 29, `byte ${at} corrupted`);
      assert.ok(run.lines.some((l) => l.includes(`torn tail at offset ${start} of log.0000000000000001`)), run.lines.join(" | "));
    }
  } finally {
    w.dir.remove();
  }
});

test("real files: a corrupt record followed by valid ones refuses to start, naming file and offset", async () => {
  const w = await writeThirty();
  try {
    const at = w.boundaries[27]! + 20;
    const corrupt = w.original.slice();
    corrupt[at]! ^= 0x01;
    fs.writeFileSync(w.file, corrupt);
    await assert.rejects(recoverCount(w.dir.path), (e: unknown) => {
      assert.ok(e instanceof StorageError, `expected a StorageError, got ${String(e)}`);
      assert.equal(e.code, "corrupt_log");
      assert.match(e.message, new RegExp(`offset ${w.boundaries[27]} of .*log\\.0000000000000001`));
      return true;
    });
    assert.equal(fs.readFileSync(w.file).length, w.original.length, "a refused log must not be modified");
  } finally {
    w.dir.remove();
  }
});
