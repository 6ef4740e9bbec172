import type { SeededRandom } from "../support/seeded_random.ts";
import type { Scheduler } from "./scheduler.ts";
import type { SimClient } from "./sim_client.ts";
import type { SimOp } from "./sim_ops.ts";

/** The registers every client reads, writes and watches. */
export const REGISTERS = ["/r0", "/r1", "/r2"] as const;
/** The queue's parent and the ephemerals' parent. */
export const QUEUE = "/q";
export const EPHEMERALS = "/e";

/** Op kinds and how often each is drawn (relative weights). */
const MIX: readonly (readonly [SimOp["kind"], number])[] = [
  ["write", 3], ["cas", 2], ["read", 1], ["syncRead", 2], ["watchRead", 2],
  ["enqueue", 1], ["ephemeral", 2], ["checkEphemeral", 2], ["close", 0.4],
];
const MIX_TOTAL = MIX.reduce((n, [, w]) => n + w, 0);
/** checkEphemeral looks at one of the most recent ephemerals (any client's). */
const RECENT_EPHEMERALS = 8;

/** The registers, the queue parent and the ephemerals' parent, created once a leader serves (retried until it does). */
export async function setUpKeys(scheduler: Scheduler, client: SimClient): Promise<void> {
  for (let attempt = 0; attempt < 100 && !client.connected; attempt++) {
    let done = false;
    client.connect(() => (done = true));
    await scheduler.runUntil(scheduler.nowMs + 2_000, { stop: () => done });
    if (!client.connected) await scheduler.runUntil(scheduler.nowMs + 200);
  }
  for (const path of [...REGISTERS, QUEUE, EPHEMERALS]) {
    let done = false;
    client.run({ kind: "create", path }, () => (done = true));
    await scheduler.runUntil(scheduler.nowMs + 10_000, { stop: () => done });
  }
}

/**
 * A client's loop: reconnect when needed, otherwise one random op at a time, spread over the
 * phase. `ephemerals` is shared by all clients: the paths of ephemerals created so far.
 */
export function driveClient(
  { scheduler, client, rng, ops, thinkMs, ephemerals }: { scheduler: Scheduler; client: SimClient; rng: SeededRandom; ops: number; thinkMs: number; ephemerals: string[] },
): void {
  let left = ops;
  const next = () => {
    if (left <= 0 || client.draining) return;
    if (client.pausedUntilMs > scheduler.nowMs) {
      scheduler.after(client.pausedUntilMs - scheduler.nowMs, next);
      return;
    }
    if (!client.connected) {
      client.connect(() => scheduler.after(rng.int(50), next));
      return;
    }
    left--;
    const op = randomOp(rng, client.index, left, ephemerals);
    if (op.kind === "ephemeral") ephemerals.push(op.path);
    client.run(op, () => scheduler.after(rng.int(2 * thinkMs), next));
  };
  scheduler.after(rng.int(thinkMs), next);
}

function randomOp(rng: SeededRandom, client: number, n: number, ephemerals: readonly string[]): SimOp {
  const key = rng.pick(REGISTERS);
  const value = `c${client}-${n}`;
  let kind = MIX[MIX.length - 1]![0];
  // Bounded by the mix's length.
  for (let x = rng.next() * MIX_TOTAL, i = 0; i < MIX.length; i++) {
    x -= MIX[i]![1];
    if (x < 0) {
      kind = MIX[i]![0];
      break;
    }
  }
  switch (kind) {
    case "write":
      return { kind, key, value };
    case "cas":
      return { kind, key, value, version: rng.int(8) };
    case "read":
    case "syncRead":
    case "watchRead":
      return { kind, key };
    case "enqueue":
      return { kind, queue: QUEUE, value };
    case "ephemeral":
      return { kind, path: `${EPHEMERALS}/${value}` };
    case "checkEphemeral":
      return ephemerals.length === 0 ? { kind: "syncRead", key } : { kind, path: rng.pick(ephemerals.slice(-RECENT_EPHEMERALS)) };
    default:
      return { kind: "close" };
  }
}

/**
 * After the run: every client stops its workload, connects (re-registering its watches) and
 * answers one read, so whatever its watches still owe it has arrived before the checkers look.
 * Returns the clients whose read succeeded, with the zxid that read's reply carried: their pending
 * watches can be judged against every change up to it (a write still in the pipeline may commit
 * later, and its event is then not owed yet).
 */
export async function settleClients(scheduler: Scheduler, clients: readonly SimClient[], limitMs: number): Promise<Map<number, bigint>> {
  const deadline = scheduler.nowMs + limitMs;
  for (const client of clients) client.draining = true;
  await scheduler.runUntil(deadline, { stop: () => clients.every((c) => !c.busy) });
  const settled = new Map<number, bigint>();
  let finished = 0;
  for (const client of clients) {
    const read = () => client.run({ kind: "read", key: REGISTERS[0] }, () => {
      const read = client.history.at(-1);
      if (read?.outcome === "ok" && read.replyZxid !== undefined) settled.set(client.index, read.replyZxid);
      finished++;
    });
    const attempt = () => client.connect((ok) => (ok ? read() : scheduler.after(100, attempt)));
    if (client.connected) read();
    else attempt();
  }
  await scheduler.runUntil(deadline, { stop: () => finished === clients.length });
  return settled;
}
