// A long recovery says how far it got every few seconds, so an operator can tell a server
// replaying a large log from a hung one. The replay here is real (ZkDatabase.recover over
// recovered txns); only time is simulated, so the test does not need minutes of log.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Clock } from "../core/io/clock.ts";
import { LogLevel } from "../core/log_level.ts";
import { OpCode } from "../core/proto/op_code.ts";
import { encodeSnapshot } from "../core/server/snapshot_codec.ts";
import { ZkDatabase } from "../core/server/zk_database.ts";
import { SessionTracker } from "../core/session/session_tracker.ts";
import { DataTree } from "../core/tree/data_tree.ts";
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
  // Recovery reads nothing else of the store.
  return { recover: () => Promise.resolve(recovered) } as Pick<TxnStore, "recover"> as TxnStore;
}

function database(clock: Clock): ZkDatabase {
  return new ZkDatabase({ tickMs: 2000, serverId: 0, extendedTypesEnabled: false, wallMs: clock.wallMs() });
}

test("recovery reports progress every few seconds of replay, then the total", async () => {
  const lines: [string, LogLevel | undefined][] = [];
  const clock = slowClock();
  const db = database(clock);
  const figures = await db.recover(storeWithTxns(), clock, (line, level) => lines.push([line, level]));
  const progress = lines.filter(([line]) => line.startsWith("recovery: replayed"));
  assert.ok(progress.length >= 3, `progress lines: ${progress.length}\n${lines.map(([l]) => l).join("\n")}`);
  assert.match(progress[0]![0], /^recovery: replayed \d+ of 20000 txns, \d+ znodes loaded \(\d+ s\)$/);
  const counts = progress.map(([line]) => Number(/replayed (\d+)/.exec(line)![1]));
  assert.deepEqual(counts, [...counts].sort((a, b) => a - b), "counts only grow");
  assert.ok(counts.every((n) => n > 0 && n <= TXNS));
  assert.match(lines.at(-1)![0], /^recovered to zxid 0x4e20: 20004 znodes, 0 sessions, 20000 txns replayed in \d+ ms$/);
  assert.equal(db.tree.nodeCount, TXNS + 4); // with /, /zookeeper, /zookeeper/quota and /zookeeper/config
  assert.equal(figures.txnsLoaded, TXNS, "the start-up figures mntr reports");
});

test("a short recovery says nothing until it is done", async () => {
  const lines: string[] = [];
  let nowMs = 0;
  const quickClock: Clock = { wallMs: () => 1_800_000_000_000, monoMs: () => (nowMs += 0.01) };
  await database(quickClock).recover(storeWithTxns(), quickClock, (l) => lines.push(l));
  assert.equal(lines.filter((l) => l.startsWith("recovery: replayed")).length, 0);
  assert.equal(lines.filter((l) => l.startsWith("recovered to zxid")).length, 1);
});

test("a recovery from a streamed snapshot with no txn after it still says what it recovered", async () => {
  const tree = new DataTree({});
  for (let i = 0; i < 3; i++) {
    tree.createNode(`/s${i}`, { data: new Uint8Array(1), acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: i + 1, zxid: BigInt(i + 1), time: 1_800_000_000_000n });
  }
  tree.lastProcessedZxid = 3n;
  const bytes = encodeSnapshot(tree, new SessionTracker({ tickMs: 2000, serverId: 0, nowMs: 0 }));
  // As FileStore streams it: the loader's sink takes the data, and no bytes come back.
  const store = {
    recover: (loader?: (dataBytes: number, zxid: bigint) => { feed(window: Uint8Array, final: boolean): number; finish(): void }) => {
      const sink = loader!(bytes.length, 3n);
      assert.equal(sink.feed(bytes, true), bytes.length);
      sink.finish();
      return Promise.resolve({ snapshot: null, snapshotZxid: 3n, txns: [] } satisfies RecoveredState);
    },
  } as Pick<TxnStore, "recover"> as TxnStore;
  const lines: string[] = [];
  let nowMs = 0;
  const clock: Clock = { wallMs: () => 1_800_000_000_000, monoMs: () => (nowMs += 0.01) };
  const db = database(clock);
  await db.recover(store, clock, (l) => lines.push(l));
  assert.equal(db.tree.nodeCount, 7);
  assert.match(lines.at(-1)!, /^recovered to zxid 0x3: 7 znodes, 0 sessions, 0 txns replayed in \d+ ms$/, lines.join("\n"));
});
