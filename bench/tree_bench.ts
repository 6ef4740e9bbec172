/**
 * Micro benchmarks of the DataTree at 100k znodes: lookup, setData, create, and the children
 * listing (which orders names like Java's HashSet, so it sorts).
 * Run: npx tsx bench/tree_bench.ts [--time-ms 500]
 */
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import { encodeSnapshot } from "../core/server/snapshot_codec.ts";
import { SessionTracker } from "../core/session/session_tracker.ts";
import { DataTree, NO_SLOT, OPEN_ACL } from "../core/tree/data_tree.ts";
import { microTable } from "./micro_table.ts";

const NODES = 100_000;
/** 100 parents of 1000 children: a realistic fan-out, plus one flat directory below. */
const PARENTS = 100;
const FLAT_CHILDREN = 10_000;
const DATA = new Uint8Array(100).fill(0x62);
/** Operations per benchmark call, so the harness's per-call overhead is amortised. */
const BATCH = 100;

function childPath(parent: number, child: number): string {
  return `/p${parent}/n-${String(child).padStart(6, "0")}`;
}

/** Builds the tree through the same createNode the txn applier calls. */
function buildTree(): { tree: DataTree; paths: string[]; zxid: { next: bigint } } {
  const tree = new DataTree();
  const zxid = { next: 1n };
  const create = (path: string, cversion: number) =>
    tree.createNode(path, { data: DATA, acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: cversion, zxid: zxid.next++, time: 0n });
  for (let p = 0; p < PARENTS; p++) create(`/p${p}`, p + 1);
  const paths: string[] = [];
  const perParent = NODES / PARENTS;
  for (let c = 0; c < perParent; c++) {
    for (let p = 0; p < PARENTS; p++) {
      const path = childPath(p, c);
      create(path, c + 1);
      paths.push(path);
    }
  }
  // Creates during the benchmark go under their own parents so the listings below stay the size they say.
  for (let p = 0; p < PARENTS; p++) create(`/g${p}`, PARENTS + p + 1);
  create("/flat", 2 * PARENTS + 1);
  for (let c = 0; c < FLAT_CHILDREN; c++) create(`/flat/f-${c}`, c + 1);
  return { tree, paths, zxid };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { "time-ms": { type: "string", default: "500" } } });
  const built = performance.now();
  const { tree, paths, zxid } = buildTree();
  console.log(`built ${tree.nodeCount.toLocaleString("en-US")} znodes in ${(performance.now() - built).toFixed(0)} ms`);
  const bench = new Bench({ time: Number(values["time-ms"]), warmupTime: 200 });
  let i = 0;
  let created = 0;
  let sink = 0;
  // A multiplicative stride visits the paths in a cache-unfriendly order, like real traffic.
  const next = () => (i = (i + 7919) % paths.length);
  const parent0 = tree.find("/p0");
  const flat = tree.find("/flat");
  bench
    .add("find (hit)", () => {
      for (let k = 0; k < BATCH; k++) {
        sink += tree.store.version(tree.find(paths[next()]!));
      }
    })
    .add("find (miss)", () => {
      for (let k = 0; k < BATCH; k++) {
        sink += tree.find("/p1/missing") === NO_SLOT ? 1 : 0;
      }
    })
    .add("setData 100 B", () => {
      for (let k = 0; k < BATCH; k++) {
        sink += tree.store.version(tree.setData(paths[next()]!, DATA, 1, zxid.next++, 0n));
      }
    })
    .add("createNode 100 B (tree keeps growing)", () => {
      for (let k = 0; k < BATCH; k++) {
        const p = created % PARENTS;
        const slot = tree.createNode(`/g${p}/x-${created++}`, { data: DATA, acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: 0, zxid: zxid.next++, time: 0n });
        sink += tree.store.version(slot);
      }
    })
    .add(`childrenOf (${tree.store.numChildren(parent0)} children)`, () => {
      sink += tree.childrenOf(parent0).length;
    })
    .add(`childrenOf (${FLAT_CHILDREN} children)`, () => {
      sink += tree.childrenOf(flat).length;
    });
  await bench.run();
  const listings = bench.tasks.filter((t) => t.name.startsWith("childrenOf")).map((t) => [t.name, 1]);
  console.log(microTable(bench, { defaultOpsPerCall: BATCH, opsPerCall: Object.fromEntries(listings) }));
  console.log(`(${tree.nodeCount.toLocaleString("en-US")} znodes at the end; checksum ${sink % 10})`);
  // The server encodes snapshots on its event loop (every snapCount txns): one encode is one
  // pause for every connection, so its wall time matters more than its throughput.
  const sessions = new SessionTracker({ tickMs: 2000, serverId: 0, nowMs: 0 });
  const timings: number[] = [];
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    sink += encodeSnapshot(tree, sessions).length;
    timings.push(performance.now() - t0);
  }
  console.log(`encodeSnapshot of ${tree.nodeCount.toLocaleString("en-US")} znodes (100 B each): ${timings.map((t) => t.toFixed(0)).join(", ")} ms`);
}

await main();
