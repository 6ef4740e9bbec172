// Caches: exact event sequences for a scripted set of changes, across a cut connection (changes made
// while disconnected are reported after the resync) and, on Paddock, a server restart with the
// session surviving. All four caches watch the same tree from one client.
import assert from "node:assert/strict";
import { type Client, type ConnectionState, createClient } from "../core/client/mod.ts";
import type { CacheEvent } from "../recipes/cache_base.ts";
import { ChildrenCache } from "../recipes/children_cache.ts";
import { NodeCache } from "../recipes/node_cache.ts";
import { PersistentCache } from "../recipes/persistent_cache.ts";
import { TreeCache } from "../recipes/tree_cache.ts";
import { CuttableTransport, within } from "./client_helpers.ts";
import { forEachTarget, RECIPE_SERVER_OPTIONS, Recorder, uniquePath } from "./support/recipe_targets.ts";
import { startPaddock } from "./support/servers.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const fmt = (e: CacheEvent) => (e.type === "initialized" ? "initialized" : `${e.type} ${e.path} ${text(e.data)}`);

interface Watched {
  name: string;
  /** How many of the recorded events earlier steps already checked. */
  verified?: number;
  recorder: Recorder<string>;
  /** Which full-tree events this cache reports. */
  sees: (path: string) => boolean;
  cache: TreeCache | PersistentCache;
}

/** The events a cache should report, from the full-tree list. */
function expectedFor(w: Watched, events: readonly string[]): string[] {
  return events.filter((e) => e === "initialized" || w.sees(e.split(" ")[1]!));
}

/** Per-path order kept, paths sorted: what a resync can promise (paths are read in any order). */
function byPath(events: readonly string[]): string[] {
  return [...events].sort((a, b) => {
    const pa = a.split(" ")[1]!;
    const pb = b.split(" ")[1]!;
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  });
}

function nextState(client: Client, wanted: ConnectionState): Promise<void> {
  return new Promise((resolve) => {
    const off = client.on("state", (s) => {
      if (s === wanted) {
        off();
        resolve();
      }
    });
  });
}

forEachTarget("recipes caches", (target, it, zk) => {
  it("node, children, tree and persistent caches report the same script exactly, through a cut and a restart", async () => {
    const r = uniquePath("cache");
    await using writer = await zk.connect();
    await writer.create(r, "r0");
    await writer.create(`${r}/a`, "a0");

    // Paddock is restarted in this test, so it gets its own server; ZooKeeper uses the shared one.
    const own = target.name === "paddock" ? await startPaddock(RECIPE_SERVER_OPTIONS) : undefined;
    const server = own ?? (await zk.server());
    let restarted: Awaited<ReturnType<typeof startPaddock>> | undefined;
    const transport = new CuttableTransport();
    const writerHere = own === undefined ? writer : createClient(own.connectString, { sessionTimeoutMs: 10_000 });
    if (own !== undefined) {
      await writerHere.ready();
      await writerHere.create(r, "r0");
      await writerHere.create(`${r}/a`, "a0");
    }
    const client = createClient(server.connectString, { sessionTimeoutMs: 10_000, transport, reconnectDelayMaxMs: 100 });
    // ZooKeeper before 3.9 keeps one watch mode per path and session (ZOOKEEPER-4466): a one-shot
    // watch on the root would replace the persistent recursive one, so that cache gets its own session.
    const client2 = createClient(server.connectString, { sessionTimeoutMs: 10_000, transport, reconnectDelayMaxMs: 100 });
    const clients = [client, client2];
    try {
      await within("cache clients connect", Promise.all(clients.map((c) => c.ready())));
      const depth = (p: string) => p.split("/").length - r.split("/").length;
      const watched: Watched[] = [
        { name: "NodeCache", recorder: new Recorder(), sees: (p) => p === r, cache: new NodeCache(client, r) },
        { name: "ChildrenCache", recorder: new Recorder(), sees: (p) => depth(p) === 1, cache: new ChildrenCache(client, r) },
        { name: "TreeCache", recorder: new Recorder(), sees: () => true, cache: new TreeCache(client, r) },
        { name: "PersistentCache", recorder: new Recorder(), sees: () => true, cache: new PersistentCache(client2, r) },
      ];
      for (const w of watched) w.cache.on((e) => w.recorder.push(fmt(e)));
      // The async-iterator API sees the same stream as the callbacks.
      const iterated: string[] = [];
      const tree = watched[2]!.cache;
      const iteration = (async () => {
        for await (const e of tree.events()) iterated.push(fmt(e));
      })();

      const all: string[] = [];
      /** Runs a step, then waits until every cache has reported its share of `events`, exactly. */
      const step = async (what: string, run: () => Promise<unknown>, events: string[], sortByPath = false) => {
        await run();
        all.push(...events);
        for (const w of watched) {
          const want = expectedFor(w, all);
          await w.recorder.count(want.length, `${w.name} after "${what}"`);
          await w.cache.whenIdle();
          // Earlier steps were checked already (some by path only), so compare this step's share.
          const from = w.verified ?? 0;
          const got = w.recorder.items.slice(from);
          const mine = want.slice(from);
          const show = sortByPath ? byPath : (x: string[]) => x;
          assert.deepEqual(show(got), show(mine), `${w.name} after "${what}"`);
          w.verified = w.recorder.items.length;
        }
      };

      await step("start", () => Promise.all(watched.map((w) => w.cache.start())), [`added ${r} r0`, `added ${r}/a a0`, "initialized"]);
      // NodeCache and ChildrenCache emit `initialized` after their own adds; the filter keeps it in place.
      const w = writerHere;
      await step("setData child", () => w.setData(`${r}/a`, "a1"), [`updated ${r}/a a1`]);
      await step("create child", () => w.create(`${r}/b`, "b0"), [`added ${r}/b b0`]);
      await step("create grandchild", () => w.create(`${r}/b/c`, "c0"), [`added ${r}/b/c c0`]);
      await step("setData root", () => w.setData(r, "r1"), [`updated ${r} r1`]);
      await step("delete child", () => w.delete(`${r}/a`), [`removed ${r}/a a1`]);
      await step("delete and re-create", async () => {
        await w.delete(`${r}/b/c`);
        await w.create(`${r}/b/c`, "c1");
      }, [`removed ${r}/b/c c0`, `added ${r}/b/c c1`]);
      await step("create e", () => w.create(`${r}/e`, "e0"), [`added ${r}/e e0`]);

      // Cut the cache client off; change things behind its back; let it reconnect.
      await step("changes while disconnected", async () => {
        const down = Promise.all(clients.map((c) => nextState(c, "disconnected")));
        transport.blocked = true;
        transport.cut();
        await within("disconnected", down);
        await w.setData(r, "r2");
        await w.setData(`${r}/b`, "b1");
        await w.delete(`${r}/b/c`);
        await w.create(`${r}/d`, "d0");
        await w.delete(`${r}/e`);
        await w.create(`${r}/e`, "e1");
        const up = Promise.all(clients.map((c) => nextState(c, "reconnected")));
        transport.blocked = false;
        await within("reconnected", up);
      }, [
        `updated ${r} r2`, `updated ${r}/b b1`, `removed ${r}/b/c c1`, `added ${r}/d d0`, `removed ${r}/e e0`, `added ${r}/e e1`,
      ], true);

      if (own !== undefined) {
        await step("server restart", async () => {
          const down = Promise.all(clients.map((c) => nextState(c, "disconnected")));
          await own.stop({ keepDir: true });
          await within("disconnected", down);
          const up = Promise.all(clients.map((c) => nextState(c, "reconnected")));
          restarted = await startPaddock({ ...RECIPE_SERVER_OPTIONS, dir: own.dir, clientPort: own.port });
          await within("reconnected with the same session", up, 15_000);
          await w.ready();
          await w.setData(r, "r3");
          await w.create(`${r}/z`, "z0");
        }, [`updated ${r} r3`, `added ${r}/z z0`]);
      }

      assert.deepEqual(iterated, watched[2]!.recorder.items, "TreeCache iterator = callbacks");
      assert.equal(text((watched[0]!.cache as NodeCache).current!.data), own ? "r3" : "r2");
      assert.deepEqual([...(watched[1]!.cache as ChildrenCache).children().keys()], own ? ["b", "d", "e", "z"] : ["b", "d", "e"]);
      for (const x of watched) await x.cache.close();
      await within("iterator ends on close", iteration);
    } finally {
      for (const c of clients) await c.close();
      if (own !== undefined) {
        await writerHere.close();
        await restarted?.stop();
        await own.stop();
        const { rmSync } = await import("node:fs");
        rmSync(own.dir, { recursive: true, force: true });
      }
    }
  });

  it("a cache of a missing node reports it when it appears; start/close guard", async () => {
    const r = uniquePath("late");
    await using c = await zk.connect();
    await using cache = new NodeCache(c, r);
    const events = new Recorder<string>();
    cache.on((e) => events.push(fmt(e)));
    assert.equal(cache.state, "latent");
    await cache.start();
    assert.equal(cache.state, "started");
    await assert.rejects(cache.start(), /start\(\) when started/);
    await c.create(r, "x");
    await c.delete(r);
    await c.create(r, "y");
    // The one-shot watch may coalesce the delete with the re-create, but the czxid shows it.
    await events.count(4);
    assert.deepEqual(events.items, ["initialized", `added ${r} x`, `removed ${r} x`, `added ${r} y`]);
    await cache.close();
    assert.equal(cache.state, "closed");
  });
});
