/**
 * The ensemble benchmark: a 3-member ZooKeeper 3.9.3 ensemble and a 3-member Paddock ensemble on
 * this machine, in the same run, under the same load (bench/ensemble_members.ts says how each is
 * started). Parts:
 *  - throughput: writes through a follower and through the leader, reads and a 90/10 mix spread
 *    over all members; ops/s, p50/p99/p99.9 and the Paddock/ZooKeeper ratios. Both ensembles stay
 *    up and each row runs against one, then the other (the order alternates), so background load
 *    on this shared box hits both alike;
 *  - failover: SIGKILL the leader under pipelined writes, time to the first write the new leader
 *    acknowledges (rounds alternate between the ensembles);
 *  - rejoin (slow, only with --rejoin): a follower with a wiped disk rejoins a 1M-znode ensemble by
 *    snapshot; both ensembles are filled side by side (about 6 GB of RSS at 1M znodes) and the
 *    rounds alternate between them.
 * Prints markdown tables and writes bench/results/<date>-ensemble.json; a run that skips a part
 * keeps the part from an earlier run of the same day in that file.
 *
 * Run: npm run bench:ensemble                 (throughput + failover, ~10 min)
 *      npm run bench:ensemble -- --quick      (100-byte rows, 3 s each, 3 failovers: ~4 min)
 *      npm run bench:ensemble -- --rejoin     (adds the 1M-znode rejoin: ~10 min more)
 *      npm run bench:ensemble -- --parts rejoin --znodes 200000
 *      options: --sessions 8 --inflight 16 --rounds 5 --rejoin-rounds 3 --value 100
 *               --wait-load 3 (wait up to --wait-minutes 30 for a 1-minute load average below 3)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensembleMissing, MemberKind } from "../tests/support/ensemble.ts";
import { ZOOKEEPER_JVM_FLAGS } from "./bench_servers.ts";
import { FAILOVER_LOAD, failoverRound } from "./ensemble_failover.ts";
import { BENCH_TIMING, type BenchEnsemble, EnsembleKind, startBenchEnsemble } from "./ensemble_members.ts";
import { type EnsembleReport, type FailoverPart, formatEnsembleReport, type PartContext, type RejoinPart, type ThroughputPart } from "./ensemble_report.ts";
import { fillEnsemble, REJOIN_LOAD, type RejoinLoad, rejoinRound } from "./ensemble_rejoin.ts";
import { FULL_CASES, prepareAndWarm, QUICK_CASES, runThroughputCase, type ThroughputLoad } from "./ensemble_throughput.ts";
import { loadAverage1m, machineFacts, rawFsyncsPerSecond } from "./machine.ts";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/** The parts a run can measure. */
const Part = { throughput: "throughput", failover: "failover", rejoin: "rejoin" } as const;
type Part = (typeof Part)[keyof typeof Part];

const SETUP = "Two 3-member ensembles on 127.0.0.1, every data dir on the same disk (OS temp dir), forceSync on, ZooKeeper's sample timing " +
  `(tickTime ${BENCH_TIMING.tickTimeMs}, initLimit ${BENCH_TIMING.initLimit}, syncLimit ${BENCH_TIMING.syncLimit}): ZooKeeper 3.9.3 ` +
  `(QuorumPeerMain, ${ZOOKEEPER_JVM_FLAGS.join(" ")} as zkEnv.sh/zkServer.sh, default GC and JIT) and Paddock (the Node bundle, ` +
  "node dist/paddock.mjs server zoo.cfg). Clients and servers share the machine's 2 cores.";

interface Options {
  parts: Part[];
  quick: boolean;
  throughput: ThroughputLoad;
  failoverRounds: number;
  rejoin: RejoinLoad;
  waitLoad: number | undefined;
  waitMinutes: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      rejoin: { type: "boolean", default: false },
      parts: { type: "string" },
      sessions: { type: "string", default: "8" },
      inflight: { type: "string", default: "16" },
      rounds: { type: "string" },
      "rejoin-rounds": { type: "string", default: String(REJOIN_LOAD.rounds) },
      znodes: { type: "string", default: String(REJOIN_LOAD.znodes) },
      value: { type: "string", default: String(REJOIN_LOAD.valueBytes) },
      "wait-load": { type: "string" },
      "wait-minutes": { type: "string", default: "30" },
    },
  });
  const known = Object.values(Part) as string[];
  const parts = (values.parts?.split(",") ?? [Part.throughput, Part.failover, ...(values.rejoin ? [Part.rejoin] : [])]) as Part[];
  const unknown = parts.filter((p) => !known.includes(p));
  if (unknown.length > 0) throw new Error(`--parts: unknown ${unknown.join(", ")} (known: ${known.join(", ")})`);
  const quick = values.quick!;
  return {
    parts,
    quick,
    throughput: {
      sessions: positive(values.sessions!, "--sessions"),
      inFlight: positive(values.inflight!, "--inflight"),
      warmupMs: quick ? 1000 : 2000,
      durationMs: quick ? 3000 : 8000,
      globalWarmupMs: quick ? 4000 : 10_000,
    },
    failoverRounds: positive(values.rounds ?? (quick ? "3" : "5"), "--rounds"),
    rejoin: {
      ...REJOIN_LOAD,
      znodes: positive(values.znodes!, "--znodes"),
      valueBytes: positive(values.value!, "--value"),
      rounds: positive(values["rejoin-rounds"]!, "--rejoin-rounds"),
    },
    waitLoad: values["wait-load"] === undefined ? undefined : Number(values["wait-load"]),
    waitMinutes: Number(values["wait-minutes"]),
  };
}

function positive(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} ${text}: expected a whole number >= 1`);
  return n;
}

async function main(): Promise<void> {
  const opts = options();
  const missing = ensembleMissing([MemberKind.zookeeper, MemberKind.paddock]);
  if (missing !== null) throw new Error(`ZooKeeper cannot run: ${missing}`);
  const started = new Date();
  console.error(`bench:ensemble: parts ${opts.parts.join(", ")}${opts.quick ? " (quick)" : ""}`);
  const report: EnsembleReport = { setup: SETUP };
  if (opts.parts.includes(Part.throughput) || opts.parts.includes(Part.failover)) {
    await waitForQuiet(opts);
    const pair = await startPair();
    try {
      if (opts.parts.includes(Part.throughput)) report.throughput = await throughputPart(pair, opts);
      if (opts.parts.includes(Part.failover)) report.failover = await failoverPart(pair, opts);
    } finally {
      for (const bench of pair) await bench.stop();
    }
  }
  if (opts.parts.includes(Part.rejoin)) {
    await waitForQuiet(opts);
    report.rejoin = await rejoinPart(opts);
  }
  const file = join(BENCH_DIR, "results", `${started.toISOString().slice(0, 10)}-ensemble.json`);
  const merged: EnsembleReport = { ...readEarlier(file), ...report };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(merged, null, 2) + "\n");
  console.log(formatEnsembleReport(report));
  console.log(`results written to ${relative(process.cwd(), file)}`);
}

/** Both ensembles, ZooKeeper's first. */
async function startPair(): Promise<BenchEnsemble[]> {
  const pair: BenchEnsemble[] = [];
  try {
    for (const kind of [EnsembleKind.zookeeper, EnsembleKind.paddock]) {
      console.error(`[${kind}] starting 3 members`);
      pair.push(await startBenchEnsemble(kind));
    }
  } catch (error) {
    for (const bench of pair) await bench.stop();
    throw error;
  }
  return pair;
}

async function context(benches: readonly BenchEnsemble[]): Promise<PartContext> {
  const versions: PartContext["versions"] = {};
  for (const bench of benches) versions[bench.kind] = await bench.version((await bench.roles()).leader);
  return { date: new Date().toISOString(), machine: machineFacts(), fsyncsPerSec: rawFsyncsPerSecond(2), versions };
}

async function throughputPart(pair: readonly BenchEnsemble[], opts: Options): Promise<ThroughputPart> {
  const cases = opts.quick ? QUICK_CASES : FULL_CASES;
  const ctx = await context(pair);
  for (const bench of pair) {
    console.error(`[${bench.kind}] preparing keys and warming up (${opts.throughput.globalWarmupMs / 1000} s)`);
    await prepareAndWarm(bench, cases, opts.throughput);
  }
  const rows = [];
  for (const [i, c] of cases.entries()) {
    // Alternate who goes first, so neither always runs right after the other's load.
    const order = i % 2 === 0 ? pair : [...pair].reverse();
    for (const bench of order) rows.push(await runThroughputCase(bench, c, i, opts.throughput));
  }
  return { ...ctx, load: opts.throughput, rows };
}

async function failoverPart(pair: readonly BenchEnsemble[], opts: Options): Promise<FailoverPart> {
  const ctx = await context(pair);
  const rounds = [];
  for (let round = 1; round <= opts.failoverRounds; round++) {
    const order = round % 2 === 1 ? pair : [...pair].reverse();
    for (const bench of order) rounds.push(await failoverRound(bench, round, FAILOVER_LOAD));
  }
  return { ...ctx, load: FAILOVER_LOAD, rounds };
}

/**
 * Both ensembles filled (ZooKeeper's first), then the rounds alternating between them (ZooKeeper,
 * Paddock, Paddock, ZooKeeper, ...) so both see the same machine: the load of a shared box moves
 * by a factor of two within minutes.
 */
async function rejoinPart(opts: Options): Promise<RejoinPart> {
  const pair = await startPair();
  try {
    const ctx = await context(pair);
    const fills = [];
    for (const bench of pair) fills.push(await fillEnsemble(bench, opts.rejoin));
    const rounds = [];
    for (let round = 1; round <= opts.rejoin.rounds; round++) {
      const order = round % 2 === 1 ? pair : [...pair].reverse();
      for (const bench of order) rounds.push(await rejoinRound(bench, round));
    }
    return { ...ctx, load: opts.rejoin, fills, rounds };
  } finally {
    for (const bench of pair) await bench.stop();
  }
}

/** With --wait-load, waits (up to --wait-minutes) for the 1-minute load average to drop below it. */
async function waitForQuiet(opts: Options): Promise<void> {
  if (opts.waitLoad === undefined) return;
  const deadline = performance.now() + opts.waitMinutes * 60_000;
  // Bounded by the deadline.
  while (loadAverage1m() >= opts.waitLoad && performance.now() < deadline) {
    console.error(`load average ${loadAverage1m()} >= ${opts.waitLoad}: waiting (until ${Math.round((deadline - performance.now()) / 60_000)} more minutes at most)`);
    await new Promise((r) => setTimeout(r, 30_000));
  }
  console.error(`load average ${loadAverage1m()}: starting`);
}

function readEarlier(file: string): Partial<EnsembleReport> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8")) as EnsembleReport;
  } catch {
    return {};
  }
}

process.on("SIGINT", () => process.exit(130));

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);
