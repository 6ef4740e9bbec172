// The AdminServer: the same workload on ZooKeeper 3.9.3 and on Paddock (both real processes with
// their AdminServer on), then every command under every name asked of both: same HTTP status,
// same JSON keys and value types (longs vs doubles told apart by spelling).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createClient, CreateMode, type Client } from "../mod.ts";
import { digestId } from "../core/acl/digest.ts";
import { mntrKeyNotKept } from "../core/server/monitor.ts";
import { jsonShape, type Shape } from "./support/json_shape.ts";
import { freePort } from "./support/ports.ts";
import { paddockAvailable, startPaddock, type ServerHandle } from "./support/servers.ts";
import { startZooKeeper393WithAdmin, type ZooKeeperWithAdmin, zookeeper393Missing } from "./support/zookeeper_http.ts";

const SUPER = "super:admin-secret";
const SUPER_DIGEST = digestId(SUPER);
const missing = zookeeper393Missing() ?? (paddockAvailable() ? null : "no Paddock entry point");
const skip: string | false = missing ?? false;
const TIMEOUT_MS = 180_000;

/** Fields whose object keys are data (session ids, times, paths, server ids). */
const DATA_KEYED = new Set([
  "expiry_time_to_session_ids", "session_id_to_ephemeral_paths", "session_id_to_watched_paths", "path_to_session_ids",
  "current_config",
]);

/** Every GET command ZooKeeper 3.9.3 registers, each name and alias. */
const GET_NAMES = [
  "configuration", "conf", "config", "connections", "cons", "dirs", "dump", "environment", "env", "envi", "hash",
  "get_trace_mask", "gtmk", "initial_configuration", "icfg", "is_read_only", "isro", "last_snapshot", "lsnp",
  "leader", "lead", "monitor", "mntr", "observer_connection_stat_reset", "orst", "ruok", "server_stats", "srvr",
  "stats", "stat", "stat_reset", "srst", "observers", "obsr", "voting_view", "watches", "wchc", "watches_by_path",
  "wchp", "watch_summary", "wchs", "zabstate", "connection_stat_reset", "crst", "set_trace_mask", "stmk",
  "set_trace_mask?traceMask=306", "set_trace_mask?traceMask=abc", "no_such_command",
];

let zk: ZooKeeperWithAdmin | undefined;
let paddock: ServerHandle | undefined;
let paddockUrl = "";
const clients: Client[] = [];

/** The same scenario on both: a node, an ephemeral, data/child/exist watches, a persistent watch. */
async function workload(connectString: string): Promise<void> {
  const client = createClient(connectString, { sessionTimeoutMs: 30_000 });
  clients.push(client);
  await client.ready();
  await client.create("/app", "config");
  await client.create("/app/worker", "w1", { mode: CreateMode.EPHEMERAL });
  await client.getData("/app", { watch: () => {} });
  await client.getChildren("/app", { watch: () => {} });
  await client.exists("/missing", { watch: () => {} });
  await client.addWatch("/app", () => {}, { recursive: true });
}

before(async () => {
  if (skip) return;
  const extra = { "zookeeper.DigestAuthenticationProvider.superDigest": SUPER_DIGEST };
  const adminPort = await freePort();
  [zk, paddock] = await Promise.all([
    startZooKeeper393WithAdmin(extra),
    startPaddock({ extra: { ...extra, "admin.enableServer": true, "admin.serverPort": adminPort } }),
  ]);
  paddockUrl = `http://127.0.0.1:${adminPort}/commands`;
  await workload(zk.connectString);
  await workload(paddock.connectString);
}, { timeout: TIMEOUT_MS });

after(async () => {
  for (const client of clients) await client.close().catch(() => {});
  await Promise.all([zk?.stop(), paddock?.stop()]);
}, { timeout: TIMEOUT_MS });

async function ask(base: string, name: string, init: RequestInit = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${base}/${name}`, init);
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** ZooKeeper's per-namespace summaries (read/write bytes per top-level znode): Paddock does not keep them. */
const PER_NAMESPACE = /_(read|write)_per_namespace$/;

/** Leaves out what Paddock does not keep: per-namespace summaries, and mntr's unmeasured figures (monitor.ts lists them). */
function shapeOf(text: string): Shape {
  const shape = jsonShape(text, DATA_KEYED);
  if (typeof shape !== "object" || Array.isArray(shape)) return shape;
  return Object.fromEntries(Object.entries(shape).filter(([key]) => !PER_NAMESPACE.test(key) && !mntrKeyNotKept(key)));
}

for (const name of GET_NAMES) {
  test(`admin ${name}: same status, keys and types as ZooKeeper 3.9.3`, { skip, timeout: TIMEOUT_MS }, async () => {
    const [expected, actual] = [await ask(zk!.adminUrl, name), await ask(paddockUrl, name)];
    assert.equal(actual.status, expected.status, `${name}: status\npaddock: ${actual.text}\nzookeeper: ${expected.text}`);
    assert.equal(actual.headers.get("content-type")?.split(";")[0], "application/json");
    assert.deepEqual(shapeOf(actual.text), shapeOf(expected.text), `${name}\npaddock: ${actual.text}\nzookeeper: ${expected.text}`);
  });
}

test("admin monitor: the workload's figures, exact where they are deterministic", { skip }, async () => {
  const body = (await ask(paddockUrl, "monitor")).text;
  assert.match(body, /"ephemerals_count" : 1,/);
  assert.match(body, /"server_state" : "standalone",/);
  assert.match(body, /"avg_latency" : \d+\.\d+,/);
  // Session ids are longs above 2^53: written exactly, not rounded through a double.
  const dump = (await ask(paddockUrl, "dump")).text;
  const id = /"(\d{15,20})" : \[ "\/app\/worker" \]/.exec(dump)?.[1];
  assert.ok(id !== undefined, dump);
  assert.ok(BigInt(id) > 2n ** 53n, `session id ${id}`);
  assert.match((await ask(paddockUrl, "cons")).text, new RegExp(`"session_id" : ${id},`));
  // server_stats reads the same counters as monitor (no client request runs between the two asks;
  // stat_reset ran earlier, so one read first).
  await clients[1]!.getData("/app");
  const monitor = JSON.parse((await ask(paddockUrl, "monitor")).text) as Record<string, number>;
  const stats = JSON.parse((await ask(paddockUrl, "server_stats")).text).server_stats;
  assert.ok(monitor.max_client_response_size! > 0, "the workload's responses were measured");
  assert.deepEqual(stats.client_response_stats, {
    last_buffer_size: monitor.last_client_response_size, min_buffer_size: monitor.min_client_response_size, max_buffer_size: monitor.max_client_response_size,
  });
  assert.equal(stats.auth_failed_count, monitor.auth_failed_count);
});

test("admin command list at the command URL names every primary name, as ZooKeeper's", { skip }, async () => {
  const links = (text: string) => [...text.matchAll(/>([a-z_]+)</g)].map((m) => m[1]);
  const expected = links((await ask(zk!.adminUrl, "")).text);
  const actual = links((await ask(paddockUrl, "")).text);
  // shed_connections is ZooKeeper 3.10's (ZOOKEEPER-5015); 3.9.3 lists everything else.
  assert.deepEqual(actual.filter((n) => n !== "shed_connections"), expected);
  assert.ok(actual.includes("shed_connections"));
});

for (const [name, method] of [["snapshot", "GET"], ["snap", "GET"], ["restore", "POST"], ["rest", "POST"]] as const) {
  test(`admin ${name} without credentials: 401 and ZooKeeper's error, on both`, { skip }, async () => {
    const init = { method, ...(method === "POST" ? { body: "x" } : {}) };
    const [expected, actual] = [await ask(zk!.adminUrl, name, init), await ask(paddockUrl, name, init)];
    assert.equal(actual.status, 401);
    assert.equal(actual.status, expected.status);
    assert.equal(JSON.parse(actual.text).error, JSON.parse(expected.text).error);
  });
}

test("admin snapshot with an unknown scheme is 401, a wrong ACL identity 403, on both", { skip }, async () => {
  for (const [header, status] of [["kerberos x", 401], ["digest a b c", 401]] as const) {
    const init = { headers: { Authorization: header } };
    const [expected, actual] = [await ask(zk!.adminUrl, "snapshot", init), await ask(paddockUrl, "snapshot", init)];
    assert.equal(expected.status, status, `zookeeper, ${header}`);
    assert.equal(actual.status, status, `paddock, ${header}: ${actual.text}`);
  }
});

test("admin snapshot streams bytes with ZooKeeper's headers; streaming=false answers JSON", { skip }, async () => {
  const auth = { headers: { Authorization: `digest ${SUPER}` } };
  const streamed = await fetch(`${paddockUrl}/snapshot`, auth);
  assert.equal(streamed.status, 200);
  assert.equal(streamed.headers.get("content-type"), "application/octet-stream");
  const bytes = new Uint8Array(await streamed.arrayBuffer());
  assert.equal(streamed.headers.get("snapshot_size"), String(bytes.length));
  assert.match(streamed.headers.get("last_zxid") ?? "", /^0x[0-9a-f]+$/);
  await new Promise((r) => setTimeout(r, 400)); // ZooKeeper's snapshot rate limit: one per 300 ms
  const metadata = await ask(paddockUrl, "snapshot?streaming=false", auth);
  assert.equal(metadata.status, 200);
  assert.deepEqual(JSON.parse(metadata.text), { command: "snapshot", error: null });
  const limited = await ask(paddockUrl, "snapshot", auth);
  assert.equal(limited.status, 429, "a second snapshot within 300 ms is rate limited, as in ZooKeeper");
});

test("admin GET of a POST command and POST of a GET command: 405 with a JSON error", { skip }, async () => {
  const get = await ask(paddockUrl, "restore", { headers: { Authorization: `digest ${SUPER}` } });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  assert.match(JSON.parse(get.text).error, /restore is a POST command/);
  const post = await ask(paddockUrl, "monitor", { method: "POST" });
  assert.equal(post.status, 405);
  assert.equal(JSON.parse(post.text).command, "monitor");
});
