// The tree digest in the running server: every txn Paddock decides carries the digest its tree
// will have after it (ZooKeeper's TxnDigest, precalculated in prep as ZooKeeper does), and every
// txn applied (live, and again in recovery) is checked against it. A seeded workload of every
// write kind through real clients, pipelined so that many txns are prepared before the first is
// applied, leaves no mismatch; the log holds a digest beside every txn, and the last one equals
// the tree's. A txn whose digest is wrong is caught and counted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Acls, type Client, createClient, CreateMode, KeeperError } from "../mod.ts";
import { startServer } from "../core/server/start_server.ts";
import { ZkDatabase } from "../core/server/zk_database.ts";
import { nodeDisk } from "../core/io/node_disk.ts";
import { OpCode } from "../core/proto/op_code.ts";
import { decodeTxn, encodeTxn } from "../core/txn/txn_codec.ts";
import { DIGEST_VERSION } from "../core/tree/tree_digest.ts";
import { fourLetterWord } from "./support/four_letter.ts";
import { SeededRandom } from "./support/seeded_random.ts";
import { openStore, tempDir } from "./support/storage_fixture.ts";

const SEED = Number(process.env.DIGEST_SEED ?? 20261207);
const ROUNDS = 40;

async function mismatches(port: number): Promise<number> {
  const text = await fourLetterWord({ host: "127.0.0.1", port, word: "mntr" });
  const line = text.split("\n").find((l) => l.startsWith("zk_digest_mismatches_count\t"));
  assert.ok(line !== undefined, "mntr reports zk_digest_mismatches_count");
  return Number(line.split("\t")[1]);
}

/** One round of writes of every kind from three sessions, not awaited one by one. */
function round(clients: Client[], random: () => number, r: number): Promise<unknown>[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const ops: Promise<unknown>[] = [];
  for (const [i, client] of clients.entries()) {
    const base = `/d/s${i}`;
    ops.push(
      client.create(`${base}/n${r}`, `v${r}`),
      client.create(`${base}/seq-`, "s", { mode: CreateMode.PERSISTENT_SEQUENTIAL }),
      client.create(`${base}/e${r}`, "e", { mode: pick([CreateMode.EPHEMERAL, CreateMode.EPHEMERAL_SEQUENTIAL]) }),
      client.create(`${base}/c${r}`, null, { mode: CreateMode.CONTAINER }),
      client.create(`${base}/c${r}/child`, "x"),
      client.create(`${base}/ttl${r}`, "t", { mode: CreateMode.PERSISTENT_WITH_TTL, ttlMs: 60_000 }),
      client.setData(`${base}/n${r}`, `w${r}`),
      client.setData(`${base}/n${Math.floor(random() * (r + 1))}`, pick(["a", "bb", ""])),
      client.setACL(`${base}/n${r}`, pick([Acls.OPEN_ACL_UNSAFE, Acls.READ_ACL_UNSAFE])),
      client.delete(`${base}/c${r}/child`),
      client.multi([
        { op: "create", path: `${base}/m${r}`, data: null, acl: Acls.OPEN_ACL_UNSAFE, mode: CreateMode.PERSISTENT, ttlMs: -1 },
        { op: "setData", path: `${base}/m${r}`, data: new TextEncoder().encode("m"), version: 0 },
        { op: "check", path: `${base}/n${r}`, version: pick([-1, 0, 5]) },
      ]),
      // Fails: an error txn, which changes nothing and still carries a digest.
      client.delete(`${base}/missing${r}`),
    );
    if (random() < 0.3) ops.push(client.delete(`${base}/n${Math.floor(random() * (r + 1))}`));
  }
  return ops.map((p) => p.catch((err: unknown) => {
    if (!(err instanceof KeeperError)) throw err;
  }));
}

test("every txn carries the digest it leaves; none mismatches, live or in recovery; the log's last digest is the tree's", { timeout: 120_000 }, async () => {
  const dir = tempDir("digest-live");
  try {
    const seeded = new SeededRandom(SEED);
    const random = () => seeded.next();
    const config = { clientPort: 0, dataDir: dir.path, tickTime: 200, fourLetterWords: new Set(["mntr"]) };
    let server = await startServer(config);
    const clients = await Promise.all([0, 1, 2].map(async () => {
      const client = createClient(server.connectString, { sessionTimeoutMs: 4_000 });
      await client.ready();
      return client;
    }));
    await clients[0]!.create("/d", null);
    for (const i of [0, 1, 2]) await clients[0]!.create(`/d/s${i}`, null);
    for (let r = 0; r < ROUNDS; r++) await Promise.all(round(clients, random, r));
    // Sessions with ephemerals close: closeSession txns delete them.
    await clients[1]!.close();
    await clients[2]!.close();
    await clients[0]!.close();
    assert.equal(await mismatches(server.port), 0, `no digest mismatch (seed ${SEED})`);
    const digest = server.server.db.tree.digest;
    const lastZxid = server.server.db.lastProcessedZxid;
    await server.close();

    // Every txn in the log carries a digest; the last one is the tree's.
    const { store } = openStore(nodeDisk(), dir.path);
    const recovered = await store.recover();
    await store.close();
    assert.ok(recovered.txns.length > ROUNDS * 30, `${recovered.txns.length} txns logged`);
    let last: bigint | undefined;
    for (const entry of recovered.txns) {
      const { digest: logged } = decodeTxn(entry.bytes);
      assert.ok(logged !== undefined && logged.version === DIGEST_VERSION, `txn 0x${entry.zxid.toString(16)} carries a version-2 digest`);
      if (entry.zxid === lastZxid) last = logged.treeDigest;
    }
    assert.equal(last, digest, "the digest logged with the last txn is the tree's");

    // Recovery replays the log and checks every digest again.
    server = await startServer(config);
    try {
      assert.equal(server.server.db.lastProcessedZxid, lastZxid);
      assert.equal(server.server.db.tree.digest, digest);
      assert.equal(await mismatches(server.port), 0, "recovery found no mismatch");
    } finally {
      await server.close();
    }
  } finally {
    dir.remove();
  }
});

test("a txn whose logged digest differs from the tree after it is counted and reported once", () => {
  const lines: string[] = [];
  const db = new ZkDatabase({ tickMs: 100, serverId: 1, extendedTypesEnabled: false, wallMs: 0, log: (l) => lines.push(l) });
  const header = (zxid: bigint) => ({ sessionId: 0n, cxid: 0, zxid, time: 1n, type: OpCode.create });
  const create = (path: string) => ({ type: OpCode.create, path, data: new Uint8Array(0), acl: Acls.OPEN_ACL_UNSAFE, ephemeralOwner: 0n, parentCVersion: 1 }) as const;
  // The right digest: what a second database reaches by applying the same txn.
  const twin = new ZkDatabase({ tickMs: 100, serverId: 1, extendedTypesEnabled: false, wallMs: 0 });
  twin.apply(header(1n), create("/a"), 0);
  db.applyBytes(encodeTxn(header(1n), create("/a"), { version: DIGEST_VERSION, treeDigest: twin.tree.digest }), 0);
  assert.equal(db.digestMismatches, 0);
  db.applyBytes(encodeTxn(header(2n), { ...create("/b"), parentCVersion: 2 }, { version: DIGEST_VERSION, treeDigest: 12345n }), 0);
  db.applyBytes(encodeTxn(header(3n), { ...create("/c"), parentCVersion: 3 }, { version: DIGEST_VERSION, treeDigest: 6789n }), 0);
  assert.equal(db.digestMismatches, 2);
  assert.equal(lines.length, 1, "only the first mismatch is logged in full");
  assert.match(lines[0]!, /digest mismatch on txn 0x2/);
  // Another digest version is not compared (ZooKeeper skips it too).
  db.applyBytes(encodeTxn(header(4n), { ...create("/d"), parentCVersion: 4 }, { version: DIGEST_VERSION + 1, treeDigest: 1n }), 0);
  assert.equal(db.digestMismatches, 2);
});

test("a committed txn the tree cannot take is skipped, logged and counted, as ZooKeeper's DataTree does; applying goes on", () => {
  // Seen in a mixed ensemble: ZooKeeper 3.9.3 leaves txns a follower took in a DIFF before NEWLEADER
  // out of its committed log, and as leader later sends a DIFF with a hole in it.
  const lines: string[] = [];
  const db = new ZkDatabase({ tickMs: 100, serverId: 1, extendedTypesEnabled: false, wallMs: 0, log: (l) => lines.push(l) });
  const header = (zxid: bigint, type: number) => ({ sessionId: 0n, cxid: 0, zxid, time: 1n, type });
  const create = (path: string, parentCVersion: number) => ({ type: OpCode.create, path, data: new Uint8Array(0), acl: Acls.OPEN_ACL_UNSAFE, ephemeralOwner: 0n, parentCVersion }) as const;
  db.apply(header(1n, OpCode.create), create("/a", 1), 0);
  const missing = db.apply(header(2n, OpCode.multi), { type: OpCode.multi, txns: [{ type: OpCode.delete, path: "/gone" }, create("/b", 2)] }, 0);
  assert.deepEqual(missing.multi!.map((r) => r.err), [-101, 0], "the delete reports NONODE, the create still applies");
  const twice = db.apply(header(3n, OpCode.create), create("/a", 3), 0);
  assert.equal(twice.err, -110);
  assert.equal(db.inconsistentTxns, 2);
  assert.equal(db.lastProcessedZxid, 3n);
  assert.ok(db.tree.getNode("/b") !== undefined);
  assert.equal(lines.filter((l) => /does not apply to this tree \(delete \/gone: missing\)/.test(l)).length, 1, lines.join("\n"));
});
