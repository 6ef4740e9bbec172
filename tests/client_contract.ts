// The client contract: one body, run against Apache ZooKeeper and against Paddock.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, test } from "node:test";
import {
  Acls, BadPathError, createClient, CreateMode, ErrorCode, EventType, KeeperError, KeeperState, MultiError,
  Perms, WatcherType, type Client, type ClientOptions,
} from "../core/client/mod.ts";
import { CuttableTransport, eventRecorder, recordStates, sleep, waitFor, within } from "./client_helpers.ts";
import type { ServerHandle, ServerOptions } from "./support/servers.ts";

/** Which server the suite runs against, and how to start it. */
export interface ContractTarget {
  name: string;
  skip: string | false;
  start: (opts: ServerOptions) => Promise<ServerHandle>;
}

const SERVER_OPTIONS: ServerOptions = { tickTimeMs: 200, extra: { "zookeeper.extendedTypesEnabled": true } };
const TIMEOUT_MS = 120_000;
const SESSION_MS = 4_000;

/** Asserts that a promise rejects with a KeeperError of `code`. */
async function rejectsWith(promise: Promise<unknown>, code: number, what: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof KeeperError, `${what}: expected KeeperError(${code}), got ${String(err)}`);
    assert.equal(err.code, code, `${what}: expected code ${code}, got ${err.code} (${err.message})`);
    return true;
  });
}

const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));
/** The fields every server sends; the zxid comes only from Paddock and ZooKeeper 3.9. */
const plain = (e: { type: string; state: string; path: string }) => ({ type: e.type, state: e.state, path: e.path });

/**
 * Registers the contract tests for one target; the server is started once, on first use.
 *
 * @example defineClientContract({ name: "zookeeper", skip: false, start: startZooKeeper });
 */
export function defineClientContract(target: ContractTarget): void {
  let server: Promise<ServerHandle> | undefined;
  const extra: ServerHandle[] = [];
  const shared = () => (server ??= target.start(SERVER_OPTIONS));
  const connect = async (suffix = "", opts: ClientOptions = {}): Promise<Client> => {
    const client = createClient((await shared()).connectString + suffix, { sessionTimeoutMs: SESSION_MS, ...opts });
    await within("connect", client.ready());
    return client;
  };
  after(async () => {
    for (const s of extra) await s.stop();
    await (await server?.catch(() => undefined))?.stop();
  });
  const it = (name: string, body: () => Promise<void>, skip: string | false = false) =>
    test(`client contract (${target.name}): ${name}`, { skip: target.skip || skip, timeout: TIMEOUT_MS }, body);

  it("create, read, update, delete with Stat fields and the common errors", async () => {
    await using c = await connect();
    const created = await c.create("/crud", "v0");
    assert.equal(created.path, "/crud");
    assert.equal(created.stat.version, 0);
    assert.equal(created.stat.dataLength, 2);
    assert.equal(created.stat.czxid, created.stat.mzxid);
    assert.equal(created.stat.czxid, created.stat.pzxid);
    assert.equal(created.stat.ephemeralOwner, 0n);
    assert.ok(created.stat.ctime > 0n && created.stat.ctime === created.stat.mtime);
    const read = await c.getData("/crud");
    assert.equal(text(read.data), "v0");
    assert.deepEqual(read.stat, created.stat);
    const set = await c.setData("/crud", "v1", 0);
    assert.equal(set.version, 1);
    assert.ok(set.mzxid > created.stat.mzxid);
    assert.equal(c.lastZxid >= set.mzxid, true);
    await rejectsWith(c.setData("/crud", "v2", 0), ErrorCode.BADVERSION, "setData stale version");
    await rejectsWith(c.create("/crud"), ErrorCode.NODEEXISTS, "create twice");
    await rejectsWith(c.create("/missing/child"), ErrorCode.NONODE, "create under missing parent");
    await rejectsWith(c.getData("/missing"), ErrorCode.NONODE, "getData missing");
    assert.equal(await c.exists("/missing"), null);
    await c.create("/crud/child");
    await rejectsWith(c.delete("/crud"), ErrorCode.NOTEMPTY, "delete non-empty");
    await rejectsWith(c.delete("/crud/child", 5), ErrorCode.BADVERSION, "delete stale version");
    await c.create("/crud/eph", null, { mode: CreateMode.EPHEMERAL });
    const eph = await c.exists("/crud/eph");
    assert.equal(eph?.ephemeralOwner, c.sessionId);
    await rejectsWith(c.create("/crud/eph/x"), ErrorCode.NOCHILDRENFOREPHEMERALS, "child of ephemeral");
    const parent = await c.exists("/crud");
    assert.equal(parent?.numChildren, 2);
    assert.equal(parent?.cversion, 2);
    await c.delete("/crud/child");
    await c.delete("/crud/eph");
    await c.delete("/crud", 1);
    assert.equal(await c.exists("/crud"), null);
    await rejectsWith(c.delete("/"), ErrorCode.BADARGUMENTS, "delete root");
  });

  it("bad paths are refused before anything is sent", async () => {
    await using c = await connect();
    for (const path of ["", "no-slash", "/trailing/", "/a//b", "/a/./b", "/a/../b", "/nul\u0000"]) {
      await assert.rejects(c.getData(path), BadPathError, `getData(${JSON.stringify(path)})`);
      await assert.rejects(c.create(path), BadPathError, `create(${JSON.stringify(path)})`);
    }
    // A sequential create may end in "/": the server appends the counter.
    await c.create("/seqslash");
    const { path } = await c.create("/seqslash/", null, { mode: CreateMode.PERSISTENT_SEQUENTIAL });
    assert.equal(path, "/seqslash/0000000000");
    assert.equal(c.state, "connected");
  });

  it("sequential names count from the parent's cversion", async () => {
    await using c = await connect();
    await c.create("/seq");
    const a = await c.create("/seq/n-", null, { mode: CreateMode.PERSISTENT_SEQUENTIAL });
    await c.create("/seq/plain");
    const b = await c.create("/seq/n-", null, { mode: CreateMode.EPHEMERAL_SEQUENTIAL });
    assert.equal(a.path, "/seq/n-0000000000");
    assert.equal(b.path, "/seq/n-0000000002");
    assert.equal(b.stat.ephemeralOwner, c.sessionId);
    const { children, stat } = await c.getChildren("/seq");
    assert.deepEqual([...children].sort(), ["n-0000000000", "n-0000000002", "plain"]);
    assert.equal(stat.numChildren, 3);
    assert.equal(await c.getAllChildrenNumber("/seq"), 3);
    assert.deepEqual(await c.getEphemerals("/seq"), ["/seq/n-0000000002"]);
  });

  it("container and TTL nodes", async () => {
    await using c = await connect();
    const container = await c.create("/container", null, { mode: CreateMode.CONTAINER });
    assert.deepEqual(await c.exists("/container"), container.stat);
    const ttl = await c.create("/ttl", "x", { mode: CreateMode.PERSISTENT_WITH_TTL, ttlMs: 60_000 });
    // ZooKeeper keeps the TTL inside ephemeralOwner internally but does not show it in the Stat.
    assert.deepEqual(await c.exists("/ttl"), ttl.stat);
    assert.equal(ttl.stat.dataLength, 1);
    const seq = await c.create("/ttl-", null, { mode: CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, ttlMs: 60_000 });
    assert.match(seq.path, /^\/ttl-\d{10}$/);
  });

  it("sync, whoAmI, getACL/setACL, NoAuth, InvalidACL and digest auth", async () => {
    await using c = await connect();
    assert.equal(await c.sync("/", { signal: AbortSignal.timeout(5000) }), "/");
    assert.deepEqual(await c.whoAmI(), [{ authScheme: "ip", user: "127.0.0.1" }]);
    await rejectsWith(c.create("/secret", null, { acl: Acls.CREATOR_ALL_ACL }), ErrorCode.INVALIDACL, "creator ACL without auth");
    await rejectsWith(c.create("/badacl", null, { acl: [{ perms: Perms.ALL, id: { scheme: "nope", id: "x" } }] }), ErrorCode.INVALIDACL, "unknown scheme");
    await c.create("/ro", "r");
    const { acl, stat } = await c.getACL("/ro");
    assert.deepEqual(acl, Acls.OPEN_ACL_UNSAFE);
    assert.equal(stat.aversion, 0);
    const after = await c.setACL("/ro", Acls.READ_ACL_UNSAFE, 0);
    assert.equal(after.aversion, 1);
    await rejectsWith(c.setData("/ro", "w"), ErrorCode.NOAUTH, "write to read-only ACL");
    await rejectsWith(c.setACL("/ro", Acls.OPEN_ACL_UNSAFE, 0), ErrorCode.NOAUTH, "setACL without ADMIN");
    await c.addAuth("digest", "alice:secret");
    const ids = await c.whoAmI();
    assert.ok(ids.some((i) => i.authScheme === "digest" && i.user === "alice"), JSON.stringify(ids));
    await c.create("/secret", "s", { acl: Acls.CREATOR_ALL_ACL });
    await using other = await connect();
    await rejectsWith(other.getData("/secret"), ErrorCode.NOAUTH, "other session reads creator-only node");
    assert.equal(text((await c.getData("/secret")).data), "s");
  });

  it("multi commits atomically and reports per-op results on failure; multiRead", async () => {
    await using c = await connect();
    const ok = await c.transaction().create("/tx", "a").create("/tx/s-", null, { mode: CreateMode.PERSISTENT_SEQUENTIAL })
      .setData("/tx", "b", 0).check("/tx", 1).commit();
    assert.deepEqual(ok.map((r) => r.op), ["create", "create", "setData", "check"]);
    assert.equal(ok[1]!.op === "create" && ok[1]!.path, "/tx/s-0000000000");
    assert.equal(ok[2]!.op === "setData" && ok[2]!.stat.version, 1);
    const failing = c.transaction().create("/tx/new").check("/tx", 7).delete("/tx");
    const err = await failing.commit().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof MultiError, `expected MultiError, got ${String(err)}`);
    assert.equal(err.code, ErrorCode.BADVERSION);
    assert.equal(err.failedIndex, 1);
    assert.deepEqual(err.results.map((r) => (r.op === "error" ? r.code : r.op)), [0, ErrorCode.BADVERSION, ErrorCode.RUNTIMEINCONSISTENCY]);
    assert.equal(await c.exists("/tx/new"), null);
    assert.deepEqual(await c.multi([]), []);
    const reads = await c.multiRead([{ op: "getData", path: "/tx" }, { op: "getChildren", path: "/tx" }, { op: "getData", path: "/none" }]);
    assert.equal(reads[0]!.op === "getData" && text(reads[0]!.data), "b");
    assert.deepEqual(reads[1]!.op === "getChildren" && reads[1]!.children, ["s-0000000000"]);
    assert.deepEqual(reads[2], { op: "error", code: ErrorCode.NONODE });
  });

  it("one-shot watches: data, exists, children, delete; each fires once", async () => {
    await using c = await connect();
    await using writer = await connect();
    const created = eventRecorder();
    assert.equal(await c.exists("/w", { watch: created.watcher }), null);
    const made = await writer.create("/w", "0");
    const createdEvent = await within("NodeCreated", created.first);
    assert.deepEqual(plain(createdEvent), { type: EventType.NodeCreated, state: KeeperState.SyncConnected, path: "/w" });
    if (createdEvent.zxid !== undefined) assert.equal(createdEvent.zxid, made.stat.czxid, "the event names the create's zxid");
    assert.equal(createdEvent.typeCode, 1, "the wire number rides along with the name");
    assert.equal(createdEvent.stateCode, 3);
    const asJson = JSON.parse(JSON.stringify(createdEvent)) as Record<string, unknown>;
    assert.equal(asJson.type, "NodeCreated", "an event survives JSON.stringify");
    if (createdEvent.zxid !== undefined) assert.equal(asJson.zxid, String(made.stat.czxid), "its zxid exact, as a string");
    assert.equal(JSON.parse(JSON.stringify(made.stat)).czxid, String(made.stat.czxid), "so does a Stat");
    const changed = eventRecorder();
    const children = eventRecorder();
    await c.getData("/w", { watch: changed.watcher });
    await c.getChildren("/w", { watch: children.watcher });
    await writer.setData("/w", "1");
    await writer.setData("/w", "2");
    assert.equal((await within("NodeDataChanged", changed.first)).type, EventType.NodeDataChanged);
    await writer.create("/w/kid");
    assert.deepEqual(plain(await within("NodeChildrenChanged", children.first)), { type: EventType.NodeChildrenChanged, state: KeeperState.SyncConnected, path: "/w" });
    const deleted = eventRecorder();
    await c.exists("/w", { watch: deleted.watcher });
    await writer.delete("/w/kid");
    await writer.delete("/w");
    assert.equal((await within("NodeDeleted", deleted.first)).type, EventType.NodeDeleted);
    await c.sync("/");
    assert.equal(changed.events.length, 1, "a one-shot data watch fires once");
    assert.equal(created.events.length, 1);
  });

  it("removeWatches and checkWatches", async () => {
    await using c = await connect();
    await c.create("/rw", "x");
    const removed = eventRecorder();
    await c.getData("/rw", { watch: removed.watcher });
    await c.checkWatches("/rw", WatcherType.Data);
    await c.removeWatches("/rw", WatcherType.Data);
    assert.deepEqual(plain(await within("DataWatchRemoved", removed.first)), { type: EventType.DataWatchRemoved, state: KeeperState.SyncConnected, path: "/rw" });
    await rejectsWith(c.checkWatches("/rw", WatcherType.Data), ErrorCode.NOWATCHER, "checkWatches after removal");
    await rejectsWith(c.removeWatches("/rw", WatcherType.Any), ErrorCode.NOWATCHER, "removeWatches with none");
  });

  it("persistent recursive watch as an async iterator; leaving the loop removes it", async () => {
    await using c = await connect();
    await using writer = await connect();
    await c.create("/pw");
    const events = c.watch("/pw", { recursive: true, signal: AbortSignal.timeout(30_000) });
    await events.ready;
    await c.checkWatches("/pw", WatcherType.Any);
    await writer.create("/pw/a");
    await writer.create("/pw/a/b", "1");
    await writer.setData("/pw/a/b", "2");
    await writer.delete("/pw/a/b");
    const seen: string[] = [];
    for await (const e of events) {
      seen.push(`${e.type} ${e.path}`);
      if (seen.length === 4) break;
    }
    // No NodeChildrenChanged: recursive watches promise none.
    assert.deepEqual(seen, [
      `${EventType.NodeCreated} /pw/a`, `${EventType.NodeCreated} /pw/a/b`,
      `${EventType.NodeDataChanged} /pw/a/b`, `${EventType.NodeDeleted} /pw/a/b`,
    ]);
    await rejectsWith(c.checkWatches("/pw", WatcherType.Any), ErrorCode.NOWATCHER, "watch gone after break");
    const persistent = c.watch("/pw", { signal: AbortSignal.timeout(30_000) });
    await persistent.ready;
    await writer.create("/pw/c");
    const first = await persistent.next();
    assert.deepEqual(plain(first.value!), { type: EventType.NodeChildrenChanged, state: KeeperState.SyncConnected, path: "/pw" });
    await persistent.return!();
  });

  it("pipelines many requests and answers them in order", async () => {
    await using c = await connect();
    await c.create("/pipe", "0");
    const writes = Array.from({ length: 500 }, (_, i) => c.setData("/pipe", String(i + 1)));
    const reads = Array.from({ length: 500 }, () => c.getData("/pipe"));
    const stats = await Promise.all(writes);
    assert.deepEqual(stats.map((s) => s.version), Array.from({ length: 500 }, (_, i) => i + 1));
    for (const r of await Promise.all(reads)) assert.equal(text(r.data), "500");
  });

  it("chroot: paths, results and events are relative to it", async () => {
    await using root = await connect();
    await root.create("/app");
    await using c = await connect("/app");
    const { path } = await c.create("/job-", "x", { mode: CreateMode.PERSISTENT_SEQUENTIAL });
    assert.equal(path, "/job-0000000000");
    assert.equal(text((await root.getData("/app/job-0000000000")).data), "x");
    assert.deepEqual((await c.getChildren("/")).children, ["job-0000000000"]);
    assert.equal(await c.sync("/job-0000000000"), "/job-0000000000");
    const changed = eventRecorder();
    await c.getData(path, { watch: changed.watcher });
    await root.setData("/app/job-0000000000", "y");
    assert.equal((await within("chroot event", changed.first)).path, "/job-0000000000");
    const tx = await c.transaction().create("/t").commit();
    assert.equal(tx[0]!.op === "create" && tx[0]!.path, "/t");
    await c.create("/e", null, { mode: CreateMode.EPHEMERAL });
    assert.deepEqual(await c.getEphemerals("/"), ["/e"]);
  });

  it("re-attaches the session after the connection drops; a change made meanwhile fires the watch", async () => {
    const transport = new CuttableTransport();
    await using c = await connect("", { transport, reconnectDelayMaxMs: 50 });
    await using writer = await connect();
    const states = recordStates(c);
    const sessionId = c.sessionId;
    await c.create("/ra", "0");
    await c.create("/ra/eph", null, { mode: CreateMode.EPHEMERAL });
    const changed = eventRecorder();
    const kids = eventRecorder();
    await c.getData("/ra", { watch: changed.watcher });
    await c.getChildren("/ra", { watch: kids.watcher });
    transport.blocked = true;
    const inFlight = c.getData("/ra");
    transport.cut();
    await rejectsWith(inFlight, ErrorCode.CONNECTIONLOSS, "request in flight when the connection dropped");
    await waitFor("disconnected", () => c.state === "disconnected");
    await writer.setData("/ra", "changed while away");
    await writer.create("/ra/new");
    transport.blocked = false;
    assert.equal((await within("data watch after reconnect", changed.first)).type, EventType.NodeDataChanged);
    assert.equal((await within("child watch after reconnect", kids.first)).type, EventType.NodeChildrenChanged);
    assert.equal(c.sessionId, sessionId);
    assert.deepEqual(states, ["disconnected", "reconnected"]);
    assert.ok(await writer.exists("/ra/eph"), "the ephemeral survived: same session");
  });

  it("expiry: ephemerals go, state expired, requests fail with SessionExpired, watchers hear Expired", async () => {
    const transport = new CuttableTransport();
    await using c = await connect("", { transport, sessionTimeoutMs: 800, reconnectDelayMaxMs: 50 });
    await using observer = await connect();
    await c.create("/exp", null, { mode: CreateMode.EPHEMERAL });
    const watched = eventRecorder();
    await c.getData("/exp", { watch: watched.watcher });
    const persistent = c.watch("/", { recursive: true });
    await persistent.ready;
    const states = c.states();
    transport.blocked = true;
    transport.cut();
    const gone = eventRecorder();
    await observer.exists("/exp", { watch: gone.watcher });
    await within("server expires the session", gone.first, 15_000);
    transport.blocked = false;
    await waitFor("expired", () => c.state === "expired");
    assert.deepEqual(plain(await within("Expired event", watched.first)), { type: EventType.None, state: KeeperState.Expired, path: "" });
    await rejectsWith(c.getData("/"), ErrorCode.SESSIONEXPIRED, "request after expiry");
    await rejectsWith(c.ready(), ErrorCode.SESSIONEXPIRED, "ready after expiry");
    const seen: string[] = [];
    for await (const e of persistent) seen.push(e.state);
    assert.equal(seen.at(-1), KeeperState.Expired);
    const stateList: string[] = [];
    for await (const s of states) stateList.push(s);
    assert.deepEqual(stateList, ["disconnected", "expired"]);
  });

  it("reconnects across a server list: skips a dead server, refuses one behind our zxid, returns to the first", async () => {
    const a = await target.start(SERVER_OPTIONS);
    const b = await target.start(SERVER_OPTIONS);
    extra.push(a, b);
    const dead = `127.0.0.1:1`;
    const transport = new CuttableTransport();
    await using c = createClient(`${dead},${a.connectString},${b.connectString}`, {
      transport, shuffleHosts: false, sessionTimeoutMs: 8_000, reconnectDelayMaxMs: 50,
    });
    await within("connect past a dead server", c.ready());
    assert.deepEqual(transport.attempts.slice(0, 2), [dead, a.connectString]);
    const sessionId = c.sessionId;
    for (let i = 0; i < 5; i++) await c.create(`/z${i}`);
    const states = recordStates(c);
    await a.stop({ keepDir: true });
    await waitFor("tried the second server", () => transport.attempts.filter((x) => x === b.connectString).length >= 2, 20_000);
    assert.equal(c.state, "disconnected", "a server behind our zxid must not take the session");
    const restarted = await target.start({ ...SERVER_OPTIONS, dir: a.dir, clientPort: a.port });
    extra.push(restarted);
    await waitFor("reconnected to the restarted server", () => c.state === "connected", 30_000);
    assert.equal(c.sessionId, sessionId);
    assert.deepEqual(states, ["disconnected", "reconnected"]);
    assert.ok(await c.exists("/z4"));
  });

  it("close ends the session at once and leaves nothing running", async () => {
    await using observer = await connect();
    const c = await connect();
    await c.create("/closing", null, { mode: CreateMode.EPHEMERAL });
    const states = c.states();
    await c.close();
    assert.equal(c.state, "closed");
    assert.equal(await observer.exists("/closing"), null, "closeSession removes ephemerals at once");
    await rejectsWith(c.getData("/"), ErrorCode.SESSIONEXPIRED, "request after close");
    const seen: string[] = [];
    for await (const s of states) seen.push(s);
    assert.deepEqual(seen, ["closed"]);
    await c.close();
    const never = createClient("127.0.0.1:1", { sessionTimeoutMs: 2000 });
    await assert.rejects(never.ready({ signal: AbortSignal.timeout(300) }));
    await never.close();
    await sleep(0);
  });

  it("a node written by this client reads back the same bytes with kazoo", async () => {
    await using c = await connect();
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    await c.create("/kazoo", bytes);
    const script = "import sys\nfrom kazoo.client import KazooClient\nk=KazooClient(hosts=sys.argv[1]); k.start(20)\n" +
      "d,s=k.get('/kazoo'); print(d.hex(), s.version, s.dataLength); k.stop(); k.close()";
    const r = spawnSync("/usr/bin/python3", ["-c", script, (await shared()).connectString], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${Buffer.from(bytes).toString("hex")} 0 256`);
  }, kazooSkip());
}

function kazooSkip(): string | false {
  const r = spawnSync("/usr/bin/python3", ["-c", "import kazoo"], { timeout: 20_000 });
  return r.status === 0 ? false : "kazoo is not importable by /usr/bin/python3";
}
