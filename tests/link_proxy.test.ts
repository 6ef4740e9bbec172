// The per-link TCP proxy the ensemble harness puts between members, on real sockets: bytes flow
// both ways, are held (not lost) across a partition and arrive in order after it heals, a one-way
// block holds one direction only, delays postpone delivery, resets close connections, and a
// connection opened during a partition reaches its target only once the partition heals. On the
// election channel the dialer's advertised address (QuorumCnxManager's InitialMessage) is
// rewritten to the reverse link's proxy, since the challenge winner dials that address back.
import assert from "node:assert/strict";
import { connect, createServer, type Server, type Socket } from "node:net";
import { after, test } from "node:test";
import { electionHandshakeRewriter } from "./support/net/election_handshake.ts";
import { LinkFaults } from "./support/net/link_faults.ts";
import { LinkProxy, PeerChannel } from "./support/net/link_proxy.ts";

const TIMEOUT_MS = 30_000;
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A target server that keeps every accepted socket and everything it received. */
interface Target {
  port: number;
  sockets: Socket[];
  received: () => string;
  accepted: Promise<Socket>;
}

async function startTarget(): Promise<Target> {
  const sockets: Socket[] = [];
  let data = "";
  let onAccept: (s: Socket) => void = () => {};
  const accepted = new Promise<Socket>((resolve) => (onAccept = resolve));
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on("data", (c: Buffer) => (data += c.toString()));
    socket.on("error", () => {});
    onAccept(socket);
  });
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return { port: address.port, sockets, received: () => data, accepted };
}

async function setUp(): Promise<{ faults: LinkFaults; target: Target; proxy: LinkProxy }> {
  const faults = new LinkFaults();
  const target = await startTarget();
  const proxy = await LinkProxy.start({ from: 1, to: 2, channel: PeerChannel.election, targetPort: target.port, faults, random: () => 0.5 });
  cleanups.push(() => proxy.close());
  return { faults, target, proxy };
}

async function dial(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<string> }> {
  const socket = connect({ host: "127.0.0.1", port });
  let data = "";
  socket.on("data", (c: Buffer) => (data += c.toString()));
  const closed = new Promise<string>((resolve) => {
    let error = "";
    socket.on("error", (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on("close", () => resolve(error || "closed"));
  });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  cleanups.push(() => void socket.destroy());
  return { socket, received: () => data, closed };
}

async function eventually(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test("bytes flow both ways; a partition holds them and they arrive in order once it heals", { timeout: TIMEOUT_MS }, async () => {
  const { faults, target, proxy } = await setUp();
  const client = await dial(proxy.port);
  const server = await target.accepted;
  client.socket.write("hello ");
  server.write("welcome ");
  await eventually("both directions", () => target.received() === "hello " && client.received() === "welcome ");
  faults.partition([[1], [2]]);
  client.socket.write("during-1 ");
  server.write("back-1 ");
  client.socket.write("during-2");
  await sleep(300);
  assert.equal(target.received(), "hello ", "nothing crosses a partition");
  assert.equal(client.received(), "welcome ");
  faults.heal();
  await eventually("held bytes after heal", () => target.received() === "hello during-1 during-2" && client.received() === "welcome back-1 ");
});

test("a one-way block holds only that direction", { timeout: TIMEOUT_MS }, async () => {
  const { faults, target, proxy } = await setUp();
  const client = await dial(proxy.port);
  const server = await target.accepted;
  faults.blockOneWay(2, 1);
  client.socket.write("to-2");
  server.write("to-1");
  await eventually("1 -> 2 still flows", () => target.received() === "to-2");
  await sleep(200);
  assert.equal(client.received(), "", "2 -> 1 is held");
  faults.heal();
  await eventually("2 -> 1 after heal", () => client.received() === "to-1");
});

test("a delayed link delivers late and in order, even with jitter", { timeout: TIMEOUT_MS }, async () => {
  const { faults, target, proxy } = await setUp();
  const client = await dial(proxy.port);
  await target.accepted;
  faults.delay(1, 2, 150, 100);
  const sentAt = performance.now();
  for (let i = 0; i < 5; i++) client.socket.write(`${i}`);
  await sleep(100);
  assert.equal(target.received(), "", "nothing before the delay");
  await eventually("delayed bytes", () => target.received() === "01234");
  assert.ok(performance.now() - sentAt >= 150);
});

test("reset closes the pair's connections on both sides", { timeout: TIMEOUT_MS }, async () => {
  const { faults, target, proxy } = await setUp();
  const client = await dial(proxy.port);
  const server = await target.accepted;
  const serverClosed = new Promise<void>((resolve) => server.on("close", () => resolve()));
  assert.equal(faults.connectionCount, 1);
  assert.equal(faults.reset(3), 0, "member 3 has no connection");
  assert.equal(faults.reset(2, 1), 1);
  const how = await client.closed;
  await serverClosed;
  assert.ok(how === "ECONNRESET" || how === "closed", how);
  assert.equal(faults.connectionCount, 0);
});

test("a connection opened during a partition reaches the target only after the heal", { timeout: TIMEOUT_MS }, async () => {
  const { faults, target, proxy } = await setUp();
  faults.partition([[1], [2]]);
  const client = await dial(proxy.port);
  client.socket.write("early");
  await sleep(300);
  assert.equal(target.sockets.length, 0, "no connection to the target during the partition");
  faults.heal();
  await eventually("the connection and its bytes", () => target.received() === "early");
  assert.equal(proxy.accepted, 1);
});

test("the end of a stream is passed on after the bytes before it", { timeout: TIMEOUT_MS }, async () => {
  const { faults, target, proxy } = await setUp();
  faults.delay(1, 2, 100);
  const client = await dial(proxy.port);
  const server = await target.accepted;
  const ended = new Promise<void>((resolve) => server.on("end", () => resolve()));
  client.socket.end("last words");
  await ended;
  assert.equal(target.received(), "last words");
});

test("link faults reject nonsense", () => {
  const faults = new LinkFaults();
  assert.throws(() => faults.blockOneWay(1, 1), /two members/);
  assert.throws(() => faults.delay(1, 2, -5), /negative/);
  assert.throws(() => faults.partition([[1], [300]]), /member id 300/);
  assert.equal(faults.connected(1, 2), true);
  faults.blockOneWay(1, 2);
  assert.equal(faults.connected(2, 1), false);
});

/** An InitialMessage as ZooKeeper 3.5+ writes it: version, sid, length-prefixed "host:port". */
function initialMessage(version: bigint, sid: bigint, address: string): Buffer {
  const text = Buffer.from(address);
  const head = Buffer.alloc(20);
  head.writeBigInt64BE(version, 0);
  head.writeBigInt64BE(sid, 8);
  head.writeInt32BE(text.length, 16);
  return Buffer.concat([head, text]);
}

test("election handshake: the advertised address becomes the reverse proxy's, whatever the chunking", () => {
  const after = Buffer.from("notification bytes");
  const sent = Buffer.concat([initialMessage(-65536n, 2n, "127.0.0.1:40001"), after]);
  const expected = Buffer.concat([initialMessage(-65536n, 2n, "127.0.0.1:55555"), after]);
  for (const cut of [1, 7, 8, 19, 20, 25, sent.length - 3]) {
    const rewrite = electionHandshakeRewriter("127.0.0.1:55555");
    const out = Buffer.concat([rewrite(sent.subarray(0, cut)), rewrite(sent.subarray(cut))]);
    assert.deepEqual(out, expected, `cut at ${cut}`);
  }
  const v2 = electionHandshakeRewriter("127.0.0.1:55555")(initialMessage(-65535n, 3n, "127.0.0.1:1|127.0.0.2:2"));
  assert.deepEqual(v2, initialMessage(-65535n, 3n, "127.0.0.1:55555"));
  const oldStyle = Buffer.alloc(8);
  oldStyle.writeBigInt64BE(4n);
  assert.deepEqual(electionHandshakeRewriter("x:1")(oldStyle), oldStyle, "a bare sid (pre-3.5 peers) passes unchanged");
  const absurd = initialMessage(-65536n, 2n, "h:1");
  absurd.writeInt32BE(1 << 20, 16);
  assert.deepEqual(electionHandshakeRewriter("x:1")(absurd), absurd, "not an InitialMessage: unchanged");
});

test("election proxy: the target receives the rewritten InitialMessage", { timeout: TIMEOUT_MS }, async () => {
  const faults = new LinkFaults();
  const target = await startTarget();
  const proxy = await LinkProxy.start({ from: 1, to: 2, channel: PeerChannel.election, targetPort: target.port, faults, random: Math.random, advertise: () => "127.0.0.1:60000" });
  cleanups.push(() => proxy.close());
  const client = await dial(proxy.port);
  client.socket.write(initialMessage(-65536n, 1n, "127.0.0.1:40001"));
  await eventually("the rewritten handshake", () => target.received().endsWith("127.0.0.1:60000"));
  assert.doesNotMatch(target.received(), /40001/);
});
