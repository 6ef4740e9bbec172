// Client pieces that need no server: connect strings, retry, queues, watch routing, and the
// liveness rules checked against a scripted in-memory server.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createClient, ErrorCode, EventType, KeeperError, KeeperState, parseConnectString, retry, ServerUnreachableError,
  type Transport, type TransportConnection,
} from "../core/client/mod.ts";
import { clientStat } from "../core/client/stat.ts";
import { watchedEvent } from "../core/client/event_names.ts";
import { shuffled } from "../core/client/connect_string.ts";
import { EventQueue } from "../core/client/event_queue.ts";
import { Fifo } from "../core/fifo.ts";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
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

test("fifo keeps order across wrap-around and growth", () => {
  const q = new Fifo<number>();
  for (let i = 0; i < 5000; i++) q.push(i);
  for (let i = 0; i < 4000; i++) assert.equal(q.shift(), i);
  assert.equal(q.length, 1000);
  assert.equal(q.peek(), 4000);
  assert.equal(q.drain().length, 1000);
  assert.equal(q.shift(), undefined);
  // Interleaved: the head wraps around the ring many times, and the ring grows while wrapped.
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < 7 + (round % 13); i++) q.push(next++);
    for (let i = 0; i < 5 + (round % 11) && q.length > 0; i++) assert.equal(q.shift(), expected++);
    assert.equal(q.length, next - expected);
    assert.equal(q.peek(), expected);
    assert.equal(q.peekLast(), next - 1);
    assert.equal(q.at(q.length - 1), next - 1);
    assert.equal(q.at(q.length), undefined);
  }
  assert.deepEqual([...q], Array.from({ length: next - expected }, (_, i) => expected + i));
  q.clear();
  assert.equal(q.length, 0);
  assert.equal(q.peekLast(), undefined);
});

test("fifo lets go of what it handed out", async () => {
  const gc = await collector();
  const q = new Fifo<object>();
  // Made and shifted in calls of their own, so that no stack slot of this one holds an item.
  const refs = fillAndShift(q, 100, 90);
  await new Promise((r) => setTimeout(r, 0));
  gc();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(refs.slice(0, 90).filter((r) => r.deref() !== undefined).length, 0, "shifted items are collectable");
  assert.equal(refs.slice(90).filter((r) => r.deref() !== undefined).length, 10, "queued items are kept");
  assert.equal(q.length, 10);
});

function fillAndShift(q: Fifo<object>, count: number, shifts: number): WeakRef<object>[] {
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < count; i++) {
    const item = { i };
    refs.push(new WeakRef(item));
    q.push(item);
  }
  for (let i = 0; i < shifts; i++) q.shift();
  return refs;
}

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
  const fire = (type: EventType, path: string) => {
    got.length = 0;
    const event = { type, typeCode: 0, state: KeeperState.SyncConnected, stateCode: 3, path };
    for (const x of r.materialize(event)) x(event);
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

test("ready() fails fast with a typed error when no server answers; wait: true keeps waiting", async () => {
  const { createServer } = await import("node:net");
  // Two ports nothing listens on: bind and close, so they refuse.
  const closedPort = () => new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
  const [a, b] = [await closedPort(), await closedPort()];
  const client = createClient(`127.0.0.1:${a},127.0.0.1:${b}`);
  const started = performance.now();
  const error = await client.ready().then(() => null, (e: unknown) => e);
  assert.ok(error instanceof ServerUnreachableError, `a ServerUnreachableError, got ${String(error)}`);
  assert.ok(error instanceof KeeperError && error.code === ErrorCode.CONNECTIONLOSS, "a KeeperError with ConnectionLoss: transient for retry()");
  assert.deepEqual([...error.reasons].sort(), [`connection refused by 127.0.0.1:${a}`, `connection refused by 127.0.0.1:${b}`].sort());
  assert.ok(performance.now() - started < 5_000, `gave up after ${Math.round(performance.now() - started)} ms`);
  // Asked again while still unreachable: the same answer at once.
  await assert.rejects(client.ready(), ServerUnreachableError);
  // wait: true waits for a server instead, bounded by the signal.
  await assert.rejects(client.ready({ wait: true, signal: AbortSignal.timeout(300) }), (e: unknown) => (e as Error).name === "TimeoutError");
  await client.close();
});

test("events carry names and numbers, and events and Stats survive JSON.stringify with exact zxids", () => {
  const event = watchedEvent(3, 3, "/hello", 9_007_199_254_740_993n);
  assert.deepEqual({ ...event }, { type: "NodeDataChanged", typeCode: 3, state: "SyncConnected", stateCode: 3, path: "/hello", zxid: 9_007_199_254_740_993n });
  assert.equal(event.type, EventType.NodeDataChanged);
  assert.equal(event.state, KeeperState.SyncConnected);
  assert.equal(JSON.stringify(event), '{"type":"NodeDataChanged","typeCode":3,"state":"SyncConnected","stateCode":3,"path":"/hello","zxid":"9007199254740993"}');
  const unknown = watchedEvent(42, 99, "/x");
  assert.deepEqual([unknown.type, unknown.typeCode, unknown.state, unknown.stateCode], ["None", 42, "Unknown", 99], "a code from a newer server keeps its number");
  const stat = clientStat({
    czxid: 0x1_0000_0000_0001n, mzxid: 9_007_199_254_740_993n, ctime: 1_800_000_000_000n, mtime: 1_800_000_000_123n, version: 2,
    cversion: 0, aversion: 1, ephemeralOwner: 0x7fff_ffff_ffff_fff1n, dataLength: 3, numChildren: 0, pzxid: 5n,
  });
  assert.equal(typeof stat.ctime, "number", "times are numbers (ms since the epoch, exact)");
  assert.equal(stat.mzxid, 9_007_199_254_740_993n, "zxids stay exact bigints in memory");
  const json = JSON.parse(JSON.stringify(stat)) as Record<string, unknown>;
  assert.deepEqual(json, {
    czxid: "281474976710657", mzxid: "9007199254740993", ctime: 1_800_000_000_000, mtime: 1_800_000_000_123, version: 2, cversion: 0,
    aversion: 1, ephemeralOwner: "9223372036854775793", dataLength: 3, numChildren: 0, pzxid: "5",
  });
  assert.equal(BigInt(json.mzxid as string), stat.mzxid, "the JSON keeps the zxid exact (2^53 + 1 would not survive a number)");
  assert.deepEqual(Object.keys(stat).includes("toJSON"), false, "toJSON is not a data field");
});

/** A function that runs a full garbage collection, on all three runtimes. */
async function collector(): Promise<() => void> {
  const bun = (globalThis as { Bun?: { gc(sync: boolean): void } }).Bun;
  if (bun !== undefined) return () => bun.gc(true);
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}
