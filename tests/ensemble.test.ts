// The ensemble launcher on real processes: a ZooKeeper 3.9.3 ensemble (the reference) forms
// through the link proxies, a write survives SIGKILL of the leader and its restart, a partition
// isolating the leader moves leadership to the majority and heals back, a SIGSTOPped follower
// does not stop the others, an observer observes. The same scenario runs on Paddock members and on
// a mixed ensemble.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createClient } from "../mod.ts";
import { type Ensemble, ensembleMissing, MemberKind, ServingMode, startEnsemble } from "./support/ensemble.ts";
import { procTcpAvailable } from "./support/net/proc_tcp.ts";

const TIMEOUT_MS = 300_000;
const zookeeperSkip = ensembleMissing([MemberKind.zookeeper]) ?? false;
const ensembles: Ensemble[] = [];

after(async () => {
  for (const ensemble of ensembles) await ensemble.stop();
});

async function start(kinds: MemberKind[], observers: MemberKind[] = []): Promise<Ensemble> {
  const ensemble = await startEnsemble({ participants: kinds, observers });
  ensembles.push(ensemble);
  return ensemble;
}

async function writeAndRead(ensemble: Ensemble, path: string, value: string, ids?: number[]): Promise<string> {
  await using client = createClient(ensemble.connectString(ids), { sessionTimeoutMs: 6_000 });
  await client.ready({ signal: AbortSignal.timeout(20_000) });
  if ((await client.exists(path)) === null) await client.create(path, value);
  else await client.setData(path, value);
  await client.sync(path);
  const { data } = await client.getData(path);
  return new TextDecoder().decode(data!);
}

async function readFrom(ensemble: Ensemble, id: number, path: string): Promise<string> {
  await using client = createClient(ensemble.connectString([id]), { sessionTimeoutMs: 6_000 });
  await client.ready({ signal: AbortSignal.timeout(20_000) });
  await client.sync(path);
  return new TextDecoder().decode((await client.getData(path)).data!);
}

async function leaderOf(ensemble: Ensemble): Promise<number> {
  const statuses = await ensemble.waitForQuorum();
  const leader = statuses.find((s) => s.mode === ServingMode.leader);
  assert.ok(leader !== undefined, statuses.map((s) => `${s.id}:${s.mode}`).join(" "));
  return leader.id;
}

async function scenario(kinds: MemberKind[]): Promise<void> {
  const ensemble = await start(kinds);
  const statuses = await ensemble.statuses();
  assert.deepEqual(statuses.map((s) => s.mode).sort(), [ServingMode.follower, ServingMode.follower, ServingMode.leader]);
  assert.equal(await writeAndRead(ensemble, "/launcher", "one"), "one");

  const first = await leaderOf(ensemble);
  await ensemble.kill(first);
  const second = await leaderOf(ensemble);
  assert.notEqual(second, first);
  assert.equal(await writeAndRead(ensemble, "/launcher", "two"), "two");
  await ensemble.restart(first);
  await ensemble.waitForQuorum();
  assert.equal((await ensemble.status(first)).mode, ServingMode.follower);
  assert.equal(await readFrom(ensemble, first, "/launcher"), "two", "the restarted member caught up");

  const others = ensemble.participantIds.filter((id) => id !== second);
  ensemble.faults!.partition([[second], others]);
  await waitFor("a leader in the majority", async () => {
    const leaders = (await ensemble.statuses()).filter((s) => s.mode === ServingMode.leader).map((s) => s.id);
    return leaders.length === 1 && others.includes(leaders[0]!);
  });
  assert.equal(await writeAndRead(ensemble, "/launcher", "three", others), "three");
  ensemble.faults!.heal();
  await ensemble.waitForQuorum();
  assert.equal(await readFrom(ensemble, second, "/launcher"), "three", "the isolated leader caught up after the heal");
  if (procTcpAvailable()) assert.deepEqual(ensemble.connectionsBypassingProxies(), [], "every member-to-member connection passes a proxy");

  const third = await leaderOf(ensemble);
  const follower = ensemble.participantIds.find((id) => id !== third)!;
  ensemble.pause(follower);
  assert.equal(await writeAndRead(ensemble, "/launcher", "four", ensemble.participantIds.filter((id) => id !== follower)), "four");
  ensemble.resume(follower);
  await ensemble.waitForQuorum();
  assert.equal(await readFrom(ensemble, follower, "/launcher"), "four");
  await ensemble.stop();
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("ZooKeeper 3.9.3 ensemble of 3: leader killed and restarted, leader partitioned and healed, follower paused", { skip: zookeeperSkip, timeout: TIMEOUT_MS }, async () => {
  await scenario([MemberKind.zookeeper, MemberKind.zookeeper, MemberKind.zookeeper]);
});

test("ZooKeeper 3.9.3 ensemble with an observer: the observer reports Mode: observer and serves reads", { skip: zookeeperSkip, timeout: TIMEOUT_MS }, async () => {
  const ensemble = await start([MemberKind.zookeeper, MemberKind.zookeeper, MemberKind.zookeeper], [MemberKind.zookeeper]);
  assert.equal((await ensemble.status(4)).mode, ServingMode.observer);
  assert.equal(await writeAndRead(ensemble, "/observed", "seen", [4]), "seen");
  await ensemble.stop();
});

test("Paddock ensemble of 3: the same scenario", { timeout: TIMEOUT_MS }, async () => {
  await scenario([MemberKind.paddock, MemberKind.paddock, MemberKind.paddock]);
});

test("mixed ensemble (ZooKeeper, Paddock, ZooKeeper): the same scenario", { skip: zookeeperSkip, timeout: TIMEOUT_MS }, async () => {
  await scenario([MemberKind.zookeeper, MemberKind.paddock, MemberKind.zookeeper]);
});
