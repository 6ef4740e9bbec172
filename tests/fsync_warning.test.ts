// fsync.warningthresholdms, as ZooKeeper's FileTxnLog applies it: a group commit whose write and
// sync took longer than the threshold is logged at WARN and counted in the AdminServer's
// `server_stats.fsync_threshold_exceed_count`. A threshold of -1 makes every commit "slow" (the
// comparison is `took > threshold`, in whole milliseconds), so the count must equal the number of
// fsyncs `mntr` reports; a threshold of a minute counts none.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createClient } from "../mod.ts";
import { freePort } from "./support/ports.ts";
import { paddockAvailable, startPaddock, type ServerHandle } from "./support/servers.ts";

const skip: string | false = paddockAvailable() ? false : "no Paddock entry point";
const TIMEOUT_MS = 120_000;
const servers: ServerHandle[] = [];

after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
}, { timeout: TIMEOUT_MS });

/** A server with its AdminServer on, `writes` creates through a client, then its counters. */
async function commitsOf(extra: Record<string, number>, writes: number): Promise<{ exceeded: number; fsyncs: number; server: ServerHandle }> {
  const adminPort = await freePort();
  const server = await startPaddock({ extra: { ...extra, "admin.enableServer": true, "admin.serverPort": adminPort } });
  servers.push(server);
  const client = createClient(server.connectString, { sessionTimeoutMs: 10_000 });
  await client.ready();
  try {
    for (let i = 0; i < writes; i++) await client.create(`/n${i}`, "x");
  } finally {
    await client.close();
  }
  const admin = `http://127.0.0.1:${adminPort}/commands`;
  const stats = await (await fetch(`${admin}/server_stats`)).json() as { server_stats: { fsync_threshold_exceed_count: number } };
  const mntr = await (await fetch(`${admin}/monitor`)).json() as { cnt_fsynctime: number };
  return { exceeded: stats.server_stats.fsync_threshold_exceed_count, fsyncs: mntr.cnt_fsynctime, server };
}

test("fsync.warningthresholdms=-1: every group commit is counted and logged", { skip, timeout: TIMEOUT_MS }, async () => {
  const { exceeded, fsyncs, server } = await commitsOf({ "fsync.warningthresholdms": -1 }, 5);
  assert.ok(fsyncs >= 5, `five sequential creates need five commits at least, mntr says ${fsyncs}`);
  assert.equal(exceeded, fsyncs);
  const warnings = server.output().match(/WARN.*fsync-ing the write ahead log .* took \d+ms/g) ?? [];
  assert.ok(warnings.length >= Math.min(fsyncs, 5), `warnings logged:\n${server.output().slice(-2000)}`);
});

test("fsync.warningthresholdms=60000: no commit is counted", { skip, timeout: TIMEOUT_MS }, async () => {
  const { exceeded, fsyncs } = await commitsOf({ "fsync.warningthresholdms": 60_000 }, 3);
  assert.ok(fsyncs >= 3);
  assert.equal(exceeded, 0);
});
