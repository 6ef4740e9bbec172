import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../support/runtime.ts";
import { MUTATION_SIM, type Mutant } from "./mutants.ts";
import type { SimReport } from "./simulation.ts";

/** The first seed whose run a mutant breaks, with what the checkers said; null if none did. */
export interface MutantVerdict {
  readonly seed: number | null;
  readonly violation: string | null;
  readonly seedsRun: number;
}

/**
 * Builds the mutant (a copy of core/ and tests/ with one change) in a temporary directory,
 * loads the simulator from that copy, and runs seeds until a checker fails (the one the mutant
 * names, if it names one) or `maxSeeds` pass.
 */
export async function huntMutant(mutant: Mutant, maxSeeds: number): Promise<MutantVerdict> {
  const dir = mkdtempSync(join(tmpdir(), `paddock-mutant-${mutant.name}-`));
  try {
    cpSync(join(REPO_ROOT, "core"), join(dir, "core"), { recursive: true });
    cpSync(join(REPO_ROOT, "tests"), join(dir, "tests"), { recursive: true });
    symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
    const file = join(dir, mutant.file);
    const source = readFileSync(file, "utf8");
    if (!source.includes(mutant.find)) throw new Error(`mutant ${mutant.name}: the code it changes is gone from ${mutant.file}`);
    writeFileSync(file, source.replace(mutant.find, mutant.replace));
    const { simulate } = await import(pathToFileURL(join(dir, "tests", "sim", "simulation.ts")).href) as {
      simulate: (options: object) => Promise<SimReport>;
    };
    for (let seed = 1; seed <= maxSeeds; seed++) {
      const report = await simulate({ seed, ...MUTATION_SIM });
      const caught = report.violations.find((v) => mutant.caughtBy === undefined || v.check.startsWith(mutant.caughtBy));
      if (caught !== undefined) return { seed, violation: `${caught.check}: ${caught.detail}`, seedsRun: seed };
    }
    return { seed: null, violation: null, seedsRun: maxSeeds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
