// Real clients against a Paddock ensemble, each surviving the loss of a member: Curator given one
// member only (its EnsembleTracker reads /zookeeper/config and reaches the others), kazoo,
// node-zookeeper-client and the Paddock client given every member, and zkCli reading through the
// members left.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import zookeeper from "node-zookeeper-client";
import { createClient, KeeperError } from "../mod.ts";
import { ensembleMissing, MemberKind, startEnsemble } from "./support/ensemble.ts";
import { javaCommand, zookeeperClientJars } from "./support/java_tools.ts";
import { KazooDriver } from "./support/kazoo_driver.ts";
import { kazooProbeSkipReason } from "./support/kazoo_probe.ts";
import { nzcProbeSkipReason } from "./support/nzc_probe.ts";
import { CURATOR_JARS, curatorSkipReason } from "./support/recipe_processes.ts";
import { REPO_ROOT } from "./support/runtime.ts";
import { ShellKind, shellOneShot } from "./support/shell_session.ts";
import { zkCliSkipReason } from "./support/zkcli_probe.ts";

const skip = ensembleMissing([MemberKind.paddock]) || curatorSkipReason() || kazooProbeSkipReason() || nzcProbeSkipReason() || zkCliSkipReason() || false;

/** Lines a child prints, awaited one pattern at a time. */
function lineReader(stream: NodeJS.ReadableStream): (pattern: RegExp, timeoutMs?: number) => Promise<string> {
  const lines: string[] = [];
  let wake = () => {};
  createInterface({ input: stream }).on("line", (line) => {
    lines.push(line);
    wake();
  });
  return async (pattern, timeoutMs = 90_000) => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = lines.find((l) => pattern.test(l));
      if (found !== undefined) return found;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no line matching ${pattern} in ${timeoutMs} ms; got:\n${lines.join("\n")}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
}

/** Retries `op` while the client is between members, up to 60 s. */
async function untilServed<T>(what: string, op: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    try {
      return await op();
    } catch (error) {
      if (performance.now() > deadline) throw new Error(`${what}: ${String(error)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function nzcCall<T>(call: (done: (error: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((error, value) => (error ? reject(error) : resolve(value as T))));
}

test("real clients against a 3-member Paddock ensemble: Curator finds every member from one, and every client outlives the member it used", { skip, timeout: 300_000 }, async () => {
  await using ensemble = await startEnsemble({ participants: [MemberKind.paddock, MemberKind.paddock, MemberKind.paddock], proxies: false });
  const all = ensemble.connectString();

  const curatorCommand = await javaCommand({
    source: join(REPO_ROOT, "tests", "interop", "java", "EnsembleTracking.java"),
    classpath: [...zookeeperClientJars(), ...CURATOR_JARS],
  }, [ensemble.connectString([1]), "3", "/curator"]);
  const curator = spawn(curatorCommand.command, curatorCommand.args, { stdio: ["pipe", "pipe", "inherit"] });
  const curatorLine = lineReader(curator.stdout!);
  const kazoo = new KazooDriver();
  const paddock = createClient(all, { sessionTimeoutMs: 20_000 });
  const nzc = zookeeper.createClient(all, { sessionTimeout: 20_000, retries: 0 });
  try {
    // Curator, given member 1 only, learns the others from /zookeeper/config.
    const tracked = await curatorLine(/^tracked /);
    for (const member of ensemble.members) assert.match(tracked, new RegExp(`:${member.ports.clientPort}\\b`), tracked);
    await curatorLine(/^created$/);

    assert.equal(await kazoo.ask(`connect ${all}`), "CONNECTED");
    assert.equal(await kazoo.ask("create /kazoo before"), "ok");
    await paddock.ready({ signal: AbortSignal.timeout(30_000) });
    await paddock.create("/paddock", "before");
    nzc.connect();
    await nzcCall<string>((done) => nzc.create("/nzc", Buffer.from("before"), done));

    // The member Curator was given goes; so does whatever any other client sat on.
    await ensemble.kill(1);
    await ensemble.waitForQuorum();
    curator.stdin!.write("go\n");
    assert.equal(await curatorLine(/^written /), "written 1", "Curator wrote through a member it only knew from the tracker");
    assert.equal(await kazoo.ask("wait CONNECTED 60"), "CONNECTED");
    assert.equal(await untilServed("kazoo set", async () => {
      const answer = await kazoo.ask("set /kazoo after");
      if (answer !== "ok") throw new Error(answer);
      return answer;
    }), "ok");
    await untilServed("paddock setData", () => paddock.setData("/paddock", "after"));
    await untilServed("nzc setData", () => nzcCall((done) => nzc.setData("/nzc", Buffer.from("after"), -1, done)));

    // zkCli reads each change through the members left (a one-shot zkCli runs its command at
    // once: -waitforconnection makes it wait for a session first).
    for (const path of ["/curator", "/kazoo", "/paddock", "/nzc"]) {
      const lines = await shellOneShot(ShellKind.zkCli, ensemble.connectString([2, 3]), ["-waitforconnection", "get", path]);
      assert.ok(lines.includes("after"), `zkCli get ${path}: ${lines.join(" | ")}`);
    }
    // And the killed member, back, serves them too.
    await ensemble.restart(1);
    await ensemble.waitForQuorum();
    await using onFirst = createClient(ensemble.connectString([1]), { sessionTimeoutMs: 10_000 });
    await onFirst.ready({ wait: true, signal: AbortSignal.timeout(60_000) });
    await onFirst.sync("/");
    for (const path of ["/curator", "/kazoo", "/paddock", "/nzc"]) {
      const { data } = await onFirst.getData(path);
      assert.equal(new TextDecoder().decode(data!), "after", path);
    }
  } finally {
    curator.kill();
    kazoo.close();
    nzc.close();
    await paddock.close().catch((error: unknown) => assert.ok(error instanceof KeeperError));
  }
});
