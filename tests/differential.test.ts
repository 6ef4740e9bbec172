import { test } from "node:test";
import assert from "node:assert/strict";
import { runDifferentialScript } from "./support/differential_script.ts";
import { type ServerHandle, startPaddock, startZooKeeper, zookeeperSkipReason } from "./support/servers.ts";

// Hundreds of seeds on Node; the same test on Deno and Bun runs fewer to keep the suite quick.
const onNode = !("Deno" in globalThis) && !("Bun" in globalThis);
const SEEDS = Number(process.env.DIFF_SEEDS ?? (onNode ? 200 : 40));
const STEPS = Number(process.env.DIFF_STEPS ?? 40);
const FIRST_SEED = Number(process.env.DIFF_SEED ?? 1);

/**
 * The same seeded random operation sequences against Apache ZooKeeper and Paddock, compared
 * line by line: error codes, every Stat field (zxids relative to the scenario's first write,
 * session ids by ordinal, times checked for plausibility), data, children order, ACLs, multi
 * results and watch events per session.
 */
test(`differential: ${SEEDS} seeds x ${STEPS} steps, ZooKeeper vs Paddock`, {
  skip: zookeeperSkipReason(),
  timeout: 600_000,
}, async () => {
  let zk: ServerHandle | undefined;
  let paddock: ServerHandle | undefined;
  try {
    const started = await Promise.allSettled([startZooKeeper(), startPaddock()]);
    zk = started[0].status === "fulfilled" ? started[0].value : undefined;
    paddock = started[1].status === "fulfilled" ? started[1].value : undefined;
    const oracle = zk ?? assert.fail(`ZooKeeper did not start: ${(started[0] as PromiseRejectedResult).reason}`);
    const candidate = paddock ?? assert.fail(`Paddock did not start: ${(started[1] as PromiseRejectedResult).reason}`);
    let successfulCreates = 0;
    for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
      const [expected, actual] = await Promise.all([
        runDifferentialScript(oracle.host, oracle.port, seed, STEPS),
        runDifferentialScript(candidate.host, candidate.port, seed, STEPS),
      ]);
      // Two equally broken servers must not pass: the oracle's run has to have done real work.
      assert.ok(expected.filter((line) => line.includes("-> OK")).length >= 3, `seed ${seed}: too few successes`);
      successfulCreates += expected.filter((line) => / create\(.* -> OK/.test(line)).length;
      const first = expected.findIndex((line, i) => line !== actual[i]);
      if (first !== -1 || expected.length !== actual.length) {
        const at = first === -1 ? Math.min(expected.length, actual.length) : first;
        assert.fail(
          `seed ${seed} (replay: DIFF_SEED=${seed} DIFF_SEEDS=1) differs at line ${at}:\n` +
            `  zookeeper: ${expected[at]}\n  paddock:   ${actual[at]}\n` +
            `context:\n${expected.slice(Math.max(0, at - 6), at).map((l) => `    ${l}`).join("\n")}`,
        );
      }
    }
    assert.ok(successfulCreates >= SEEDS, `only ${successfulCreates} successful creates over ${SEEDS} seeds`);
  } finally {
    await Promise.all([zk?.stop(), paddock?.stop()]);
  }
});
