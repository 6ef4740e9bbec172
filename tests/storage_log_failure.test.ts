/**
 * A disk that stops taking the txn log's bytes (a full disk; here the file-size limit, which fails
 * the same calls with EFBIG as a full disk does with ENOSPC) stops a real server serving writes: it
 * "never keeps serving after it lost the ability to persist". Every write it acknowledged before is
 * still there after a restart.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { resolve } from "node:path";
import { createClient } from "../mod.ts";
import { fourLetterWord } from "./support/four_letter.ts";
import { freePort } from "./support/ports.ts";
import { REPO_ROOT, typeScriptCommand } from "./support/runtime.ts";
import { launchServer, ServerKind } from "./support/server_process.ts";
import { PADDOCK_ENTRY, startPaddock } from "./support/servers.ts";
import { findExecutable } from "./support/which.ts";
import { writeZooCfg } from "./support/zoo_cfg.ts";

/** Why the file-size limit cannot stand in for a full disk here, or false. */
function fileSizeLimitMissing(): string | false {
  if (process.platform !== "linux") return "needs Linux's RLIMIT_FSIZE (ulimit -f) to stand in for a full disk";
  if (findExecutable("sh", ["/bin/sh", "/usr/bin/sh"]) === undefined) return "needs /bin/sh for ulimit -f";
  return false;
}

test("the txn log's write failing (the file-size limit as a full disk) stops the server serving writes; what it acknowledged survives", { skip: fileSizeLimitMissing(), timeout: 120_000 }, async () => {
  const clientPort = await freePort();
  // Segments grow 64 KiB at a time, so the limit is met while the log grows under the writes, not
  // when the first segment is made.
  const cfg = writeZooCfg({ clientPort, tickTimeMs: 200, extra: { preAllocSize: 64 } });
  const paddock = typeScriptCommand(resolve(REPO_ROOT, PADDOCK_ENTRY), ["server", cfg.path]);
  // The runtime ignores SIGXFSZ (Deno does not by itself), so the limit is an EFBIG error, as ENOSPC
  // would be. `ulimit -f` counts 512-byte blocks in dash, 1 KiB in bash: 4 or 8 MiB.
  const limited = { command: "/bin/sh", args: ["-c", `trap "" XFSZ; ulimit -f 8192 && exec "$@"`, "sh", paddock.command, ...paddock.args] };
  const server = await launchServer({ kind: ServerKind.paddock, command: limited, cwd: REPO_ROOT, port: clientPort, dir: cfg.dir, removeDirOnStop: false, readyTimeoutMs: 60_000 });
  const acknowledged: string[] = [];
  let firstError: unknown = null;
  const client = createClient(server.connectString, { sessionTimeoutMs: 4_000 });
  try {
    await client.ready({ signal: AbortSignal.timeout(20_000) });
    await client.create("/t", null);
    const value = new Uint8Array(1024).fill(7);
    // Bounded: 12,000 KiB of values is past either limit.
    for (let round = 0; round < 375 && firstError === null; round += 1) {
      const paths = Array.from({ length: 32 }, (_, i) => `/t/n-${round * 32 + i}`);
      const results = await Promise.allSettled(paths.map((path) => client.create(path, value)));
      results.forEach((result, i) => {
        if (result.status === "fulfilled") acknowledged.push(paths[i]!);
        else firstError ??= result.reason;
      });
    }
    assert.ok(firstError !== null, `every one of ${acknowledged.length} writes succeeded past the file-size limit`);
    assert.ok(acknowledged.length > 100, `only ${acknowledged.length} writes before the failure`);
    // Bounded by the deadline: the server stops serving (it exits, as ZooKeeper halts).
    const deadline = Date.now() + 30_000;
    let serving = true;
    while (serving && Date.now() < deadline) {
      serving = await fourLetterWord({ host: server.host, port: server.port, word: "ruok", timeoutMs: 1_000 }).then((a) => a === "imok", () => false);
      if (serving) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(serving, false, "the server still answers after its log failed");
    assert.match(server.output(), /txn log append failed, the server stops: txn log write failed/);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- server output ---\n${server.output().slice(-4000)}`, { cause: error });
  } finally {
    await client.close().catch(() => {});
    await server.stop({ keepDir: true });
  }

  // Without the limit, on the same data: every acknowledged create is there.
  const again = await startPaddock({ clientPort: await freePort(), tickTimeMs: 200, dir: cfg.dir });
  const reader = createClient(again.connectString, { sessionTimeoutMs: 4_000 });
  try {
    await reader.ready({ signal: AbortSignal.timeout(20_000) });
    const { children } = await reader.getChildren("/t");
    const present = new Set(children.map((name) => `/t/${name}`));
    const lost = acknowledged.filter((path) => !present.has(path));
    assert.deepEqual(lost, [], `${lost.length} acknowledged creates lost`);
  } finally {
    await reader.close().catch(() => {});
    await again.stop();
  }
});
