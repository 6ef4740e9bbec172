// node-zookeeper-client (npm, callback API) against Apache ZooKeeper and Paddock, run as a child
// process on the same runtime as the test.
import { nzcProbeSkipReason, runNzcProbe } from "./support/nzc_probe.ts";
import { defineOracleSuite } from "./support/oracle_suite.ts";
import { zookeeperSkipReason } from "./support/servers.ts";

/** Key results the real ZooKeeper must show; the whole transcript is compared with Paddock's. */
const EXPECTED_LINES = [
  "connect S1 -> SYNC_CONNECTED",
  "create /nzc -> \"/nzc\"",
  "create /nzc again -> ERR NODE_EXISTS",
  "create no parent -> ERR NO_NODE",
  "create ephemeral sequential -> \"/nzc/eseq-0000000003\"",
  "create child of ephemeral -> ERR NO_CHILDREN_FOR_EPHEMERALS",
  "mkdirp existing -> \"/nzc/m/k/dir\"",
  "setData v0 again -> ERR BAD_VERSION",
  "event exists NODE_CREATED /nzc/w",
  "event data NODE_DATA_CHANGED /nzc/w",
  "event children NODE_CHILDREN_CHANGED /nzc/w",
  "event data NODE_DELETED /nzc/w/k",
  "transaction failing -> ERR BAD_VERSION [{type=-1 err=OK}, {type=-1 err=BAD_VERSION}, {type=-1 err=RUNTIME_INCONSISTENCY}]",
  "exists /nzc/t3 -> null",
  "getACL /nzc/acl -> [digest:alice:x:31, world:anyone:1] {czxid=z+25 mzxid=z+25 pzxid=z+25 ctime=T mtime=T version=0 cversion=0 aversion=0 ephemeralOwner=0 dataLength=1 numChildren=0}",
  "S2 setData without auth -> ERR NO_AUTH",
  "S2 getACL with auth -> [digest:alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=:31, world:anyone:1] {czxid=z+25 mzxid=z+27 pzxid=z+25 ctime=T mtime=T version=1 cversion=0 aversion=0 ephemeralOwner=0 dataLength=1 numChildren=0}",
  "remove non-empty -> ERR NOT_EMPTY",
  "event gone NODE_DELETED /nzc/e2",
  "exists /nzc/e2 after close -> null",
  "done",
];

defineOracleSuite({
  name: "node-zookeeper-client",
  skipReason: zookeeperSkipReason() || nzcProbeSkipReason(),
  probe: runNzcProbe,
  expectedLines: EXPECTED_LINES,
});
