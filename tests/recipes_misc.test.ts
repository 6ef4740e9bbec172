// Barriers, counters, group membership, service registry and config watcher, on both servers.
import assert from "node:assert/strict";
import * as v from "valibot";
import { AtomicLong } from "../recipes/atomic_long.ts";
import { Barrier } from "../recipes/barrier.ts";
import { type ConfigUpdate, ConfigWatcher } from "../recipes/config_watcher.ts";
import { GroupMember } from "../recipes/group_member.ts";
import { randomStrategy, roundRobinStrategy, ServiceRegistry, stickyStrategy } from "../recipes/service_registry.ts";
import { SharedCounter } from "../recipes/shared_counter.ts";
import { within } from "./client_helpers.ts";
import { forEachTarget, Recorder, uniquePath } from "./support/recipe_targets.ts";
import { startWorker } from "./support/worker_process.ts";

const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));
const CLIENTS = 4;
const INCREMENTS = 15;
const BARRIER_MEMBERS = 3;

forEachTarget("recipes misc", (_target, it, zk) => {
  it("barrier: every waiter blocks until the barrier is removed", async () => {
    const path = uniquePath("barrier") + "/b";
    const clients = await Promise.all(Array.from({ length: 3 }, () => zk.connect()));
    const barriers = clients.map((c) => new Barrier(c, path));
    for (const b of barriers) await b.start();
    await barriers[0]!.set();
    let released = 0;
    const waits = barriers.slice(1).map((b) => b.wait({ signal: AbortSignal.timeout(5_000) }).then(() => released++));
    // Each waiter has armed its watch once its exists() answered; a round trip on each proves that.
    for (const c of clients) await c.sync("/");
    assert.equal(released, 0, "nobody passes a standing barrier");
    await barriers[0]!.remove();
    await within("waiters released", Promise.all(waits));
    assert.equal(released, 2);
    await barriers[1]!.wait(); // a removed barrier does not block
    for (const b of barriers) await b.close();
    for (const c of clients) await c.close();
  });

  it("double barrier: worker processes enter together and leave together", async () => {
    const path = uniquePath("dbarrier");
    const cs = (await zk.server()).connectString;
    await using observer = await zk.connect();
    const first = Array.from({ length: BARRIER_MEMBERS - 1 }, () => startWorker(["barrier", cs, path, String(BARRIER_MEMBERS)]));
    try {
      // Wait (by watch) until the first members have joined; none may have entered yet.
      for (let i = 0; i < 100; i++) {
        const changed = new Promise<void>((r) => void observer.getChildren(path, { watch: () => r() }).then(
          ({ children }) => children.length >= BARRIER_MEMBERS - 1 && r(),
          () => void observer.exists(path, { watch: () => r() }).then((s) => s !== null && r()),
        ));
        await within("members join", changed, 30_000);
        const { children } = await observer.getChildren(path).catch(() => ({ children: [] as string[] }));
        if (children.length >= BARRIER_MEMBERS - 1) break;
      }
      assert.ok(first.every((w) => w.lines.every((l) => !("entered" in l))), "nobody entered before the last member");
      const last = startWorker(["barrier", cs, path, String(BARRIER_MEMBERS)]);
      const all = [...first, last];
      await within("all exit", Promise.all(all.map((w) => w.exited)), 30_000);
      for (const w of all) assert.deepEqual(w.lines, [{ entered: true }, { left: true }]);
      const { children } = await observer.getChildren(path);
      assert.deepEqual(children, [], "members and the ready node are gone");
    } finally {
      for (const w of first) w.kill();
    }
  });

  it("AtomicLong and SharedCounter: concurrent increments from several clients give the exact total", async () => {
    const base = uniquePath("counter");
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => zk.connect()));
    try {
      const longs = clients.map((c) => new AtomicLong(c, `${base}/long`));
      const counters = clients.map((c) => new SharedCounter(c, `${base}/shared`));
      for (const x of [...longs, ...counters]) await x.start();
      const seen = new Recorder<number>();
      counters[0]!.on((vv) => seen.push(vv.value));
      await Promise.all(clients.map(async (_c, i) => {
        for (let n = 0; n < INCREMENTS; n++) {
          const a = await longs[i]!.increment();
          const b = await counters[i]!.add(1);
          assert.ok(a.succeeded && b.succeeded, "contention stayed within the retry policy");
          assert.equal(a.postValue, a.preValue + 1n);
        }
      }));
      const total = CLIENTS * INCREMENTS;
      assert.equal(await longs[0]!.get(), BigInt(total));
      // The watching counter converges on the total (its last change event says so).
      await within("shared counter sees the total", (async () => {
        for (let i = 1; seen.items.at(-1) !== total; i++) await seen.count(i, "counter changes", 10_000);
      })());
      assert.deepEqual(await longs[0]!.compareAndSet(0n, 5n), { succeeded: false, preValue: BigInt(total), postValue: BigInt(total) });
      assert.deepEqual(await longs[0]!.compareAndSet(BigInt(total), 5n), { succeeded: true, preValue: BigInt(total), postValue: 5n });
      assert.equal((await longs[1]!.add(-7)).postValue, -2n);
      const vv = counters[0]!.versionedValue;
      assert.equal(await counters[0]!.trySetCount(vv, 100), true);
      assert.equal(await counters[0]!.trySetCount(vv, 200), false, "a stale version loses");
      for (const x of [...longs, ...counters]) await x.close();
    } finally {
      for (const c of clients) await c.close();
    }
  });

  it("group member: members see each other; a closed session leaves the group", async () => {
    const path = uniquePath("group");
    const a = await zk.connect();
    const b = await zk.connect();
    await using ma = new GroupMember(a, path, { id: "a", payload: "pa" });
    const mb = new GroupMember(b, path, { id: "b", payload: "pb" });
    await ma.start();
    const changes = new Recorder<string>();
    ma.on((e) => changes.push(e.type === "initialized" ? e.type : `${e.type} ${e.path.split("/").pop()} ${text(e.data)}`));
    await mb.start();
    await changes.count(1);
    assert.deepEqual(new Map([...ma.members()].map(([k, d]) => [k, text(d)])), new Map([["a", "pa"], ["b", "pb"]]));
    await mb.setPayload("pb2");
    await changes.count(2);
    await b.close(); // the session ends: the ephemeral member goes with it
    await changes.count(3);
    assert.deepEqual(changes.items, ["added b pb", "updated b pb2", "removed b pb2"]);
    assert.deepEqual([...ma.members().keys()], ["a"]);
    await mb.close();
    await ma.close();
    await a.close();
  });

  it("service registry: register, discover with round-robin, random and sticky providers, deregister by session close", async () => {
    const basePath = uniquePath("services");
    const ca = await zk.connect();
    const cb = await zk.connect();
    await using client = await zk.connect();
    await using ra = new ServiceRegistry(ca, { basePath, now: () => 1_700_000_000_000 });
    await using rb = new ServiceRegistry(cb, { basePath });
    await using reader = new ServiceRegistry(client, { basePath });
    for (const r of [ra, rb, reader]) await r.start();
    const i1 = await ra.register({ name: "api", id: "i1", address: "10.0.0.1", port: 8080, payload: { zone: "a" } });
    await rb.register({ name: "api", id: "i2", address: "10.0.0.2", port: 8080 });
    await rb.register({ name: "db", id: "d1", address: "10.0.0.9", port: 5432 });
    assert.deepEqual(await reader.queryForNames(), ["api", "db"]);
    const raw = JSON.parse(text((await client.getData(`${basePath}/api/i1`)).data ?? undefined)!);
    assert.deepEqual(raw, {
      name: "api", id: "i1", address: "10.0.0.1", port: 8080, sslPort: null, payload: { zone: "a" },
      registrationTimeUTC: 1_700_000_000_000, serviceType: "DYNAMIC", uriSpec: null, enabled: true,
    }, "Curator's ServiceInstance JSON");
    assert.deepEqual((await reader.queryForInstances("api")).map((i) => i.id), ["i1", "i2"]);
    assert.deepEqual(await reader.queryForInstance("api", "i1"), i1);

    await using rr = reader.provider("api", { strategy: roundRobinStrategy() });
    const draws = [0.1, 0.9, 0.6, 0.2];
    await using rnd = reader.provider("api", { strategy: randomStrategy(() => draws.shift() ?? 0) });
    await using sticky = reader.provider("api", { strategy: stickyStrategy(roundRobinStrategy()) });
    await using cache = reader.serviceCache("api");
    const events = new Recorder<string>();
    cache.on((e) => events.push(`${e.type} ${e.instance.id}`));
    for (const p of [rr, rnd, sticky]) await p.start();
    await cache.start();
    assert.deepEqual([1, 2, 3, 4].map(() => rr.getInstance()?.id), ["i1", "i2", "i1", "i2"]);
    assert.deepEqual([1, 2, 3, 4].map(() => rnd.getInstance()?.id), ["i1", "i2", "i2", "i1"]);
    assert.deepEqual([1, 2, 3].map(() => sticky.getInstance()?.id), ["i1", "i1", "i1"]);

    await ca.close(); // i1's session ends: its registration goes
    await events.count(3);
    assert.deepEqual(events.items, ["added i1", "added i2", "removed i1"]);
    await sticky.whenIdle();
    assert.equal(sticky.getInstance()?.id, "i2", "sticky moves on when its instance leaves");
    await rb.unregister({ name: "api", id: "i2" });
    await events.count(4);
    await rr.whenIdle();
    assert.equal(rr.getInstance(), undefined);
    assert.deepEqual(await reader.queryForInstances("api"), []);
    await cb.close();
  });

  it("config watcher: typed updates, invalid values reported as errors, not crashes", async () => {
    const path = uniquePath("config");
    await using c = await zk.connect();
    await c.create(path, JSON.stringify({ host: "db1", port: 5432 }));
    const Db = v.object({ host: v.string(), port: v.pipe(v.number(), v.integer()) });
    await using config = new ConfigWatcher(c, path, Db);
    const updates = new Recorder<ConfigUpdate<v.InferOutput<typeof Db>>>();
    const stream = config.updates();
    const streamed: string[] = [];
    const reading = (async () => {
      for await (const u of stream) streamed.push(u.type);
    })();
    config.on((u) => updates.push(u));
    await config.start();
    assert.deepEqual(config.current, { host: "db1", port: 5432 });
    await c.setData(path, JSON.stringify({ host: "db2", port: 5433 }));
    await updates.count(2);
    await c.setData(path, JSON.stringify({ host: "db3", port: "oops" }));
    await updates.count(3);
    await c.setData(path, "{not json");
    await updates.count(4);
    await c.setData(path, JSON.stringify({ host: "db4", port: 1 }));
    await updates.count(5);
    await c.delete(path);
    await updates.count(6);
    const summary = updates.items.map((u) => (u.type === "value" ? `value ${u.value.host}:${u.value.port}` : u.type === "invalid" ? `invalid ${u.error.issues.length > 0 ? "schema" : "json"}` : u.type));
    assert.deepEqual(summary, ["value db1:5432", "value db2:5433", "invalid schema", "invalid json", "value db4:1", "removed"]);
    assert.equal(config.current, undefined);
    await config.close();
    await within("update stream ends on close", reading);
    assert.deepEqual(streamed, updates.items.map((u) => u.type));
  });
});
