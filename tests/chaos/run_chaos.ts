import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { setMaxListeners } from "node:events";
import { join } from "node:path";
import { type Anomaly, countByKind } from "../history/anomaly.ts";
import { checkHistory, type HistoryReport } from "../history/check_history.ts";
import { historyToJson } from "../history/history.ts";
import type { SearchBudget } from "../history/linearizability.ts";
import { SyncReads } from "../history/check_registers.ts";
import { type Ensemble, MemberKind, startEnsemble } from "../support/ensemble.ts";
import { SeededRandom } from "../support/seeded_random.ts";
import { refusedDiffs, restartZooKeeperMembers, zookeeperMismatches } from "../support/zookeeper_4925.ts";
import { type ChaosClientLibrary, ChaosClientError, type ChaosSession, NodeMode } from "./clients/chaos_client.ts";
import { javaClients } from "./clients/java_chaos_client.ts";
import { paddockClients } from "./clients/paddock_chaos_client.ts";
import { readFinalState } from "./final_state.ts";
import { ALL_FAULT_KINDS, type FaultKind, type FaultRecord, Nemesis, type NemesisTiming } from "./nemesis.ts";
import { HistoryRecorder } from "./recorder.ts";
import { type ActorContext, sleep } from "./workloads/actor.ts";
import { runLockActor } from "./workloads/lock.ts";
import { runQueueActor } from "./workloads/queue.ts";
import { REGISTER_INITIAL, RegisterSpace, runRegisterActor } from "./workloads/registers.ts";

/** Which servers make up the ensemble. */
export const ServerMix = { zookeeper: "zookeeper", paddock: "paddock", mixed: "mixed" } as const;
/** One of {@link ServerMix}. */
export type ServerMix = (typeof ServerMix)[keyof typeof ServerMix];

/** The client libraries the workloads can use. */
export const ClientKind = { paddock: "paddock", java: "java" } as const;
/** One of {@link ClientKind}. */
export type ClientKind = (typeof ClientKind)[keyof typeof ClientKind];

/** Actors per client library. */
export interface ActorCounts {
  registers: number;
  queues: number;
  locks: number;
}

/** One chaos run. */
export interface ChaosOptions {
  servers: ServerMix;
  /** Voting members (3 or 5). */
  members: number;
  /** Non-voting members (observers), after the voting ones. Default 0. */
  observers?: number;
  /** How long the workloads run under faults. */
  durationMs: number;
  /** Seeds the fault schedule and the workloads' choices. */
  seed: number;
  clients: readonly ClientKind[];
  actors?: ActorCounts;
  faults?: readonly FaultKind[];
  nemesis?: Partial<NemesisTiming>;
  /** Default 4000 (ZooKeeper's maximum with the tests' 200 ms tick: 20 ticks). */
  sessionTimeoutMs?: number;
  /** Default 10000. */
  opTimeoutMs?: number;
  /** Where history.json and report.json go; also keeps the members' directories (logs) there. */
  outDir?: string;
  checkBudget?: SearchBudget;
  /**
   * Reads after sync: held to linearizability (default with Paddock members only, issue 11's
   * bar), or reported apart (default when ZooKeeper members take part: ZooKeeper documents that
   * sync is not a quorum operation, so a deposed leader can answer it stale, ZOOKEEPER-1675).
   */
  syncReads?: SyncReads;
  log?: (line: string) => void;
}

/** What a run found. */
export interface ChaosReport {
  servers: ServerMix;
  members: number;
  memberKinds: string[];
  seed: number;
  durationMs: number;
  clients: readonly ClientKind[];
  ops: HistoryReport["ops"];
  lockHolds: number;
  sessionsOpened: number;
  faults: Record<string, number>;
  faultTimeline: FaultRecord[];
  registersChecked: number;
  maxSearchSteps: number;
  anomalies: Anomaly[];
  anomaliesByKind: Record<string, number>;
  lostWrites: number;
  undecided: string[];
  syncReads: SyncReads;
  /** With syncReads "report": registers where a read after sync was stale (not counted). */
  staleSyncReads: Anomaly[];
  /** ZooKeeper bugs the run met and worked around as an operator would (reported, not hidden). */
  knownIssues: string[];
  /** No anomaly, no lost write, everything decided. */
  valid: boolean;
  outDir: string;
}

const ROOT = "/chaos";
const REGISTERS = `${ROOT}/registers`;
const QUEUE = `${ROOT}/queue`;
const LOCK = `${ROOT}/lock`;
/** How long the healed ensemble has to serve again (elections, syncs, restarted members catching up). */
const SERVE_AFTER_HEAL_MS = 120_000;
/** When a member still does not serve after this long, the logs are searched for ZOOKEEPER-4925. */
const REFUSAL_CHECK_MS = 30_000;
const DEFAULT_ACTORS: ActorCounts = { registers: 3, queues: 1, locks: 2 };
const DEFAULT_NEMESIS: NemesisTiming = { faultMsMin: 1_500, faultMsMax: 6_000, quietMsMin: 1_000, quietMsMax: 3_000 };
const GENERATION_MS = 6_000;
const KEYS_PER_GENERATION = 3;
const FINAL_PROCESS_BASE = -1;
const SETUP_ATTEMPTS = 20;

/** The member kinds for a mix: mixed alternates ZooKeeper and Paddock, ZooKeeper first. */
export function memberKinds(servers: ServerMix, members: number): MemberKind[] {
  return Array.from({ length: members }, (_, i) => {
    if (servers === ServerMix.mixed) return i % 2 === 0 ? MemberKind.zookeeper : MemberKind.paddock;
    return servers === ServerMix.zookeeper ? MemberKind.zookeeper : MemberKind.paddock;
  });
}

/**
 * Starts an ensemble, runs register, CAS, queue and lock workloads through the chosen client
 * libraries while the nemesis injects faults, heals everything, reads every member's final
 * state, checks the history and reports. The ensemble is stopped at the end; its directory
 * (member logs) stays in `outDir`.
 *
 * @example const report = await runChaos({ servers: "zookeeper", members: 3, durationMs: 60_000, seed: 1, clients: ["paddock", "java"] });
 */
export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? (() => {});
  const outDir = opts.outDir ?? join(process.cwd(), ".cache", "chaos", `${opts.servers}-${opts.members}-${opts.seed}`);
  // A fresh ensemble every run: members must not recover an older run's data.
  rmSync(join(outDir, "ensemble"), { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const kinds = memberKinds(opts.servers, opts.members + (opts.observers ?? 0));
  const random = new SeededRandom(opts.seed);
  const ensemble = await startEnsemble({
    participants: kinds.slice(0, opts.members), observers: kinds.slice(opts.members), random: () => random.next(), dir: join(outDir, "ensemble"),
  });
  log(`ensemble up: ${kinds.join(", ")} (${ensemble.connectString()})`);
  const libraries: ChaosClientLibrary[] = [];
  try {
    for (const kind of opts.clients) libraries.push(kind === ClientKind.java ? await javaClients() : paddockClients());
    const report = await runOn(ensemble, libraries, kinds, outDir, opts, log);
    writeFileSync(join(outDir, "report.json"), JSON.stringify(report, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v), 2));
    return report;
  } catch (err) {
    log(`run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}; members' logs in ${ensemble.dir}`);
    throw err;
  } finally {
    for (const library of libraries) await library.close().catch(() => undefined);
    await ensemble.stop();
  }
}

async function runOn(ensemble: Ensemble, libraries: ChaosClientLibrary[], kinds: MemberKind[], outDir: string, opts: ChaosOptions, log: (line: string) => void): Promise<ChaosReport> {
  const t0 = performance.now();
  const recorder = new HistoryRecorder(() => performance.now() - t0);
  const sessionTimeoutMs = opts.sessionTimeoutMs ?? 4_000;
  const opTimeoutMs = opts.opTimeoutMs ?? 10_000;
  const space = new RegisterSpace({ root: REGISTERS, keysPerGeneration: KEYS_PER_GENERATION, generationMs: GENERATION_MS, durationMs: opts.durationMs });
  const setupLibrary = libraries[0] ?? paddockClients();
  await setUp(setupLibrary, ensemble.connectString(), sessionTimeoutMs, space, recorder);
  log(`set up ${space.allKeys().length} registers, ${QUEUE}, ${LOCK}`);

  const phase = new AbortController();
  // Every actor sleeps on this signal at once.
  setMaxListeners(1_000, phase.signal);
  const nemesis = new Nemesis({
    ensemble, random: new SeededRandom(opts.seed ^ 0x5eed), kinds: opts.faults ?? ALL_FAULT_KINDS,
    timing: { ...DEFAULT_NEMESIS, ...opts.nemesis }, now: () => recorder.now(), log,
  });
  const contexts = actorContexts({ libraries, connectString: ensemble.connectString(), sessionTimeoutMs, opTimeoutMs, recorder, seed: opts.seed, signal: phase.signal });
  const startedAt = recorder.now();
  // A failing actor or nemesis ends the phase at once; its error is rethrown after the heal.
  const failures: unknown[] = [];
  const fail = (err: unknown) => {
    failures.push(err);
    phase.abort();
  };
  const actors = runActors(contexts, opts.actors ?? DEFAULT_ACTORS, space, startedAt).catch((err) => (fail(err), 0));
  const faults = nemesis.run(phase.signal).catch(fail);
  await sleep(opts.durationMs, phase.signal);
  phase.abort();
  log("workload phase over; healing");
  await faults;
  const sessionsOpened = await actors;
  if (failures.length > 0) throw new Error(`chaos phase failed: ${String(failures[0])}`, { cause: failures[0] });
  await nemesis.healAll();
  const knownIssues = await serveAfterHeal(ensemble, log);
  log("healed; reading every member's final state");
  const finalReads = await readFinalState({
    ensemble, library: setupLibrary, recorder, registers: space.allKeys(), queues: [QUEUE], sessionTimeoutMs, opTimeoutMs, processBase: FINAL_PROCESS_BASE,
  });
  const history = { ...recorder.history(), final: finalReads.final };
  writeFileSync(join(outDir, "history.json"), historyToJson(history));
  log(`checking ${history.ops.length} operations and ${history.holds.length} lock holds`);
  const syncReads = opts.syncReads ?? (opts.servers === ServerMix.paddock ? SyncReads.linearizable : SyncReads.report);
  const checked = checkHistory(history, { budget: opts.checkBudget, syncReads });
  const disagreements = zookeeperOwnDivergence(ensemble, kinds, finalReads.disagreements, knownIssues, log);
  const anomalies = [...checked.anomalies, ...disagreements];
  return {
    servers: opts.servers, members: opts.members, memberKinds: kinds, seed: opts.seed, durationMs: opts.durationMs, clients: opts.clients,
    ops: checked.ops, lockHolds: checked.lockHolds, sessionsOpened,
    faults: nemesis.counts(), faultTimeline: nemesis.records,
    registersChecked: checked.registers.length,
    maxSearchSteps: Math.max(0, ...checked.registers.map((r) => r.result.steps)),
    anomalies, anomaliesByKind: countByKind(anomalies), lostWrites: checked.lostWrites, undecided: checked.undecided,
    syncReads, staleSyncReads: checked.staleSyncReads, knownIssues,
    valid: anomalies.length === 0 && checked.undecided.length === 0,
    outDir,
  };
}

/**
 * Waits for every member to serve again once the faults are healed. A Paddock member that refused
 * a ZooKeeper 3.9.3 leader's DIFF skipping txns (ZOOKEEPER-4925) stays out for as long as that
 * leader leads; then the operator's remedy (the refusing member restarts on an empty dataDir, the
 * ZooKeeper members restart: the hole is in their memory only), the run says so, and the wait
 * starts over.
 */
async function serveAfterHeal(ensemble: Ensemble, log: (line: string) => void): Promise<string[]> {
  try {
    await ensemble.waitForQuorum({ timeoutMs: REFUSAL_CHECK_MS });
    return [];
  } catch (error) {
    const refused = refusedDiffs(ensemble);
    if (refused.length === 0) {
      await ensemble.waitForQuorum({ timeoutMs: SERVE_AFTER_HEAL_MS - REFUSAL_CHECK_MS }).catch(() => Promise.reject(error));
      return [];
    }
    const restarted = await restartZooKeeperMembers(ensemble);
    const issue = `ZOOKEEPER-4925: ${refused.map((r) => `Paddock member ${r.id} refused a DIFF that skipped txns (its tree parted at ${r.zxid})`).join("; ")}; ` +
      `after the heal, the refusing member${refused.length > 1 ? "s" : ""} restarted on an empty dataDir and ZooKeeper members ${restarted.join(", ")} restarted`;
    log(issue);
    await ensemble.waitForQuorum({ timeoutMs: SERVE_AFTER_HEAL_MS });
    return [issue];
  }
}

/**
 * Members of an all-ZooKeeper ensemble that disagree after the heal, where a ZooKeeper member's own
 * digest check fired, are ZooKeeper 3.9.3 diverging on its own (CI, seed 576436961: member 2 took
 * a DIFF from the new leader and logged a digest mismatch on the epoch's first txn; a queue then
 * held 37 elements on one member and 38 on another). Reported as a known issue, not counted: the
 * run is there to show the checkers and faults, and ZooKeeper's bug is not Paddock's to fail on.
 * Anywhere a Paddock member is, every disagreement counts.
 */
function zookeeperOwnDivergence(ensemble: Ensemble, kinds: readonly MemberKind[], disagreements: Anomaly[], knownIssues: string[], log: (line: string) => void): Anomaly[] {
  if (disagreements.length === 0 || kinds.some((kind) => kind !== MemberKind.zookeeper)) return disagreements;
  const mismatches = zookeeperMismatches(ensemble);
  if (mismatches.length === 0) return disagreements;
  const issue = `ZooKeeper 3.9.3 diverged on its own (ZOOKEEPER-4925's DIFF hole is the known way): ` +
    `${mismatches.map((m) => `member ${m.id} logged "First digest mismatch on txn: ${m.txn}"`).join("; ")}; ` +
    `${disagreements.length} disagreement(s) after the heal, e.g. ${disagreements[0]!.message}`;
  log(issue);
  knownIssues.push(issue);
  return [];
}

function actorContexts(args: {
  libraries: ChaosClientLibrary[];
  connectString: string;
  sessionTimeoutMs: number;
  opTimeoutMs: number;
  recorder: HistoryRecorder;
  seed: number;
  signal: AbortSignal;
}): (role: string) => ActorContext[] {
  let next = 0;
  return (role) => args.libraries.map((library) => {
    const process = ++next;
    return {
      process, label: `${library.name[0]}${process}${role[0]}`, library, connectString: args.connectString,
      sessionTimeoutMs: args.sessionTimeoutMs, opTimeoutMs: args.opTimeoutMs, recorder: args.recorder,
      random: new SeededRandom(args.seed * 7919 + process), signal: args.signal,
    };
  });
}

/** Runs every actor until the phase ends; resolves with how many sessions they opened in all. */
async function runActors(contexts: (role: string) => ActorContext[], counts: ActorCounts, space: RegisterSpace, startedAt: number): Promise<number> {
  const runs: Promise<number>[] = [];
  const start = (role: string, count: number, run: (c: ActorContext) => Promise<number>) => {
    for (let i = 0; i < count; i++) for (const context of contexts(role)) runs.push(run(context));
  };
  start("register", counts.registers, (c) => runRegisterActor(c, space, startedAt));
  start("queue", counts.queues, (c) => runQueueActor(c, QUEUE));
  start("lock", counts.locks, (c) => runLockActor(c, LOCK));
  return (await Promise.all(runs)).reduce((a, b) => a + b, 0);
}

/** Creates the tree the workloads use, retrying while the ensemble settles; records the registers' initial values. */
async function setUp(library: ChaosClientLibrary, connectString: string, sessionTimeoutMs: number, space: RegisterSpace, recorder: HistoryRecorder): Promise<void> {
  let zk: ChaosSession | undefined;
  for (let attempt = 0; attempt < SETUP_ATTEMPTS && zk === undefined; attempt++) {
    zk = await library.open(connectString, sessionTimeoutMs).catch(() => undefined);
    if (zk === undefined) await sleep(500);
  }
  if (zk === undefined) throw new Error("chaos setup: no session");
  try {
    for (const path of [ROOT, REGISTERS, QUEUE, LOCK]) await ensureNode(zk, path, "");
    for (const key of space.allKeys()) {
      await ensureNode(zk, key, REGISTER_INITIAL);
      recorder.initial(key, { value: REGISTER_INITIAL, version: 0 });
    }
  } finally {
    await zk.close();
  }
}

async function ensureNode(zk: ChaosSession, path: string, value: string): Promise<void> {
  for (let attempt = 0; attempt < SETUP_ATTEMPTS; attempt++) {
    try {
      await zk.create(path, value, NodeMode.persistent);
      return;
    } catch (err) {
      if (err instanceof ChaosClientError && err.code === "NODEEXISTS") return;
      await sleep(250);
    }
  }
  throw new Error(`chaos setup: cannot create ${path}`);
}
