/**
 * The txn log's write path alone, A/B: a FileStore (real files, forceSync on) whose log is written
 * by its own thread (core/io/worker_log_thread.ts) against one written through libuv's thread pool,
 * alternated round by round in one process. Each round keeps `inFlight` appends outstanding for
 * `seconds` (a new append as each one is durable, as pipelining clients do) and reports appends/s
 * and the latency percentiles of append-to-durable. `--busy-ms` burns that much event-loop time per
 * completed append (a server's replies and next requests), which the thread-pool path has to wait
 * for before its next write. The 1-minute load average is printed with every row.
 *
 * Run: npx tsx bench/log_thread_ab.ts [--rounds 3] [--seconds 3] [--in-flight 1,16,128] [--busy-ms 0] [dir]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { nodeDisk } from "../core/io/node_disk.ts";
import { workerLogThread } from "../core/io/worker_log_thread.ts";
import { FileStore } from "../core/storage/file_store.ts";
import { LatencyHistogram } from "./histogram.ts";

const TXN_BYTES = 100;

interface Row {
  variant: string;
  inFlight: number;
  appendsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  avgBatch: number;
  load: number;
}

async function round(variant: "thread" | "pool", dir: string, inFlight: number, seconds: number, busyMs: number): Promise<Row> {
  const logThread = variant === "thread" ? workerLogThread(dir, (line) => console.error(line)) : null;
  if (variant === "thread" && logThread === null) throw new Error("no log thread");
  const store = new FileStore({ disk: nodeDisk(), dataDir: dir, random: () => 0.5, snapCount: 10_000_000, autopurge: false, logThread });
  const recovered = await store.recover();
  let zxid = recovered.txns.at(-1)?.zxid ?? recovered.snapshotZxid;
  // Warm up: the thread loaded, the first segment made.
  await store.append({ zxid: ++zxid, bytes: new Uint8Array(TXN_BYTES) });
  const histogram = new LatencyHistogram();
  const payload = new Uint8Array(TXN_BYTES).fill(7);
  const load = Number(fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  const before = store.stats();
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  await new Promise<void>((resolve) => {
    let outstanding = 0;
    const issue = () => {
      const start = performance.now();
      outstanding += 1;
      store.append({ zxid: ++zxid, bytes: payload }).then(() => {
        histogram.recordMs(performance.now() - start);
        done += 1;
        outstanding -= 1;
        if (busyMs > 0) {
          const until = performance.now() + busyMs;
          // Bounded by the clock: event-loop work per reply.
          while (performance.now() < until);
        }
        if (performance.now() < deadline) issue();
        else if (outstanding === 0) resolve();
      });
    };
    for (let i = 0; i < inFlight; i += 1) issue();
  });
  const after = store.stats();
  await store.close();
  const fsyncs = after.fsyncs - before.fsyncs;
  return {
    variant, inFlight, appendsPerSec: done / seconds, p50Ms: histogram.percentileMs(50), p99Ms: histogram.percentileMs(99), p999Ms: histogram.percentileMs(99.9),
    avgBatch: fsyncs === 0 ? 0 : (after.txnsSynced - before.txnsSynced) / fsyncs, load,
  };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { rounds: { type: "string", default: "3" }, seconds: { type: "string", default: "3" }, "in-flight": { type: "string", default: "1,16,128" }, "busy-ms": { type: "string", default: "0" } },
  });
  const root = positionals[0] ?? os.tmpdir();
  const rows: Row[] = [];
  for (let r = 0; r < Number(values.rounds); r += 1) {
    for (const inFlight of values["in-flight"]!.split(",").map(Number)) {
      // A, B then B, A: neither variant always runs second.
      const order: ("thread" | "pool")[] = r % 2 === 0 ? ["pool", "thread"] : ["thread", "pool"];
      for (const variant of order) {
        const dir = fs.mkdtempSync(path.join(root, "paddock-log-ab-"));
        try {
          const row = await round(variant, dir, inFlight, Number(values.seconds), Number(values["busy-ms"]));
          rows.push(row);
          console.error(`${variant.padEnd(6)} ${String(inFlight).padStart(3)} in flight: ${row.appendsPerSec.toFixed(0)} appends/s, p50 ${row.p50Ms.toFixed(3)} p99 ${row.p99Ms.toFixed(2)} p99.9 ${row.p999Ms.toFixed(2)} ms, ${row.avgBatch.toFixed(1)} txns/write, load ${row.load}`);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  }
  console.log("| in flight | variant | appends/s (each round) | p50 ms | p99 ms | p99.9 ms | txns/write | load |");
  console.log("|---:|---|---|---|---|---|---|---|");
  for (const inFlight of [...new Set(rows.map((r) => r.inFlight))]) {
    for (const variant of ["pool", "thread"]) {
      const mine = rows.filter((r) => r.inFlight === inFlight && r.variant === variant);
      const list = (f: (r: Row) => number, digits: number) => mine.map((r) => f(r).toFixed(digits)).join(", ");
      console.log(`| ${inFlight} | ${variant} | ${list((r) => r.appendsPerSec, 0)} | ${list((r) => r.p50Ms, 3)} | ${list((r) => r.p99Ms, 2)} | ${list((r) => r.p999Ms, 2)} | ${list((r) => r.avgBatch, 1)} | ${list((r) => r.load, 1)} |`);
    }
  }
}

await main();
