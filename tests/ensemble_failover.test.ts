// Paddock ensembles of real processes on 127.0.0.1 with real disks, under pipelined writes from
// a real client: SIGKILL the leader, a follower, two followers of five; restart them; afterwards
// every acknowledged write is on every member, the members serve identical trees and logged the
// same tree digests, and no session expired. Each way a lagging member catches up is made to
// happen and asserted from the leader's log and its mntr: DIFF (a follower killed and restarted),
// TRUNC (a leader cut off while it had logged proposals nobody else has), SNAP (a member further
// behind than the leader's commitLogCount, and a member whose disk was wiped).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { createClient, ErrorCode, KeeperError } from "../mod.ts";
import { type Ensemble, MemberKind, ServingMode, startEnsemble } from "./support/ensemble.ts";
import {
  digestLog,
  monitor,
  PipelinedWriter,
  servedChildren,
  sleep,
  SyncWatch,
  waitForSameZxid,
  type WriterReport,
} from "./support/ensemble_writes.ts";
import { reservePorts } from "./support/ports.ts";
import type { CfgValue } from "./support/zoo_cfg.ts";

const TIMEOUT_MS = 300_000;
const ensembles: Ensemble[] = [];

after(async () => {
  for (const ensemble of ensembles) await ensemble.stop();
});

/** Paddock members with their own AdminServer each (for `hash`). */
async function paddockEnsemble(opts: { participants: number; observers?: number; proxies?: boolean; extra?: Record<string, CfgValue> }): Promise<{ ensemble: Ensemble; adminUrl: (id: number) => string }> {
  const total = opts.participants + (opts.observers ?? 0);
  const admin = await reservePorts(total);
  await admin.release();
  const ensemble = await startEnsemble({
    participants: Array.from({ length: opts.participants }, () => MemberKind.paddock),
    observers: Array.from({ length: opts.observers ?? 0 }, () => MemberKind.paddock),
    proxies: opts.proxies ?? false,
    extra: opts.extra,
    memberExtra: (id) => ({ "admin.enableServer": true, "admin.serverAddress": "127.0.0.1", "admin.serverPort": admin.ports[id - 1]! }),
  });
  ensembles.push(ensemble);
  return { ensemble, adminUrl: (id) => `http://127.0.0.1:${admin.ports[id - 1]}/commands` };
}

async function leaderOf(ensemble: Ensemble): Promise<number> {
  const statuses = await ensemble.waitForQuorum();
  const leader = statuses.find((s) => s.mode === ServingMode.leader);
  assert.ok(leader !== undefined, statuses.map((s) => `${s.id}:${s.mode}`).join(" "));
  return leader.id;
}

async function followersOf(ensemble: Ensemble): Promise<number[]> {
  return (await ensemble.waitForQuorum()).filter((s) => s.mode === ServingMode.follower).map((s) => s.id);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * Every member serves the same children of `parent` with the same data and stat, holding every
 * acknowledged write; the digests the members logged agree wherever two logged the same zxid;
 * nobody counted a digest mismatch.
 */
async function assertConverged(ensemble: Ensemble, adminUrl: (id: number) => string, parent: string, reports: WriterReport[]): Promise<void> {
  const zxid = await waitForSameZxid(ensemble);
  const ids = ensemble.members.map((m) => m.id);
  const served = await Promise.all(ids.map((id) => servedChildren(ensemble.member(id).ports.clientPort, parent)));
  const reference = served[0]!;
  for (const report of reports) {
    assert.deepEqual(report.refused, [], "no create was refused");
    assert.ok(!report.states.includes("expired"), `the writer's session never expired (states: ${report.states.join(", ")})`);
    for (const name of report.acked) assert.ok(reference.has(name), `acknowledged ${parent}/${name} is on member ${ids[0]}`);
  }
  for (const [i, children] of served.entries()) {
    assert.equal(children.size, reference.size, `member ${ids[i]} serves ${children.size} znodes, member ${ids[0]} ${reference.size}`);
    assert.deepEqual(children, reference, `member ${ids[i]} serves the same znodes as member ${ids[0]}`);
  }
  for (const [name, node] of reference) assert.equal(node.data, name, `${parent}/${name} holds its own name`);
  const logs = await Promise.all(ids.map((id) => digestLog(adminUrl(id))));
  let compared = 0;
  for (const [z, digest] of logs[0]!) {
    const others = logs.slice(1).map((log) => log.get(z));
    if (others.some((d) => d === undefined)) continue;
    compared++;
    for (const [i, other] of others.entries()) assert.equal(other, digest, `member ${ids[i + 1]}'s digest at zxid 0x${z.toString(16)}`);
  }
  assert.ok(compared > 0, `the members logged no digest at a common zxid (last zxid 0x${zxid.toString(16)})`);
  for (const id of ids) assert.equal((await monitor(ensemble.member(id).ports.clientPort)).get("digest_mismatches_count"), "0", `member ${id} counted no digest mismatch`);
}

test("3 Paddock members under pipelined writes: SIGKILL the leader, then a follower; restarted, they catch up and every acknowledged write is everywhere", { timeout: TIMEOUT_MS }, async () => {
  const { ensemble, adminUrl } = await paddockEnsemble({ participants: 3 });
  const writer = await PipelinedWriter.start(ensemble.connectString(), "/w");
  await writer.waitForAcks(600);

  const first = await leaderOf(ensemble);
  let syncs = new SyncWatch(ensemble);
  await ensemble.kill(first);
  const second = await leaderOf(ensemble);
  assert.notEqual(second, first);
  await writer.waitForAcks(600);
  await ensemble.restart(first);
  await ensemble.waitForQuorum();
  await writer.waitForAcks(300);
  // Proposals the killed leader logged and nobody acked are cut off (TRUNC); else a DIFF.
  const rejoin = syncs.modes(first)[0];
  assert.ok(rejoin === "DIFF" || rejoin === "TRUNC", `the old leader rejoined by DIFF or TRUNC, not ${rejoin}`);

  const follower = (await followersOf(ensemble))[0]!;
  syncs = new SyncWatch(ensemble);
  await ensemble.kill(follower);
  await writer.waitForAcks(600);
  await ensemble.restart(follower);
  await ensemble.waitForQuorum();
  await writer.waitForAcks(300);
  assert.equal(syncs.modes(follower)[0], "DIFF", "the killed follower rejoined by DIFF");
  const report = await writer.stop();
  assert.ok(report.acked.size >= 2_400, `${report.acked.size} writes acknowledged`);
  await assertConverged(ensemble, adminUrl, "/w", [report]);
});

test("5 Paddock members and an observer: SIGKILL two followers at once, then the leader; writes go on with three of five; all six converge", { timeout: TIMEOUT_MS }, async () => {
  const { ensemble, adminUrl } = await paddockEnsemble({ participants: 5, observers: 1 });
  assert.equal((await ensemble.status(6)).mode, ServingMode.observer);
  const writer = await PipelinedWriter.start(ensemble.connectString(), "/w5");
  await writer.waitForAcks(500);

  const [a, b] = await followersOf(ensemble);
  await Promise.all([ensemble.kill(a!), ensemble.kill(b!)]);
  await writer.waitForAcks(500);
  const leader = await leaderOf(ensemble);
  await ensemble.kill(leader);
  // Three of five left, two of them voting: no quorum until one comes back.
  await ensemble.restart(a!);
  await leaderOf(ensemble);
  await writer.waitForAcks(500);
  await ensemble.restart(b!);
  await ensemble.restart(leader);
  await ensemble.waitForQuorum();
  await writer.waitForAcks(300);
  const report = await writer.stop();
  await assertConverged(ensemble, adminUrl, "/w5", [report]);
  assert.equal((await ensemble.status(6)).mode, ServingMode.observer, "the observer still observes");
});

test("SNAP: a follower further behind than the leader's commitLogCount, and one whose disk was wiped, rejoin by snapshot", { timeout: TIMEOUT_MS }, async () => {
  const { ensemble, adminUrl } = await paddockEnsemble({ participants: 3, extra: { commitLogCount: 100 } });
  const writer = await PipelinedWriter.start(ensemble.connectString(), "/snap");
  await writer.waitForAcks(200);
  const leader = await leaderOf(ensemble);
  const [behind, wiped] = await followersOf(ensemble);
  const snapsBefore = Number((await monitor(ensemble.member(leader).ports.clientPort)).get("snap_count"));

  const syncs = new SyncWatch(ensemble);
  await ensemble.kill(behind!);
  await writer.waitForAcks(400);
  await ensemble.restart(behind!);
  await ensemble.waitForQuorum();
  assert.equal(syncs.modes(behind!)[0], "SNAP", "400 txns behind a window of 100: SNAP");

  const wipeSyncs = new SyncWatch(ensemble);
  await ensemble.kill(wiped!);
  const dataDir = join(ensemble.member(wiped!).dir, "data");
  for (const entry of readdirSync(dataDir)) if (entry !== "myid") rmSync(join(dataDir, entry), { recursive: true, force: true });
  await writer.waitForAcks(50);
  await ensemble.restart(wiped!);
  await ensemble.waitForQuorum();
  assert.equal(wipeSyncs.modes(wiped!)[0], "SNAP", "an empty member gets a SNAP");
  // It installed the snapshot it wrote while the SNAP arrived (core/server/snapshot_transcoder.ts),
  // and comes back from it after a restart.
  const wipedLog = readFileSync(ensemble.member(wiped!).process.logPath, "utf8");
  assert.match(wipedLog, /installed snapshot 0x[0-9a-f]+ \(\d+ bytes\)/, "the SNAP was installed");
  assert.doesNotMatch(wipedLog, /no longer matches/, "the snapshot written during the SNAP was the one installed");
  await ensemble.kill(wiped!);
  await ensemble.restart(wiped!);
  await ensemble.waitForQuorum();
  if ((await leaderOf(ensemble)) === leader) {
    // At least these two (a loaded machine may make a learner resync once more).
    const snaps = Number((await monitor(ensemble.member(leader).ports.clientPort)).get("snap_count"));
    assert.ok(snaps >= snapsBefore + 2, `mntr snap_count counted both: ${snapsBefore} before, ${snaps} after`);
  }
  await writer.waitForAcks(300);
  await assertConverged(ensemble, adminUrl, "/snap", [await writer.stop()]);
});

test("TRUNC: a leader cut off with proposals only it logged drops them when it rejoins the new leader", { timeout: TIMEOUT_MS }, async () => {
  const { ensemble, adminUrl } = await paddockEnsemble({ participants: 3, proxies: true });
  const writer = await PipelinedWriter.start(ensemble.connectString(), "/t");
  await writer.waitForAcks(200);
  const report = await writer.stop();
  const old = await leaderOf(ensemble);
  const syncs = new SyncWatch(ensemble);
  const others = ensemble.participantIds.filter((id) => id !== old);

  // A client of the leader alone; its creates reach the leader after the cut: logged there only.
  const lonely = createClient(ensemble.connectString([old]), { sessionTimeoutMs: 30_000 });
  await lonely.ready({ signal: AbortSignal.timeout(20_000) });
  ensemble.faults!.partition([[old], others]);
  const orphans = Array.from({ length: 20 }, (_, i) => lonely.create(`/t/orphan${i}`, "never committed").then(() => "acked", (err: unknown) => {
    assert.ok(err instanceof KeeperError && err.code === ErrorCode.CONNECTIONLOSS, `orphan create failed with ${(err as Error).message}`);
    return "lost";
  }));
  await waitFor("a new leader among the others", async () => {
    const leaders = (await ensemble.statuses()).filter((s) => s.mode === ServingMode.leader).map((s) => s.id);
    return leaders.length === 1 && others.includes(leaders[0]!);
  });
  assert.deepEqual(await Promise.all(orphans), Array(20).fill("lost"), "no create the cut-off leader alone logged was acknowledged");
  // Healed before the new epoch commits anything: the old leader's extra txns are in the epoch
  // the new leader's history ends with, so it is cut back to the last common zxid. (Once the new
  // epoch has txns, a TRUNC would cross an epoch and it gets a SNAP, as from ZooKeeper.)
  ensemble.faults!.heal();
  await ensemble.waitForQuorum();
  assert.equal(syncs.modes(old)[0], "TRUNC", "the old leader was truncated");
  const after = await PipelinedWriter.start(ensemble.connectString(), "/t", { prefix: "a" });
  await after.waitForAcks(300);
  await lonely.close();
  const afterReport = await after.stop();
  await assertConverged(ensemble, adminUrl, "/t", [report, afterReport]);
  const served = await servedChildren(ensemble.member(old).ports.clientPort, "/t");
  assert.ok(![...served.keys()].some((name) => name.startsWith("orphan")), "no orphan survived anywhere");
});
