// Start-up time to serving: spawn `paddock server --in-memory` in each form (compiled executable,
// Node bundle, Bun, Deno, tsx) and time until `ruok` answers `imok`. Median of RUNS per form.
// Run after `npm run build`:  node --import tsx bench/startup.ts
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fourLetterWord } from "../tests/support/four_letter.ts";
import { freePort } from "../tests/support/ports.ts";
import { REPO_ROOT } from "../tests/support/runtime.ts";

const RUNS = 7;
const POLL_MS = 2;
const DEADLINE_MS = 20_000;
const bin = (name: string) => join(REPO_ROOT, "node_modules", ".bin", name);

const forms: { name: string; argv: string[] }[] = [
  { name: "dist/paddock (bun --compile)", argv: [join(REPO_ROOT, "dist", "paddock")] },
  { name: "node dist/paddock.mjs", argv: [process.execPath, join(REPO_ROOT, "dist", "paddock.mjs")] },
  { name: "bun plugins/main.ts", argv: [bin("bun"), "plugins/main.ts"] },
  { name: "deno run plugins/main.ts", argv: [bin("deno"), "run", "-A", "--no-check", "plugins/main.ts"] },
  { name: "tsx plugins/main.ts", argv: [process.execPath, "--import", "tsx", "plugins/main.ts"] },
];

async function timeToServing(argv: string[]): Promise<number> {
  const port = await freePort();
  // ZooKeeper's default 4lw whitelist is srvr alone; ruok has to be allowed.
  const dir = mkdtempSync(join(tmpdir(), "paddock-startup-"));
  const cfg = join(dir, "zoo.cfg");
  writeFileSync(cfg, `tickTime=2000\nclientPort=${port}\ndataDir=${dir}\n4lw.commands.whitelist=ruok,srvr\nadmin.enableServer=false\n`);
  const started = performance.now();
  const child = spawn(argv[0]!, [...argv.slice(1), "server", cfg, "--in-memory"], {
    cwd: REPO_ROOT,
    stdio: "ignore",
  });
  try {
    for (let i = 0; performance.now() - started < DEADLINE_MS; i++) {
      const answer = await fourLetterWord({ host: "127.0.0.1", port, word: "ruok", timeoutMs: 500 }).catch(() => "");
      if (answer === "imok") return performance.now() - started;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    throw new Error(`${argv.join(" ")}: not serving within ${DEADLINE_MS} ms`);
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Spawn to exit of a program doing nothing: the floor under every form on this machine. */
async function timeToExit(argv: string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log("| form | size | start-up to `imok` (median of %d) |", RUNS);
console.log("|---|---|---|");
const floor: number[] = [];
for (let run = 0; run < RUNS; run++) floor.push(await timeToExit([process.execPath, "-e", "0"]));
console.log(`| (floor: \`node -e 0\`, spawn to exit) | - | ${Math.round(median(floor))} ms |`);
for (const form of forms) {
  if (!existsSync(form.argv[form.argv.length - 1]!) && form.argv[0]!.includes("dist")) continue;
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) times.push(await timeToServing(form.argv));
  const file = form.argv.find((a) => a.includes("dist"));
  const size = file === undefined ? "-" : `${(statSync(file).size / 1e6).toFixed(1)} MB`;
  console.log(`| ${form.name} | ${size} | ${Math.round(median(times))} ms |`);
}
