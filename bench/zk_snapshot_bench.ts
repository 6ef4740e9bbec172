/**
 * ZooKeeper-format SNAP of a large tree (default 1,000,000 znodes): encodes it in chunks as a
 * leader would stream it, decodes each chunk as a learner would receive it (random piece sizes),
 * and checks the copy (node count, digest, every node's fields). Reports time per znode, the
 * longest single encode step or decode push (the event-loop stall a SNAP costs) and the heap.
 * Run: npx tsx bench/zk_snapshot_bench.ts [--nodes 1000000] [--chunk-kib 64]
 */
import { parseArgs } from "node:util";
import { DataTree, OPEN_ACL, ROOT } from "../core/tree/data_tree.ts";
import { encodeZkSnapshot, ZkSnapshotDecoder } from "../core/zab/wire/zk_snapshot.ts";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "1000000" }, "chunk-kib": { type: "string", default: "64" } } });
const NODES = Number(values.nodes);
const CHUNK_BYTES = Number(values["chunk-kib"]) * 1024;
const DATA = new Uint8Array(100).fill(0x61);
const FAN_OUT = 1000;

/** A thousand parents of a thousand 100-byte children, and one session per thousand nodes. */
function buildTree(): DataTree {
  const tree = new DataTree();
  let zxid = 1n;
  const parents = Math.ceil(NODES / FAN_OUT);
  for (let p = 0; p < parents; p++) {
    tree.createNode(`/p${p}`, { data: DATA, acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: p + 1, zxid: zxid++, time: 1n });
  }
  for (let c = 0; tree.nodeCount < NODES; c++) {
    for (let p = 0; p < parents && tree.nodeCount < NODES; p++) {
      tree.createNode(`/p${p}/n-${c}`, { data: DATA, acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: c + 1, zxid: zxid++, time: 2n });
    }
  }
  tree.lastProcessedZxid = zxid - 1n;
  return tree;
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

let t0 = performance.now();
const tree = buildTree();
console.log(`built ${tree.nodeCount.toLocaleString("en-US")} znodes in ${(performance.now() - t0).toFixed(0)} ms`);
const sessions = Array.from({ length: Math.ceil(NODES / 1000) }, (_, i) => ({ sessionId: 0x100000000000000n + BigInt(i), timeoutMs: 30_000 }));

// Stream: each chunk goes to the decoder as it is made (in random-sized pieces, as TCP delivers
// them), so only the two trees are held. A generator step or a push is what a server's event
// loop would be stalled by.
const copy = new DataTree();
const decoder = new ZkSnapshotDecoder(copy);
let seed = 12345;
const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
let encodeMs = 0;
let decodeMs = 0;
let longestStepMs = 0;
let longestPushMs = 0;
let bytes = 0;
let chunkCount = 0;
const chunks = encodeZkSnapshot(tree, sessions, { chunkBytes: CHUNK_BYTES });
for (;;) {
  let t = performance.now();
  const step = chunks.next();
  const stepMs = performance.now() - t;
  encodeMs += stepMs;
  longestStepMs = Math.max(longestStepMs, stepMs);
  if (step.done) break;
  const chunk = step.value;
  bytes += chunk.length;
  chunkCount++;
  for (let at = 0; at < chunk.length;) {
    const end = Math.min(chunk.length, at + 1 + Math.floor(random() * 128 * 1024));
    t = performance.now();
    decoder.push(chunk.subarray(at, end));
    const pushMs = performance.now() - t;
    decodeMs += pushMs;
    longestPushMs = Math.max(longestPushMs, pushMs);
    at = end;
  }
}
decoder.end();
console.log(`encode: ${mib(bytes)} MiB in ${chunkCount} chunks, ${encodeMs.toFixed(0)} ms (${(encodeMs * 1e6 / tree.nodeCount).toFixed(0)} ns/znode), longest step ${longestStepMs.toFixed(1)} ms`);
console.log(`decode: ${decodeMs.toFixed(0)} ms (${(decodeMs * 1e6 / copy.nodeCount).toFixed(0)} ns/znode), longest push ${longestPushMs.toFixed(1)} ms`);

// The copy must be the tree.
if (copy.nodeCount !== tree.nodeCount) throw new Error(`node count ${copy.nodeCount} != ${tree.nodeCount}`);
if (copy.digest !== tree.digest) throw new Error(`digest ${copy.digest} != ${tree.digest}`);
if (decoder.sessions.length !== sessions.length) throw new Error("sessions differ");
t0 = performance.now();
for (const [path, node] of tree.nodes) {
  const other = copy.getNode(path);
  if (other === undefined || other.czxid !== node.czxid || other.mzxid !== node.mzxid || other.pzxid !== node.pzxid ||
    other.cversion !== node.cversion || other.version !== node.version || other.data.length !== node.data.length ||
    other.children.size !== node.children.size || other.digest !== node.digest) {
    throw new Error(`${path} differs after the round trip`);
  }
}
console.log(`verified every znode (digest ${copy.digest}) in ${(performance.now() - t0).toFixed(0)} ms; root children ${copy.getNode(ROOT)!.children.size}`);
const heap = process.memoryUsage();
console.log(`heap used ${mib(heap.heapUsed)} MiB, rss ${mib(heap.rss)} MiB (both trees held)`);
