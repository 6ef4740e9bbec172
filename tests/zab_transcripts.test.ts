import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./support/runtime.ts";
import { runTranscript } from "./zab/transcript.ts";

// ZAB's protocol scenarios as transcripts (tests/zab/testdata/*.txt): the ZooKeeper sync-phase
// bugs written as the exact step sequences that exposed them, with the effects Paddock's machines
// produce. ZAB_REWRITE=1 rewrites the expected effects (review the diff before committing).
const DIR = join(REPO_ROOT, "tests", "zab", "testdata");
const REWRITE = process.env.ZAB_REWRITE === "1";

for (const name of readdirSync(DIR).filter((f) => f.endsWith(".txt")).sort()) {
  test(`zab transcript ${name}`, () => {
    const path = join(DIR, name);
    const { output, mismatches } = runTranscript(readFileSync(path, "utf8"));
    if (REWRITE) writeFileSync(path, output);
    else assert.deepEqual(mismatches, [], mismatches.join("\n"));
  });
}
