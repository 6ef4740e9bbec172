// ZOOKEEPER-4925 in a mixed ensemble, with real processes (the anomaly of mixed chaos seed
// 1717978514, made deterministic): ZooKeeper 3.9.3 applies the txns a learner takes in a DIFF
// without adding them to its committed log, so a ZooKeeper member that took a DIFF and then leads
// sends DIFFs that skip those txns. Members 1 and 3 run ZooKeeper, member 2 Paddock:
//  1. Paddock member 2 is down; ZooKeeper leader 3 logs txns it cannot commit (its follower 1 cut
//     off and killed), steps down, leads again, and member 1 takes those txns in a DIFF (a hole in its
//     committed log); then more writes.
//  2. Leader 3 dies and Paddock member 2 comes back: member 1 leads and sends member 2 a DIFF that
//     skips the hole. Paddock sees its tree part from the digests member 1 logged and never serves
//     a tree without the hole's nodes (ZooKeeper 3.9.3 in its place would).
//  3. Member 2 starts again on an empty dataDir and members 1 and 3 restart (ZooKeeper reads its
//     committed log from disk: no hole): every member serves the same nodes.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createClient } from "../mod.ts";
import { type Ensemble, ensembleMissing, MemberKind, ServingMode, startEnsemble } from "./support/ensemble.ts";
import { servedChildren, sleep } from "./support/ensemble_writes.ts";
import { noteSkip } from "./support/skips.ts";
import { refusedDiffs, restartZooKeeperMembers } from "./support/zookeeper_4925.ts";

const TIMEOUT_MS = 240_000;
const skip = noteSkip(ensembleMissing([MemberKind.zookeeper]) ?? false);
/** How long member 2 is watched, at most, while member 1 (with the hole) is the only leader it can have... */
const WATCH_MAX_MS = 60_000;
/** ...and for how long after it first refused that leader's DIFF (it tries again and again). */
const WATCH_AFTER_MS = 4_000;
const ensembles: Ensemble[] = [];

after(async () => {
  for (const ensemble of ensembles.splice(0)) await ensemble.stop();
});

/** Creates `count` nodes under /h named `prefix`-i through member `id`, all acknowledged. */
async function createAll(ensemble: Ensemble, id: number, prefix: string, count: number): Promise<void> {
  const client = createClient(ensemble.connectString([id]), { sessionTimeoutMs: 10_000 });
  try {
    await client.ready({ wait: true, signal: AbortSignal.timeout(30_000) });
    if (prefix === "") return void await client.create("/h");
    for (let i = 0; i < count; i++) await client.create(`/h/${prefix}-${i}`);
  } finally {
    await client.close();
  }
}

/**
 * Sends creates to leader 3 while member 1, its only follower, is cut off and then killed: the
 * leader logs the proposals and cannot commit them in this epoch, and member 1 never gets them
 * (a paused member would read them from its socket when it resumes; the proxy holds the bytes of
 * a partition and drops them with the dead member's connection). Then member 1 starts again.
 */
async function proposeUncommitted(ensemble: Ensemble, prefix: string, count: number): Promise<void> {
  const client = createClient(ensemble.connectString([3]), { sessionTimeoutMs: 10_000 });
  try {
    await client.ready({ wait: true, signal: AbortSignal.timeout(30_000) });
    ensemble.faults!.partition([[1], [2, 3]]);
    await sleep(200);
    const pending = Array.from({ length: count }, (_, i) => client.create(`/h/${prefix}-${i}`).catch(() => null));
    await sleep(200);
    await ensemble.kill(1);
    await Promise.race([Promise.all(pending), sleep(10_000)]);
  } finally {
    ensemble.faults!.heal();
    await client.close().catch(() => {});
  }
  await ensemble.restart(1);
}

test("mixed ensemble: a ZooKeeper leader's DIFF that skips txns (ZOOKEEPER-4925) is never served by a Paddock follower", { skip, timeout: TIMEOUT_MS }, async () => {
  const ensemble = await startEnsemble({ participants: [MemberKind.zookeeper, MemberKind.paddock, MemberKind.zookeeper] });
  ensembles.push(ensemble);
  await ensemble.waitForQuorum({ timeoutMs: 90_000 });
  // Leader 3 (highest sid, equal zxids) unless member 3 came up late: then member 2 leaves and
  // comes back under leader 3 (it must hold some history, so that it is later synced by a DIFF).
  for (let attempt = 0; attempt < 3 && (await ensemble.leader()) !== 3; attempt++) {
    const leader = (await ensemble.leader()) ?? 2;
    await ensemble.kill(leader);
    await ensemble.waitForQuorum({ timeoutMs: 90_000 });
    await ensemble.restart(leader);
    await ensemble.waitForQuorum({ timeoutMs: 90_000 });
  }
  assert.equal(await ensemble.leader(), 3, "ZooKeeper member 3 leads");
  await createAll(ensemble, 3, "", 0);
  await createAll(ensemble, 3, "base", 3);
  await ensemble.kill(2);
  await createAll(ensemble, 3, "a", 5);

  // 1. Leader 3 logs proposals it cannot commit, loses its quorum, and leads again: member 1 takes
  // them in a DIFF (ZooKeeper 3.9.3 leaves them out of member 1's committed log).
  await proposeUncommitted(ensemble, "hole", 5);
  await ensemble.waitForQuorum({ timeoutMs: 90_000 });
  await createAll(ensemble, 3, "b", 5);
  const full = await servedChildren(ensemble.member(1).ports.clientPort, "/h");
  const hole = [...full.keys()].filter((name) => name.startsWith("hole-"));
  assert.ok(hole.length > 0, `leader 3 committed the proposals of its earlier epoch: ${[...full.keys()].join(" ")}`);

  // 2. Member 1 leads with the hole; Paddock member 2 must never serve a tree without those nodes.
  await ensemble.kill(3);
  await ensemble.restart(2);
  const deadline = performance.now() + WATCH_MAX_MS;
  let divergedAtMs: number | null = null;
  let served = 0;
  while (performance.now() < deadline && (divergedAtMs === null || performance.now() - divergedAtMs < WATCH_AFTER_MS)) {
    if (divergedAtMs === null && refusedDiffs(ensemble).some((r) => r.id === 2)) divergedAtMs = performance.now();
    const status = await ensemble.status(2);
    if (status.mode === ServingMode.follower || status.mode === ServingMode.leader) {
      const seen = await servedChildren(ensemble.member(2).ports.clientPort, "/h", 1).catch(() => null);
      if (seen !== null) {
        served++;
        const missing = hole.filter((name) => !seen.has(name));
        assert.deepEqual(missing, [], `Paddock member 2 served /h without ${missing.join(" ")}\n${ensemble.logTails()}`);
      }
    }
    await sleep(300);
  }
  assert.ok(divergedAtMs !== null, `Paddock member 2 saw member 1's DIFF skip txns (it served ${served} times)\n${ensemble.logTails()}`);

  // 3. The operator's remedy: member 2 starts again on an empty dataDir, and the ZooKeeper members
  // restart (the hole is in member 1's memory only: they read their committed logs from disk,
  // whole); member 2 catches up from whichever leads.
  assert.deepEqual(await restartZooKeeperMembers(ensemble), [1, 3]);
  await ensemble.waitForQuorum({ timeoutMs: 90_000 });
  for (const id of [1, 2, 3]) {
    const seen = await servedChildren(ensemble.member(id).ports.clientPort, "/h");
    assert.deepEqual([...seen.keys()].sort(), [...full.keys()].sort(), `member ${id} serves every node`);
  }
});
