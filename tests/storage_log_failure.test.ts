/**
 * The txn log's own writer thread (core/io/worker_log_thread.ts, log_thread_main.ts): what it
 * writes comes back byte for byte, also records larger than a ring entry and histories that wrap
 * the ring; its failure is final; and a disk that stops taking the log's bytes stops a real server
 * serving, with every write it acknowledged still there after a restart.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { resolve } from "node:path";
import { nodeDisk } from "../core/io/node_disk.ts";
import { RING_BYTES } from "../core/io/log_ring.ts";
import { workerLogThread } from "../core/io/worker_log_thread.ts";
import { StorageError, StorageErrorCode } from "../core/storage/storage_error.ts";
import { createClient } from "../mod.ts";
import { fourLetterWord } from "./support/four_letter.ts";
import { freePort } from "./support/ports.ts";
import { REPO_ROOT, typeScriptCommand } from "./support/runtime.ts";
import { launchServer, ServerKind } from "./support/server_process.ts";
import { PADDOCK_ENTRY, startPaddock } from "./support/servers.ts";
import { openStore, tempDir } from "./support/storage_fixture.ts";
import { findExecutable } from "./support/which.ts";
import { writeZooCfg } from "./support/zoo_cfg.ts";

test("records larger than a ring entry, and a history that wraps the ring, come back byte for byte", async () => {
  const dir = tempDir("log-thread");
  const lines: string[] = [];
  const logThread = workerLogThread(dir.path, (line) => lines.push(line));
  assert.ok(logThread !== null, lines.join("; "));
  try {
    const payload = (zxid: number, length: number) => new Uint8Array(length).map((_, i) => (zxid * 13 + i) & 0xff);
    const sizes = [3 * 1024 * 1024 + 5, 1, 700, ...Array.from({ length: 6000 }, (_, i) => 100 + (i % 3000))];
    const first = openStore(nodeDisk(), dir.path, { preAllocSizeKb: 64, logThread, snapCount: 1_000_000 }).store;
    await first.recover();
    let total = 0;
    await Promise.all(sizes.map((length, i) => {
      total += length;
      return first.append({ zxid: BigInt(i + 1), bytes: payload(i + 1, length) });
    }));
    assert.ok(total > 2 * RING_BYTES, `only ${total} bytes: the ring did not wrap`);
    const stats = first.stats();
    assert.equal(stats.txnsSynced, sizes.length);
    assert.ok(stats.fsyncs >= 1 && stats.fsyncs <= sizes.length, `fsyncs ${stats.fsyncs}`);
    await first.close();

    const second = openStore(nodeDisk(), dir.path, { preAllocSizeKb: 64 }).store;
    const { txns } = await second.recover();
    await second.close();
    assert.equal(txns.length, sizes.length);
    txns.forEach((txn, i) => {
      assert.equal(txn.zxid, BigInt(i + 1));
      assert.deepEqual(txn.bytes, payload(i + 1, sizes[i]!), `txn ${i + 1}`);
    });
  } finally {
    dir.remove();
  }
});

test("a failure of the log thread is final: what waits and everything after is refused as a write failure", async () => {
  const dir = tempDir("log-thread-fail");
  const logThread = workerLogThread(dir.path, () => {});
  assert.ok(logThread !== null);
  try {
    // Records with no segment to go to: the thread gives up, as on a failed write.
    const write = await logThread.write(new Uint8Array(10));
    await assert.rejects(write.durable, (error: unknown) => error instanceof StorageError && error.code === StorageErrorCode.writeFailed && /log thread/.test(error.message));
    await assert.rejects(logThread.write(new Uint8Array(10)), StorageError);
    await assert.rejects(logThread.idle(), StorageError);
  } finally {
    await logThread.close();
    dir.remove();
  }
});

/** Why the file-size limit cannot stand in for a full disk here, or false. */
function fileSizeLimitMissing(): string | false {
  if (process.platform !== "linux") return "needs Linux's RLIMIT_FSIZE (ulimit -f) to stand in for a full disk";
  if (findExecutable("sh", ["/bin/sh", "/usr/bin/sh"]) === undefined) return "needs /bin/sh for ulimit -f";
  return false;
}

test("the log thread's write failing (the file-size limit as a full disk) stops the server serving writes; what it acknowledged survives", { skip: fileSizeLimitMissing(), timeout: 120_000 }, async () => {
  const clientPort = await freePort();
  // Segments grow 64 KiB at a time, so the limit is met by the log thread's growth or write, not
  // by the first segment (which the event loop makes).
  const cfg = writeZooCfg({ clientPort, tickTimeMs: 200, extra: { preAllocSize: 64 } });
  const paddock = typeScriptCommand(resolve(REPO_ROOT, PADDOCK_ENTRY), ["server", cfg.path]);
  // The runtime ignores SIGXFSZ (Deno does not by itself), so the limit is an EFBIG error, as ENOSPC
  // would be. `ulimit -f` counts 512-byte blocks in dash, 1 KiB in bash: 4 or 8 MiB.
  const limited = { command: "/bin/sh", args: ["-c", `trap "" XFSZ; ulimit -f 8192 && exec "$@"`, "sh", paddock.command, ...paddock.args] };
  const server = await launchServer({ kind: ServerKind.paddock, command: limited, cwd: REPO_ROOT, port: clientPort, dir: cfg.dir, removeDirOnStop: false, readyTimeoutMs: 60_000 });
  const acknowledged: string[] = [];
  let firstError: unknown = null;
  const client = createClient(server.connectString, { sessionTimeoutMs: 4_000 });
  try {
    await client.ready({ signal: AbortSignal.timeout(20_000) });
    await client.create("/t", null);
    const value = new Uint8Array(1024).fill(7);
    // Bounded: 12,000 KiB of values is past either limit.
    for (let round = 0; round < 375 && firstError === null; round += 1) {
      const paths = Array.from({ length: 32 }, (_, i) => `/t/n-${round * 32 + i}`);
      const results = await Promise.allSettled(paths.map((path) => client.create(path, value)));
      results.forEach((result, i) => {
        if (result.status === "fulfilled") acknowledged.push(paths[i]!);
        else firstError ??= result.reason;
      });
    }
    assert.ok(firstError !== null, `every one of ${acknowledged.length} writes succeeded past the file-size limit`);
    assert.ok(acknowledged.length > 100, `only ${acknowledged.length} writes before the failure`);
    // Bounded by the deadline: the server stops serving (it exits, as ZooKeeper halts).
    const deadline = Date.now() + 30_000;
    let serving = true;
    while (serving && Date.now() < deadline) {
      serving = await fourLetterWord({ host: server.host, port: server.port, word: "ruok", timeoutMs: 1_000 }).then((a) => a === "imok", () => false);
      if (serving) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(serving, false, "the server still answers after its log failed");
    assert.match(server.output(), /txn log append failed, the server stops: .*log thread/);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- server output ---\n${server.output().slice(-4000)}`, { cause: error });
  } finally {
    await client.close().catch(() => {});
    await server.stop({ keepDir: true });
  }

  // Without the limit, on the same data: every acknowledged create is there.
  const again = await startPaddock({ clientPort: await freePort(), tickTimeMs: 200, dir: cfg.dir });
  const reader = createClient(again.connectString, { sessionTimeoutMs: 4_000 });
  try {
    await reader.ready({ signal: AbortSignal.timeout(20_000) });
    const { children } = await reader.getChildren("/t");
    const present = new Set(children.map((name) => `/t/${name}`));
    const lost = acknowledged.filter((path) => !present.has(path));
    assert.deepEqual(lost, [], `${lost.length} acknowledged creates lost`);
  } finally {
    await reader.close().catch(() => {});
    await again.stop();
  }
});
