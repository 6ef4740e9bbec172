import assert from "node:assert/strict";
import * as net from "node:net";
import { CreateMode, JuteWriter, OpCode, writeAcls } from "../core/proto/mod.ts";
import { RawSession } from "./support/raw_session.ts";
import { type ServerHandle, startPaddock, startZooKeeper, zookeeperSkipReason } from "./support/servers.ts";
import { suite } from "./support/skips.ts";

const OPEN_ACL = [{ perms: 31, id: { scheme: "world", id: "anyone" } }];
const TICK_MS = 100;
const CHECK_INTERVAL_MS = 100;

function createBody(path: string, flags: number, ttl?: bigint) {
  return (w: JuteWriter) => {
    w.ustring(path).buffer(new Uint8Array([1]));
    writeAcls(w, OPEN_ACL);
    w.int(flags);
    if (ttl !== undefined) w.long(ttl);
  };
}

async function exists(s: RawSession, path: string): Promise<boolean> {
  const reply = await s.request(OpCode.exists, (w) => w.ustring(path).bool(false));
  return reply.err === 0;
}

/** Polls until `check` is true or the deadline passes; returns the last result. */
async function eventually(check: () => Promise<boolean>, deadlineMs: number): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** Sends a raw ConnectRequest and returns the raw reply bytes and whether the server closed. */
function rawConnect(port: number, fields: { lastZxid?: bigint; timeoutMs?: number; sessionId?: bigint; passwd?: Uint8Array }) {
  return new Promise<{ reply: Buffer; closed: boolean }>((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ reply: Buffer.concat(chunks), closed: false });
    }, 1500);
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ reply: Buffer.concat(chunks), closed: true });
    });
    const w = new JuteWriter(64, { framed: true });
    w.int(0).long(fields.lastZxid ?? 0n).int(fields.timeoutMs ?? 4000).long(fields.sessionId ?? 0n);
    w.buffer(fields.passwd ?? new Uint8Array(16)).bool(false);
    socket.write(w.finishFrame());
  });
}

const targets: { name: string; skip: string | false; start: () => Promise<ServerHandle> }[] = [
  { name: "paddock", skip: false, start: () => startPaddock(serverOptions()) },
  { name: "zookeeper", skip: zookeeperSkipReason(), start: () => startZooKeeper(serverOptions()) },
];

function serverOptions() {
  return {
    tickTimeMs: TICK_MS,
    extra: {
      "zookeeper.extendedTypesEnabled": true,
      "znode.container.checkIntervalMs": CHECK_INTERVAL_MS,
      maxClientCnxns: 8,
    },
  };
}

for (const target of targets) {
  suite(`sessions and reaping on ${target.name}`, target.skip, (s) => {
    let server: ServerHandle;
    s.before(async () => {
      server = await target.start();
    });
    s.after(async () => {
      await server?.stop();
    });

    s.test("timeouts are negotiated into [2, 20] ticks", async () => {
      const short = await RawSession.connect(server.host, server.port, { timeoutMs: 1 });
      const long = await RawSession.connect(server.host, server.port, { timeoutMs: 10_000_000 });
      assert.equal(short.timeoutMs, 2 * TICK_MS);
      assert.equal(long.timeoutMs, 20 * TICK_MS);
      for (const s of [short, long]) await s.request(OpCode.closeSession, () => {});
    });

    s.test("a wrong password or an unknown session gets timeOut 0, sessionId 0, then a close", async () => {
      const s = await RawSession.connect(server.host, server.port, { timeoutMs: 4000 });
      const wrong = new Uint8Array(s.passwd);
      wrong[0] = wrong[0]! ^ 0xff;
      for (const attempt of [{ sessionId: s.sessionId, passwd: wrong }, { sessionId: 0x1234567n, passwd: s.passwd }]) {
        const { reply, closed } = await rawConnect(server.port, attempt);
        assert.equal(closed, true, "server closes after refusing");
        assert.equal(reply.readInt32BE(4), 0, "protocolVersion");
        assert.equal(reply.readInt32BE(8), 0, "timeOut 0 means expired");
        assert.equal(reply.readBigInt64BE(12), 0n, "sessionId 0");
      }
      await s.request(OpCode.closeSession, () => {});
    });

    s.test("re-attaching moves the session to the new connection and closes the old one", async () => {
      const first = await RawSession.connect(server.host, server.port, { timeoutMs: 4000 });
      const created = await first.request(OpCode.create, createBody("/reattach", CreateMode.EPHEMERAL));
      assert.equal(created.err, 0);
      const second = await RawSession.connect(server.host, server.port, {
        timeoutMs: 4000,
        sessionId: first.sessionId,
        passwd: first.passwd,
      });
      assert.equal(second.sessionId, first.sessionId);
      assert.ok(await eventually(async () => first.closed, 2000), "old connection closed");
      assert.equal(await exists(second, "/reattach"), true, "ephemeral kept");
      await second.request(OpCode.closeSession, () => {});
    });

    s.test("a client that has seen a newer zxid is refused without an answer", async () => {
      const { reply, closed } = await rawConnect(server.port, { lastZxid: 0x7fff_0000_0000n });
      assert.equal(closed, true);
      assert.equal(reply.length, 0);
    });

    s.test("a silent session expires: its ephemerals go, watchers hear it, its connection closes", async () => {
      const observer = await RawSession.connect(server.host, server.port, { timeoutMs: 4000 });
      const silent = await RawSession.connect(server.host, server.port, { timeoutMs: 2 * TICK_MS });
      assert.equal((await silent.request(OpCode.create, createBody("/silent", CreateMode.EPHEMERAL))).err, 0);
      assert.equal((await observer.request(OpCode.exists, (w) => w.ustring("/silent").bool(true))).err, 0);
      // No pings from `silent`: the server must expire it within its timeout plus a tick or two.
      assert.ok(await eventually(async () => !(await exists(observer, "/silent")), 3000), "ephemeral removed");
      assert.deepEqual(observer.events.map((e) => [e.type, e.path]), [[2, "/silent"]]);
      assert.ok(await eventually(async () => silent.closed, 2000), "expired session's connection closed");
      await observer.request(OpCode.closeSession, () => {});
    });

    s.test("an emptied container is reaped; one that never had children stays", async () => {
      const s = await RawSession.connect(server.host, server.port, { timeoutMs: 4000 });
      assert.equal((await s.request(OpCode.createContainer, createBody("/box", CreateMode.CONTAINER))).err, 0);
      assert.equal((await s.request(OpCode.createContainer, createBody("/untouched", CreateMode.CONTAINER))).err, 0);
      assert.equal((await s.request(OpCode.create, createBody("/box/item", CreateMode.PERSISTENT))).err, 0);
      await new Promise((r) => setTimeout(r, 3 * CHECK_INTERVAL_MS));
      assert.equal(await exists(s, "/box"), true, "a container with a child stays");
      assert.equal((await s.request(OpCode.delete, (w) => w.ustring("/box/item").int(-1))).err, 0);
      assert.ok(await eventually(async () => !(await exists(s, "/box")), 5000), "emptied container reaped");
      assert.equal(await exists(s, "/untouched"), true);
      await s.request(OpCode.closeSession, () => {});
    });

    s.test("a TTL node without children expires; with a child it stays", async () => {
      const s = await RawSession.connect(server.host, server.port, { timeoutMs: 4000 });
      const ttl = 300n;
      assert.equal((await s.request(OpCode.createTTL, createBody("/ttl", CreateMode.PERSISTENT_WITH_TTL, ttl))).err, 0);
      assert.equal((await s.request(OpCode.createTTL, createBody("/ttl-parent", CreateMode.PERSISTENT_WITH_TTL, ttl))).err, 0);
      assert.equal((await s.request(OpCode.create, createBody("/ttl-parent/kid", CreateMode.PERSISTENT))).err, 0);
      assert.equal(await exists(s, "/ttl"), true);
      assert.ok(await eventually(async () => !(await exists(s, "/ttl")), 5000), "TTL node expired");
      assert.equal(await exists(s, "/ttl-parent"), true, "a TTL node with a child stays");
      const zero = await s.request(OpCode.createTTL, createBody("/ttl0", CreateMode.PERSISTENT_WITH_TTL, 0n));
      assert.equal(zero.err, -8, "ttl 0 is BadArguments");
      await s.request(OpCode.closeSession, () => {});
    });

    s.test("maxClientCnxns bounds connections per address", { timeout: 30_000 }, async () => {
      const sockets: net.Socket[] = [];
      let refused = 0;
      for (let i = 0; i < 12; i++) {
        const socket = net.connect({ host: "127.0.0.1", port: server.port });
        socket.on("error", () => {});
        socket.on("close", () => refused++);
        sockets.push(socket);
        await new Promise<void>((resolve) => {
          const done = () => resolve();
          socket.once("connect", done).once("close", done);
          setTimeout(done, 2000);
        });
        // ZooKeeper counts a connection once its selector thread registers it: pace the burst.
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(refused, 12 - 8, "connections beyond maxClientCnxns=8 are closed");
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => setTimeout(r, 200));
    });
  });
}
