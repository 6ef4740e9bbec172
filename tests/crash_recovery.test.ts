// Crash recovery with real processes: a load generator keeps many writes in flight against a
// Paddock process on FileStore, the process is SIGKILLed at a seeded random moment and restarted
// on the same data dir, and every write it acknowledged must still be there, whole, while nothing
// never sent appears. Odd rounds run with snapCount=200 so snapshots, replay after a snapshot and
// purge all happen across kills. CRASH_ROUNDS=100 for a long run; CRASH_SEED=<n> replays a schedule.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { type JuteWriter, OpCode, Perms, readStat } from "../core/proto/mod.ts";
import {
  create,
  type CrashLoadSpec,
  prepareRound,
  readVersions,
  type RoundRecord,
  runLoad,
  settle,
  settleCreates,
  verifyRound,
} from "./support/crash_load.ts";
import { RawSession } from "./support/raw_session.ts";
import { SeededRandom } from "./support/seeded_random.ts";
import { paddockAvailable, type ServerHandle, startPaddock } from "./support/servers.ts";
import type { CfgValue } from "./support/zoo_cfg.ts";

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 8);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SNAP_COUNT_SMALL = 200;
const SNAP_RETAIN = 3;
const skip = paddockAvailable() ? false : "Paddock entry point missing";
const dirs: string[] = [];
const servers = new Set<ServerHandle>();

after(async () => {
  for (const server of servers) await server.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "paddock-crash-"));
  dirs.push(dir);
  return dir;
}

async function start(dir: string, extra: Record<string, CfgValue>): Promise<ServerHandle> {
  const server = await startPaddock({ dir, extra: { maxSessionTimeout: 30_000, ...extra }, readyTimeoutMs: 60_000 });
  servers.add(server);
  return server;
}

async function crash(server: ServerHandle): Promise<void> {
  server.kill();
  await server.stop();
  servers.delete(server);
}

function roundExtra(round: number): Record<string, CfgValue> {
  return round % 2 === 1 ? { snapCount: SNAP_COUNT_SMALL, "autopurge.snapRetainCount": SNAP_RETAIN } : {};
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test(`crash rounds: acknowledged writes survive SIGKILL (seed ${SEED}, ${ROUNDS} rounds)`, { skip, timeout: 60_000 + ROUNDS * 20_000 }, async () => {
  console.log(`crash_recovery: seed ${SEED} (replay with CRASH_SEED=${SEED}), ${ROUNDS} rounds`);
  const random = new SeededRandom(SEED);
  const dir = newDir();
  let server = await start(dir, roundExtra(0));
  const settled: RoundRecord[] = [];
  let totalAcked = 0;
  let totalLost = 0;
  let snapshotsSeen = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const spec: CrashLoadSpec = {
      host: server.host,
      port: server.port,
      root: `/crash/r${round}`,
      sessions: 6,
      inFlightPerSession: 32,
      countersPerSession: 8,
      setDataShare: 0.5,
      writesPerSessionMax: 20_000,
      random: () => random.next(),
    };
    const record = await prepareRound(spec);
    const crashAfterMs = 100 + random.int(1200);
    const victim = server;
    await runLoad(spec, record, () => sleep(crashAfterMs).then(() => crash(victim)));
    const t0 = performance.now();
    server = await start(dir, roundExtra(round + 1));
    const restartMs = Math.round(performance.now() - t0);
    const recovered = /recovered to zxid .*?txns replayed/.exec(server.output())?.[0] ?? "nothing recovered";
    const readyMs = /ready in (\d+) ms/.exec(server.output())?.[1] ?? "?";
    const results = [await verifyRound(server.host, server.port, record)];
    for (const old of settled) results.push(await verifyRound(server.host, server.port, old, false));
    const violations = results.flatMap((r) => r.violations);
    const lost = results.reduce((sum, r) => sum + r.lost, 0);
    totalAcked += record.acked;
    totalLost += lost;
    // A kill between a snapshot and the purge after it leaves one snapshot more than retained, and
    // two such kills in a row two more: the restarted server's own snapshot and purge bring the
    // count back, which may finish just after it is ready.
    const listSnapshots = () => readdirSync(join(dir, "data")).filter((name) => name.startsWith("snapshot."));
    const purgeDeadline = performance.now() + 15_000;
    while (listSnapshots().length > SNAP_RETAIN + 1 && performance.now() < purgeDeadline) await sleep(100);
    const snapshots = listSnapshots();
    snapshotsSeen = Math.max(snapshotsSeen, snapshots.length);
    console.log(`round ${round}: killed after ${crashAfterMs} ms, ${record.acked} acknowledged, ${record.inFlight} in flight, ` +
      `${lost} lost, restart ${restartMs} ms (server ready in ${readyMs} ms, ${recovered}), ${snapshots.length} snapshot(s) on disk`);
    assert.deepEqual(record.unexpected, [], `round ${round} (seed ${SEED}): unexpected error replies`);
    assert.deepEqual(violations.slice(0, 20), [], `round ${round} (seed ${SEED}): ${violations.length} violation(s)\n${server.output().slice(-4000)}`);
    assert.ok(snapshots.length <= SNAP_RETAIN + 1, `round ${round}: ${snapshots.length} snapshots kept, retain count ${SNAP_RETAIN}`);
    settle(record, await readVersions(server.host, server.port, record));
    await settleCreates(server.host, server.port, record);
    settled.push(record);
  }
  console.log(`crash_recovery: ${ROUNDS} rounds, ${totalAcked} acknowledged writes, ${totalLost} lost (seed ${SEED})`);
  assert.equal(totalLost, 0);
  assert.ok(totalAcked > 0, "the load acknowledged no write at all");
  if (ROUNDS >= 2) assert.ok(snapshotsSeen > 0, "the snapCount=200 rounds wrote no snapshot");
  await server.stop();
  servers.delete(server);
});

test("sessions survive a restart: a client back within its timeout keeps its ephemerals", { skip, timeout: 90_000 }, async () => {
  const dir = newDir();
  let server = await start(dir, { snapCount: SNAP_COUNT_SMALL });
  const keeper = await RawSession.connect(server.host, server.port, { timeoutMs: 20_000 });
  const quitter = await RawSession.connect(server.host, server.port, { timeoutMs: 1_000 });
  assert.equal((await keeper.request(OpCode.create, ephemeralCreate("/keeper"))).err, 0);
  assert.equal((await quitter.request(OpCode.create, ephemeralCreate("/quitter"))).err, 0);
  // Enough writes after the ephemerals that a snapshot (snapCount=200) covers them too.
  const writes = [];
  for (let i = 0; i < 400; i++) writes.push(keeper.request(OpCode.create, create(`/filler-${i}`, new Uint8Array(8))));
  for (const reply of await Promise.all(writes)) assert.equal(reply.err, 0);
  await crash(server);
  keeper.drop();
  quitter.drop();
  server = await start(dir, { snapCount: SNAP_COUNT_SMALL });
  const back = await RawSession.connect(server.host, server.port, { timeoutMs: 20_000, sessionId: keeper.sessionId, passwd: keeper.passwd });
  assert.equal(back.sessionId, keeper.sessionId, "the server refused the session after the restart");
  assert.ok(back.timeoutMs > 0);
  const stat = await back.request(OpCode.exists, (w) => w.ustring("/keeper").bool(false));
  assert.equal(stat.err, 0, "the reconnected session's ephemeral is gone");
  assert.equal(readStat(stat.body).ephemeralOwner, keeper.sessionId);
  // The session that did not come back expires once its timeout passes after the restart.
  const deadline = Date.now() + 15_000;
  let gone = false;
  while (Date.now() < deadline && !gone) {
    const reply = await back.request(OpCode.exists, (w) => w.ustring("/quitter").bool(false));
    gone = reply.err !== 0;
    if (!gone) await sleep(200);
  }
  assert.ok(gone, "the ephemeral of a session that never came back outlived its timeout");
  back.drop();
  await server.stop();
  servers.delete(server);
});

/** A create of an ephemeral node (flags 1) with open ACL. */
function ephemeralCreate(path: string): (w: JuteWriter) => void {
  return (w) => {
    w.ustring(path).buffer(new TextEncoder().encode(path));
    w.int(1).int(Perms.ALL).ustring("world").ustring("anyone");
    w.int(1);
  };
}
