// `paddock server` as an operator meets it: a dataDir it cannot write, storage failing while it
// serves, a zoo.cfg with typos and ZooKeeper-only keys, a port already taken, log levels and what
// the log says. Every case runs the real executable as a process and talks to it with a client.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, KeeperError } from "../mod.ts";
import { fourLetterWord } from "./support/four_letter.ts";
import { type PaddockProcess, runPaddock, sourceLauncher, startPaddock } from "./support/paddock_cli.ts";
import { freePort } from "./support/ports.ts";
import { RawSession } from "./support/raw_session.ts";
import { noteSkip } from "./support/skips.ts";
import { currentRuntime, Runtime } from "./support/runtime.ts";
import { makeReadOnly, type ReadOnlyDir } from "./support/unwritable.ts";

const TEST_TIMEOUT_MS = 120_000;
const dirs: string[] = [];
const readOnly: ReadOnlyDir[] = [];
after(() => {
  for (const ro of readOnly) ro.restore();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "paddock-ops-"));
  dirs.push(dir);
  return dir;
}

/**
 * Writes `<dir>/zoo.cfg` from lines, with the AdminServer off unless a line sets it up: on by default
 * it takes port 8080, which a copy of this file on another runtime may hold at the same moment
 * (npm test runs Deno and Bun side by side), and a server that cannot start it exits.
 */
function zooCfg(dir: string, lines: string[]): string {
  const path = join(dir, "zoo.cfg");
  const admin = lines.some((line) => line.startsWith("admin.")) ? [] : ["admin.enableServer=false"];
  writeFileSync(path, [...lines, ...admin].join("\n") + "\n");
  return path;
}

/** A line of stderr that looks like a stack frame: ordinary failures must not print one. */
const STACK_FRAME = /^\s+at .+\(.+:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m;

async function serving(server: PaddockProcess): Promise<void> {
  await server.waitForOutput("Paddock serving on", 60_000);
}

test("a dataDir that exists but cannot be written: refuses to start, one line naming it, exit 3", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = tempDir();
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  const ro = makeReadOnly(dataDir);
  if (typeof ro === "string") return t.skip(noteSkip(ro) || ro);
  readOnly.push(ro);
  const cfg = zooCfg(dir, [`clientPort=${await freePort()}`, `dataDir=${dataDir}`]);
  const r = await runPaddock(sourceLauncher, ["server", cfg], { timeoutMs: 60_000 });
  ro.restore();
  assert.equal(r.code, 3, `exit code\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`^paddock server: dataDir ${dataDir} is not writable: E(ACCES|PERM)`, "m"));
  assert.doesNotMatch(r.stderr, STACK_FRAME);
  assert.doesNotMatch(r.stderr, /serving on/);
});

test("a dataLogDir that cannot be written: refuses to start naming dataLogDir", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = tempDir();
  const logDir = join(dir, "log");
  mkdirSync(logDir);
  const ro = makeReadOnly(logDir);
  if (typeof ro === "string") return t.skip(noteSkip(ro) || ro);
  readOnly.push(ro);
  const cfg = zooCfg(dir, [`clientPort=${await freePort()}`, `dataDir=${join(dir, "data")}`, `dataLogDir=${logDir}`]);
  const r = await runPaddock(sourceLauncher, ["server", cfg], { timeoutMs: 60_000 });
  ro.restore();
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`paddock server: dataLogDir ${logDir} is not writable`));
  assert.doesNotMatch(r.stderr, STACK_FRAME);
});

test("storage fails while serving: the process exits 1, clients lose it, nothing acknowledged is lost", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = tempDir();
  const logDir = join(dir, "log");
  const port = await freePort();
  // snapCount=2 rolls the log every txn or two, so the next append must create a new segment.
  const cfg = zooCfg(dir, [`clientPort=${port}`, `dataDir=${join(dir, "data")}`, `dataLogDir=${logDir}`, "snapCount=2", "tickTime=200"]);
  const server = startPaddock(sourceLauncher, ["server", cfg]);
  await serving(server);
  const client = createClient(`127.0.0.1:${port}`, { sessionTimeoutMs: 4_000 });
  await client.ready({ signal: AbortSignal.timeout(20_000) });
  await client.create("/durable", "v0");
  const ro = makeReadOnly(logDir);
  if (typeof ro === "string") {
    server.kill();
    await client.close();
    return t.skip(noteSkip(ro) || ro);
  }
  readOnly.push(ro);
  let acknowledged = "v0";
  let failure: unknown;
  for (let i = 1; i <= 10 && failure === undefined; i++) {
    try {
      await client.setData("/durable", `v${i}`);
      acknowledged = `v${i}`;
    } catch (error) {
      failure = error;
    }
  }
  assert.ok(failure instanceof KeeperError, `a write fails once the log cannot grow (got ${String(failure)})`);
  const code = await Promise.race([server.exited, new Promise<string>((r) => setTimeout(() => r("still running"), 30_000))]);
  await client.close().catch(() => {});
  ro.restore();
  assert.equal(code, 1, `paddock server exits 1 after a storage failure\n${server.stderr()}`);
  assert.match(server.stderr(), /ERROR txn log append failed, the server stops: txn log write failed in .*: E(ACCES|PERM)\b.*log\.\w+/);
  assert.doesNotMatch(server.stderr(), STACK_FRAME);
  await assert.rejects(fourLetterWord({ host: "127.0.0.1", port, word: "ruok", timeoutMs: 2_000 }), "nothing listens any more");
  // Restarted on the same (writable again) directories, every acknowledged write is there.
  const again = startPaddock(sourceLauncher, ["server", cfg]);
  try {
    await serving(again);
    await using reader = createClient(`127.0.0.1:${port}`);
    await reader.ready({ signal: AbortSignal.timeout(20_000) });
    const { data } = await reader.getData("/durable");
    assert.equal(new TextDecoder().decode(data!), acknowledged);
  } finally {
    again.kill("SIGTERM");
    await again.exited;
  }
});

test("zoo.cfg: a misspelt key is warned about with the nearest known key; ZooKeeper's keys are listed as ignored", { timeout: TEST_TIMEOUT_MS }, async () => {
  const dir = tempDir();
  const port = await freePort();
  const cfg = zooCfg(dir, [
    `clientPort=${port}`, `dataDir=${join(dir, "data")}`, "clientPortt=2181", "tikTime=2000", "initLimit=10",
    "server.1=zk1:2888:3888", `admin.serverPort=${await freePort()}`, "zookeeper.sslQuorum=false", "completelyMadeUp=1",
  ]);
  const server = startPaddock(sourceLauncher, ["server", cfg]);
  try {
    await serving(server);
    const err = server.stderr();
    assert.match(err, /WARN  zoo\.cfg: unknown key "clientPortt" \(did you mean "clientPort"\?\)/);
    assert.match(err, /WARN  zoo\.cfg: unknown key "tikTime" \(did you mean "tickTime"\?\)/);
    assert.match(err, /WARN  zoo\.cfg: unknown key "completelyMadeUp"$/m);
    // One server.N line is a standalone server (standaloneEnabled), as in ZooKeeper: initLimit and
    // server.1 are read, not warned about; an SSL quorum is not something Paddock has.
    assert.match(err, /INFO  zoo\.cfg: ZooKeeper keys Paddock does not use, ignored: sslQuorum$/m);
    assert.doesNotMatch(err, /unknown key "(initLimit|server\.1|admin\.serverPort|sslQuorum)"/);
    // No clientPortAddress: every interface, as ZooKeeper listens.
    assert.match(err, new RegExp(`INFO  serving on 0\\.0\\.0\\.0:${port}: dataDir=${dir}/data dataLogDir=${dir}/data forceSync=yes`));
  } finally {
    server.kill("SIGTERM");
    const code = await server.exited;
    // Deno's child_process reports the signal it sent even when the child handled it and exited 0.
    assert.ok(code === 0 || (currentRuntime() === Runtime.deno && code === 128 + 15), `exit ${code}`);
    await server.waitForOutput("shutting down", 1_000);
  }
});

test("SIGTERM while the server is still starting: it finishes starting, shuts down cleanly and exits 0", { timeout: TEST_TIMEOUT_MS }, async () => {
  const dir = tempDir();
  const port = await freePort();
  const cfg = zooCfg(dir, [`clientPort=${port}`, "clientPortAddress=127.0.0.1", `dataDir=${join(dir, "data")}`,
    "admin.enableServer=true", "admin.serverAddress=127.0.0.1", `admin.serverPort=${await freePort()}`]);
  const server = startPaddock(sourceLauncher, ["server", cfg]);
  // The first line comes before the store is opened and the ports are bound.
  await server.waitForOutput("starting (pid", 60_000);
  server.kill("SIGTERM");
  const code = await server.exited;
  // Deno's child_process reports the signal it sent even when the child handled it and exited 0.
  assert.ok(code === 0 || (currentRuntime() === Runtime.deno && code === 128 + 15), `exit ${code}: ${server.stderr()}`);
  await server.waitForOutput("shutting down", 1_000);
});

test("zoo.cfg without dataDir is an error, as in ZooKeeper; with no zoo.cfg the embedded default ./data is used", { timeout: TEST_TIMEOUT_MS }, async () => {
  const dir = tempDir();
  const cfg = zooCfg(dir, [`clientPort=${await freePort()}`]);
  const r = await runPaddock(sourceLauncher, ["server", cfg]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim(), "paddock server: zoo.cfg: dataDir is not set");
  const port = await freePort();
  const server = startPaddock(sourceLauncher, ["server", "--port", String(port)], {}, dir);
  try {
    await server.waitForOutput("Paddock serving on", 60_000);
    assert.match(server.stderr(), /dataDir=\.\/data dataLogDir=\.\/data/);
  } finally {
    server.kill("SIGTERM");
    await server.exited;
  }
});

test("start-up failures are one line and a non-zero exit: a taken port, a missing zoo.cfg, a bad value", { timeout: TEST_TIMEOUT_MS }, async () => {
  const dir = tempDir();
  const blocker: Server = createServer();
  const port = await new Promise<number>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port)));
  try {
    const taken = await runPaddock(sourceLauncher, ["server", zooCfg(dir, [`clientPort=${port}`, "clientPortAddress=127.0.0.1", `dataDir=${join(dir, "data")}`])]);
    assert.equal(taken.code, 1, taken.stderr);
    assert.match(taken.stderr, new RegExp(`^paddock server: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`, "m"));
    assert.doesNotMatch(taken.stderr, STACK_FRAME);
  } finally {
    blocker.close();
  }
  const missing = await runPaddock(sourceLauncher, ["server", join(dir, "nope.cfg")]);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr.trim(), `paddock server: cannot read ${join(dir, "nope.cfg")}: ENOENT`);
  const bad = await runPaddock(sourceLauncher, ["server", zooCfg(dir, ["tickTime=soon", `dataDir=${dir}`])]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim(), "paddock server: zoo.cfg: tickTime=soon: must be a whole number");
  const level = await runPaddock(sourceLauncher, ["server", "--in-memory", "--log-level", "loud"]);
  assert.equal(level.code, 2);
  assert.equal(level.stderr.trim(), "paddock server: --log-level loud: must be one of ERROR, WARN, INFO, DEBUG");
});

test("log levels: --log-level, $PADDOCK_LOG_LEVEL and zoo.cfg logLevel choose what is shown", { timeout: TEST_TIMEOUT_MS }, async () => {
  const dir = tempDir();
  const port = await freePort();
  const cfg = zooCfg(dir, [`clientPort=${port}`, "inMemory=true", "logLevel=WARN", "madeUpKey=1"]);
  const fromFile = startPaddock(sourceLauncher, ["server", cfg]);
  await fromFile.waitForOutput("madeUpKey");
  const debugRun = startPaddock(sourceLauncher, ["server", "--in-memory", "--port", String(await freePort()), "--log-level", "debug"]);
  const envRun = startPaddock(sourceLauncher, ["server", "--in-memory", "--port", String(await freePort())], { PADDOCK_LOG_LEVEL: "error" });
  try {
    await Promise.all([serving(debugRun), envRun.waitForOutput("__never__", 3_000).catch(() => {})]);
    // WARN from the file: the warning shows, INFO lines do not.
    assert.match(fromFile.stderr(), /WARN  zoo\.cfg: unknown key "madeUpKey"/);
    assert.doesNotMatch(fromFile.stderr(), / INFO  /);
    assert.match(debugRun.stderr(), / INFO  serving on /);
    assert.equal(envRun.stderr(), "", "ERROR level: a healthy start says nothing");
  } finally {
    for (const p of [fromFile, debugRun, envRun]) p.kill("SIGTERM");
    await Promise.all([fromFile.exited, debugRun.exited, envRun.exited]);
  }
});

test("the log says what an operator needs: snapshots, expired sessions, refused connections, recovery", { timeout: TEST_TIMEOUT_MS }, async () => {
  const dir = tempDir();
  const port = await freePort();
  const cfg = zooCfg(dir, [
    `clientPort=${port}`, `dataDir=${join(dir, "data")}`, "snapCount=4", "tickTime=200", "maxClientCnxns=2", "minSessionTimeout=400",
  ]);
  const server = startPaddock(sourceLauncher, ["server", cfg]);
  try {
    await serving(server);
    const writer = createClient(`127.0.0.1:${port}`);
    await writer.ready({ signal: AbortSignal.timeout(20_000) });
    for (let i = 0; i < 12; i++) await writer.create(`/n${i}`, "x");
    // A raw session whose connection then vanishes: it must expire, and the log must say so.
    const expiring = await RawSession.connect("127.0.0.1", port, { timeoutMs: 400 });
    // A third connection from 127.0.0.1 passes maxClientCnxns=2: refused, and the log says why.
    await fourLetterWord({ host: "127.0.0.1", port, word: "ruok", timeoutMs: 2_000 }).catch(() => "");
    await server.waitForOutput("refusing connection from 127.0.0.1: too many connections from that address (maxClientCnxns=2)");
    expiring.drop();
    await server.waitForOutput(`expiring session 0x${expiring.sessionId.toString(16)}, timeout of 400ms exceeded`);
    await writer.close();
    await server.waitForOutput("snapshot taken at zxid");
    assert.match(server.stderr(), /INFO  snapshot taken at zxid 0x[0-9a-f]+ \(\d+ bytes, \d+ znodes\)/);
  } finally {
    server.kill("SIGTERM");
    await server.exited;
  }
  const restarted = startPaddock(sourceLauncher, ["server", cfg]);
  try {
    await serving(restarted);
    assert.match(restarted.stderr(), /INFO  recovered to zxid 0x[0-9a-f]+: \d+ znodes, \d+ sessions, \d+ txns replayed in \d+ ms/);
  } finally {
    restarted.kill("SIGTERM");
    await restarted.exited;
  }
});
