/**
 * CPU per request of the server itself: a ZkServer on a FileStore over the in-memory disk (fsync
 * is free), connections that are plain objects (no sockets, no client process), a closed loop of
 * pipelined requests per connection built from the load generator's templates. What is left is
 * what the event loop spends per request (prep, log encoding and CRC, apply, digest, reply,
 * garbage collection), without the noise of a shared machine's scheduler and disk: the number to
 * watch when making a request cheaper.
 *
 * Run: npx tsx bench/server_cpu_bench.ts [--workload create|setData|delete|getData|mix] [--seconds 5]
 *        [--connections 8] [--inflight 16] [--value 100] [--znodes 0]
 * (Build with esbuild and run under node for numbers without tsx's wrappers: see the README.)
 */
import { PerformanceObserver } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { systemClock } from "../core/io/clock.ts";
import { type Disk, type DiskFile, OpenMode, type OpenOptions } from "../core/io/disk.ts";
import type { ServerSocket, SocketHandler } from "../core/io/socket.ts";
import { defaultServerConfig } from "../core/server/server_config.ts";
import { StandaloneRole } from "../core/server/standalone_role.ts";
import { ZkDatabase } from "../core/server/zk_database.ts";
import { ZkServer } from "../core/server/zk_server.ts";
import { FileStore } from "../core/storage/file_store.ts";
import { STANDALONE_HISTORY_LIMITS } from "../core/zab/history.ts";
import { connectFrame, stampRequest } from "./wire.ts";
import type { ConnectionPlan } from "./load_connection.ts";
import { prepareCount, preparePlan, type SessionSlot, type Workload, workloadPaths, workloadPlan } from "./workloads.ts";

/**
 * A disk that keeps nothing: writes and syncs succeed at once (the bench measures the server's
 * CPU, not a disk's, and an in-memory disk's own copies would show up as the server's GC).
 */
function nullDisk(): Disk {
  const names = new Map<string, Set<string>>();
  const dirOfPath = (path: string) => path.slice(0, path.lastIndexOf("/"));
  const baseOfPath = (path: string) => path.slice(path.lastIndexOf("/") + 1);
  const entries = (dir: string) => names.get(dir) ?? names.set(dir, new Set()).get(dir)!;
  return {
    open(path: string, mode: OpenMode, options?: OpenOptions): Promise<DiskFile> {
      if (mode !== OpenMode.create && !entries(dirOfPath(path)).has(baseOfPath(path))) return Promise.reject(new Error(`ENOENT ${path}`));
      entries(dirOfPath(path)).add(baseOfPath(path));
      let size = 0;
      return Promise.resolve({
        path,
        syncsWrites: options?.syncWrites === true,
        read: () => Promise.resolve(0),
        write: (data: Uint8Array, position: number) => {
          size = Math.max(size, position + data.length);
          return Promise.resolve();
        },
        sync: () => Promise.resolve(),
        truncate: (bytes: number) => {
          size = bytes;
          return Promise.resolve();
        },
        size: () => Promise.resolve(size),
        close: () => Promise.resolve(),
      });
    },
    list: (dir) => Promise.resolve([...entries(dir)]),
    mkdir: (dir) => Promise.resolve(void entries(dir)),
    rename: (from, to) => {
      entries(dirOfPath(from)).delete(baseOfPath(from));
      entries(dirOfPath(to)).add(baseOfPath(to));
      return Promise.resolve();
    },
    unlink: (path) => Promise.resolve(void entries(dirOfPath(path)).delete(baseOfPath(path))),
    syncDir: () => Promise.resolve(),
  };
}

/** One in-process connection: the server's socket and the client loop around it. */
class LoopConnection implements ServerSocket {
  readonly remoteAddress = "127.0.0.1";
  readonly remotePort: number;
  handler!: SocketHandler;
  #pending: Uint8Array[] = [];
  #handshaken = false;
  #sent = 0;
  #xid = 1;
  answered = 0;
  errors = 0;
  stopping = false;
  #quota: number;
  onReady: () => void = () => {};
  onDone: () => void = () => {};

  constructor(port: number, readonly plan: ConnectionPlan, readonly inFlight: number, quota = Infinity) {
    this.remotePort = port;
    this.#quota = quota;
  }

  write(bytes: Uint8Array): void {
    this.#pending.push(bytes);
    // A macrotask, as a socket read is: the loop must let timers and I/O run.
    if (this.#pending.length === 1) setImmediate(() => this.#read());
  }

  close(): void {}
  pause(): void {}
  resume(): void {}

  #read(): void {
    const chunks = this.#pending;
    this.#pending = [];
    let replies = 0;
    for (const chunk of chunks) {
      // Every write the server makes here is one whole reply frame.
      if (!this.#handshaken) {
        this.#handshaken = true;
        this.onReady();
        continue;
      }
      const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (view.getInt32(4) < 0) continue;
      if (view.getInt32(16) !== 0) this.errors++;
      replies++;
    }
    this.answered += replies;
    if (replies > 0) this.#send(replies);
  }

  start(): void {
    this.#send(this.inFlight);
  }

  #send(count: number): void {
    if (this.stopping || this.#sent >= this.#quota) {
      if (this.answered >= this.#sent) this.onDone();
      return;
    }
    const n = Math.min(count, this.#quota - this.#sent);
    for (let i = 0; i < n; i++) {
      const seq = this.#sent++;
      const template = this.plan.templates[this.plan.templateFor(seq)]!;
      const frame = new Uint8Array(template.bytes.length);
      stampRequest(frame, 0, template, this.#xid++, this.plan.suffixFor(seq));
      this.handler.data(frame);
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      workload: { type: "string", default: "setData" },
      seconds: { type: "string", default: "5" },
      connections: { type: "string", default: "8" },
      inflight: { type: "string", default: "16" },
      value: { type: "string", default: "100" },
      znodes: { type: "string", default: "0" },
    },
  });
  const workload = values.workload as Workload;
  const valueBytes = Number(values.value);
  const config = defaultServerConfig({ dataDir: "/data", inMemory: false });
  const disk = nullDisk();
  const store = new FileStore({ disk, dataDir: "/data", random: () => 0.5, monoMs: () => performance.now() });
  const db = new ZkDatabase({ tickMs: 2000, serverId: 0, extendedTypesEnabled: false, wallMs: Date.now(), historyLimits: STANDALONE_HISTORY_LIMITS });
  await db.recover(store, systemClock, () => {});
  const server = new ZkServer({ config, db, store, clock: systemClock, yieldToIo: () => new Promise((r) => setTimeout(r, 0)) });
  server.setRole(new StandaloneRole(server, store));
  let port = 40000;
  const open = async (plan: ConnectionPlan, inFlight: number, quota?: number): Promise<LoopConnection> => {
    const c = new LoopConnection(port++, plan, inFlight, quota);
    c.handler = server.accept(c);
    const ready = new Promise<void>((r) => (c.onReady = r));
    c.handler.data(connectFrame(30_000));
    await ready;
    return c;
  };
  const run = async (plan: ConnectionPlan, quota: number) => {
    const c = await open(plan, 64, quota);
    const done = new Promise<void>((r) => (c.onDone = r));
    c.start();
    await done;
  };
  // The keys (and the create parents), then the tree to its size.
  await run(preparePlan({ valueBytes, keyCount: 1000, paths: workloadPaths(valueBytes, "cpu") }), prepareCount(1000));
  const fill = Number(values.znodes);
  if (fill > 0) {
    await run(preparePlan({ valueBytes: 100, keyCount: 0, paths: workloadPaths(100, "fill") }), prepareCount(0));
    await run(workloadPlan({ workload: "create", valueBytes: 100, keyCount: 1000, paths: workloadPaths(100, "fill"), slot: { worker: 9, session: 0 } }), fill);
  }
  const connections: LoopConnection[] = [];
  for (let s = 0; s < Number(values.connections); s++) {
    const slot: SessionSlot = { worker: 0, session: s };
    const plan = workloadPlan({ workload, valueBytes, keyCount: 1000, paths: workloadPaths(valueBytes, "cpu"), slot });
    connections.push(await open(plan, Number(values.inflight)));
  }
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  observer.observe({ entryTypes: ["gc"] });
  for (const c of connections) c.start();
  await new Promise((r) => setTimeout(r, 1000));
  const answered0 = connections.reduce((n, c) => n + c.answered, 0);
  const cpu0 = process.cpuUsage();
  const gc0 = gcMs;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, Number(values.seconds) * 1000));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const ops = connections.reduce((n, c) => n + c.answered, 0) - answered0;
  const errors = connections.reduce((n, c) => n + c.errors, 0);
  for (const c of connections) c.stopping = true;
  observer.disconnect();
  const cpuUs = cpu.user + cpu.system;
  console.log(`${workload} ${valueBytes} B, ${connections.length} x ${values.inflight}, tree ${db.tree.nodeCount} znodes: ` +
    `${Math.round(ops / seconds).toLocaleString("en-US")} ops/s, ${(cpuUs / ops).toFixed(2)} µs CPU per op ` +
    `(GC ${((gcMs - gc0) * 1000 / ops).toFixed(2)} µs), errors ${errors}`);
  await server.stop();
  await store.close();
}

await main();
