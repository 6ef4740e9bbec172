// Debian's zkCli.sh (one session, commands on stdin) against Apache ZooKeeper and Paddock.
import { defineOracleSuite } from "./support/oracle_suite.ts";
import { zookeeperSkipReason } from "./support/servers.ts";
import { runZkCliProbe, zkCliSkipReason } from "./support/zkcli_probe.ts";

/** Key results the real ZooKeeper must show; the whole transcript is compared with Paddock's. */
const EXPECTED_LINES = [
  "> create /cli root", "Created /cli",
  "> create /cli root", "Node already exists: /cli",
  "> create -s /cli/seq- s", "Created /cli/seq-0000000002",
  "> create -s -e /cli/eseq- x", "Created /cli/eseq-0000000004",
  "> create -t 100000 /cli/ttl t", "Created /cli/ttl",
  "> create /cli/missing/child", "Node does not exist: /cli/missing/child",
  "> ls /cli", "[a, acl, box, eph, eseq-0000000004, seq-0000000001, seq-0000000002, ttl]",
  "> set -v 1 /cli/a v4", "version No is not valid : /cli/a",
  "> getAcl /cli/acl", "Insufficient permission : /cli/acl",
  "> getAcl /cli/acl", "'digest,'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=", ": cdrwa",
  "> set /cli/a not-writable", "Insufficient permission : /cli/a",
  "> whoami", "Auth scheme: User", "digest: alice", "ip: 127.0.0.1",
  "> getEphemerals", "[/cli/eph, /cli/eseq-0000000004]",
  "> getAllChildrenNumber /cli", "9",
  "> sync /cli", "Sync is OK",
  "> delete /cli/box", "Node not empty: /cli/box",
  "> listquota /cli", "Output stat for /cli count=7,bytes=12",
  "> ls /zookeeper", "[config, quota]",
  "> stat /cli", "cZxid = z+0", "ctime = T", "pZxid = z+26", "cversion = 10", "numChildren = 6",
];

defineOracleSuite({
  name: "zkCli.sh",
  skipReason: zookeeperSkipReason() || zkCliSkipReason(),
  serverOptions: { extra: { "zookeeper.extendedTypesEnabled": true } },
  probe: runZkCliProbe,
  expectedLines: EXPECTED_LINES,
});
