/**
 * Lock and election benchmarks, Paddock's recipes next to Apache Curator's, on the same server
 * (a real ZooKeeper (3.9.3 unless PADDOCK_ORACLE says otherwise) and Paddock, each started from one zoo.cfg with tickTime 200 ms):
 *   - Mutex acquire+release round trip (uncontended, one process, after a warm-up): p50 / p99;
 *   - LeaderLatch failover: SIGKILL the leader process, time until the follower says "leader"
 *     (dominated by the session timeout, which the server must let pass before it deletes the node).
 *
 * Run: npx tsx bench/recipes_bench.ts [--rounds 500] [--session-timeout 2000] [--trials 3]
 */
import { parseArgs } from "node:util";
import {
  compileCuratorRecipes, curatorCommand, curatorSkipReason, type Participant, startParticipant, workerCommand,
} from "../tests/support/recipe_processes.ts";
import { type Command } from "../tests/support/runtime.ts";
import { ORACLE_VERSION, type ServerHandle, type ServerOptions, startPaddock, startZooKeeper, zookeeperAvailable } from "../tests/support/servers.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "500" },
    warmup: { type: "string", default: "100" },
    "session-timeout": { type: "string", default: "2000" },
    trials: { type: "string", default: "3" },
  },
});
const ROUNDS = Number(values.rounds);
const WARMUP = Number(values.warmup);
const SESSION_TIMEOUT_MS = Number(values["session-timeout"]);
const TRIALS = Number(values.trials);

interface Row {
  server: string;
  client: string;
  p50: string;
  p99: string;
  failover: string;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs one bench participant to completion and returns its latencies (µs), warm-up dropped. */
async function lockLatencies(command: Command): Promise<number[]> {
  const p = startParticipant(command);
  const code = await p.exited;
  if (code !== 0) throw new Error(`bench participant exited with ${code}\n${p.output()}`);
  const all = p.lines.filter((l) => l.startsWith("latency_us ")).map((l) => Number(l.split(" ")[1]));
  return all.slice(WARMUP).sort((a, b) => a - b);
}

/** Two latch participants; SIGKILL the leader; ms until the other reports leadership. */
async function failoverMs(cs: string, path: string, command: (args: string[]) => Command): Promise<number> {
  const ps = new Map<string, Participant>();
  try {
    for (const id of ["a", "b"]) {
      const p = startParticipant(command(["latch", cs, path, id, String(SESSION_TIMEOUT_MS)]));
      ps.set(id, p);
      await p.waitForLine((l) => l === `started ${id}`, 60_000);
    }
    const first = await Promise.race([...ps.values()].map((p) => p.waitForLine((l) => l.startsWith("leader "), 30_000)));
    const leaderId = first.split(" ")[1]!;
    const follower = ps.get(leaderId === "a" ? "b" : "a")!;
    // Let the follower's watch on the leader's node settle before the crash.
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    ps.get(leaderId)!.kill("SIGKILL");
    await follower.waitForLine((l) => l.startsWith("leader "), SESSION_TIMEOUT_MS * 10);
    return performance.now() - t0;
  } finally {
    await Promise.all([...ps.values()].map((p) => p.stop()));
  }
}

async function measure(server: ServerHandle, name: string, rows: Row[]): Promise<void> {
  const cs = server.connectString;
  const impls = [
    { client: "Paddock Mutex / LeaderLatch", command: workerCommand, available: true },
    { client: "Curator InterProcessMutex / LeaderLatch", command: curatorCommand, available: curatorSkipReason() === false },
  ];
  for (const impl of impls) {
    if (!impl.available) continue;
    const lat = await lockLatencies(impl.command(["bench", cs, `/bench/${impl.client.slice(0, 7)}`, String(ROUNDS + WARMUP)]));
    const trials: number[] = [];
    for (let t = 0; t < TRIALS; t++) trials.push(await failoverMs(cs, `/bench/election-${impl.client.slice(0, 7)}-${t}`, impl.command));
    trials.sort((a, b) => a - b);
    rows.push({
      server: name,
      client: impl.client,
      p50: (percentile(lat, 50) / 1000).toFixed(2),
      p99: (percentile(lat, 99) / 1000).toFixed(2),
      failover: `${Math.round(trials[Math.floor(trials.length / 2)]!)} (${trials.map((x) => Math.round(x)).join("/")})`,
    });
    console.error(`  ${name} ${impl.client}: done`);
  }
}

function table(rows: Row[]): string {
  const head = ["server", "client", "lock p50 ms", "lock p99 ms", `failover ms, median (trials), session ${SESSION_TIMEOUT_MS} ms`];
  const body = rows.map((r) => [r.server, r.client, r.p50, r.p99, r.failover]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  return [line(head), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...body.map(line)].join("\n");
}

const rows: Row[] = [];
if (curatorSkipReason() !== false) console.error(`Curator skipped: ${curatorSkipReason()}`);
else await compileCuratorRecipes();
const servers: { name: string; start: (opts: ServerOptions) => Promise<ServerHandle> }[] = [{ name: "Paddock", start: startPaddock }];
if (zookeeperAvailable()) servers.unshift({ name: `ZooKeeper ${ORACLE_VERSION}`, start: startZooKeeper });
for (const s of servers) {
  const server = await s.start({ tickTimeMs: 200 });
  try {
    await measure(server, s.name, rows);
  } finally {
    await server.stop();
  }
}
console.log(`\nrecipes bench: ${ROUNDS} uncontended acquire+release after ${WARMUP} warm-up, ${TRIALS} failover trials each\n`);
console.log(table(rows));
process.exit(0);
