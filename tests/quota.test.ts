// Quotas: zkCli's setquota/listquota/delquota against Apache ZooKeeper and Paddock (both with
// zookeeper.enforceQuota=true), plus the tree-level upkeep of the stats nodes.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { decodeSnapshot, encodeSnapshot } from "../core/server/snapshot_codec.ts";
import { SessionTracker } from "../core/session/session_tracker.ts";
import { DataTree, OPEN_ACL } from "../core/tree/data_tree.ts";
import { formatStatsTrack, parseStatsTrack, quotaLimitPath, quotaStatPath } from "../core/tree/quota.ts";
import { runProcess } from "./support/run_process.ts";
import { paddockAvailable, type ServerHandle, startPaddock, startZooKeeper, zookeeperSkipReason } from "./support/servers.ts";
import { assertHasLines, assertSameTranscript } from "./support/transcript.ts";
import { zkCliCommand, zkCliSkipReason } from "./support/zkcli_probe.ts";

/** One zkCli session; a missing-node read after each command marks where its output ends. */
const SCRIPT = [
  "create /q",
  "create /q/a 12345",
  "setquota -n 3 /q",
  "setquota -b 10 /q/a",
  "listquota /q",
  "get /zookeeper/quota/q/zookeeper_limits",
  "get /zookeeper/quota/q/zookeeper_stats",
  "stat /zookeeper/quota/q/zookeeper_stats",
  "create /q/b hello",
  "create /q/c",
  "listquota /q",
  "setquota -N 5 -B 100 /q",
  "setquota -N 4 /q",
  "listquota /q",
  "create /q/d",
  "create /q/e",
  "delete /q/b",
  "listquota /q",
  "delquota -n /q",
  "listquota /q",
  "delquota /q",
  "listquota /q",
  "create /q/e",
  "setquota -B 12 /q",
  "listquota /q",
  "set /q/a 1234567",
  "set /q/a 1234567890123",
  "create /q/f 123456",
  "listquota /q",
  "delquota -B /q",
  "ls /zookeeper/quota/q",
  "delquota /q",
  "ls /zookeeper/quota",
  "listquota /nope",
  "setquota -n 2 /nope",
  "delquota /nope",
];

/** What the real ZooKeeper must print; Paddock's transcript is then compared line by line. */
const EXPECTED_LINES = [
  "> setquota -b 10 /q/a", "/q/a has a parent /q which has a quota",
  "> listquota /q", "absolute path is /zookeeper/quota/q/zookeeper_limits",
  "Output quota for /q count=3,bytes=-1=;byteHardLimit=-1;countHardLimit=-1", "Output stat for /q count=2,bytes=5",
  "> get /zookeeper/quota/q/zookeeper_stats", "count=2,bytes=5",
  "> stat /zookeeper/quota/q/zookeeper_stats", "dataVersion = 0",
  "> listquota /q", "Output stat for /q count=4,bytes=10",
  "> setquota -N 4 /q", "Output quota for /q count=3,bytes=-1=;byteHardLimit=-1;countHardLimit=4",
  "> create /q/d", "Quota has exceeded : /q/d",
  "> delete /q/b", "> listquota /q", "Output stat for /q count=3,bytes=5",
  "> delquota /q", "> listquota /q", "absolute path is /zookeeper/quota/q/zookeeper_limits", "quota for /q does not exist.",
  "> create /q/e", "Created /q/e",
  "> set /q/a 1234567", "> set /q/a 1234567890123", "Quota has exceeded : /q/a",
  "> create /q/f 123456", "Quota has exceeded : /q/f",
  "> listquota /q", "Output quota for /q count=-1,bytes=-1=;byteHardLimit=12;countHardLimit=-1",
  "Output stat for /q count=4,bytes=7",
  "> ls /zookeeper/quota", "[]",
  "> setquota -n 2 /nope", "/nope does not exist.",
  "> delquota /nope", "Quota does not exist for /nope",
];

const MARKER_PATH = "/__quota_probe_step__";
const MARKER_OUTPUT = `Node does not exist: ${MARKER_PATH}`;
const NOISE = [/^SLF4J: /, /^Connecting to /, /^Welcome to ZooKeeper!/, /^JLine support/, /^WATCHER::/, /^WatchedEvent /, /^log4j:/, /^\s*$/,
  /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d.*\b(TRACE|DEBUG|INFO|WARN|ERROR)\b/];
const SERVER_OPTIONS = { extra: { "zookeeper.enforceQuota": true } };
const TEST_TIMEOUT_MS = 180_000;

async function zkCliTranscript(connectString: string): Promise<string[]> {
  const input = SCRIPT.map((c) => `${c}\nstat ${MARKER_PATH}\n`).join("") + "quit\n";
  const zkCli = zkCliCommand(["-server", connectString, "-waitforconnection", "-timeout", "10000"]);
  const r = await runProcess({
    command: "/bin/sh",
    args: ["-c", 'exec "$0" "$@" 2>&1', zkCli.command, ...zkCli.args],
    env: zkCli.env,
    input,
    timeoutMs: 120_000,
  });
  assert.equal(r.timedOut, false, `zkCli timed out:\n${r.stdout}`);
  const transcript: string[] = [];
  let pending: string[] = [];
  let index = 0;
  for (const line of r.stdout.split("\n")) {
    if (NOISE.some((re) => re.test(line))) continue;
    if (line !== MARKER_OUTPUT) {
      // Creation times differ between runs; the stats node's zxids must still match each other.
      pending.push(line.replace(/^(ctime|mtime) = .*$/, "$1 = T"));
      continue;
    }
    transcript.push(`> ${SCRIPT[index++] ?? "<extra>"}`, ...pending);
    pending = [];
  }
  assert.equal(index, SCRIPT.length, `only ${index} of ${SCRIPT.length} zkCli commands completed:\n${r.stdout}`);
  return transcript;
}

let zookeeper: ServerHandle | undefined;
let oracle: Promise<string[]> | undefined;
const zookeeperTranscript = (): Promise<string[]> =>
  oracle ??= (async () => {
    zookeeper = await startZooKeeper(SERVER_OPTIONS);
    return zkCliTranscript(zookeeper.connectString);
  })();
after(async () => {
  await zookeeper?.stop();
});

const zookeeperSkip = zookeeperSkipReason() || zkCliSkipReason();

test("quota: ZooKeeper's zkCli transcript shows setquota/listquota/delquota and QUOTAEXCEEDED", {
  skip: zookeeperSkip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  assertHasLines(await zookeeperTranscript(), EXPECTED_LINES, "zookeeper");
});

test("quota: Paddock's zkCli transcript equals ZooKeeper's", {
  skip: zookeeperSkip || (paddockAvailable() ? false : "no Paddock entry point"),
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const expected = await zookeeperTranscript();
  const paddock = await startPaddock(SERVER_OPTIONS);
  try {
    const actual = await zkCliTranscript(paddock.connectString);
    assertSameTranscript({ expected, actual, expectedLabel: "zookeeper", actualLabel: "paddock" });
  } finally {
    await paddock.stop();
  }
});

test("StatsTrack text: count and bytes first, other keys sorted after '='", () => {
  assert.equal(formatStatsTrack(new Map([["count", 2], ["bytes", 5]])), "count=2,bytes=5");
  const limits = parseStatsTrack("count=3,bytes=-1=;byteHardLimit=-1;countHardLimit=4");
  assert.deepEqual([...limits], [["count", 3], ["bytes", -1], ["byteHardLimit", -1], ["countHardLimit", 4]]);
  assert.equal(formatStatsTrack(limits), "count=3,bytes=-1=;byteHardLimit=-1;countHardLimit=4");
  assert.equal(formatStatsTrack(parseStatsTrack("")), "count=-1,bytes=-1");
});

/** A tree with /app holding two nodes (3 + 4 bytes) and a quota on /app, as zkCli makes it. */
function treeWithQuota(): DataTree {
  const tree = new DataTree();
  let zxid = 1n;
  const create = (path: string, data: string) =>
    tree.createNode(path, { data: new TextEncoder().encode(data), acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: 1, zxid: zxid++, time: 0n });
  create("/app", "abc");
  create("/app/x", "defg");
  create("/zookeeper/quota/app", "");
  create(quotaLimitPath("/app"), "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3");
  create(quotaStatPath("/app"), "count=0,bytes=0");
  return tree;
}

function statsOf(tree: DataTree, path: string): string {
  return new TextDecoder().decode(tree.getNode(quotaStatPath(path))!.data);
}

test("quota stats node follows creates, setData and deletes without a version change", () => {
  const tree = treeWithQuota();
  assert.equal(statsOf(tree, "/app"), "count=2,bytes=7", "recounted when the stats node is created");
  tree.createNode("/app/y", { data: new Uint8Array(10), acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: 2, zxid: 10n, time: 0n });
  tree.setData("/app/x", new Uint8Array(1), 1, 11n, 0n);
  tree.createNode("/other", { data: new Uint8Array(50), acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: 2, zxid: 12n, time: 0n });
  assert.equal(statsOf(tree, "/app"), "count=3,bytes=14");
  tree.deleteNode("/app/y", 13n);
  assert.equal(statsOf(tree, "/app"), "count=2,bytes=4");
  assert.equal(tree.getNode(quotaStatPath("/app"))!.version, 0);
  assert.deepEqual(tree.quotas.check("/app/z", 1, 0), [], "third node is within countHardLimit=3");
  tree.createNode("/app/z", { data: new Uint8Array(0), acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: 3, zxid: 14n, time: 0n });
  assert.deepEqual(tree.quotas.check("/app/x/deep", 1, 0).map((e) => [e.quotaPath, e.hard, e.message]), [
    ["/app", true, "Quota exceeded: /app [current count=4, hardCountLimit=3]"],
  ]);
  assert.deepEqual(tree.quotas.check("/other/n", 1, 0), [], "no quota outside /app");
});

test("quota index survives a snapshot; deleting the limits node ends the quota", () => {
  const tree = treeWithQuota();
  const restored = new DataTree();
  decodeSnapshot(encodeSnapshot(tree, new SessionTracker({ tickMs: 200, serverId: 0, nowMs: 0 })), restored,
    new SessionTracker({ tickMs: 200, serverId: 0, nowMs: 0 }), 0);
  assert.equal(restored.quotas.quotaPathOf("/app/x"), "/app");
  restored.createNode("/app/n", { data: new Uint8Array(2), acl: OPEN_ACL, ephemeralOwner: 0n, parentCVersion: 3, zxid: 20n, time: 0n });
  assert.equal(statsOf(restored, "/app"), "count=3,bytes=9");
  const sizeBefore = restored.approximateDataSize;
  restored.rebuildQuotas();
  assert.equal(statsOf(restored, "/app"), "count=3,bytes=9");
  assert.equal(restored.approximateDataSize, sizeBefore);
  restored.deleteNode(quotaLimitPath("/app"), 21n);
  assert.equal(restored.quotas.quotaPathOf("/app/x"), null);
});
