// The short version of `npm run chaos`: a 3-member ensemble of real processes under faults
// (partitions, SIGKILL/SIGSTOP of leader and followers, restarts, delays, resets) with register,
// CAS, queue and lock workloads through the Paddock client and the ZooKeeper Java client; the
// history must be linearizable with no lost acknowledged write. Against ZooKeeper 3.9.3 (the
// reference), a Paddock ensemble and a mixed one. The same history is then broken on purpose (a stale read, a rolled
// back write) to show the checkers catch exactly that in a real history.
// CHAOS_SECONDS=<n> lengthens the fault phase; CHAOS_SEED=<n> replays a schedule.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { javaClientsMissing } from "./chaos/clients/java_chaos_client.ts";
import { formatReport } from "./chaos/report.ts";
import { type ChaosReport, ClientKind, memberKinds, runChaos, ServerMix } from "./chaos/run_chaos.ts";
import { checkHistory, type History, type HistoryOp, LOST_WRITE, OpKind, OpStatus, ReadBarrier } from "./history/mod.ts";
import { ensembleMissing } from "./support/ensemble.ts";

const SECONDS = Number(process.env.CHAOS_SECONDS ?? 30);
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TIMEOUT_MS = 240_000 + SECONDS * 2_000;
const clientsSkip = javaClientsMissing();
const zookeeperSkip = ensembleMissing(memberKinds(ServerMix.zookeeper, 3)) ?? clientsSkip ?? false;
const paddockSkip = clientsSkip ?? false;
const dirs: string[] = [];

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function run(servers: ServerMix): Promise<ChaosReport> {
  const outDir = mkdtempSync(join(tmpdir(), `paddock-chaos-${servers}-`));
  console.log(`chaos ${servers}: seed ${SEED} (replay with CHAOS_SEED=${SEED}), ${SECONDS} s, output in ${outDir}`);
  const report = await runChaos({
    servers, members: 3, durationMs: SECONDS * 1000, seed: SEED, clients: [ClientKind.paddock, ClientKind.java], outDir,
    nemesis: { faultMsMin: 1_500, faultMsMax: 4_000, quietMsMin: 800, quietMsMax: 2_000 },
  });
  console.log(formatReport(report));
  return report;
}

function assertClean(report: ChaosReport): void {
  assert.equal(report.anomalies.length, 0, formatReport(report));
  assert.equal(report.lostWrites, 0, formatReport(report));
  assert.deepEqual(report.undecided, [], formatReport(report));
  assert.ok(report.valid);
  const faults = Object.values(report.faults).reduce((a, b) => a + b, 0);
  assert.ok(faults >= Math.floor(SECONDS / 10), `only ${faults} faults in ${SECONDS} s`);
  for (const kind of [OpKind.read, OpKind.write, OpKind.cas, OpKind.enqueue, OpKind.dequeue, OpKind.create]) {
    assert.ok((report.ops.byKind[kind] ?? 0) > 0, `no ${kind} operation was recorded: ${JSON.stringify(report.ops.byKind)}`);
  }
  assert.ok(report.ops.ok >= 200, `only ${report.ops.ok} operations succeeded`);
  assert.ok(report.lockHolds > 0, "no client ever held the lock");
  dirs.push(report.outDir);
}

function loadHistory(dir: string): History {
  const text = readFileSync(join(dir, "history.json"), "utf8");
  return JSON.parse(text, (_k, v: unknown) => (typeof v === "string" && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v)) as History;
}

/** The last quorum read that began after an earlier write to its key answered, and that write. */
function staleCandidate(history: History): { read: HistoryOp; write: HistoryOp } | undefined {
  const isWrite = (op: HistoryOp) => (op.kind === OpKind.write || op.kind === OpKind.cas) && op.status === OpStatus.ok;
  for (const read of [...history.ops].reverse()) {
    if (read.kind !== OpKind.read || read.barrier !== ReadBarrier.quorum || read.status !== OpStatus.ok || read.result!.version! < 1) continue;
    const write = history.ops.find((w) => isWrite(w) && w.key === read.key && w.result!.version === read.result!.version && w.completedAt! < read.invokedAt);
    if (write !== undefined) return { read, write };
  }
  return undefined;
}

/** The checkers on the run's own history, clean, then with one stale read, then with a rolled-back write. */
function assertCheckersBite(report: ChaosReport): void {
  const history = loadHistory(report.outDir);
  const syncReads = report.syncReads;
  assert.equal(checkHistory(history, { syncReads }).valid, true, "the saved history checks clean again");
  const candidate = staleCandidate(history);
  assert.ok(candidate !== undefined, "no quorum read after a write in the whole run");
  const { read } = candidate;
  const previous = history.ops.find((w) => w.key === read.key && w.status === OpStatus.ok && w.kind !== OpKind.read && w.result!.version === read.result!.version! - 1);
  const stale = { ...read, result: { value: previous?.value ?? "init", version: read.result!.version! - 1 } };
  const withStaleRead = { ...history, ops: history.ops.map((op) => (op === read ? stale : op)) };
  const staleReport = checkHistory(withStaleRead, { syncReads });
  assert.ok(staleReport.anomalies.some((a) => a.kind === "non-linearizable register" && a.key === read.key), JSON.stringify(staleReport.anomaliesByKind));
  const final = history.final!;
  const rolledBack = { ...final, registers: { ...final.registers, [read.key]: { ...final.registers[read.key]!, version: 0, value: "init" } } };
  const lostReport = checkHistory({ ...history, final: rolledBack }, { syncReads });
  assert.ok(lostReport.lostWrites > 0, JSON.stringify(lostReport.anomaliesByKind));
  assert.ok(lostReport.anomalies.some((a) => a.kind === LOST_WRITE && a.key === read.key));
}

test(`chaos against a ZooKeeper 3.9.3 ensemble of 3 (${SECONDS} s of faults): linearizable, nothing lost; the checkers catch a planted stale read and a rolled-back write`, { skip: zookeeperSkip, timeout: TIMEOUT_MS }, async () => {
  const report = await run(ServerMix.zookeeper);
  assertClean(report);
  assertCheckersBite(report);
});

test(`chaos against a Paddock ensemble of 3 (${SECONDS} s of faults): linearizable, nothing lost`, { skip: paddockSkip, timeout: TIMEOUT_MS }, async () => {
  assertClean(await run(ServerMix.paddock));
});

test(`chaos against a mixed ensemble (ZooKeeper, Paddock, ZooKeeper; ${SECONDS} s of faults): linearizable, nothing lost`, { skip: zookeeperSkip || paddockSkip, timeout: TIMEOUT_MS }, async () => {
  assertClean(await run(ServerMix.mixed));
});
