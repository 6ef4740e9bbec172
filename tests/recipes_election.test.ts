// Elections: LeaderLatch and LeaderSelector in-process, and latch participants as real processes
// with a short session timeout: exactly one leader, failover after SIGKILL and after session expiry.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LeaderLatch, LeaderSelector, type Leadership } from "../recipes/mod.ts";
import { currentLeaders, oneLeader } from "./support/election_watch.ts";
import { type Participant, startParticipant, workerCommand } from "./support/recipe_processes.ts";
import { usePaddock } from "./support/paddock_fixture.ts";

const TIMEOUT_MS = 120_000;
/** Short, so a killed leader's session expires quickly (the server allows 2..20 ticks of 200 ms). */
const SESSION_TIMEOUT_MS = 1_600;
const paddock = usePaddock();
const skip = paddock.skip;
const connect = paddock.connect;

test("latch: one leader among three clients, the next takes over on close, tokens grow", { skip, timeout: TIMEOUT_MS }, async () => {
  const latches = await Promise.all(["a", "b", "c"].map(async (id) => new LeaderLatch(await connect(), "/it/latch1", { id })));
  for (const l of latches) l.start();
  const first = await Promise.any(latches.map((l) => l.await({ signal: AbortSignal.timeout(5_000) })));
  const leader = latches.find((l) => l.hasLeadership)!;
  assert.equal(latches.filter((l) => l.hasLeadership).length, 1);
  let participants = await leader.participants();
  for (let i = 0; i < 100 && participants.length < 3; i++) {
    await new Promise((r) => setTimeout(r, 20));
    participants = await leader.participants();
  }
  assert.deepEqual(participants.filter((p) => p.isLeader).map((p) => p.id), [leader.id]);
  assert.equal(participants.length, 3);
  await leader.close();
  assert.ok(first.signal.aborted, "closing ends the term");
  const rest = latches.filter((l) => l !== leader);
  const second = await Promise.any(rest.map((l) => l.await({ signal: AbortSignal.timeout(5_000) })));
  assert.ok(second.fencingToken > first.fencingToken);
  assert.equal(rest.filter((l) => l.hasLeadership).length, 1);
  await Promise.all(rest.map((l) => l.close()));
});

test("selector: turns never overlap, autoRequeue gives everyone turns, requeue() queues once more", { skip, timeout: TIMEOUT_MS }, async () => {
  const turns: { id: string; start: number; end: number; token: bigint }[] = [];
  let active = 0;
  let overlap = false;
  const take = (id: string) => async (term: Leadership) => {
    if (++active > 1) overlap = true;
    const start = performance.now();
    await new Promise((r) => setTimeout(r, 40));
    turns.push({ id, start, end: performance.now(), token: term.fencingToken });
    active--;
  };
  const selectors = await Promise.all(["a", "b", "c"].map(async (id) =>
    new LeaderSelector(await connect(), "/it/selector", { id, autoRequeue: true, takeLeadership: take(id) })));
  for (const s of selectors) s.start();
  const deadline = Date.now() + 20_000;
  while (turns.length < 9 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await Promise.all(selectors.map((s) => s.close()));
  assert.equal(overlap, false, "two leaders at once");
  assert.ok(turns.length >= 9, `9 turns, got ${turns.length}`);
  assert.deepEqual(new Set(turns.map((t) => t.id)), new Set(["a", "b", "c"]));
  for (let i = 1; i < turns.length; i++) assert.ok(turns[i]!.token > turns[i - 1]!.token, "fencing tokens grow turn by turn");

  let once = 0;
  const single = new LeaderSelector(await connect(), "/it/selector2", { takeLeadership: async () => void once++ });
  single.start();
  for (let i = 0; i < 100 && once < 1; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(once, 1);
  assert.equal(single.requeue(), true);
  for (let i = 0; i < 100 && once < 2; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(once, 2, "requeue gave one more turn");
  await single.close();
});

async function startLatchProcesses(path: string, ids: string[]): Promise<Map<string, Participant>> {
  const participants = new Map<string, Participant>();
  for (const id of ids) {
    const p = startParticipant(workerCommand(["latch", paddock.connectString(), path, id, String(SESSION_TIMEOUT_MS)]));
    participants.set(id, p);
    await p.waitForLine((l) => l === `started ${id}`, 30_000);
  }
  return participants;
}

test("latch processes: exactly one leader; SIGKILL of the leader fails over within the session timeout", { skip, timeout: TIMEOUT_MS }, async () => {
  const participants = await startLatchProcesses("/it/latch2", ["p1", "p2", "p3"]);
  const dead = new Set<string>();
  try {
    const leader = await oneLeader(participants, dead, 15_000);
    const t0 = Date.now();
    participants.get(leader)!.kill("SIGKILL");
    dead.add(leader);
    const next = await oneLeader(participants, dead, 15_000, 0);
    const failoverMs = Date.now() - t0;
    assert.notEqual(next, leader);
    assert.ok(failoverMs < SESSION_TIMEOUT_MS * 3, `failover took ${failoverMs} ms`);
    await oneLeader(participants, dead, 5_000);
  } finally {
    await Promise.all([...participants.values()].map((p) => p.stop()));
  }
});

test("latch processes: a leader whose session expires (SIGSTOP) is replaced and learns it lost", { skip, timeout: TIMEOUT_MS }, async () => {
  const participants = await startLatchProcesses("/it/latch3", ["q1", "q2"]);
  const frozen = new Set<string>();
  try {
    const leader = await oneLeader(participants, frozen, 15_000);
    participants.get(leader)!.kill("SIGSTOP");
    frozen.add(leader);
    const next = await oneLeader(participants, frozen, 15_000, 0);
    assert.notEqual(next, leader);
    participants.get(leader)!.kill("SIGCONT");
    const old = participants.get(leader)!;
    await old.waitForLine((l) => l === `state ${leader} expired`, 10_000);
    await old.waitForLine((l) => l === `notLeader ${leader}`, 5_000);
    assert.deepEqual(currentLeaders(participants), [next], "only the new leader leads once the old one woke up");
  } finally {
    for (const p of participants.values()) p.kill("SIGCONT");
    await Promise.all([...participants.values()].map((p) => p.stop()));
  }
});
