// `paddock purge` and autopurge.snapRetainCount against a real Paddock process: many small
// snapshots (snapCount=200), the server keeps as many as zoo.cfg says, the command trims them to
// -n, and a restart still finds every node.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { OpCode } from "../core/proto/mod.ts";
import { create } from "./support/crash_load.ts";
import { RawSession } from "./support/raw_session.ts";
import { runProcess } from "./support/run_process.ts";
import { REPO_ROOT, typeScriptCommand } from "./support/runtime.ts";
import { paddockAvailable, PADDOCK_ENTRY, startPaddock } from "./support/servers.ts";

const skip = paddockAvailable() ? false : "Paddock entry point missing";
const dir = mkdtempSync(join(tmpdir(), "paddock-purge-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** At most 30,000 nodes of writes to see the snapshots the test needs. */
const MAX_BATCHES = 300;
const RETAIN = 8;
const snapshots = () => readdirSync(join(dir, "data")).filter((name) => name.startsWith("snapshot.")).sort();

test("autopurge keeps autopurge.snapRetainCount snapshots; paddock purge -n 3 trims the rest; restart finds every node", { skip, timeout: 120_000 }, async () => {
  const extra = { snapCount: 200, "autopurge.snapRetainCount": RETAIN };
  const server = await startPaddock({ dir, extra });
  const session = await RawSession.connect(server.host, server.port);
  assert.equal((await session.request(OpCode.create, create("/p", new Uint8Array(0)))).err, 0);
  // Batches of 100 (half of snapCount) until more snapshots than the default 3 were written: how
  // many a given load makes depends on the runtime (one in flight holds back the next), so the
  // load goes on until the premise holds, bounded.
  let written = 0;
  for (let batch = 0; batch < MAX_BATCHES && (written < 3000 || snapshots().length < 5); batch++) {
    const replies = [];
    for (let i = written; i < written + 100; i++) replies.push(session.request(OpCode.create, create(`/p/n${i}`, new Uint8Array(100))));
    for (const reply of await Promise.all(replies)) assert.equal(reply.err, 0);
    written += 100;
  }
  session.drop();
  await server.stop();
  const kept = snapshots();
  assert.ok(kept.length > 3 && kept.length <= RETAIN + 1, `the server kept ${kept.length} snapshots, expected up to ${RETAIN} (more than the default 3)`);

  const { command, args } = typeScriptCommand(resolve(REPO_ROOT, PADDOCK_ENTRY), ["purge", join(dir, "zoo.cfg"), "-n", "3"]);
  const purged = await runProcess({ command, args, cwd: REPO_ROOT, timeoutMs: 30_000 });
  assert.equal(purged.code, 0, purged.stderr);
  assert.deepEqual(snapshots(), kept.slice(-3));
  for (const name of kept.slice(0, -3)) assert.match(purged.stdout, new RegExp(`deleted .*${name.replace(".", "\\.")}`));
  assert.match(purged.stdout, /^purged \d+ snapshot\(s\) and \d+ log segment\(s\)/m);

  const restarted = await startPaddock({ dir, extra });
  try {
    const check = await RawSession.connect(restarted.host, restarted.port);
    const reply = await check.request(OpCode.getChildren, (w) => w.ustring("/p").bool(false));
    assert.equal(reply.err, 0);
    assert.equal(reply.body.ustrings()?.length, written);
    check.drop();
  } finally {
    await restarted.stop();
  }
});

test("paddock purge without a data dir says what it needs", { skip, timeout: 30_000 }, async () => {
  const { command, args } = typeScriptCommand(resolve(REPO_ROOT, PADDOCK_ENTRY), ["purge"]);
  const result = await runProcess({ command, args, cwd: REPO_ROOT, timeoutMs: 20_000 });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /give a zoo\.cfg or --data-dir/);
});
