// kazoo's own test suite (Debian's python3-kazoo), its unchanged 3-server harness starting Paddock
// members where it starts ZooKeeper (the java shim in tests/interop/kazoo): a representative part
// of it here; `npm run test:kazoo-suite [-- --zookeeper]` runs all of it, on ZooKeeper 3.9.3 too.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  countOutcomes,
  formatKazooRun,
  KAZOO_SHIM_DIR,
  KazooOutcome,
  kazooSuiteMissing,
  KazooTarget,
  parseJunit,
  runKazooScript,
  runKazooSuite,
} from "./support/kazoo_suite.ts";
import { ensureNodeBundle } from "./support/paddock_executable.ts";
import { noteSkip } from "./support/skips.ts";

/** kazoo's client API, watches and recipes: what its users touch most. */
const FILES = [
  "test_client.py",
  "test_watchers.py",
  "test_lock.py",
  "test_election.py",
  "test_queue.py",
  "test_barrier.py",
  "test_party.py",
  "test_counter.py",
  "test_cache.py",
];
/**
 * Dynamic reconfiguration is not implemented (docs/compatibility.md): a reconfig request that
 * passes ZooKeeper's checks is answered UNIMPLEMENTED where ZooKeeper 3.9.3 applies it.
 * `npm run test:kazoo-suite` runs it and counts it as a failure.
 */
const NOT_IMPLEMENTED = [{
  test: "test_client.py::TestReconfig::test_add_remove_observer",
  reason: "dynamic reconfig is not implemented (the membership change itself)",
}];
/** Fewer cases than this means pytest collected the wrong thing, not that Paddock passed. */
const MIN_CASES = 200;
const RUN_TIMEOUT_MS = 8 * 60_000;

test("kazoo suite: pytest's JUnit report is read case by case", () => {
  const xml = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="test_lock.TestLock" name="test_ok" time="0.1" />
<testcase classname="test_lock.TestLock" name="test_bad" time="0.2"><failure message="AssertionError: 1 &amp;lt; 2&#10;more">trace</failure></testcase>
<testcase classname="test_sasl.TestSasl" name="test_skip" time="0"><skipped type="pytest.skip" message="no &quot;krb5&quot;">why</skipped></testcase>
<testcase classname="test_x.T" name="test_err" time="0"><error message="setup failed" /></testcase>
</testsuite></testsuites>`;
  assert.deepEqual(parseJunit(xml), [
    { id: "test_lock.TestLock.test_ok", outcome: KazooOutcome.passed, message: "" },
    { id: "test_lock.TestLock.test_bad", outcome: KazooOutcome.failed, message: "AssertionError: 1 &lt; 2\nmore" },
    { id: "test_sasl.TestSasl.test_skip", outcome: KazooOutcome.skipped, message: 'no "krb5"' },
    { id: "test_x.T.test_err", outcome: KazooOutcome.failed, message: "setup failed" },
  ]);
});

test(
  "kazoo suite: client, watchers and recipes pass against a 3-member Paddock ensemble",
  { skip: noteSkip(kazooSuiteMissing(KazooTarget.paddock) ?? false), timeout: RUN_TIMEOUT_MS + 60_000 },
  async () => {
    const logDir = mkdtempSync(join(tmpdir(), "paddock-kazoo-logs-"));
    try {
      // Members run from the Node bundle: it starts fast enough for the tests that restart one.
      const paddockCommand = `node ${ensureNodeBundle()}`;
      const run = await runKazooSuite({
        target: KazooTarget.paddock,
        tests: FILES,
        exclude: NOT_IMPLEMENTED,
        timeoutMs: RUN_TIMEOUT_MS,
        logDir,
        paddockCommand,
      });
      const summary = formatKazooRun(run);
      console.log(summary);
      const counts = countOutcomes(run.cases);
      const context = `${summary}\nmember logs: ${logDir}\n${run.output.slice(-3000)}`;
      assert.equal(run.timedOut, false, context);
      assert.ok(run.cases.length >= MIN_CASES, `only ${run.cases.length} cases ran\n${context}`);
      assert.equal(counts.failed, 0, context);
      assert.equal(run.exitCode, 0, context);
      rmSync(logDir, { recursive: true, force: true });
    } catch (err) {
      console.log(`kazoo suite: member logs kept in ${logDir}`);
      throw err;
    }
  },
);

/** Lines of the probe's output that report a request (the harness and shim print their own). */
function probeLines(output: string): string[] {
  return output.split("\n").filter((line) => line.includes(" -> ") || line === "done");
}

test(
  "kazoo suite: reconfig requests a leader refuses get ZooKeeper 3.9.3's errors, in its order",
  {
    skip: noteSkip(kazooSuiteMissing(KazooTarget.zookeeper) ?? kazooSuiteMissing(KazooTarget.paddock) ?? false),
    timeout: 4 * 60_000,
  },
  async () => {
    // kazoo's TestReconfig found it: Paddock answered every reconfig UNIMPLEMENTED, where
    // ZooKeeper's leader answers a bad membership BADARGUMENTS and a client without WRITE on
    // /zookeeper/config NOAUTH before it would apply the change.
    const script = join(KAZOO_SHIM_DIR, "reconfig_probe.py");
    const zookeeper = await runKazooScript({ target: KazooTarget.zookeeper, script, timeoutMs: 90_000 });
    const paddock = await runKazooScript({
      target: KazooTarget.paddock,
      script,
      timeoutMs: 90_000,
      paddockCommand: `node ${ensureNodeBundle()}`,
    });
    const expected = probeLines(zookeeper.output);
    assert.ok(expected.includes("no auth, valid observer -> ERR NoAuthError"), zookeeper.output.slice(-3000));
    assert.ok(expected.includes("super, unreadable joiner -> ERR BadArgumentsError"), zookeeper.output.slice(-3000));
    assert.equal(expected.at(-1), "done", zookeeper.output.slice(-3000));
    assert.deepEqual(probeLines(paddock.output), expected, paddock.output.slice(-3000));
  },
);
