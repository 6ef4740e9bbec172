// Durability seen from a client: with the txn log's fsync held, no reply to a write leaves the
// server (and the change is not visible) until the fsync returns; with forceSync=no, nothing is
// fsynced and writes are answered at once. Real files, real sockets, the real client; only the
// fsync of log segments is gated, because a held fsync cannot be made on a real disk on demand.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createClient } from "../mod.ts";
import { systemClock } from "../core/io/clock.ts";
import type { Disk, DiskFile } from "../core/io/disk.ts";
import { nodeDisk } from "../core/io/node_disk.ts";
import { listen } from "../core/io/node_listener.ts";
import { defaultServerConfig, type ServerConfig } from "../core/server/server_config.ts";
import { StandaloneRole } from "../core/server/standalone_role.ts";
import { ZkDatabase } from "../core/server/zk_database.ts";
import { ZkServer } from "../core/server/zk_server.ts";
import { FileStore } from "../core/storage/file_store.ts";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A gate on fsync of txn log segments, and how many such fsyncs were asked for. */
class FsyncGate {
  held = false;
  logSyncs = 0;
  #waiting: (() => void)[] = [];

  /** Resolves when the gate is open. */
  pass(): Promise<void> {
    if (!this.held) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    this.held = false;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }

  get waiting(): number {
    return this.#waiting.length;
  }
}

/** nodeDisk, except that sync() of a `log.*` file first waits at the gate. */
function gatedDisk(gate: FsyncGate): Disk {
  const disk = nodeDisk();
  return {
    ...disk,
    async open(path, mode) {
      const file = await disk.open(path, mode);
      if (!/\/log\.[0-9a-f]+$/.test(path)) return file;
      const gated: DiskFile = {
        path: file.path,
        read: (into, position) => file.read(into, position),
        write: (data, position) => file.write(data, position),
        truncate: (size) => file.truncate(size),
        size: () => file.size(),
        close: () => file.close(),
        async sync() {
          gate.logSyncs++;
          await gate.pass();
          await file.sync();
        },
      };
      return gated;
    },
  };
}

/** A standalone server on `store`, recovered and serving, without sockets (the test listens itself). */
async function standaloneServer(opts: { config: ServerConfig; store: FileStore; yieldToIo?: () => Promise<void> }): Promise<ZkServer> {
  const db = new ZkDatabase({ tickMs: opts.config.tickTime, serverId: 0, extendedTypesEnabled: false, wallMs: systemClock.wallMs() });
  await db.recover(opts.store, systemClock, () => {});
  const server = new ZkServer({ config: opts.config, db, store: opts.store, clock: systemClock, yieldToIo: opts.yieldToIo });
  server.setRole(new StandaloneRole(server, opts.store));
  return server;
}

async function startGated(gate: FsyncGate, forceSync: boolean) {
  const dataDir = mkdtempSync(join(tmpdir(), "paddock-fsync-"));
  dirs.push(dataDir);
  const config = defaultServerConfig({ dataDir, dataLogDir: dataDir, forceSync, tickTime: 200 });
  const store = new FileStore({ disk: gatedDisk(gate), dataDir, forceSync, random: Math.random });
  const server = await standaloneServer({ config, store, yieldToIo: () => new Promise((r) => setTimeout(r, 0)) });
  const listener = await listen(server, { host: "127.0.0.1", port: 0 });
  const timer = setInterval(() => server.tick(), 100);
  return {
    connectString: `127.0.0.1:${listener.port}`,
    async close() {
      clearInterval(timer);
      await listener.close();
      await server.stop();
    },
  };
}

/** Settles with "pending" when the promise has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | "pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<"pending">((r) => (timer = setTimeout(() => r("pending"), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

test("a held fsync holds the reply: no write is answered, or visible, before its txn is durable", { timeout: 60_000 }, async () => {
  const gate = new FsyncGate();
  const server = await startGated(gate, true);
  await using writer = createClient(server.connectString);
  await using reader = createClient(server.connectString);
  await Promise.all([writer.ready(), reader.ready()]);
  await writer.create("/held", "v0");
  gate.held = true;
  const syncsBefore = gate.logSyncs;
  const write = writer.setData("/held", "v1");
  const readAfterWrite = writer.getData("/held"); // same session: FIFO behind the write
  assert.equal(await within(write, 700), "pending", "the setData reply waits for the fsync");
  assert.equal(await within(readAfterWrite, 10), "pending", "so does the session's next request");
  assert.ok(gate.logSyncs > syncsBefore && gate.waiting > 0, "the write is at the fsync");
  const other = await reader.getData("/held");
  assert.equal(new TextDecoder().decode(other.data!), "v0", "another session still reads the old value: not applied before durable");
  gate.release();
  const stat = await within(write, 10_000);
  assert.notEqual(stat, "pending");
  assert.equal((stat as { version: number }).version, 1);
  const after = await readAfterWrite;
  assert.equal(new TextDecoder().decode(after.data!), "v1");
  await writer.close();
  await reader.close();
  await server.close();
});

test("forceSync=no: no fsync at all, writes answered at once, and the data is there after a restart", { timeout: 60_000 }, async () => {
  const gate = new FsyncGate();
  gate.held = true; // would block forever if anything fsynced a log segment
  const first = await startGated(gate, false);
  const dataDirOf = dirs.at(-1)!;
  {
    await using client = createClient(first.connectString);
    await client.ready();
    for (let i = 0; i < 20; i++) {
      const created = await within(client.create(`/nosync-${i}`, `v${i}`), 5_000);
      assert.notEqual(created, "pending", `create ${i} answered without an fsync`);
    }
  }
  assert.equal(gate.logSyncs, 0, "forceSync=no: the txn log is never fsynced");
  await first.close();
  // Restart on the same directory (a clean stop: the page cache has everything).
  const config = defaultServerConfig({ dataDir: dataDirOf, dataLogDir: dataDirOf, forceSync: false });
  const store = new FileStore({ disk: nodeDisk(), dataDir: dataDirOf, forceSync: false, random: Math.random });
  const restarted = await standaloneServer({ config, store });
  for (let i = 0; i < 20; i++) {
    assert.equal(new TextDecoder().decode(restarted.tree.getNode(`/nosync-${i}`)?.data), `v${i}`);
  }
  await restarted.stop();
  await store.close();
});
