// Locks over the sorted-sequence primitive: Mutex, ReadWriteLock and Semaphore, in-process and
// between real worker processes (each with its own client) on a Paddock server process.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startServer } from "../core/server/start_server.ts";
import {
  LossReason, Mutex, OwnershipLostError, ReadWriteLock, readDriver, Semaphore, sortBySequence, standardDriver,
} from "../recipes/mod.ts";
import { type Participant, startParticipant, workerCommand } from "./support/recipe_processes.ts";
import { usePaddock } from "./support/paddock_fixture.ts";

const TIMEOUT_MS = 120_000;
const paddock = usePaddock();
const skip = paddock.skip;
const connect = paddock.connect;

async function runWorkers(argsList: string[][]): Promise<Participant[]> {
  const workers = argsList.map((args) => startParticipant(workerCommand(args)));
  const codes = await Promise.all(workers.map((w) => w.exited));
  codes.forEach((code, i) => assert.equal(code, 0, `worker ${i} exited with ${code}\n${workers[i]!.output()}`));
  return workers;
}

function assertNoOverlap(workers: Participant[]): void {
  for (const w of workers) {
    const bad = w.lines.filter((l) => l.startsWith("OVERLAP") || l.startsWith("STALE_TOKEN") || l.startsWith("FAILED"));
    assert.deepEqual(bad, [], `a worker saw another holder:\n${w.output()}`);
  }
}

test("drivers: sort by counter across names, standard and read predicates", () => {
  const sorted = sortBySequence(["_c_b-__WRIT__0000000003", "_c_a-__READ__0000000001", "_c_c-__READ__0000000004", "_c_d-__READ__0000000002"], ["__READ__", "__WRIT__"]);
  assert.deepEqual(sorted, ["_c_a-__READ__0000000001", "_c_d-__READ__0000000002", "_c_b-__WRIT__0000000003", "_c_c-__READ__0000000004"]);
  assert.deepEqual(readDriver(false)(sorted, sorted[1]!), { holds: true });
  assert.deepEqual(readDriver(false)(sorted, sorted[3]!), { holds: false, watch: sorted[2] });
  assert.deepEqual(standardDriver(1)(sorted, sorted[2]!), { holds: false, watch: sorted[1] });
  assert.deepEqual(standardDriver(2)(sorted, sorted[3]!), { holds: false, watch: sorted[1] });
});

test("mutex: reentrant per owner, exclusive across owners, fencing tokens grow, abort leaves no node", { skip, timeout: TIMEOUT_MS }, async () => {
  const [a, b] = [await connect(), await connect()];
  const mutexA = new Mutex(a, "/it/mutex1");
  const mutexB = new Mutex(b, "/it/mutex1");
  const first = await mutexA.acquire();
  const again = await mutexA.acquire();
  assert.equal(again.path, first.path, "a second acquire by the same owner is reentrant");
  await assert.rejects(mutexB.acquire({ signal: AbortSignal.timeout(300) }), (e: Error) => e.name === "TimeoutError");
  assert.equal((await mutexA.participants()).length, 1, "the timed-out waiter removed its node");
  await first.release();
  assert.ok(mutexA.isHeld(), "still held after one of two releases");
  const waiting = mutexB.acquire({ signal: AbortSignal.timeout(5_000) });
  await again.release();
  const second = await waiting;
  assert.ok(second.fencingToken > first.fencingToken, `fencing token ${second.fencingToken} > ${first.fencingToken}`);
  await second.release();
  await Promise.all([mutexA.close(), mutexB.close()]);
});

test("mutex: 4 processes x 15 unguarded increments = 60, never two holders", { skip, timeout: TIMEOUT_MS }, async () => {
  const client = await connect();
  await client.create("/it/counter", "0").catch(() => client.setData("/it/counter", "0"));
  const workers = await runWorkers(Array.from({ length: 4 }, () => ["mutex", paddock.connectString(), "/it/mutex2", "/it/counter", "/it/holders", "15"]));
  assertNoOverlap(workers);
  const { data } = await client.getData("/it/counter");
  assert.equal(new TextDecoder().decode(data ?? undefined), "60");
});

test("rwlock: two readers hold together, a writer waits for both and later readers wait for it", { skip, timeout: TIMEOUT_MS }, async () => {
  const [a, b, c] = [await connect(), await connect(), await connect()];
  const [rwA, rwB, rwC] = [a, b, c].map((cl) => new ReadWriteLock(cl, "/it/rw1")) as [ReadWriteLock, ReadWriteLock, ReadWriteLock];
  const r1 = await rwA.readLock.acquire({ signal: AbortSignal.timeout(2_000) });
  const r2 = await rwB.readLock.acquire({ signal: AbortSignal.timeout(2_000) });
  let written = false;
  const writing = rwC.writeLock.acquire({ signal: AbortSignal.timeout(10_000) }).then((l) => ((written = true), l));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(written, false, "the writer waits for the readers");
  const lateReader = rwB.readLock.acquire({ owner: {}, signal: AbortSignal.timeout(300) });
  await assert.rejects(lateReader, (e: Error) => e.name === "TimeoutError", "a reader behind a queued writer waits");
  await r1.release();
  await r2.release();
  const w = await writing;
  const downgrade = await rwC.readLock.acquire({ signal: AbortSignal.timeout(1_000) });
  await downgrade.release();
  await w.release();
  await Promise.all([rwA.close(), rwB.close(), rwC.close()]);
});

test("rwlock: 3 reader and 2 writer processes, writers alone, readers together", { skip, timeout: TIMEOUT_MS }, async () => {
  const cs = paddock.connectString();
  const workers = await runWorkers([
    ["rwlock", cs, "/it/rw2", "/it/rwmarks", "read", "5", "60"],
    ["rwlock", cs, "/it/rw2", "/it/rwmarks", "read", "5", "60"],
    ["rwlock", cs, "/it/rw2", "/it/rwmarks", "read", "5", "60"],
    ["rwlock", cs, "/it/rw2", "/it/rwmarks", "write", "5", "20"],
    ["rwlock", cs, "/it/rw2", "/it/rwmarks", "write", "5", "20"],
  ]);
  assertNoOverlap(workers);
  const maxReaders = Math.max(...workers.slice(0, 3).map((w) => Number(w.lines.find((l) => l.startsWith("maxReaders"))?.split(" ")[1] ?? 0)));
  assert.ok(maxReaders >= 2, `readers held the lock together (max ${maxReaders} at once)`);
});

test("semaphore: 5 processes, 2 leases, never more than 2 holders", { skip, timeout: TIMEOUT_MS }, async () => {
  const cs = paddock.connectString();
  const workers = await runWorkers(Array.from({ length: 5 }, () => ["semaphore", cs, "/it/sem", "/it/semmarks", "2", "4", "40"]));
  assertNoOverlap(workers);
  const max = Math.max(...workers.map((w) => Number(w.lines.find((l) => l.startsWith("maxHolders"))?.split(" ")[1] ?? 0)));
  assert.ok(max <= 2, `at most 2 holders, saw ${max}`);
  const client = await connect();
  assert.deepEqual((await client.getChildren("/it/sem/leases").catch(() => ({ children: [] }))).children, [], "every lease returned");
});

test("connection policy: a lease is lost when the client stays disconnected beyond the grace period", { timeout: TIMEOUT_MS }, async () => {
  const local = await startServer({ clientPort: 0, inMemory: true, tickTime: 200 });
  const client = await connect(local.connectString, 4_000);
  const mutex = new Mutex(client, "/policy", { suspendedGraceMs: 300 });
  const lease = await mutex.acquire();
  const lost = new Promise<unknown>((resolve) => lease.signal.addEventListener("abort", () => resolve(lease.signal.reason)));
  const t0 = Date.now();
  await local.close();
  const reason = await lost;
  assert.ok(reason instanceof OwnershipLostError && reason.reason === LossReason.suspended, `lost as suspended, got ${String(reason)}`);
  assert.ok(Date.now() - t0 >= 250, "not before the grace period");
  assert.ok(lease.lost);
  await client.close();
  assert.ok(lease.lost);
});
