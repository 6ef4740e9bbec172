// `paddock shell` against zkCli of the oracle release (ZooKeeperMain 3.9.3): the same scripted session (every command, its
// errors and usage lines, watch events, exit codes) on a real ZooKeeper, compared line by line.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { paddockAvailable, type ServerHandle, startPaddock, startZooKeeper, zookeeperSkipReason } from "./support/servers.ts";
import { ShellKind, shellOneShot, shellSession } from "./support/shell_session.ts";
import { assertHasLines, assertSameTranscript } from "./support/transcript.ts";
import { zkCliSkipReason } from "./support/zkcli_probe.ts";

/** One stdin session; SERVER is replaced by the server's address (for `connect`). */
const SCRIPT = [
  "create /sh root", "create /sh root", "create /sh/a adata", "create -s /sh/seq- s", "create -e /sh/eph e",
  "create -s -e /sh/eseq- x", "create -c /sh/box", "create /sh/box/item", "create -t 100000 /sh/ttl t",
  "create -t abc /sh/bad", "create -c -e /sh/bad", "create -t 10 -e /sh/bad", "create -t 0 /sh/bad",
  "create /sh/missing/child", "create sh/bad", "create /sh/n", "get /sh/n", "create '/sh/q' \"two words\"", "get /sh/q",
  "create /sh/acl secret digest:alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=:cdrwa", "create /sh/ipacl d ip:1.2.3.4:r,world:anyone:cdrwa",
  "create /sh/rx d world:anyone:rxa", "create /sh/badacl d bad", "create /sh/authacl d auth::cdrwa", "create",
  "ls /sh", "ls -s /sh", "ls -R /sh", "ls -z /sh", "ls", "ls /sh x", "create /sh/w",
  "get /sh/a", "get -s /sh/a", "get /sh/none", "get -w /sh/a", "set /sh/a v2", "set -s -v 1 /sh/a v3",
  "set -v 1 /sh/a v4", "set /sh/a", "stat /sh/a", "stat -w /sh/a", "set /sh/a v5", "stat /sh/none",
  "get -b /sh/a", "get -x /sh/a", "set -b /sh/a AAECAwQFBgcICQoLDA0ODxAREhMUfn9/gP8gYWJj", "get -x /sh/a", "get -b -s /sh/a",
  "get -x /sh/n", "get -bx /sh/n", "set -b /sh/a", "get", "version", "config", "config -s", "config -c",
  "delete /sh/a/none", "delete /sh/box", "delete -v 7 /sh/a", "delete /sh/n 0", "delete", "deleteall /sh/box -b 1",
  "deleteall /sh/none", "deleteall",
  "getAcl /sh/acl", "getAcl /sh/ipacl", "getAcl -s /sh/rx", "setAcl /sh/acl world:anyone:r", "addauth digest alice:secret",
  "getAcl /sh/acl", "setAcl -s -v 0 /sh/rx world:anyone:cdrwa", "setAcl -v 5 /sh/rx world:anyone:cdrwa",
  "setAcl /sh/rx world:anyone", "create /sh/r", "create /sh/r/a", "create /sh/r/a/b", "setAcl -R /sh/r world:anyone:crwda",
  "getAcl /sh/r/a/b", "setAcl", "addauth", "whoami", "getEphemerals", "getEphemerals /sh/e",
  "getAllChildrenNumber /sh", "getAllChildrenNumber /sh/none", "getAllChildrenNumber", "sync /sh", "sync",
  "addWatch /sh/r", "create /sh/r/c", "addWatch -m persistent /sh/r/a", "set /sh/r/a x", "addWatch -m bogus /sh/r",
  "addWatch", "removewatches /sh/r", "removewatches /sh/r/a -d", "removewatches /sh/r/a", "removewatches /sh/none",
  "get -w /sh/r/a", "removewatches /sh/r/a -d", "ls -w /sh/r", "removewatches /sh/r -c", "removewatches",
  "setquota -n 5 /sh", "listquota /sh", "setquota -b 10 /sh/r", "setquota -N 3 -B 5 /sh", "setquota /sh",
  "setquota -n abc /sh", "setquota -n 0 /sh", "setquota -n 2 /zookeeper/quota/sh", "setquota -n 2 /sh/none",
  "setquota -B 1000 /sh", "listquota /sh", "delquota -n /sh", "listquota /sh", "delquota /sh", "listquota /sh",
  "delquota /sh", "listquota", "ls /zookeeper/quota",
  // printwatches stays off to the end: zkCli prints from its event thread, so turning it back on
  // right after the change races the event (a loaded machine printed it, an idle one did not).
  "printwatches off", "get -w /sh/r/a", "set /sh/r/a y", "printwatches",
  "history", "redo 0", "redo 0x2", "redo", "foo", "ls /zookeeper", "getAllChildrenNumber /sh", "stat /sh",
  "close", "ls /sh", "connect SERVER", "ls /sh/r", "whoami", "get /sh/none", "quit",
];

/** Results the real zkCli must show, in order; Paddock's whole transcript is then compared. */
const EXPECTED_LINES = [
  "> create /sh root", "Created /sh", "> create /sh root", "Node already exists: /sh",
  "> create -s -e /sh/eseq- x", "Created /sh/eseq-0000000003",
  "> create -t abc /sh/bad", "-t argument must be a long value",
  "> create -c -e /sh/bad", "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.",
  "> create -t 0 /sh/bad", "ttl must be positive and cannot be larger than: 1099511627775",
  "> create sh/bad", "Path must start with / character",
  "> get /sh/n", "null", "> get /sh/q", "two words",
  "> create /sh/rx d world:anyone:rxa", "Unknown perm type: x", "Created /sh/rx",
  "> create /sh/badacl d bad", "bad does not have the form scheme:id:perm", "KeeperErrorCode = InvalidACL", "Acl is not valid : null",
  "> create /sh/authacl d auth::cdrwa", "KeeperErrorCode = InvalidACL for /sh/authacl", "Acl is not valid : /sh/authacl",
  "> create", "create [-s] [-e] [-c] [-t ttl] path [data] [acl]",
  "> ls -z /sh", "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -z",
  "> ls /sh x", "'ls path [watch]' has been deprecated. Please use 'ls [-w] path' instead.",
  "> create /sh/w", "Created /sh/w",
  "> get -s /sh/a", "adata", "cZxid = z+2", "ctime = T", "dataLength = 5", "numChildren = 0",
  "> set /sh/a v2",
  "> set -v 1 /sh/a v4", "version No is not valid : /sh/a", "> set /sh/a",
  "> delete /sh/box", "Node not empty: /sh/box",
  "> delete /sh/n 0", "'delete path [version]' has been deprecated. Please use 'delete [-v version] path' instead.",
  "> getAcl /sh/acl", "Insufficient permission : /sh/acl",
  "> getAcl /sh/ipacl", "'ip,'1.2.3.4", ": r", "'world,'anyone", ": cdrwa",
  "> getAcl /sh/acl", "'digest,'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=", ": cdrwa",
  "> setAcl -v 5 /sh/rx world:anyone:cdrwa", "version No is not valid : /sh/rx",
  "> setAcl /sh/rx world:anyone", "world:anyone does not have the form scheme:id:perm", "Acl is not valid : null",
  "> getAcl /sh/r/a/b", "'world,'anyone", ": cdrwa", "> setAcl", "setAcl [-s] [-v version] [-R] path acl",
  "> whoami", "Auth scheme: User", "digest: alice", "ip: 127.0.0.1",
  "> sync /sh", "Sync is OK",
  "> create /sh/r/c", "Created /sh/r/c",
  "> set /sh/r/a x",
  "> removewatches /sh/r",
  "> removewatches /sh/r/a -d", "KeeperErrorCode = No such watcher for /sh/r/a",
  "> removewatches /sh/r/a -d",
  "> removewatches /sh/r -c",
  "> listquota /sh", "absolute path is /zookeeper/quota/sh/zookeeper_limits",
  "> setquota -b 10 /sh/r", "/sh/r has a parent /sh which has a quota",
  "> setquota -n 0 /sh", "the num quota must be greater than zero",
  "> setquota -n 2 /sh/none", "/sh/none does not exist.",
  "> delquota /sh", "> listquota /sh", "absolute path is /zookeeper/quota/sh/zookeeper_limits", "quota for /sh does not exist.",
  "> delquota /sh", "Quota does not exist for /sh",
  "> printwatches", "printwatches is off",
  "> redo 0", "Node already exists: /sh", "> redo 0x2", "Node already exists: /sh",
  "> foo", "ZooKeeper -server host:port -client-configuration properties-file cmd args",
  "\taddWatch [-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE",
  "Command not found: Command not found foo",
  "> close", "> ls /sh", "Not connected", "> ls /sh/r", "[a, c]",
  "exit code 1",
  "events:",
  "WatchedEvent state:SyncConnected type:NodeChildrenChanged path:/sh zxid: 18",
  "WatchedEvent state:SyncConnected type:NodeDataChanged path:/sh/a zxid: 19",
  "WatchedEvent state:SyncConnected type:NodeDataChanged path:/sh/a zxid: 22",
  "WatchedEvent state:SyncConnected type:NodeCreated path:/sh/r/c zxid: 39",
  "WatchedEvent state:SyncConnected type:NodeDataChanged path:/sh/r/a zxid: 40",
  "WatchedEvent state:SyncConnected type:PersistentWatchRemoved path:/sh/r zxid: -1",
  "WatchedEvent state:SyncConnected type:DataWatchRemoved path:/sh/r/a zxid: -1",
  "WatchedEvent state:SyncConnected type:ChildWatchRemoved path:/sh/r zxid: -1",
];

/** One command each as arguments: runs it and exits with its status. */
const ONE_SHOTS = [["get", "/sh/none"], ["foo"], ["ls", "/sh/r"]];
const EXPECTED_ONE_SHOTS = [
  "> get /sh/none", "Node does not exist: /sh/none", "exit code 1", "> foo", "exit code 127", "> ls /sh/r", "[a, c]", "exit code 0",
];

const TEST_TIMEOUT_MS = 240_000;
const skip = zookeeperSkipReason() || zkCliSkipReason();
const paddockSkip = skip || (paddockAvailable() ? false : "no Paddock entry point");

/** Runs the session then the one-shot commands with one shell kind, on a fresh ZooKeeper. */
async function transcript(kind: ShellKind, zk: ServerHandle): Promise<string[]> {
  const script = SCRIPT.map((c) => c.replace("SERVER", zk.connectString));
  const lines = await shellSession(kind, zk.connectString, script);
  for (const command of ONE_SHOTS) lines.push(...(await shellOneShot(kind, zk.connectString, command)));
  return lines.map((l) => l.replaceAll(zk.connectString, "SERVER"));
}

const servers: ServerHandle[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

let zkCliRun: Promise<string[]> | undefined;
const zkCliTranscript = () =>
  zkCliRun ??= (async () => {
    const zk = await startZooKeeper({ extra: { "zookeeper.extendedTypesEnabled": true } });
    servers.push(zk);
    return transcript(ShellKind.zkCli, zk);
  })();

test("shell: zkCli.sh's transcript shows the expected results", { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const lines = await zkCliTranscript();
  assertHasLines(lines, [...EXPECTED_LINES, ...EXPECTED_ONE_SHOTS], "zkCli");
});

test("shell: paddock shell's transcript equals zkCli.sh's, against the same kind of server", {
  skip: paddockSkip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const expected = await zkCliTranscript();
  const zk = await startZooKeeper({ extra: { "zookeeper.extendedTypesEnabled": true } });
  servers.push(zk);
  const actual = await transcript(ShellKind.paddock, zk);
  assertSameTranscript({ expected, actual, expectedLabel: "zkCli", actualLabel: "paddock shell" });
  assert.ok(actual.length > EXPECTED_LINES.length);
});

test("shell: paddock shell on a Paddock server prints what zkCli.sh prints on ZooKeeper", {
  skip: paddockSkip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const expected = await zkCliTranscript();
  const paddock = await startPaddock({ extra: { "zookeeper.extendedTypesEnabled": true } });
  servers.push(paddock);
  const actual = await transcript(ShellKind.paddock, paddock);
  assertSameTranscript({ expected, actual, expectedLabel: "zkCli on ZooKeeper", actualLabel: "paddock shell on Paddock" });
});
