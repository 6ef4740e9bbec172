// A long recovery says how far it got every few seconds, so an operator can tell a server
// replaying a large log from a hung one. The replay here is real (ZkServer.start over recovered
// txns); only time is simulated, so the test does not need minutes of log.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Clock } from "../core/io/clock.ts";
import { LogLevel } from "../core/log_level.ts";
import { OpCode } from "../core/proto/op_code.ts";
import { defaultServerConfig } from "../core/server/server_config.ts";
import { ZkServer } from "../core/server/zk_server.ts";
import type { RecoveredState, TxnStore } from "../core/storage/txn_log.ts";
import { encodeTxn } from "../core/txn/txn_codec.ts";

const TXNS = 20_000;
const OPEN_ACL = [{ perms: 31, id: { scheme: "world", id: "anyone" } }];

/** A clock that moves a second every time it is read (once per 1,024 txns): a slow replay, compressed. */
function slowClock(): Clock {
  let nowMs = 0;
  return { wallMs: () => 1_800_000_000_000 + nowMs, monoMs: () => (nowMs += 1_000) };
}

/** A store whose recovery hands back TXNS creates of /n0, /n1, ... */
function storeWithTxns(): TxnStore {
  const txns = Array.from({ length: TXNS }, (_, i) => {
    const zxid = BigInt(i + 1);
    const header = { sessionId: 0n, cxid: i, zxid, time: 1_800_000_000_000n, type: OpCode.create };
    const txn = { type: OpCode.create, path: `/n${i}`, data: new Uint8Array(1), acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: i + 1 } as const;
    return { zxid, bytes: encodeTxn(header, txn).slice() };
  });
  const recovered: RecoveredState = { snapshot: null, snapshotZxid: 0n, txns };
  return {
    recover: () => Promise.resolve(recovered),
    append: () => Promise.resolve(),
    wantsSnapshot: () => false,
    writeSnapshot: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

test("recovery reports progress every few seconds of replay, then the total", async () => {
  const lines: [string, LogLevel | undefined][] = [];
  const server = new ZkServer({
    config: defaultServerConfig({ inMemory: true }),
    store: storeWithTxns(),
    clock: slowClock(),
    log: (line, level) => lines.push([line, level]),
  });
  await server.start();
  const progress = lines.filter(([line]) => line.startsWith("recovery: replayed"));
  assert.ok(progress.length >= 3, `progress lines: ${progress.length}\n${lines.map(([l]) => l).join("\n")}`);
  assert.match(progress[0]![0], /^recovery: replayed \d+ of 20000 txns, \d+ znodes loaded \(\d+ s\)$/);
  const counts = progress.map(([line]) => Number(/replayed (\d+)/.exec(line)![1]));
  assert.deepEqual(counts, [...counts].sort((a, b) => a - b), "counts only grow");
  assert.ok(counts.every((n) => n > 0 && n <= TXNS));
  assert.match(lines.at(-1)![0], /^recovered to zxid 0x4e20: 20004 znodes, 0 sessions, 20000 txns replayed in \d+ ms$/);
  assert.equal(server.tree.nodeCount, TXNS + 4); // with /, /zookeeper, /zookeeper/quota and /zookeeper/config
  await server.stop();
});

test("a short recovery says nothing until it is done", async () => {
  const lines: string[] = [];
  let nowMs = 0;
  const quickClock: Clock = { wallMs: () => 1_800_000_000_000, monoMs: () => (nowMs += 0.01) };
  const server = new ZkServer({ config: defaultServerConfig({ inMemory: true }), store: storeWithTxns(), clock: quickClock, log: (l) => lines.push(l) });
  await server.start();
  assert.equal(lines.filter((l) => l.startsWith("recovery: replayed")).length, 0);
  assert.equal(lines.filter((l) => l.startsWith("recovered to zxid")).length, 1);
  await server.stop();
});
