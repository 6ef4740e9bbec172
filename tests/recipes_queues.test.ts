// Queues: consumer processes each take items; every item is taken exactly once and, per consumer,
// in each producer's order. Priority and delay orderings; take() with an abort signal.
import assert from "node:assert/strict";
import { DelayQueue } from "../recipes/delay_queue.ts";
import { PriorityQueue } from "../recipes/priority_queue.ts";
import { DistributedQueue } from "../recipes/queue.ts";
import { within } from "./client_helpers.ts";
import { forEachTarget, uniquePath } from "./support/recipe_targets.ts";
import { startWorker } from "./support/worker_process.ts";

const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));
const PRODUCERS = 3;
const CONSUMERS = 3;
const ITEMS_PER_PRODUCER = 12;

forEachTarget("recipes queues", (_target, it, zk) => {
  it("consumer processes take every item exactly once, FIFO per producer", async () => {
    const q = uniquePath("queue");
    const cs = (await zk.server()).connectString;
    const workers = Array.from({ length: CONSUMERS }, () => startWorker(["consume", cs, q]));
    try {
      await within("workers ready", Promise.all(workers.map((w) => w.line("ready"))), 30_000);
      const producers = await Promise.all(Array.from({ length: PRODUCERS }, () => zk.connect()));
      const queues = producers.map((c) => new DistributedQueue(c, q));
      for (const queue of queues) await queue.start();
      await Promise.all(queues.map(async (queue, p) => {
        for (let n = 0; n < ITEMS_PER_PRODUCER; n++) await queue.put(`p${p}-${n}`);
      }));
      // One STOP per consumer, after every item: FIFO means they come out last.
      for (let i = 0; i < CONSUMERS; i++) await queues[0]!.put("STOP");
      await within("workers finish", Promise.all(workers.map((w) => w.exited)), 30_000);
      const taken = workers.map((w) => w.lines.flatMap((l) => (typeof l.taken === "string" ? [l.taken] : [])));
      const all = taken.flat().sort();
      const expected = Array.from({ length: PRODUCERS }, (_, p) => Array.from({ length: ITEMS_PER_PRODUCER }, (_, n) => `p${p}-${n}`)).flat().sort();
      assert.deepEqual(all, expected, "every item exactly once");
      for (const [w, items] of taken.entries()) {
        for (let p = 0; p < PRODUCERS; p++) {
          const seq = items.filter((i) => i.startsWith(`p${p}-`)).map((i) => Number(i.split("-")[1]));
          assert.deepEqual(seq, [...seq].sort((a, b) => a - b), `consumer ${w} got producer ${p}'s items in order`);
        }
      }
      assert.equal(await queues[0]!.size(), 0);
      for (const queue of queues) await queue.close();
      for (const c of producers) await c.close();
    } finally {
      for (const w of workers) w.kill();
    }
  });

  it("take waits for a put, honours its signal, poll and peek", async () => {
    await using c = await zk.connect();
    await using queue = new DistributedQueue(c, uniquePath("q2") + "/jobs");
    await queue.start();
    assert.equal(await queue.poll(), null);
    await assert.rejects(queue.take({ signal: AbortSignal.timeout(200) }), (e: Error) => e.name === "TimeoutError");
    const taking = queue.take({ signal: AbortSignal.timeout(5_000) });
    await queue.put("one");
    assert.equal(text(await taking), "one");
    await queue.put("two");
    assert.equal(text(await queue.peek()), "two");
    assert.equal(text(await queue.poll()), "two");
    await queue.close();
    await assert.rejects(queue.take(), /used when closed/);
  });

  it("priority queue: lower number first, FIFO within a priority", async () => {
    await using c = await zk.connect();
    await using queue = new PriorityQueue(c, uniquePath("pq"));
    await queue.start();
    await queue.put("low-a", 10);
    await queue.put("urgent", -5);
    await queue.put("mid", 0);
    await queue.put("low-b", 10);
    const order: (string | null)[] = [];
    for (let i = 0; i < 4; i++) order.push(text(await queue.take({ signal: AbortSignal.timeout(2_000) })));
    assert.deepEqual(order, ["urgent", "mid", "low-a", "low-b"]);
  });

  it("delay queue: items come out when due, in due order", async () => {
    await using c = await zk.connect();
    await using queue = new DelayQueue(c, uniquePath("dq"));
    await queue.start();
    const t0 = Date.now();
    await queue.put("later", t0 + 600);
    await queue.put("sooner", t0 + 300);
    await queue.put("now", t0);
    assert.equal(text(await queue.take({ signal: AbortSignal.timeout(2_000) })), "now");
    assert.equal(await queue.poll(), null, "nothing else is due yet");
    assert.equal(text(await queue.take({ signal: AbortSignal.timeout(2_000) })), "sooner");
    assert.ok(Date.now() - t0 >= 300, "sooner not before its time");
    assert.equal(text(await queue.take({ signal: AbortSignal.timeout(2_000) })), "later");
    assert.ok(Date.now() - t0 >= 600, "later not before its time");
  });
});
