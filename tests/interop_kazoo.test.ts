// kazoo (Debian's python3-kazoo) against Apache ZooKeeper and Paddock: its API and recipes.
import { kazooProbeSkipReason, runKazooProbe } from "./support/kazoo_probe.ts";
import { defineOracleSuite } from "./support/oracle_suite.ts";
import { zookeeperSkipReason } from "./support/servers.ts";

/** Key results the real ZooKeeper must show; the whole transcript is compared with Paddock's. */
const EXPECTED_LINES = [
  "connect S1 -> connected=True",
  "ensure_path /kz/a/b -> '/kz/a/b'",
  "create /kz/x again -> ERR NodeExistsError",
  "create no parent -> ERR NoNodeError",
  "create makepath -> '/kz/deep/er/node'",
  "create sequence again -> '/kz/seq-0000000004'",
  "create child of ephemeral -> ERR NoChildrenForEphemeralsError",
  "set /kz/x v0 again -> ERR BadVersionError",
  "sync /kz -> '/kz'",
  "event data None None None",
  "event data None None DELETED",
  "event children ['a', 'b'] CHILD",
  "event exists CREATED /kz/ow",
  "event kids CHILD /kz/ow",
  "transaction failing -> [ERR RolledBackError, ERR BadVersionError, ERR RuntimeInconsistency]",
  "exists /kz/t3 after failed transaction -> None",
  "S2 lock acquire non-blocking -> False",
  "contenders while S2 waits -> ['holder-1', 'holder-2']",
  "S2 got the lock -> True",
  "contenders after handover -> ['holder-2']",
  "S2 set without auth -> ERR NoAuthError",
  "S2 set with auth -> {czxid=z+39 mzxid=z+41 pzxid=z+39 ctime=T mtime=T version=1 cversion=0 aversion=0 ephemeralOwner=0 dataLength=1 numChildren=0}",
  "S1 get_acls after set_acls -> ERR NoAuthError",
  "delete non-empty -> ERR NotEmptyError",
  "exists /kz/deep -> None",
  "counter - 2 -> 3",
  "S1 sees it -> {czxid=z+54 mzxid=z+54 pzxid=z+54 ctime=T mtime=T version=0 cversion=0 aversion=0 ephemeralOwner=S2 dataLength=0 numChildren=0}",
  "S1 exists after S2 stop -> None",
  "S3 add_auth unknown scheme -> ERR AuthFailedError",
  "done",
];

defineOracleSuite({
  name: "kazoo",
  skipReason: zookeeperSkipReason() || kazooProbeSkipReason(),
  probe: runKazooProbe,
  expectedLines: EXPECTED_LINES,
});
