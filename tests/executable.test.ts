// The one executable: dist/paddock (bun build --compile) holds the server, the shell and every
// recipe command, and dist/paddock.mjs (esbuild) runs them on Node. Built once per test run and
// reused while newer than the sources; skipped only when bun is not available.
import assert from "node:assert/strict";
import { noteSkip } from "./support/skips.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fourLetterWord } from "./support/four_letter.ts";
import { executableLauncher, runPaddock, startPaddock, type PaddockLauncher, type PaddockProcess } from "./support/paddock_cli.ts";
import { ensureExecutable, ensureNodeBundle } from "./support/paddock_executable.ts";
import { freePort } from "./support/ports.ts";
import { currentRuntime, Runtime } from "./support/runtime.ts";

const TEST_TIMEOUT_MS = 240_000;
const RECIPE_COMMANDS = ["lock", "elect", "watch", "queue", "barrier", "counter", "registry"];
const ALL_COMMANDS = ["server", "shell", "purge", ...RECIPE_COMMANDS];

// Synchronous and at load time so the tests can declare their skip reason up front.
const build = ensureExecutable();
const skip: string | false = noteSkip("skip" in build ? build.skip : false);
const exe: PaddockLauncher | undefined = "skip" in build ? undefined : executableLauncher(build.path);
let server: PaddockProcess | undefined;
let cs = "";
let dir = "";

before(async () => {
  if (exe === undefined) return;
  dir = mkdtempSync(join(tmpdir(), "paddock-exe-"));
  const port = await freePort();
  const cfg = join(dir, "zoo.cfg");
  writeFileSync(cfg, `tickTime=200\nclientPort=${port}\ndataDir=${join(dir, "data")}\n4lw.commands.whitelist=ruok,srvr\nadmin.enableServer=false\n`);
  server = startPaddock(exe, ["server", cfg]);
  cs = `127.0.0.1:${port}`;
  await server.waitForOutput("Paddock serving");
});

after(async () => {
  server?.kill("SIGTERM");
  await server?.exited;
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

test("dist/paddock serves: ruok answers imok and the shell reads back what it wrote", { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  assert.equal(await fourLetterWord({ host: "127.0.0.1", port: Number(cs.split(":")[1]), word: "ruok" }), "imok");
  const created = await runPaddock(exe!, ["shell", "-server", cs, "create", "/exe", "hello"]);
  assert.equal(created.code, 0, created.stderr);
  const got = await runPaddock(exe!, ["shell", "-server", cs, "get", "/exe"]);
  assert.equal(got.stdout.trim().split("\n").pop(), "hello", "zkCli prints the data last");
});

test("dist/paddock --help lists every command and each command explains itself with examples", { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const top = await runPaddock(exe!, ["--help"]);
  assert.equal(top.code, 0);
  for (const name of ALL_COMMANDS) assert.match(top.stdout, new RegExp(`^  ${name} `, "m"), `--help lists ${name}`);
  const helps = await Promise.all(ALL_COMMANDS.map((name) => runPaddock(exe!, [name, "--help"])));
  for (const [i, r] of helps.entries()) {
    const name = ALL_COMMANDS[i]!;
    assert.equal(r.code, 0, `${name} --help exits 0`);
    assert.match(r.stdout, new RegExp(`^Usage: paddock ${name}`), `${name} --help starts with its usage`);
    if (RECIPE_COMMANDS.includes(name)) assert.match(r.stdout, /\nExamples:\n {2}paddock /, `${name} --help has examples`);
  }
  const unknown = await runPaddock(exe!, ["lock", "/l", "--bogus", "--", "true"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option --bogus/);
  const childHelp = await runPaddock(exe!, ["lock", "/exe-help", "-server", cs, "--", "sh", "-c", "echo child got $1", "sh", "--help"]);
  assert.equal(childHelp.stdout, "child got --help\n", "flags after -- belong to CMD");
});

test("dist/paddock runs the recipe commands: lock, counter, queue, watch", { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const lock = await runPaddock(exe!, ["lock", "/exe-lock", "-server", cs, "--", "sh", "-c", 'echo "$PADDOCK_LOCK_PATH $PADDOCK_FENCING_TOKEN"']);
  assert.equal(lock.code, 0, lock.stderr);
  assert.match(lock.stdout, /^\/exe-lock \d+\n$/);
  assert.equal((await runPaddock(exe!, ["counter", "add", "/exe-counter", "7", "-server", cs])).stdout, "7\n");
  assert.equal((await runPaddock(exe!, ["counter", "get", "/exe-counter", "-server", cs])).stdout, "7\n");
  const watcher = startPaddock(exe!, ["watch", "/exe-q", "--recursive", "--count", "3", "-server", cs]);
  try {
    await watcher.waitForOutput("watching /exe-q");
    const put = await runPaddock(exe!, ["queue", "put", "/exe-q", "item", "-server", cs]);
    assert.equal(put.code, 0, put.stderr);
    const take = await runPaddock(exe!, ["queue", "take", "/exe-q", "--timeout", "5000", "-server", cs]);
    assert.equal(take.stdout, "item\n");
    assert.equal(await watcher.exited, 0, watcher.stderr());
    const events = watcher.stdout().trim().split("\n").map((l) => JSON.parse(l) as { type: string; path: string });
    assert.deepEqual(events.map((e) => [e.type, e.path]), [
      ["NodeCreated", "/exe-q"],
      ["NodeCreated", put.stdout.trim()],
      ["NodeDeleted", put.stdout.trim()],
    ]);
  } finally {
    watcher.kill();
  }
});

test("node dist/paddock.mjs: the Node bundle runs the commands too", { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const bundle = ensureNodeBundle();
  const node = currentRuntime() === Runtime.node ? process.execPath : "node";
  const onNode: PaddockLauncher = (args) => ({ command: node, args: [bundle, ...args] });
  const help = await runPaddock(onNode, ["--help"]);
  for (const name of ALL_COMMANDS) assert.match(help.stdout, new RegExp(`^  ${name} `, "m"));
  assert.equal((await runPaddock(onNode, ["counter", "add", "/exe-counter", "1", "-server", cs])).stdout, "8\n");
});
