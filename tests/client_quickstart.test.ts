// README's client quickstart, taken from the README as written, run the documented way: in a
// project directory outside this repository that installed Paddock with npm, on the runtime of
// this test (Node through tsx, Deno, Bun), against a real server.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startServer } from "../core/server/start_server.ts";
import { runProcess } from "./support/run_process.ts";
import { REPO_ROOT, typeScriptCommand } from "./support/runtime.ts";
import { noteSkip } from "./support/skips.ts";
import { findExecutable } from "./support/which.ts";

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The first fenced block after `marker` whose opening fence is exactly "```" + lang. */
function blockAfter(marker: string, lang: string): string {
  const section = README.slice(README.indexOf(marker));
  const match = new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```$", "m").exec(section);
  if (match === null) throw new Error(`README: no ${lang || "plain"} block after "${marker}"`);
  return match[1]!;
}

const npm = findExecutable("npm");

test("README's client quickstart runs outside the repository and prints what the README says", {
  skip: noteSkip(npm === undefined ? "npm not installed (it installs Paddock into the example project)" : false),
  timeout: 180_000,
}, async () => {
  const project = mkdtempSync(join(tmpdir(), "paddock-quickstart-"));
  dirs.push(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "quickstart", private: true, type: "module" }));
  // The README's install step; --offline: the only package is this directory, nothing to fetch.
  const install = await runProcess({ command: npm!, args: ["install", "--offline", "--no-audit", "--no-fund", REPO_ROOT], cwd: project, timeoutMs: 120_000 });
  assert.equal(install.code, 0, `npm install ${REPO_ROOT}\n${install.stdout}\n${install.stderr}`);
  writeFileSync(join(project, "app.ts"), blockAfter("## Client quickstart", "ts"));
  await using server = await startServer({ clientPort: 0, inMemory: true });
  const { command, args } = typeScriptCommand(join(project, "app.ts"), []);
  const run = await runProcess({ command, args, cwd: project, env: { PADDOCK_SERVER: server.connectString }, timeoutMs: 120_000 });
  assert.equal(run.code, 0, `app.ts\n${run.stdout}\n${run.stderr}`);
  assert.equal(run.stdout, blockAfter("it prints:", ""));
});
