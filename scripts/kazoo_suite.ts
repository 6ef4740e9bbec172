/**
 * `npm run test:kazoo-suite [-- --zookeeper] [test_file.py ...]`: runs kazoo's own test suite
 * (Debian's python3-kazoo), with its unchanged 3-server harness, against Paddock members (the
 * java shim in tests/interop/kazoo), and with --zookeeper first against ZooKeeper 3.9.3, then
 * prints both summaries and every test that passed on ZooKeeper and not on Paddock. Exits 1 when
 * Paddock failed a test ZooKeeper passed (or, without --zookeeper, failed any test).
 * PADDOCK_KAZOO_LOG_DIR keeps the Paddock members' logs.
 */
import process from "node:process";
import {
  formatKazooRun,
  KazooOutcome,
  kazooSuiteMissing,
  type KazooSuiteRun,
  KazooTarget,
  runKazooSuite,
} from "../tests/support/kazoo_suite.ts";
import { ensureNodeBundle } from "../tests/support/paddock_executable.ts";

/** The whole suite takes ~5 minutes on ZooKeeper on a quiet machine; this only bounds a hang. */
const RUN_TIMEOUT_MS = 40 * 60_000;

async function run(target: KazooTarget, tests: string[]): Promise<KazooSuiteRun> {
  const missing = kazooSuiteMissing(target);
  if (missing !== null) throw new Error(`cannot run kazoo's suite on ${target}: ${missing}`);
  console.log(`running kazoo's suite on ${target} ...`);
  // Members run from the Node bundle (built if stale) unless PADDOCK_COMMAND says otherwise.
  const paddockCommand = process.env.PADDOCK_COMMAND ?? `node ${ensureNodeBundle()}`;
  const logDir = process.env.PADDOCK_KAZOO_LOG_DIR;
  const result = await runKazooSuite({ target, tests, timeoutMs: RUN_TIMEOUT_MS, logDir, paddockCommand });
  if (result.cases.length === 0) console.log(result.output.slice(-4000));
  console.log(formatKazooRun(result));
  return result;
}

/** Tests that failed on Paddock, minus those that failed (or were not run) on ZooKeeper too. */
function divergences(paddock: KazooSuiteRun, zookeeper: KazooSuiteRun | null): string[] {
  const passedOnZooKeeper = new Set(zookeeper?.cases.filter((c) => c.outcome === KazooOutcome.passed).map((c) => c.id));
  return paddock.cases
    .filter((c) => c.outcome === KazooOutcome.failed && (zookeeper === null || passedOnZooKeeper.has(c.id)))
    .map((c) => c.id);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const withZooKeeper = args.includes("--zookeeper");
  const tests = args.filter((a) => a !== "--zookeeper");
  const zookeeper = withZooKeeper ? await run(KazooTarget.zookeeper, tests) : null;
  const paddock = await run(KazooTarget.paddock, tests);
  console.log("\nsummary");
  if (zookeeper !== null) console.log(formatKazooRun(zookeeper).split("\n")[0]);
  console.log(formatKazooRun(paddock).split("\n")[0]);
  const diverged = divergences(paddock, zookeeper);
  const against = zookeeper === null ? "failed on Paddock" : "passed on ZooKeeper 3.9.3, failed on Paddock";
  console.log(`${diverged.length} ${against}${diverged.length === 0 ? "" : ":"}`);
  for (const id of diverged) console.log(`  ${id}`);
  return diverged.length === 0 && paddock.cases.length > 0 ? 0 : 1;
}

process.exitCode = await main();
