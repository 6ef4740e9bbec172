// readonlymode.enabled: an ensemble member cut off from its quorum serves read-only clients from
// its last state, as ZooKeeper 3.9.3's ReadOnlyZooKeeperServer does; the same scenario runs on a
// ZooKeeper ensemble (the oracle) and a Paddock one, driven by kazoo (a real client that asks for
// read-only servers and pings `isro` to find a read-write one again). A session created on a
// read-only server is local to it, so the client gets a new one from the read-write ensemble.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createClient, ErrorCode, type KeeperError } from "../mod.ts";
import { type Ensemble, ensembleMissing, MemberKind, ServingMode, startEnsemble, TEST_JVM_FLAGS } from "./support/ensemble.ts";
import { fourLetterWord } from "./support/four_letter.ts";
import { freePort } from "./support/ports.ts";
import type { CfgValue } from "./support/zoo_cfg.ts";
import { kazooProbeSkipReason } from "./support/kazoo_probe.ts";
import { KazooDriver } from "./support/kazoo_driver.ts";

const TIMEOUT_MS = 240_000;
const kazooSkip = kazooProbeSkipReason() || false;
const ensembles: Ensemble[] = [];

after(async () => {
  for (const ensemble of ensembles) await ensemble.stop();
});

async function modeOf(ensemble: Ensemble, id: number): Promise<string> {
  const answer = await fourLetterWord({ host: "127.0.0.1", port: ensemble.member(id).ports.clientPort, word: "srvr", timeoutMs: 2_000 }).catch(() => "");
  return /^Mode: (.+)$/m.exec(answer)?.[1] ?? answer.trim();
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitForMode(ensemble: Ensemble, id: number, mode: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = "";
  while (performance.now() < deadline) {
    last = await modeOf(ensemble, id);
    if (last === mode) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`member ${id} never reported Mode: ${mode} (last: ${last})`);
}

for (const kind of [MemberKind.zookeeper, MemberKind.paddock]) {
  const skip = kazooSkip || ensembleMissing([kind]) || false;
  test(`${kind}: a member without a quorum serves read-only clients, refuses their writes, and hands them back to read-write`, { skip, timeout: TIMEOUT_MS }, async () => {
    // Paddock's member 1 also has its AdminServer on (the ensemble harness turns ZooKeeper's off).
    const adminPort = await freePort();
    const ensemble = await startEnsemble({
      participants: [kind, kind, kind],
      proxies: false,
      ...(kind === MemberKind.paddock ? { memberExtra: (id: number): Record<string, CfgValue> => (id === 1 ? { "admin.enableServer": true, "admin.serverPort": adminPort } : {}) } : {}),
      // ZooKeeper 3.9.3 creates sessions on a read-only server only as local sessions: without
      // localSessionsEnabled it answers the handshake with NOTREADONLY and the client hangs.
      // Paddock's read-only sessions are always local to it (the key is ignored there).
      extra: { "readonlymode.enabled": true, localSessionsEnabled: true },
      zookeeperJvmFlags: [...TEST_JVM_FLAGS, "-Dreadonlymode.enabled=true"],
    });
    ensembles.push(ensemble);
    {
      await using writer = createClient(ensemble.connectString(), { sessionTimeoutMs: 10_000 });
      await writer.ready();
      await writer.create("/ro", "before");
      await writer.sync("/ro");
    }
    await Promise.all([ensemble.kill(2), ensemble.kill(3)]);
    await waitForMode(ensemble, 1, "read-only");
    assert.equal((await fourLetterWord({ host: "127.0.0.1", port: ensemble.member(1).ports.clientPort, word: "isro" })).trim(), "ro");
    if (kind === MemberKind.paddock) {
      const admin = `http://127.0.0.1:${adminPort}/commands`;
      assert.equal((await (await fetch(`${admin}/is_read_only`)).json()).read_only, true, "admin is_read_only");
      assert.equal((await (await fetch(`${admin}/server_stats`)).json()).read_only, true, "admin server_stats.read_only");
    }

    const kazoo = new KazooDriver();
    // Paddock's client with canBeReadOnly, given every member (two of them down): it settles on
    // the read-only one, then finds a read-write one by itself.
    const paddockClient = createClient(ensemble.connectString(), { canBeReadOnly: true, sessionTimeoutMs: 10_000 });
    const states: string[] = [];
    paddockClient.on("state", (state) => states.push(state));
    try {
      assert.equal(await kazoo.ask(`connect ${ensemble.connectString([1])}`), "CONNECTED_RO");
      assert.equal(await kazoo.ask("get /ro"), "before", "reads are served from the last state");
      assert.equal(await kazoo.ask("set /ro after"), "ERR NotReadOnlyCallError");
      assert.equal(await kazoo.ask("create /ro2 x"), "ERR NotReadOnlyCallError");

      await paddockClient.ready({ signal: AbortSignal.timeout(60_000) });
      assert.equal(paddockClient.readOnly, true);
      assert.deepEqual(states, ["connectedReadOnly"]);
      const readOnlySession = paddockClient.sessionId;
      // Connection-state events reach data watchers too (as in the Java client): wait for the change.
      let onChange: (type: string) => void = () => {};
      const changed = new Promise<string>((resolve) => (onChange = resolve));
      const { data } = await paddockClient.getData("/ro", { watch: (event) => event.type !== "None" && onChange(event.type) });
      assert.equal(new TextDecoder().decode(data!), "before");
      // One request at a time here: ZooKeeper's read-only server answers a change (NOTREADONLY)
      // ahead of a read still in its pipeline, which any client takes for a broken connection.
      await assert.rejects(paddockClient.setData("/ro", "no"), (e: KeeperError) => e.code === ErrorCode.NOTREADONLY);

      await ensemble.restart(2);
      await ensemble.restart(3);
      await ensemble.waitForQuorum();
      assert.notEqual(await modeOf(ensemble, 1), "read-only");
      assert.equal(await kazoo.ask("wait CONNECTED 90"), "CONNECTED", "the client found a read-write server again");
      assert.equal(await kazoo.ask("set /ro after"), "ok");
      assert.equal(await kazoo.ask("get /ro"), "after");
      assert.equal(await kazoo.ask("quit"), "bye");

      // The watch set on the read-only server went along to the read-write one.
      assert.equal(await changed, "NodeDataChanged");
      await waitUntil(() => paddockClient.state === "connected" && !paddockClient.readOnly, "the Paddock client on a read-write server");
      assert.notEqual(paddockClient.sessionId, readOnlySession, "a read-write server gives a session of its own");
      await paddockClient.create("/ro-paddock", "x");
      assert.ok(states.includes("connected"), states.join(","));
    } finally {
      kazoo.close();
      await paddockClient.close();
    }
    await ensemble.stop();
  });
}
