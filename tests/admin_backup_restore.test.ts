// Backup and restore through the AdminServer: `snapshot` from one Paddock process, `restore` into
// a fresh one, and the two trees compared node by node (data, ACL, every Stat field); the restore
// survives a restart, later writes carry later zxids, and a bad snapshot changes nothing.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Acls, createClient, CreateMode, type Client, Perms } from "../mod.ts";
import { digestId } from "../core/acl/digest.ts";
import { encodeSnapshot } from "../core/server/snapshot_codec.ts";
import { SessionTracker } from "../core/session/session_tracker.ts";
import { DataTree, OPEN_ACL } from "../core/tree/data_tree.ts";
import { dumpTree } from "./support/dump_tree.ts";
import { freePort } from "./support/ports.ts";
import { paddockAvailable, startPaddock, type ServerHandle } from "./support/servers.ts";

const skip: string | false = paddockAvailable() ? false : "no Paddock entry point";
const SUPER = "super:backup-secret";
const TIMEOUT_MS = 120_000;

interface Started {
  server: ServerHandle;
  admin: string;
  client: Client;
}

const started: Started[] = [];

async function start(dir?: string, adminPort?: number): Promise<Started> {
  const port = adminPort ?? (await freePort());
  const server = await startPaddock({
    ...(dir === undefined ? {} : { dir }),
    extra: {
      "admin.enableServer": true,
      "admin.serverPort": port,
      "admin.rateLimiterIntervalInMS": 1,
      "zookeeper.DigestAuthenticationProvider.superDigest": digestId(SUPER),
    },
  });
  const client = createClient(server.connectString, { sessionTimeoutMs: 20_000 });
  await client.ready();
  const s = { server, admin: `http://127.0.0.1:${port}/commands`, client };
  started.push(s);
  return s;
}

let source: Started;
let target: Started;

before(async () => {
  if (skip) return;
  source = await start();
  const c = source.client;
  await c.create("/app", "v1");
  await c.setData("/app", "v2");
  await c.create("/app/bin", new Uint8Array([0, 1, 2, 255]));
  const first = await c.create("/app/seq-", "a", { mode: CreateMode.PERSISTENT_SEQUENTIAL });
  await c.create("/app/seq-", "b", { mode: CreateMode.PERSISTENT_SEQUENTIAL });
  await c.create("/app/null", null);
  await c.addAuth("digest", "alice:pw");
  await c.create("/secret", "s", { acl: [{ perms: Perms.ALL, id: { scheme: "digest", id: digestId("alice:pw") } }] });
  await c.create("/app/eph", "e", { mode: CreateMode.EPHEMERAL });
  await c.delete(first.path);
  target = await start();
  await target.client.create("/to-be-replaced", "old");
}, { timeout: TIMEOUT_MS });

after(async () => {
  for (const s of started) {
    await s.client.close().catch(() => {});
    await s.server.stop();
  }
}, { timeout: TIMEOUT_MS });

async function snapshotOf(s: Started): Promise<{ bytes: Uint8Array; zxid: string }> {
  const response = await fetch(`${s.admin}/snapshot`, { headers: { Authorization: `digest ${SUPER}` } });
  assert.equal(response.status, 200, await response.clone().text());
  return { bytes: new Uint8Array(await response.arrayBuffer()), zxid: response.headers.get("last_zxid")! };
}

async function restoreInto(s: Started, bytes: Uint8Array): Promise<Response> {
  return await fetch(`${s.admin}/restore`, { method: "POST", body: bytes as Uint8Array<ArrayBuffer>, headers: { Authorization: `digest ${SUPER}` } });
}

test("a snapshot restored into a fresh server holds the same tree, node for node", { skip, timeout: TIMEOUT_MS }, async () => {
  const expected = await dumpTree(source.client);
  const { bytes, zxid } = await snapshotOf(source);
  const response = await restoreInto(target, bytes);
  const body = await response.text();
  assert.equal(response.status, 200, body);
  const lastZxid = BigInt(/"last_zxid" : (\d+)/.exec(body)![1]!);
  assert.ok(lastZxid >= BigInt(zxid), `restored at 0x${lastZxid.toString(16)}, snapshot at ${zxid}`);
  // The restore closed every connection; the client reattaches (its session is not in the snapshot).
  const fresh = createClient(target.server.connectString, { sessionTimeoutMs: 20_000 });
  await fresh.ready();
  await fresh.addAuth("digest", "alice:pw");
  try {
    const actual = await dumpTree(fresh);
    assert.deepEqual([...actual.keys()], [...expected.keys()]);
    assert.deepEqual(actual, expected);
    assert.equal(await fresh.exists("/to-be-replaced"), null);
    // A write after the restore gets a zxid above the restored ones.
    const stat = await fresh.setData("/app", "v3");
    assert.ok(stat.mzxid > lastZxid, `mzxid 0x${stat.mzxid.toString(16)} after restore at 0x${lastZxid.toString(16)}`);
  } finally {
    await fresh.close();
  }
});

test("the restored tree survives a restart of the server", { skip, timeout: TIMEOUT_MS }, async () => {
  const dir = target.server.dir;
  const adminPort = Number(new URL(target.admin).port);
  await target.client.close().catch(() => {});
  await target.server.stop({ keepDir: true });
  started.splice(started.indexOf(target), 1);
  const restarted = await start(dir, adminPort);
  await restarted.client.addAuth("digest", "alice:pw");
  const tree = await dumpTree(restarted.client);
  assert.ok([...tree.keys()].some((p) => p.startsWith("/app/seq-")) && tree.has("/secret"), [...tree.keys()].join(" "));
  assert.equal(tree.has("/to-be-replaced"), false);
  const { data } = await restarted.client.getData("/app");
  assert.equal(new TextDecoder().decode(data!), "v3");
  target = restarted;
});

test("a body that is not a snapshot is a 400 with a JSON error, and nothing changes", { skip, timeout: TIMEOUT_MS }, async () => {
  const before = await dumpTree(source.client);
  for (const body of [new Uint8Array([1, 2, 3]), new TextEncoder().encode("{\"not\":\"a snapshot\"}")]) {
    const response = await restoreInto(source, body);
    assert.equal(response.status, 400);
    const json = JSON.parse(await response.text());
    assert.equal(json.command, "restore");
    assert.match(json.error, /not a snapshot/);
  }
  const empty = await restoreInto(source, new Uint8Array(0));
  assert.equal(empty.status, 400);
  assert.deepEqual(await dumpTree(source.client), before);
  const mntr = await (await fetch(`${source.admin}/mntr`)).text();
  assert.match(mntr, /"restore_error_count" : 2,/);
});

test("a backup in Paddock's own snapshot encoding (before backups were ZooKeeper files) still restores", { skip, timeout: TIMEOUT_MS }, async () => {
  const tree = new DataTree();
  const sessions = new SessionTracker({ tickMs: 2_000, serverId: 0, nowMs: 0 });
  tree.createNode("/legacy", { data: new TextEncoder().encode("old backup"), acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: 1, zxid: 5n, time: 7n });
  tree.lastProcessedZxid = 5n;
  const response = await restoreInto(target, encodeSnapshot(tree, sessions));
  assert.equal(response.status, 200, await response.text());
  const fresh = createClient(target.server.connectString, { sessionTimeoutMs: 20_000 });
  await fresh.ready();
  try {
    const { data, stat } = await fresh.getData("/legacy");
    assert.equal(new TextDecoder().decode(data!), "old backup");
    assert.equal(stat.czxid, 5n);
    assert.equal(stat.ctime, 7);
    assert.equal(await fresh.exists("/app"), null, "the restore replaced the whole tree");
  } finally {
    await fresh.close();
  }
});

test("with a root ACL for super only, another digest is 403 and super may snapshot", { skip, timeout: TIMEOUT_MS }, async () => {
  const admin = createClient(source.server.connectString);
  await admin.ready();
  await admin.addAuth("digest", SUPER);
  try {
    // ZooKeeper 3.9.3 checks ALL as "any of the bits" (ZOOKEEPER-4964 came later): a world READ
    // entry would let anyone through, so the root names super alone.
    await admin.setACL("/", [{ perms: Perms.ALL, id: { scheme: "digest", id: digestId(SUPER) } }]);
    const other = await fetch(`${source.admin}/snapshot`, { headers: { Authorization: "digest bob:pw" } });
    assert.equal(other.status, 403);
    assert.deepEqual(JSON.parse(await other.text()), { command: "snapshot", error: "Not authorized" });
    const superUser = await fetch(`${source.admin}/snapshot`, { headers: { Authorization: `digest ${SUPER}` } });
    assert.equal(superUser.status, 200);
    await superUser.arrayBuffer();
  } finally {
    await admin.setACL("/", Acls.OPEN_ACL_UNSAFE).catch(() => {});
    await admin.close();
  }
});
