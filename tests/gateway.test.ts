// The HTTP/JSON gateway through its TypeScript client, against a real Paddock process: znode
// operations, ZooKeeper's errors, digest auth and ACLs as on the client port, sessions whose
// ephemerals live while they heartbeat, and watches as Server-Sent Events that resume after a cut
// without losing an event (or say "reset" when they cannot).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Client, createClient, EventType, GatewayClient, type GatewayWatchEvent, KeeperError, Perms } from "../mod.ts";
import { digestId } from "../core/acl/digest.ts";
import { freePort } from "./support/ports.ts";
import { paddockAvailable, startPaddock, type ServerHandle } from "./support/servers.ts";

const skip: string | false = paddockAvailable() ? false : "no Paddock entry point";
const TIMEOUT_MS = 60_000;
const JOURNAL_EVENTS = 50;

let server: ServerHandle | undefined;
let base = "";
let zk: Client;
let gw: GatewayClient;

before(async () => {
  if (skip) return;
  const port = await freePort();
  server = await startPaddock({
    extra: {
      "admin.enableServer": true,
      "admin.serverPort": port,
      "admin.rateLimiterIntervalInMS": 1,
      "gateway.enabled": true,
      "gateway.journalEvents": JOURNAL_EVENTS,
      "zookeeper.DigestAuthenticationProvider.superDigest": digestId("super:s3"),
    },
  });
  base = `http://127.0.0.1:${port}`;
  zk = createClient(server.connectString, { sessionTimeoutMs: 20_000 });
  await zk.ready();
  gw = new GatewayClient(base);
}, { timeout: TIMEOUT_MS });

after(async () => {
  await zk?.close().catch(() => {});
  await server?.stop();
}, { timeout: TIMEOUT_MS });

/** Takes `count` events from a watch iterator, failing after `ms`. */
async function take(events: AsyncIterator<GatewayWatchEvent>, count: number, ms = 10_000): Promise<GatewayWatchEvent[]> {
  const out: GatewayWatchEvent[] = [];
  const deadline = Date.now() + ms;
  while (out.length < count) {
    const next = await Promise.race([events.next(), new Promise<null>((r) => setTimeout(() => r(null), Math.max(1, deadline - Date.now())))]);
    if (next === null) assert.fail(`only ${out.length} of ${count} events within ${ms} ms: ${JSON.stringify(out)}`);
    if (next.done) assert.fail(`the watch ended after ${out.length} events`);
    out.push(next.value);
  }
  return out;
}

async function rejects(promise: Promise<unknown>, code: number, status: number): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof KeeperError, String(error));
    assert.equal(error.code, code, error.message);
    assert.equal((error as { status?: number }).status, status);
    return true;
  });
}

test("create, read, update, list, delete a znode; text and bytes round-trip", { skip, timeout: TIMEOUT_MS }, async () => {
  const created = await gw.create("/g", "hello");
  assert.equal(created.path, "/g");
  const node = await gw.getData("/g");
  assert.equal(node.text, "hello");
  assert.equal(node.stat.version, 0);
  const stat = await gw.setData("/g", new Uint8Array([0, 255, 1]), 0);
  assert.equal(stat.version, 1);
  const bytes = await gw.getData("/g");
  assert.equal(bytes.text, undefined);
  assert.deepEqual([...atobBytes(bytes.data!)], [0, 255, 1]);
  // The same node as the binary client sees it: one request path, one tree.
  const { data, stat: zkStat } = await zk.getData("/g");
  assert.deepEqual([...data!], [0, 255, 1]);
  assert.equal(`0x${zkStat.mzxid.toString(16)}`, stat.mzxid);
  const seq = await gw.create("/g/s-", "x", { mode: "PERSISTENT_SEQUENTIAL" });
  assert.match(seq.path, /^\/g\/s-\d{10}$/);
  assert.deepEqual((await gw.getChildren("/g")).children, [seq.path.slice(3)]);
  assert.equal(await gw.exists("/g/missing"), null);
  await gw.create("/g/null", null);
  assert.equal((await gw.getData("/g/null")).data, null);
  await gw.delete(seq.path);
  await gw.delete("/g/null");
  await gw.delete("/g", 1);
  assert.equal(await zk.exists("/g"), null);
});

test("ZooKeeper's errors keep their codes: NONODE 404, NODEEXISTS/BADVERSION/NOTEMPTY 409", { skip, timeout: TIMEOUT_MS }, async () => {
  await rejects(gw.getData("/nope"), -101, 404);
  await gw.create("/e", "x");
  await gw.create("/e/c", "x");
  await rejects(gw.create("/e", "x"), -110, 409);
  await rejects(gw.setData("/e", "y", 7), -103, 409);
  await rejects(gw.delete("/e"), -111, 409);
  await rejects(gw.create("/e/c/d/e", "x"), -101, 404);
  const results = await gw.multi([{ op: "delete", path: "/e/c" }, { op: "delete", path: "/e" }]);
  assert.deepEqual(results, [{ op: "delete" }, { op: "delete" }]);
  await assert.rejects(gw.multi([{ op: "create", path: "/m1" }, { op: "delete", path: "/nope" }]), (error: unknown) => {
    assert.equal((error as KeeperError).code, -101);
    assert.deepEqual((error as { body: { results: unknown[] } }).body.results, [{ op: "error", code: 0 }, { op: "error", code: -101 }]);
    return true;
  });
  assert.equal(await zk.exists("/m1"), null, "a failed multi applies nothing");
});

test("digest auth and ACLs apply as on the client port", { skip, timeout: TIMEOUT_MS }, async () => {
  const alice = createClient(server!.connectString);
  await alice.ready();
  await alice.addAuth("digest", "alice:pw");
  await alice.create("/private", "secret", { acl: [{ perms: Perms.ALL, id: { scheme: "digest", id: digestId("alice:pw") } }] });
  await alice.create("/local", "ip", { acl: [{ perms: Perms.READ, id: { scheme: "ip", id: "127.0.0.1" } }] });
  await alice.close();
  await rejects(gw.getData("/private"), -102, 403);
  await rejects(new GatewayClient(base, { credentials: "alice:wrong" }).getData("/private"), -102, 403);
  const asAlice = new GatewayClient(base, { credentials: "alice:pw" });
  assert.equal((await asAlice.getData("/private")).text, "secret");
  assert.equal((await new GatewayClient(base, { credentials: "super:s3" }).getData("/private")).text, "secret");
  // Basic auth means the same digest identity.
  const basic = await fetch(`${base}/api/v1/znodes/private`, { headers: { Authorization: `Basic ${btoa("alice:pw")}` } });
  assert.equal(basic.status, 200);
  // The ip scheme sees the HTTP peer's address.
  assert.equal((await gw.getData("/local")).text, "ip");
  await rejects(gw.setData("/local", "no"), -102, 403);
  // Watches drop what the reader may not read, as the client port does.
  const controller = new AbortController();
  const events = gw.watch("/private", { signal: controller.signal });
  const mine = asAlice.watch("/private", { signal: controller.signal });
  await Promise.all([events.ready, mine.ready]);
  await asAlice.setData("/private", "v2");
  assert.equal((await take(mine, 1))[0]!.type, "NodeDataChanged");
  const nothing = await Promise.race([events.next(), new Promise((r) => setTimeout(() => r("quiet"), 500))]);
  assert.equal(nothing, "quiet");
  controller.abort();
});

test("a session keeps its ephemerals while it heartbeats; silence or close removes them", { skip, timeout: TIMEOUT_MS }, async () => {
  const session = await gw.session({ timeoutMs: 2_000 });
  assert.match(session.sessionId, /^0x[0-9a-f]+$/);
  await session.create("/eph", "here", { mode: "EPHEMERAL" });
  const stat = await zk.exists("/eph");
  assert.equal(`0x${stat!.ephemeralOwner.toString(16)}`, session.sessionId);
  await new Promise((r) => setTimeout(r, 4_000));
  assert.notEqual(await zk.exists("/eph"), null, "heartbeats keep the session");
  session.abandon();
  const deadline = Date.now() + 10_000;
  while (await zk.exists("/eph") !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await zk.exists("/eph"), null, "a silent session's ephemerals are deleted");
  await rejects(session.getData("/"), -112, 410);
  const second = await gw.session({ timeoutMs: 10_000 });
  await second.create("/eph2", "x", { mode: "EPHEMERAL" });
  await second.close();
  assert.equal(await zk.exists("/eph2"), null, "close deletes the ephemerals at once");
});

test("a recursive watch streams the binary client's changes in zxid order", { skip, timeout: TIMEOUT_MS }, async () => {
  await zk.create("/w", "0");
  const controller = new AbortController();
  const events = gw.watch("/w", { recursive: true, signal: controller.signal });
  const children = gw.watch("/w", { signal: controller.signal });
  await Promise.all([events.ready, children.ready]);
  const stat = await zk.setData("/w", "1");
  await zk.create("/w/a", "x");
  await zk.create("/w/a/b", "x");
  await zk.delete("/w/a/b");
  const got = await take(events, 4);
  assert.deepEqual(got.map((e) => [e.type, e.path]), [
    ["NodeDataChanged", "/w"], ["NodeCreated", "/w/a"], ["NodeCreated", "/w/a/b"], ["NodeDeleted", "/w/a/b"],
  ]);
  assert.equal(got[0]!.zxid, `0x${stat.mzxid.toString(16)}`);
  const zxids = got.map((e) => BigInt(e.zxid));
  assert.deepEqual(zxids, [...zxids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  // A persistent (non-recursive) watch reports its own node and its children list.
  assert.deepEqual((await take(children, 2)).map((e) => [e.type, e.path]), [["NodeDataChanged", "/w"], ["NodeChildrenChanged", "/w"]]);
  controller.abort();
});

test("a watch resumed with its last event id gets exactly what changed while it was down", { skip, timeout: TIMEOUT_MS }, async () => {
  await zk.create("/r", "0");
  const first = new AbortController();
  const events = gw.watch("/r", { recursive: true, signal: first.signal });
  await events.ready;
  await zk.setData("/r", "1");
  const [seen] = await take(events, 1);
  first.abort();
  for (let i = 0; i < 5; i++) await zk.create(`/r/n${i}`, "x");
  const second = new AbortController();
  const resumed = gw.watch("/r", { recursive: true, signal: second.signal, lastEventId: seen!.id });
  const missed = await take(resumed, 5);
  assert.deepEqual(missed.map((e) => e.path), ["/r/n0", "/r/n1", "/r/n2", "/r/n3", "/r/n4"]);
  await zk.setData("/r", "2");
  assert.equal((await take(resumed, 1))[0]!.type, "NodeDataChanged", "then live events follow");
  second.abort();
});

test("a resume point older than the journal gets an explicit reset event", { skip, timeout: TIMEOUT_MS }, async () => {
  await zk.create("/old", "0");
  const first = new AbortController();
  const events = gw.watch("/old", { signal: first.signal });
  await events.ready;
  await zk.setData("/old", "1");
  const [seen] = await take(events, 1);
  first.abort();
  for (let i = 0; i < JOURNAL_EVENTS + 10; i++) await zk.setData("/old", String(i));
  const second = new AbortController();
  const resumed = gw.watch("/old", { signal: second.signal, lastEventId: seen!.id });
  assert.equal((await take(resumed, 1))[0]!.type, "reset");
  second.abort();
});

test("an admin restore tells every open watch stream to reset", { skip, timeout: TIMEOUT_MS }, async () => {
  const controller = new AbortController();
  const events = gw.watch("/", { recursive: true, signal: controller.signal });
  await events.ready;
  const auth = { Authorization: "digest super:s3" };
  const snapshot = new Uint8Array(await (await fetch(`${base}/commands/snapshot`, { headers: auth })).arrayBuffer());
  const restored = await fetch(`${base}/commands/restore`, { method: "POST", headers: auth, body: snapshot as Uint8Array<ArrayBuffer> });
  assert.equal(restored.status, 200, await restored.clone().text());
  assert.equal((await take(events, 1))[0]!.type, "reset");
  controller.abort();
  await zk.ready();
});

test("gateway requests are client sessions: they show in cons from the HTTP peer's address", { skip, timeout: TIMEOUT_MS }, async () => {
  await gw.getData("/");
  const cons = await (await fetch(`${base}/commands/cons`)).text();
  assert.match(cons, /"remote_socket_address" : "127\.0\.0\.1:\d+"/);
  assert.equal(EventType.NodeCreated, "NodeCreated");
});

function atobBytes(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}
