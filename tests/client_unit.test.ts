// Client pieces that need no server: connect strings, retry, queues, watch routing, and the
// liveness rules checked against a scripted in-memory server.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createClient, ErrorCode, EventType, KeeperError, KeeperState, parseConnectString, retry,
  type Transport, type TransportConnection,
} from "../core/client/mod.ts";
import { shuffled } from "../core/client/connect_string.ts";
import { EventQueue } from "../core/client/event_queue.ts";
import { Fifo } from "../core/client/fifo.ts";
import { WatchRegistry } from "../core/client/watch_registry.ts";
import { JuteReader, JuteWriter, writeConnectResponse } from "../core/proto/mod.ts";
import { waitFor, within } from "./client_helpers.ts";

test("connect strings: hosts, default port, IPv6, chroot", () => {
  assert.deepEqual(parseConnectString("a:1,b/app/x"), { hosts: [{ host: "a", port: 1 }, { host: "b", port: 2181 }], chroot: "/app/x" });
  assert.deepEqual(parseConnectString("[::1]:2182/"), { hosts: [{ host: "::1", port: 2182 }], chroot: "" });
  assert.throws(() => parseConnectString("a:1/bad/"), TypeError);
  assert.throws(() => parseConnectString("a:x"), TypeError);
  assert.throws(() => parseConnectString(""), TypeError);
  assert.deepEqual(shuffled([1, 2, 3], () => 0), [2, 3, 1]);
});

test("retry: backs off with injected jitter, retries only transient errors", async () => {
  let calls = 0;
  const value = await retry(async () => {
    if (++calls < 3) throw new KeeperError(ErrorCode.CONNECTIONLOSS);
    return "ok";
  }, { retries: 5, baseMs: 1, random: () => 0.5 });
  assert.equal(value, "ok");
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(retry(async () => {
    calls++;
    throw new KeeperError(ErrorCode.NONODE);
  }), KeeperError);
  assert.equal(calls, 1, "NoNode is an answer, not a transient failure");
  const aborted = AbortSignal.abort(new Error("stop"));
  await assert.rejects(retry(async () => 1, { signal: aborted }), /stop/);
});

test("fifo keeps order across compaction", () => {
  const q = new Fifo<number>();
  for (let i = 0; i < 5000; i++) q.push(i);
  for (let i = 0; i < 4000; i++) assert.equal(q.shift(), i);
  assert.equal(q.length, 1000);
  assert.equal(q.peek(), 4000);
  assert.equal(q.drain().length, 1000);
  assert.equal(q.shift(), undefined);
});

test("event queue: bounded, ends, and runs its stop hook once", async () => {
  let stops = 0;
  const q = new EventQueue<number>({ capacity: 2, onStop: () => void stops++ });
  assert.ok(q.push(1));
  assert.ok(q.push(2));
  assert.equal(q.push(3), false, "a third item overflows");
  assert.deepEqual(await q.next(), { value: 1, done: false });
  assert.deepEqual(await q.next(), { value: 2, done: false });
  await assert.rejects(q.next(), RangeError);
  await q.return();
  assert.equal(stops, 1);
});

test("watch routing follows ZooKeeper's client rules", () => {
  const r = new WatchRegistry();
  const got: string[] = [];
  const w = (name: string) => () => void got.push(name);
  r.addOneShot("data", "/a", w("data"));
  r.addOneShot("exist", "/b", w("exist"));
  r.addOneShot("child", "/a", w("child"));
  r.addPersistent("/", true, w("recursive"));
  r.addPersistent("/a", false, w("persistent"));
  const fire = (type: number, path: string) => {
    got.length = 0;
    for (const x of r.materialize({ type, state: KeeperState.SyncConnected, path })) x({ type, state: 3, path });
    return [...got].sort();
  };
  assert.deepEqual(fire(EventType.NodeChildrenChanged, "/a"), ["child", "persistent"]);
  assert.deepEqual(fire(EventType.NodeDataChanged, "/a"), ["data", "persistent", "recursive"]);
  assert.deepEqual(fire(EventType.NodeDataChanged, "/a"), ["persistent", "recursive"], "one-shot is consumed");
  assert.deepEqual(fire(EventType.NodeCreated, "/b"), ["exist", "recursive"]);
  assert.deepEqual(r.lists((p) => "/root" + p), { data: [], exist: [], child: [], persistent: ["/root/a"], recursive: ["/root/"] });
});

/** A scripted server: answers the ConnectRequest, then does what the test says. */
class ScriptedTransport implements Transport {
  readonly written: Uint8Array[] = [];
  attempts = 0;
  answerConnect = true;
  answerPings = false;
  #close: ((e: Error | undefined) => void) | undefined;
  #data: ((c: Uint8Array) => void) | undefined;

  connect(): Promise<TransportConnection> {
    this.attempts++;
    const conn: TransportConnection = {
      write: (bytes) => this.#onWrite(bytes),
      close: () => queueMicrotask(() => this.#close?.(undefined)),
      onData: (l) => (this.#data = l),
      onClose: (l) => (this.#close = l),
    };
    return Promise.resolve(conn);
  }

  #onWrite(bytes: Uint8Array): void {
    this.written.push(bytes.slice());
    const r = new JuteReader(bytes, 4);
    if (this.written.length === 1 || r.remaining === 4 + 8 + 4 + 8 + 4 + 16 + 1) {
      if (!this.answerConnect) return;
      const w = new JuteWriter(64, { framed: true });
      writeConnectResponse(w, { protocolVersion: 0, timeOut: 600, sessionId: 7n, passwd: new Uint8Array(16), readOnly: false });
      const frame = w.finishFrame().slice();
      queueMicrotask(() => this.#data?.(frame));
    }
  }
}

test("liveness: pings when idle and drops a silent server after two thirds of the timeout", async () => {
  const transport = new ScriptedTransport();
  const client = createClient("x:1", { transport, sessionTimeoutMs: 600, reconnectDelayMaxMs: 10 });
  const states: string[] = [];
  client.on("state", (s) => states.push(s));
  await within("connect", client.ready());
  assert.equal(client.negotiatedTimeoutMs, 600);
  const pending = client.getData("/x");
  await waitFor("a ping", () => transport.written.some((b) => b.length === 12 && b[7] === 0xfe), 2000);
  await assert.rejects(pending, (e: unknown) => e instanceof KeeperError && e.code === ErrorCode.CONNECTIONLOSS);
  await waitFor("disconnect after silence", () => states.includes("disconnected"), 2000);
  await waitFor("re-attached", () => states.includes("reconnected"), 2000);
  assert.ok(transport.attempts >= 2);
  await client.close();
  assert.equal(client.state, "closed");
});

test("a server that never answers the handshake is given up after the connect timeout", async () => {
  const transport = new ScriptedTransport();
  transport.answerConnect = false;
  const client = createClient("x:1,y:2", { transport, sessionTimeoutMs: 400, reconnectDelayMaxMs: 10 });
  await waitFor("several attempts", () => transport.attempts >= 3, 3000);
  await assert.rejects(client.ready({ signal: AbortSignal.timeout(50) }));
  await client.close();
});
