// The recipe commands (lock, elect, watch, queue, counter, registry, barrier) as a user runs
// them: separate processes of `paddock` from source on this test's runtime, against an
// in-process Paddock server. tests/executable.test.ts runs a smaller set through dist/paddock.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createClient, type Client } from "../mod.ts";
import { startServer, type RunningServer } from "../core/server/start_server.ts";
import { runPaddock, sourceLauncher, startPaddock } from "./support/paddock_cli.ts";
import { currentRuntime, Runtime } from "./support/runtime.ts";

const TEST_TIMEOUT_MS = 120_000;
const EXIT_OWNERSHIP_LOST = 3;
const POLL_MS = 20;

let server: RunningServer;
let client: Client;
let dir: string;
let cs: string;

before(async () => {
  // tickTime 200: sessions may be as short as 400 ms, so a killed leader's session expires fast.
  server = await startServer({ clientPort: 0, inMemory: true, tickTime: 200 });
  cs = server.connectString;
  client = createClient(cs, { sessionTimeoutMs: 4_000 });
  await client.ready();
  dir = mkdtempSync(join(tmpdir(), "paddock-recipe-commands-"));
});

after(async () => {
  await client?.close();
  await server?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

// -server goes right after the command word: everything after "--" belongs to CMD.
const paddock = (name: string, ...args: string[]) => runPaddock(sourceLauncher, [name, "-server", cs, ...args]);
const lines = (text: string) => text.split("\n").filter((l) => l !== "");

async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

test("lock: two concurrent holders never interleave and their fencing tokens grow", { timeout: TEST_TIMEOUT_MS }, async () => {
  const log = join(dir, "lock.log");
  const critical = `echo "start $PADDOCK_FENCING_TOKEN $PADDOCK_LOCK_PATH" >> ${log}; sleep 0.3; echo "end $PADDOCK_FENCING_TOKEN" >> ${log}; exit 5`;
  const [a, b] = await Promise.all([
    paddock("lock", "/locks/report", "--", "sh", "-c", critical),
    paddock("lock", "/locks/report", "--", "sh", "-c", critical),
  ]);
  assert.equal(a.code, 5, `the first lock exits with its command's code\n${a.stderr}`);
  assert.equal(b.code, 5, `the second lock exits with its command's code\n${b.stderr}`);
  const entries = lines(readFileSync(log, "utf8")).map((l) => l.split(" "));
  assert.deepEqual(entries.map((e) => e[0]), ["start", "end", "start", "end"], "each holder finishes before the next starts");
  assert.equal(entries[0]![1], entries[1]![1]);
  assert.equal(entries[2]![1], entries[3]![1]);
  assert.equal(entries[0]![2], "/locks/report", "PADDOCK_LOCK_PATH is the lock path");
  assert.ok(BigInt(entries[2]![1]!) > BigInt(entries[0]![1]!), `fencing tokens grow: ${entries[0]![1]} then ${entries[2]![1]}`);
  assert.deepEqual((await client.getChildren("/locks/report")).children, [], "both lock nodes are gone");
});

test("lock: a lock lost while the command runs stops the command and exits 3", { timeout: TEST_TIMEOUT_MS }, async () => {
  await using own = await startServer({ clientPort: 0, inMemory: true, tickTime: 200 });
  const started = join(dir, "lost.started");
  const holder = startPaddock(sourceLauncher, [
    "lock", "/locks/lost", "--suspended-grace", "200", "--grace", "500", "-server", own.connectString,
    "--", "sh", "-c", `touch ${started}; exec sleep 30`,
  ]);
  try {
    await waitFor("the command to start under the lock", () => existsSync(started));
    await own.close(); // every connection drops: the session is suspended beyond the grace
    const code = await holder.exited;
    assert.equal(code, EXIT_OWNERSHIP_LOST, `exit code\n${holder.stderr()}`);
    assert.match(holder.stderr(), /lock \/locks\/lost lost .*stopping sh/);
  } finally {
    holder.kill();
  }
});

test("elect: the follower takes over when the leader process is killed; --list shows both", { timeout: TEST_TIMEOUT_MS }, async () => {
  const marks = join(dir, "elect.log");
  const pidFile = join(dir, "elect-a.pid");
  const common = ["--session-timeout", "1000", "-server", cs];
  const a = startPaddock(sourceLauncher, ["elect", "/election/svc", "--id", "alpha", ...common,
    "--", "sh", "-c", `echo $$ > ${pidFile}; echo "alpha $PADDOCK_FENCING_TOKEN" >> ${marks}; exec sleep 30`]);
  let b: ReturnType<typeof startPaddock> | undefined;
  try {
    await a.waitForOutput("alpha leads");
    b = startPaddock(sourceLauncher, ["elect", "/election/svc", "--id", "beta", ...common,
      "--", "sh", "-c", `echo "beta $PADDOCK_FENCING_TOKEN" >> ${marks}`]);

    const listed = await waitForList(2);
    assert.deepEqual(listed, ["alpha leader", "beta"]);
    await b.waitForOutput("paddock elect: waiting to lead /election/svc, led by alpha since ");
    const alphaCommand = Number(readFileSync(pidFile, "utf8").trim());
    a.kill("SIGKILL"); // a crash: alpha's session must expire before beta leads
    await waitFor("alpha's command to die with its SIGKILLed paddock (parent-death signal)", () => !alive(alphaCommand), 5_000);
    const code = await b.exited;
    assert.equal(code, 0, `beta ran its command as leader and exited with its code\n${b.stderr()}`);
    const [alpha, beta] = lines(readFileSync(marks, "utf8")).map((l) => l.split(" "));
    assert.equal(alpha![0], "alpha");
    assert.equal(beta![0], "beta");
    assert.ok(BigInt(beta![1]!) > BigInt(alpha![1]!), "the new term's fencing token is larger");
  } finally {
    a.kill();
    b?.kill();
    killPidFile(pidFile); // in case the assertion above failed
  }
});

/** True while a process exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("lock: a SIGKILLed holder's command dies with it, before the next holder starts; waiters say who holds", { timeout: TEST_TIMEOUT_MS }, async () => {
  const pidFile = join(dir, "pdeath-a.pid");
  const log = join(dir, "pdeath.log");
  // A session long enough that a loaded machine does not suspend it: A must hold until killed.
  const common = ["--session-timeout", "4000", "-server", cs];
  const a = startPaddock(sourceLauncher, ["lock", "/locks/pdeath", ...common,
    "--", "sh", "-c", `echo $$ > ${pidFile}; exec sleep 60`]);
  let b: ReturnType<typeof startPaddock> | undefined;
  try {
    await waitFor("the first holder's command", () => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "");
    const aCommand = Number(readFileSync(pidFile, "utf8").trim());
    // B's command records whether A's command is still alive at the moment B holds the lock.
    b = startPaddock(sourceLauncher, ["lock", "/locks/pdeath", ...common,
      "--", "sh", "-c", `if kill -0 ${aCommand} 2>/dev/null; then echo "A alive" >> ${log}; else echo "A gone" >> ${log}; fi`]);
    await b.waitForOutput(`paddock lock: waiting for /locks/pdeath, held by `);
    assert.match(b.stderr(), /held by [^ ]+:\d+ since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    const listed = await paddock("lock", "/locks/pdeath", "--list");
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^[^ \n]+:\d+ holder\n[^ \n]+:\d+\n$/, "lock --list: the holder, then the waiter");
    const json = JSON.parse((await paddock("lock", "/locks/pdeath", "--list", "--json")).stdout) as {
      holder: string;
      participants: { isHolder: boolean; since: string }[];
    };
    assert.equal(json.participants.length, 2);
    assert.equal(json.participants[0]!.isHolder, true);
    assert.match(json.participants[1]!.since, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    a.kill("SIGKILL");
    await waitFor("A's command to die with its SIGKILLed paddock", () => !alive(aCommand), 5_000);
    assert.equal(await b.exited, 0, b.stderr());
    assert.equal(readFileSync(log, "utf8"), "A gone\n", "the next holder never ran beside the killed holder's command");
  } finally {
    a.kill();
    b?.kill();
    killPidFile(pidFile);
  }
});

async function waitForList(count: number): Promise<string[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const r = await paddock("elect", "/election/svc", "--list");
    assert.equal(r.code, 0, r.stderr);
    if (lines(r.stdout).length === count) return lines(r.stdout);
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`elect --list never showed ${count} participants`);
}

function killPidFile(path: string): void {
  if (!existsSync(path)) return;
  try {
    process.kill(Number(readFileSync(path, "utf8").trim()), "SIGKILL");
  } catch {
    // already gone
  }
}

test("watch: a recursive watch prints one JSON line per change, with data", { timeout: TEST_TIMEOUT_MS }, async () => {
  await client.create("/watched", "0");
  const watcher = startPaddock(sourceLauncher, ["watch", "/watched", "--recursive", "--data", "--count", "4", "-server", cs]);
  try {
    await watcher.waitForOutput("watching /watched (recursive)");
    // One change at a time: each line reads the node back, which a quick next change would race.
    const printed = (n: number) => waitFor(`${n} event lines`, () => lines(watcher.stdout()).length >= n);
    const created = await client.create("/watched/child", "hello");
    await printed(1);
    const changed = await client.setData("/watched", "1");
    await printed(2);
    await client.delete("/watched/child");
    await printed(3);
    await client.create("/watched/binary", new Uint8Array([0xff, 0x00]));
    assert.equal(await watcher.exited, 0, watcher.stderr());
    const events = lines(watcher.stdout()).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(events, [
      { type: "NodeCreated", path: "/watched/child", zxid: Number(created.stat.czxid), data: "hello" },
      { type: "NodeDataChanged", path: "/watched", zxid: Number(changed.mzxid), data: "1" },
      { type: "NodeDeleted", path: "/watched/child", zxid: events[2]!.zxid, data: null },
      { type: "NodeCreated", path: "/watched/binary", zxid: events[3]!.zxid, dataBase64: "/wA=" },
    ]);
    // Paddock sends each change's zxid with its event: the delete's and the last create's follow.
    assert.ok((events[2]!.zxid as number) > Number(changed.mzxid), "the delete's zxid comes after the setData's");
    assert.ok((events[3]!.zxid as number) > (events[2]!.zxid as number), "and the last create's after the delete's");
  } finally {
    watcher.kill();
  }
});

test("queue: every item is taken exactly once; a take with nothing left times out with exit 1", { timeout: TEST_TIMEOUT_MS }, async () => {
  const put = await paddock("queue", "put", "/queues/jobs", "job-1");
  assert.equal(put.code, 0, put.stderr);
  assert.match(put.stdout, /^\/queues\/jobs\/qn-\d{10}\n$/);
  const stdin = await paddock("queue", "put", "/queues/jobs", "-");
  assert.equal(stdin.code, 0, stdin.stderr);
  const takes = await Promise.all([0, 1, 2].map(() => paddock("queue", "take", "/queues/jobs", "--timeout", "2500")));
  const taken = takes.filter((r) => r.code === 0).map((r) => r.stdout).sort();
  assert.deepEqual(taken, ["\n", "job-1\n"], "each item once (the second put read an empty stdin)");
  const empty = takes.find((r) => r.code !== 0);
  assert.equal(empty?.code, 1);
  assert.match(empty!.stderr, /no item within 2500 ms/);
});

test("counter: add and set (get runs in executable.test.ts)", { timeout: TEST_TIMEOUT_MS }, async () => {
  assert.equal((await paddock("counter", "add", "/counters/c", "5")).stdout, "5\n");
  assert.equal((await paddock("counter", "add", "/counters/c", "-2")).stdout, "3\n");
  assert.equal((await paddock("counter", "set", "/counters/c", "40")).stdout, "40\n");
  const bad = await paddock("counter", "add", "/counters/c", "x");
  assert.equal(bad.code, 2, "a usage error exits 2");
  assert.match(bad.stderr, /N must be an integer/);
});

test("registry: an instance is listed while register runs and gone once it is stopped", { timeout: TEST_TIMEOUT_MS }, async () => {
  const reg = startPaddock(sourceLauncher, ["registry", "register", "api", "--address", "10.0.0.7", "--port", "8080",
    "--id", "api-1", "--payload", '{"zone":"a"}', "-server", cs]);
  try {
    await reg.waitForOutput("registered api/api-1");
    const listed = await paddock("registry", "list", "api");
    assert.equal(listed.code, 0, listed.stderr);
    const [instance, ...more] = JSON.parse(listed.stdout) as Record<string, unknown>[];
    assert.equal(more.length, 0);
    assert.deepEqual([instance!.name, instance!.id, instance!.address, instance!.port, instance!.payload], ["api", "api-1", "10.0.0.7", 8080, { zone: "a" }]);
    reg.kill("SIGTERM");
    const code = await reg.exited;
    // Deno's child_process reports the signal it sent even when the child handled it and exited 0.
    const deno = currentRuntime() === Runtime.deno && code === 128 + 15;
    assert.ok(code === 0 || deno, `register exits 0 on SIGTERM, got ${code}\n${reg.stderr()}`);
    assert.equal((await paddock("registry", "list", "api")).stdout, "[]\n");
  } finally {
    reg.kill();
  }
});

test("registry register -- CMD: registered while CMD runs, exits with its code", { timeout: TEST_TIMEOUT_MS }, async () => {
  const r = await paddock("registry", "register", "batch", "--address", "h", "--port", "1", "--id", "b1",
    "--", "sh", "-c", 'test "$PADDOCK_SERVICE_ID" = b1 && exit 6');
  assert.equal(r.code, 6, r.stderr);
  assert.deepEqual((await client.getChildren("/services/batch")).children, []);
});

test("barrier: two members enter together and run their commands; a lone member times out", { timeout: TEST_TIMEOUT_MS }, async () => {
  const log = join(dir, "barrier.log");
  const member = (id: string) => paddock("barrier", "/barriers/b1", "--members", "2", "--id", id, "--timeout", "20000",
    "--", "sh", "-c", `echo ${id} >> ${log}`);
  const [one, two] = await Promise.all([member("m1"), member("m2")]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(two.code, 0, two.stderr);
  assert.deepEqual(lines(readFileSync(log, "utf8")).sort(), ["m1", "m2"]);
  const lone = await paddock("barrier", "/barriers/b2", "--members", "2", "--timeout", "500");
  assert.equal(lone.code, 1, lone.stderr);
  assert.match(lone.stderr, /could not enter the barrier within 500 ms/);
});

test("--help lists every recipe command", { timeout: TEST_TIMEOUT_MS }, async () => {
  const r = await runPaddock(sourceLauncher, ["--help"]);
  assert.equal(r.code, 0);
  for (const name of ["server", "shell", "lock", "elect", "watch", "queue", "barrier", "counter", "registry"]) {
    assert.match(r.stdout, new RegExp(`^  ${name} `, "m"), `paddock --help lists ${name}`);
  }
});
