import { test } from "node:test";
import assert from "node:assert/strict";
import { MUTANTS, MUTATION_SIM } from "./sim/mutants.ts";
import { huntMutant } from "./sim/mutation.ts";
import { simulate } from "./sim/simulation.ts";

const MAX_SEEDS = 300;

// The checkers bite: each deliberately broken build is caught by some seed, and the real code
// passes the same (harsher) settings.
for (const mutant of MUTANTS) {
  test(`mutant "${mutant.name}" (breaks: ${mutant.breaks}) is caught within ${MAX_SEEDS} seeds`, { timeout: 900_000 }, async () => {
    const verdict = await huntMutant(mutant, MAX_SEEDS);
    assert.notEqual(verdict.seed, null, `no seed out of ${verdict.seedsRun} noticed that ${mutant.breaks}`);
  });
}

test("the unbroken code passes the mutation hunt's settings on 60 seeds", { timeout: 900_000 }, async () => {
  for (let seed = 1; seed <= 60; seed++) {
    const report = await simulate({ seed, ...MUTATION_SIM });
    assert.deepEqual(report.violations, [], `seed ${seed}`);
  }
});
