// Regression tests, through the ZooKeeper Java client and kazoo, for the divergences ZooKeeper 3.9.3 showed:
// multi results of container/TTL creates, one-shot watch removal beside a persistent watch
// (ZOOKEEPER-4472) and reconfig in standalone mode, with reconfig disabled and enabled.
import { join } from "node:path";
import { PROBE_BASE } from "./support/java_probe.ts";
import { javaClientSkipReason, javaCommand, zookeeperClientJars } from "./support/java_tools.ts";
import { kazooProbeSkipReason, runKazooScript } from "./support/kazoo_probe.ts";
import { defineOracleSuite } from "./support/oracle_suite.ts";
import { REPO_ROOT } from "./support/runtime.ts";
import { assertExitedCleanly, runProcess } from "./support/run_process.ts";

const SOURCE = join(REPO_ROOT, "tests", "interop", "java", "Divergences.java");

async function runDivergences(connectString: string): Promise<string[]> {
  const { command, args } = await javaCommand({ source: SOURCE, with: [PROBE_BASE], classpath: zookeeperClientJars() }, [connectString]);
  const r = await runProcess({ command, args, timeoutMs: 120_000 });
  assertExitedCleanly(`java Divergences ${connectString}`, r);
  return r.stdout.split("\n").filter((line) => line !== "");
}

/** What ZooKeeper 3.9.3 answers; the line for reconfig depends on the server's reconfigEnabled. */
const COMMON_LINES = [
  // A create with a Stat is a create2 result (the Java client's CreateResult(path, stat)); without, a create.
  "multi container, ttl, create2, setData -> [create(/div/box {czxid=z+0 mzxid=z+0 pzxid=z+0 ctime=T mtime=T version=0 cversion=0 " +
  "aversion=0 ephemeralOwner=0 dataLength=1 numChildren=0}), create(/div/ttl {czxid=z+0 mzxid=z+0 pzxid=z+0 ctime=T mtime=T " +
  "version=0 cversion=0 aversion=0 ephemeralOwner=0 dataLength=1 numChildren=0}), create(/div/box/item), setData({czxid=z+0 " +
  "mzxid=z+0 pzxid=z+0 ctime=T mtime=T version=1 cversion=1 aversion=0 ephemeralOwner=0 dataLength=2 numChildren=1}), check]",
  "multi ttl sequential, delete -> [create(/div/tseq-0000000002 {czxid=z+1 mzxid=z+1 pzxid=z+1 ctime=T mtime=T version=0 " +
  "cversion=0 aversion=0 ephemeralOwner=0 dataLength=0 numChildren=0}), delete]",
  "multi container then failing check -> ERR BADVERSION results=[error(OK), error(BADVERSION)]",
  "exists /div/box2 after failed multi -> null",
  "multi create2 (CreateOptions), create -> [create(/div/c2 {czxid=z+3 mzxid=z+3 pzxid=z+3 ctime=T mtime=T version=0 cversion=0 " +
  "aversion=0 ephemeralOwner=0 dataLength=1 numChildren=0}), create(/div/c1)]",
  "removeWatches Data /div/w -> ok",
  "event d DataWatchRemoved /div/w",
  "event p NodeChildrenChanged /div/w",
  "event p NodeDataChanged /div/w",
  "removeAllWatches Data /div/w (only persistent left) -> ERR NOWATCHER",
  "removeAllWatches Children /div/w (only persistent left) -> ERR NOWATCHER",
  "event p NodeChildrenChanged /div/w",
  "event p PersistentWatchRemoved /div/w",
  "reconfig answered within 5 s -> true",
  "exists /div after reconfig -> true",
  "getACL /zookeeper/config -> [1,s{'world,'anyone}] aversion=-1 version=0",
  "getEphemerals (as they come) -> [/div/eph/x, /div/eph/worker-12, /div/eph/zeta, /div/eph/queue-7, /div/eph/q, /div/eph/lock-0000000003, /div/eph/alpha, /div/eph/aa]",
  "deleted in order [NodeDeleted /div/eph/x, NodeDeleted /div/eph/worker-12, NodeDeleted /div/eph/zeta, NodeDeleted /div/eph/queue-7, " +
  "NodeDeleted /div/eph/q, NodeDeleted /div/eph/lock-0000000003, NodeDeleted /div/eph/alpha, NodeDeleted /div/eph/aa]",
  "done",
];

/** The expected lines with the reconfig answer in its place. */
function withReconfig(line: string): string[] {
  const at = COMMON_LINES.findIndex((l) => l.startsWith("reconfig answered"));
  return [...COMMON_LINES.slice(0, at), line, ...COMMON_LINES.slice(at)];
}

defineOracleSuite({
  name: "java client, 3.9.3 divergences (reconfigEnabled=false)",
  skipReason: javaClientSkipReason(),
  serverOptions: { extra: { "zookeeper.extendedTypesEnabled": true } },
  probe: runDivergences,
  expectedLines: withReconfig("reconfig add server.9 -> ERR RECONFIGDISABLED"),
});

defineOracleSuite({
  name: "java client, 3.9.3 divergences (reconfigEnabled=true)",
  skipReason: javaClientSkipReason(),
  serverOptions: { extra: { "zookeeper.extendedTypesEnabled": true, reconfigEnabled: true } },
  probe: runDivergences,
  expectedLines: withReconfig("reconfig add server.9 -> ERR UNIMPLEMENTED"),
});

/** kazoo's reconfig against a standalone server with reconfig enabled: UnimplementedError, at once. */
const KAZOO_RECONFIG = `
import sys, time
from kazoo.client import KazooClient
k = KazooClient(hosts=sys.argv[1]); k.start(20)
started = time.time()
try:
    k.reconfig(joining="server.9=127.0.0.1:2888:3888;2181", leaving=None, new_members=None)
    print("reconfig -> ok")
except Exception as e:
    print("reconfig -> %s" % type(e).__name__)
print("answered within 5 s -> %s" % (time.time() - started < 5))
k.stop(); k.close()
`;

defineOracleSuite({
  name: "kazoo reconfig (reconfigEnabled=true)",
  skipReason: kazooProbeSkipReason(),
  serverOptions: { extra: { reconfigEnabled: true } },
  probe: (connectString) => runKazooScript(["-c", KAZOO_RECONFIG, connectString], 60_000),
  expectedLines: ["reconfig -> UnimplementedError", "answered within 5 s -> True"],
});
