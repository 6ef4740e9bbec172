// Backups cross between ZooKeeper 3.9.3 and Paddock through their AdminServers: the `snapshot` of a
// real ZooKeeper restores into Paddock with `restore`, and Paddock's `snapshot` restores into
// ZooKeeper. Both trees are then compared node by node through a client (data, ACL, every Stat
// field, ephemeral owners), and each server's digest check of the snapshot it loaded is clean.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Acls, createClient, CreateMode, type Client, Perms } from "../mod.ts";
import { digestId } from "../core/acl/digest.ts";
import { dumpTree } from "./support/dump_tree.ts";
import { freePort } from "./support/ports.ts";
import { paddockAvailable, startPaddock, type ServerHandle } from "./support/servers.ts";
import { startZooKeeper393WithAdmin, type ZooKeeperWithAdmin, zookeeper393Missing } from "./support/zookeeper_http.ts";

const SUPER = "super:backup-secret";
const AUTH = { headers: { Authorization: `digest ${SUPER}` } };
const missing = zookeeper393Missing() ?? (paddockAvailable() ? null : "no Paddock entry point");
const skip: string | false = missing ?? false;
const TIMEOUT_MS = 180_000;

let zk: ZooKeeperWithAdmin | undefined;
let paddock: ServerHandle | undefined;
let paddockAdmin = "";
const clients: Client[] = [];

async function connect(connectString: string): Promise<Client> {
  const client = createClient(connectString, { sessionTimeoutMs: 30_000 });
  clients.push(client);
  await client.ready();
  await client.addAuth("digest", SUPER);
  return client;
}

/** Nodes of every kind a snapshot holds: versions moved, ACLs, sequentials, a container, a TTL node, an ephemeral. */
async function workload(client: Client, root: string): Promise<void> {
  await client.create(root, "v1");
  await client.setData(root, "v2");
  await client.create(`${root}/bin`, new Uint8Array([0, 1, 2, 255]));
  const first = await client.create(`${root}/seq-`, "a", { mode: CreateMode.PERSISTENT_SEQUENTIAL });
  await client.create(`${root}/seq-`, "b", { mode: CreateMode.PERSISTENT_SEQUENTIAL });
  await client.delete(first.path);
  await client.create(`${root}/null`, null);
  await client.create(`${root}/secret`, "s", { acl: [{ perms: Perms.ALL, id: { scheme: "digest", id: digestId("alice:pw") } }] });
  await client.create(`${root}/read-only`, "r", { acl: Acls.READ_ACL_UNSAFE });
  await client.create(`${root}/box`, null, { mode: CreateMode.CONTAINER });
  await client.create(`${root}/box/item`, "i");
  await client.create(`${root}/ttl`, "t", { mode: CreateMode.PERSISTENT_WITH_TTL, ttlMs: 3_600_000 });
  await client.create(`${root}/eph`, "e", { mode: CreateMode.EPHEMERAL });
}

async function adminJson(base: string, name: string, init: RequestInit = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}/${name}`, init);
  const text = await response.text();
  return { status: response.status, json: JSON.parse(text) as Record<string, unknown> };
}

/** `snapshot` of one server, then `restore` of its bytes into the other. */
async function backUpAndRestore(fromAdmin: string, toAdmin: string): Promise<void> {
  const snapshot = await fetch(`${fromAdmin}/snapshot`, AUTH);
  assert.equal(snapshot.status, 200, await snapshot.clone().text());
  const bytes = new Uint8Array(await snapshot.arrayBuffer());
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), "ZKSN", "a backup is a ZooKeeper snapshot file");
  assert.equal(snapshot.headers.get("snapshot_size"), String(bytes.length));
  const restored = await adminJson(toAdmin, "restore", { method: "POST", body: bytes, ...AUTH });
  assert.equal(restored.status, 200, JSON.stringify(restored.json));
  assert.equal(restored.json.error, null);
  assert.equal(typeof restored.json.last_zxid, "number");
}

async function digestMismatches(admin: string): Promise<unknown> {
  return (await adminJson(admin, "monitor")).json.digest_mismatches_count;
}

before(async () => {
  if (skip) return;
  const extra = {
    "zookeeper.DigestAuthenticationProvider.superDigest": digestId(SUPER),
    "zookeeper.extendedTypesEnabled": true,
    "zookeeper.admin.rateLimiterIntervalInMS": 1,
  };
  const adminPort = await freePort();
  [zk, paddock] = await Promise.all([
    startZooKeeper393WithAdmin(extra),
    startPaddock({ extra: { ...extra, "admin.enableServer": true, "admin.serverPort": adminPort } }),
  ]);
  paddockAdmin = `http://127.0.0.1:${adminPort}/commands`;
}, { timeout: TIMEOUT_MS });

after(async () => {
  for (const client of clients) await client.close().catch(() => {});
  await Promise.all([zk?.stop(), paddock?.stop()]);
}, { timeout: TIMEOUT_MS });

test("a ZooKeeper 3.9.3 snapshot restores into Paddock: the same nodes, data, ACLs and Stats", { skip, timeout: TIMEOUT_MS }, async () => {
  const zkClient = await connect(zk!.connectString);
  await workload(zkClient, "/from-zookeeper");
  const paddockClient = await connect(paddock!.connectString);
  await paddockClient.create("/replaced", "gone after the restore");
  await backUpAndRestore(zk!.adminUrl, paddockAdmin);
  const reader = await connect(paddock!.connectString);
  assert.deepEqual(await dumpTree(reader), await dumpTree(zkClient));
  assert.equal(await digestMismatches(paddockAdmin), 0, "Paddock's digest of the loaded tree equals the one ZooKeeper recorded");
  // The restored server writes on, with zxids after the snapshot's.
  const restored = await reader.exists("/from-zookeeper");
  assert.ok(restored !== null, "restored node missing");
  await reader.create("/after-restore", "x");
  const written = (await reader.exists("/after-restore"))!;
  assert.ok(written.czxid > restored.mzxid, `a new write's zxid ${written.czxid} follows the snapshot's ${restored.mzxid}`);
});

test("a Paddock snapshot restores into ZooKeeper 3.9.3: the same nodes, data, ACLs and Stats", { skip, timeout: TIMEOUT_MS }, async () => {
  const writer = await connect(paddock!.connectString);
  await workload(writer, "/from-paddock");
  await backUpAndRestore(paddockAdmin, zk!.adminUrl);
  const zkReader = await connect(zk!.connectString);
  assert.deepEqual(await dumpTree(zkReader), await dumpTree(writer));
  assert.equal(await digestMismatches(zk!.adminUrl), 0, "ZooKeeper's digest of the loaded tree equals the one Paddock recorded");
});

test("restore refuses a ZooKeeper snapshot with a broken seal, and nothing changes", { skip, timeout: TIMEOUT_MS }, async () => {
  const client = await connect(paddock!.connectString);
  const before = await dumpTree(client);
  const snapshot = new Uint8Array(await (await fetch(`${zk!.adminUrl}/snapshot`, AUTH)).arrayBuffer());
  // One bit of a node's data (the bytes 0, 1, 2, 255 of .../bin): only the seal can tell.
  const at = Buffer.from(snapshot).indexOf(Buffer.from([0, 1, 2, 255]));
  assert.ok(at > 0, "the snapshot holds .../bin's data");
  snapshot[at + 2]! ^= 0x40;
  const refused = await adminJson(paddockAdmin, "restore", { method: "POST", body: snapshot, ...AUTH });
  assert.equal(refused.status, 400, JSON.stringify(refused.json));
  assert.match(String(refused.json.error), /Adler-32|checksum|seal/i);
  assert.deepEqual(await dumpTree(client), before);
});
