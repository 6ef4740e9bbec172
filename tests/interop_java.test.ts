// The ZooKeeper Java client (Debian's zookeeper.jar) against Apache ZooKeeper and Paddock.
import { javaProbeSkipReason, runJavaProbe } from "./support/java_probe.ts";
import { defineOracleSuite } from "./support/oracle_suite.ts";

/** Key results the real ZooKeeper must show; the whole transcript is compared with Paddock's. */
const EXPECTED_LINES = [
  "connect S1 -> sessionTimeout=4000",
  "create /probe -> /probe",
  "exists /probe -> {czxid=z+0 mzxid=z+0 pzxid=z+0 ctime=T mtime=T version=0 cversion=0 aversion=0 ephemeralOwner=0 dataLength=4 numChildren=0}",
  "create /probe/p again -> ERR NODEEXISTS",
  "create /probe/missing/child -> ERR NONODE",
  "create child of ephemeral -> ERR NOCHILDRENFOREPHEMERALS",
  "create sequential 2 -> /probe/seq-0000000005",
  "create ephemeral sequential -> /probe/eseq-0000000006",
  "create bad path -> EXC IllegalArgumentException",
  "create CREATOR_ALL_ACL without auth -> ERR INVALIDACL",
  "setData /probe/p v0 again -> ERR BADVERSION",
  "getChildren /zookeeper -> [config, quota]",
  "getEphemerals -> [/probe/e, /probe/eseq-0000000006]",
  "sync /probe -> OK /probe",
  "event w NodeCreated /probe/w",
  "event w NodeDataChanged /probe/w",
  "event w NodeChildrenChanged /probe/w",
  "event w NodeDeleted /probe/w",
  "event d DataWatchRemoved /probe/p",
  "removeWatches none registered -> ERR NOWATCHER",
  "delete /probe/p not empty -> ERR NOTEMPTY",
  "delete /probe/empty bad version -> ERR BADVERSION",
  "delete / -> ERR BADARGUMENTS",
  "multi failing check -> ERR BADVERSION results=[error(OK), error(BADVERSION), error(RUNTIMEINCONSISTENCY)]",
  "exists /probe/m2 after failed multi -> null",
  "multi empty -> []",
  "getACL /probe/none -> ERR NONODE",
  "S2 setData /probe/acl without auth -> ERR NOAUTH",
  "getACL /probe/acl after setACL -> [world:anyone:1] {czxid=z+37 mzxid=z+40 pzxid=z+37 ctime=T mtime=T version=1 cversion=0 aversion=1 ephemeralOwner=0 dataLength=1 numChildren=0}",
  "S1 whoAmI -> [digest:bob, ip:127.0.0.1]",
  "event r NodeCreated /probe/rw/a/b",
  "event r PersistentWatchRemoved /probe/rw",
  "S2 removeWatches again -> ERR NOWATCHER",
  "event g NodeDeleted /probe/e2",
  "exists /probe/e2 after close -> null",
  "done",
];

defineOracleSuite({
  name: "java client",
  skipReason: javaProbeSkipReason(),
  serverOptions: { extra: { "zookeeper.extendedTypesEnabled": true } },
  probe: runJavaProbe,
  expectedLines: EXPECTED_LINES,
});
