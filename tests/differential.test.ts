import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runDifferentialScript } from "./support/differential_script.ts";
import { JavaMultiDecoder } from "./support/java_multi_decoder.ts";
import { javaClientSkipReason } from "./support/java_tools.ts";
import { ORACLE_VERSION, type ServerHandle, type ServerOptions, startPaddock, startZooKeeper, zookeeperSkipReason } from "./support/servers.ts";

// A few hundred seeds on Node in `npm test`; Deno and Bun run fewer to keep the suite quick.
// `npm run test:differential` runs 1,000 longer ones (DIFF_SEEDS, DIFF_STEPS, DIFF_SEED override).
const onNode = !("Deno" in globalThis) && !("Bun" in globalThis);
const SEEDS = Number(process.env.DIFF_SEEDS ?? (onNode ? 300 : 40));
const STEPS = Number(process.env.DIFF_STEPS ?? 60);
const FIRST_SEED = Number(process.env.DIFF_SEED ?? 1);
/** Long enough that neither server's container/TTL reaper runs (and consumes a zxid) mid-run. */
const REAPER_OFF_MS = 24 * 3_600_000;
const SERVER_OPTIONS: ServerOptions = {
  extra: { "zookeeper.extendedTypesEnabled": true, "znode.container.checkIntervalMs": REAPER_OFF_MS },
};

/**
 * The same seeded random operation sequences against Apache ZooKeeper and Paddock, compared
 * line by line: error codes, every Stat field (zxids relative to the scenario's first write,
 * session ids by ordinal, times checked for plausibility), data, children order, ACLs, multi and
 * multiRead results as our decoder and as the Java client's MultiResponse read them, and watch
 * events (with their zxids) per session.
 */
test(`differential: ${SEEDS} seeds x ${STEPS} steps, ZooKeeper ${ORACLE_VERSION} vs Paddock`, {
  skip: zookeeperSkipReason() || javaClientSkipReason(),
  timeout: Math.max(600_000, SEEDS * 3_000),
}, async () => {
  let zk: ServerHandle | undefined;
  let paddock: ServerHandle | undefined;
  await using decoder = await JavaMultiDecoder.start();
  try {
    const started = await Promise.allSettled([startZooKeeper(SERVER_OPTIONS), startPaddock(SERVER_OPTIONS)]);
    zk = started[0].status === "fulfilled" ? started[0].value : undefined;
    paddock = started[1].status === "fulfilled" ? started[1].value : undefined;
    const oracle = zk ?? assert.fail(`ZooKeeper did not start: ${(started[0] as PromiseRejectedResult).reason}`);
    const candidate = paddock ?? assert.fail(`Paddock did not start: ${(started[1] as PromiseRejectedResult).reason}`);
    let successfulCreates = 0;
    let javaDecoded = 0;
    for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
      const [expected, actual] = await Promise.all([
        runDifferentialScript({ host: oracle.host, port: oracle.port, seed, steps: STEPS, javaDecoder: decoder }),
        runDifferentialScript({ host: candidate.host, port: candidate.port, seed, steps: STEPS, javaDecoder: decoder }),
      ]);
      // Two equally broken servers must not pass: the oracle's run has to have done real work.
      assert.ok(expected.filter((line) => line.includes("-> OK")).length >= 3, `seed ${seed}: too few successes`);
      successfulCreates += expected.filter((line) => / create\(.* -> OK/.test(line)).length;
      javaDecoded += expected.filter((line) => line.includes(" java[")).length;
      const first = expected.findIndex((line, i) => line !== actual[i]);
      if (first !== -1 || expected.length !== actual.length) {
        const at = first === -1 ? Math.min(expected.length, actual.length) : first;
        // DIFF_DUMP=dir keeps both whole transcripts of the failing seed for a closer look.
        if (process.env.DIFF_DUMP) {
          writeFileSync(join(process.env.DIFF_DUMP, `seed-${seed}.zookeeper.txt`), expected.join("\n") + "\n");
          writeFileSync(join(process.env.DIFF_DUMP, `seed-${seed}.paddock.txt`), actual.join("\n") + "\n");
        }
        assert.fail(
          `seed ${seed} (replay: DIFF_SEED=${seed} DIFF_SEEDS=1 DIFF_STEPS=${STEPS}) differs at line ${at}:\n` +
            `  zookeeper: ${expected[at]}\n  paddock:   ${actual[at]}\n` +
            `context:\n${expected.slice(Math.max(0, at - 6), at).map((l) => `    ${l}`).join("\n")}`,
        );
      }
    }
    assert.ok(successfulCreates >= SEEDS, `only ${successfulCreates} successful creates over ${SEEDS} seeds`);
    assert.ok(javaDecoded >= SEEDS / 4, `the Java client decoded only ${javaDecoded} multi replies over ${SEEDS} seeds`);
  } finally {
    await Promise.all([zk?.stop(), paddock?.stop()]);
  }
});
