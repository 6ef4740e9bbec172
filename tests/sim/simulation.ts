import type { RoleSettings } from "../../core/quorum/role_settings.ts";
import { quorumConfig, quorumConfigText, type QuorumServer } from "../../core/zab/quorum_config.ts";
import { SeededRandom } from "../support/seeded_random.ts";
import { checkRun, type Violation } from "./checks.ts";
import { type FaultCounts, type FaultEvent, FaultInjector, type FaultRates, planFaults } from "./faults.ts";
import { Scheduler } from "./scheduler.ts";
import { SimClient, type SimOp } from "./sim_client.ts";
import { type MemberEvent, SimMember } from "./sim_member.ts";
import { SimNetwork } from "./sim_network.ts";

/** One simulated run's shape. */
export interface SimOptions {
  readonly seed: number;
  readonly members: number;
  readonly observers: number;
  readonly clients: number;
  /** Operations each client attempts during the safety phase. */
  readonly opsPerClient: number;
  /** Virtual ms of the safety phase (faults on). */
  readonly safetyMs: number;
  /** Virtual ms the liveness phase may take to converge once faults stop. */
  readonly livenessMs: number;
  readonly faults: Partial<FaultRates> | null;
  /** Replays this schedule instead of drawing one (shrinking, regressions). */
  readonly faultSchedule?: readonly FaultEvent[];
  readonly tickTime: number;
  /** Keep every member log line (for `--trace`). */
  readonly trace: boolean;
  /** Share of fsyncs that take 20-220 ms instead of about a millisecond (faults on only). */
  readonly slowFsyncRate: number;
}

export const DEFAULT_SIM: SimOptions = {
  seed: 1,
  members: 3,
  observers: 0,
  clients: 3,
  opsPerClient: 40,
  safetyMs: 20_000,
  livenessMs: 30_000,
  faults: {},
  tickTime: 200,
  trace: false,
  slowFsyncRate: 0.05,
};

/** What a run did and found. */
export interface SimReport {
  readonly seed: number;
  readonly violations: Violation[];
  readonly ops: { ok: number; fail: number; unknown: number };
  readonly faults: FaultCounts;
  readonly schedule: readonly FaultEvent[];
  readonly leaders: { epoch: bigint; sid: number }[];
  readonly virtualMs: number;
  readonly steps: number;
  readonly trace: MemberEvent[];
}

const KEYS = ["/r0", "/r1", "/r2"];

/**
 * Runs one seeded simulation of an ensemble: members and clients on virtual time, a safety
 * phase with injected faults while clients run register, CAS, sync+read and queue operations,
 * then a liveness phase (faults healed, crashed members restarted) in which the ensemble must
 * converge and serve; then every checker runs. The same seed always gives the same run.
 */
export async function simulate(partial: Partial<SimOptions> = {}): Promise<SimReport> {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    return await run({ ...DEFAULT_SIM, ...partial }, rejections);
  } finally {
    process.off("unhandledRejection", onRejection);
  }
}

async function run(options: SimOptions, rejections: unknown[]): Promise<SimReport> {
  const rng = new SeededRandom(options.seed);
  const scheduler = new Scheduler();
  const network = new SimNetwork(scheduler, new SeededRandom(rng.int(2 ** 31)));
  const settings = settingsFor(options);
  const trace: MemberEvent[] = [];
  const members = [...settings.quorum.servers.keys()].map((sid) => new SimMember({
    sid,
    scheduler,
    network,
    settings: { ...settings, myId: sid },
    config: { tickTime: options.tickTime, minSessionTimeout: options.tickTime * 2, maxSessionTimeout: options.tickTime * 20 },
    driftPpm: options.faults === null ? 0 : rng.int(200) - 100,
    tickEveryMs: Math.max(5, Math.floor(options.tickTime / 10)),
    onLog: (event) => trace.push(event),
    rng: new SeededRandom(rng.int(2 ** 31)),
    fsyncMs: fsyncTimes(new SeededRandom(rng.int(2 ** 31)), options.faults === null ? 0 : options.slowFsyncRate),
  }));
  for (const member of members) member.start();
  const clients = Array.from({ length: options.clients }, (_, i) => new SimClient({
    index: i, scheduler, network, members, rng: new SeededRandom(rng.int(2 ** 31)), sessionTimeoutMs: options.tickTime * 15,
  }));
  const faultRng = new SeededRandom(rng.int(2 ** 31));
  const schedule = options.faultSchedule ??
    (options.faults === null ? [] : planFaults(faultRng, options.faults, options.safetyMs, members.map((m) => m.sid), options.clients));
  const faults = new FaultInjector({ scheduler, network, members, clients });

  await scheduler.runUntil(scheduler.nowMs + options.tickTime * 20);
  await setUpKeys(scheduler, clients[0]!);
  const thinkMs = Math.max(1, Math.floor(options.safetyMs / options.opsPerClient));
  for (const client of clients) driveClient(scheduler, client, new SeededRandom(rng.int(2 ** 31)), options.opsPerClient, thinkMs);
  faults.start(schedule);
  await scheduler.runUntil(scheduler.nowMs + options.safetyMs);
  faults.heal();
  const converged = await waitConverged(scheduler, members, options.livenessMs);
  for (const client of clients) client.stop();
  await scheduler.runUntil(scheduler.nowMs + options.tickTime * 5);

  const history = clients.flatMap((c) => c.history);
  const answered = new Map<bigint, { atMs: number; sid: number }[]>();
  for (const client of clients) for (const [sessionId, times] of client.answered) answered.set(sessionId, [...(answered.get(sessionId) ?? []), ...times]);
  const violations = checkRun({ members, history, trace, converged, answered, tickMs: options.tickTime });
  for (const error of [...scheduler.errors, ...rejections]) {
    violations.push({ check: "no exceptions", detail: (error as Error)?.stack ?? String(error) });
  }
  const count = (o: string) => history.filter((h) => h.outcome === o).length;
  return {
    seed: options.seed,
    violations,
    ops: { ok: count("ok"), fail: count("fail"), unknown: count("unknown") },
    faults: faults.counts,
    schedule,
    leaders: leadersOf(trace),
    virtualMs: scheduler.nowMs,
    steps: scheduler.steps,
    trace: options.trace || violations.length > 0 ? trace : [],
  };
}

/** fsync latency: mostly about a millisecond, sometimes slow (tens to hundreds of ms). */
function fsyncTimes(rng: SeededRandom, slowRate: number): () => number {
  return () => (rng.chance(slowRate) ? 20 + rng.int(200) : 0.2 + rng.next() * 2);
}

function settingsFor(options: SimOptions): RoleSettings {
  const servers: QuorumServer[] = [];
  for (let i = 1; i <= options.members + options.observers; i++) {
    servers.push({
      sid: i,
      host: `10.0.1.${i}`,
      quorumPort: 2888,
      electionPort: 3888,
      type: i > options.members ? "observer" : "participant",
      clientHost: null,
      clientPort: null,
    });
  }
  const quorum = quorumConfig(servers);
  return { myId: 1, quorum, configText: quorumConfigText(quorum), initLimit: 10, syncLimit: 5 };
}

/** The registers and the queue parent, created once a leader serves (retried until it does). */
async function setUpKeys(scheduler: Scheduler, client: SimClient): Promise<void> {
  for (let attempt = 0; attempt < 100 && !client.connected; attempt++) {
    let done = false;
    client.connect(() => (done = true));
    await scheduler.runUntil(scheduler.nowMs + 2_000, { stop: () => done });
    if (!client.connected) await scheduler.runUntil(scheduler.nowMs + 200);
  }
  for (const path of [...KEYS, "/q"]) {
    let done = false;
    client.run({ kind: "create", path }, () => (done = true));
    await scheduler.runUntil(scheduler.nowMs + 10_000, { stop: () => done });
  }
}

/** A client's loop: reconnect when needed, otherwise one random op at a time, spread over the phase. */
function driveClient(scheduler: Scheduler, client: SimClient, rng: SeededRandom, ops: number, thinkMs: number): void {
  let left = ops;
  const next = () => {
    if (left <= 0) return;
    if (!client.connected) {
      client.connect(() => scheduler.after(rng.int(50), next));
      return;
    }
    left--;
    client.run(randomOp(rng, client.index, left), () => scheduler.after(rng.int(2 * thinkMs), next));
  };
  scheduler.after(rng.int(thinkMs), next);
}

function randomOp(rng: SeededRandom, client: number, n: number): SimOp {
  const key = rng.pick(KEYS);
  const value = `c${client}-${n}`;
  switch (rng.int(5)) {
    case 0:
      return { kind: "write", key, value };
    case 1:
      return { kind: "cas", key, value, version: rng.int(8) };
    case 2:
      return { kind: "read", key };
    case 3:
      return { kind: "syncRead", key };
    default:
      return { kind: "enqueue", queue: "/q" };
  }
}

/** Liveness: a leader serving, every member up and serving, all at the same zxid. */
async function waitConverged(scheduler: Scheduler, members: readonly SimMember[], limitMs: number): Promise<boolean> {
  const deadline = scheduler.nowMs + limitMs;
  let converged = false;
  await scheduler.runUntil(deadline, {
    stop: () => (converged = isConverged(members)),
  });
  return converged;
}

function isConverged(members: readonly SimMember[]): boolean {
  if (!members.every((m) => m.peer?.server.serving === true)) return false;
  if (members.filter((m) => m.isLeading()).length !== 1) return false;
  const zxids = new Set(members.map((m) => m.peer!.db.lastProcessedZxid));
  return zxids.size === 1;
}

function leadersOf(trace: readonly MemberEvent[]): { epoch: bigint; sid: number }[] {
  const leaders: { epoch: bigint; sid: number }[] = [];
  for (const event of trace) {
    const match = /^leader of epoch (\d+) serving/.exec(event.line);
    if (match !== null) leaders.push({ epoch: BigInt(match[1]!), sid: event.sid });
  }
  return leaders;
}
