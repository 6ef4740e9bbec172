import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

/**
 * Drives the ZooKeeper Java client through a fixed scenario and prints one normalized line per
 * step, so the transcript from Apache ZooKeeper and from Paddock can be compared line by line.
 * Zxids print relative to the first one seen ("z+3"), session ids as S1/S2, times as T once they
 * are checked to be plausible. Usage: java Probe host:port
 */
public final class Probe extends ProbeBase {
  private final String connectString;

  private Probe(String connectString) {
    this.connectString = connectString;
  }

  public static void main(String[] args) throws Exception {
    int code = 0;
    try {
      new Probe(args[0]).run();
    } catch (Throwable t) {
      System.out.println("FATAL " + t);
      t.printStackTrace();
      code = 1;
    }
    System.out.flush();
    System.exit(code); // client threads are not daemons
  }

  private ZooKeeper connect(String sessionName) throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(connectString, 10_000, (WatchedEvent e) -> {
      if (e.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
    });
    if (!connected.await(15, TimeUnit.SECONDS)) throw new IllegalStateException("no SyncConnected for " + sessionName);
    sessionNames.put(zk.getSessionId(), sessionName);
    System.out.println("connect " + sessionName + " -> sessionTimeout=" + zk.getSessionTimeout());
    return zk;
  }

  // ---- the scenario ---------------------------------------------------------------------

  private void run() throws Exception {
    ZooKeeper zk = connect("S1");
    ZooKeeper other = connect("S2");
    creates(zk);
    reads(zk);
    watches(zk);
    deletes(zk);
    multis(zk);
    acls(zk, other);
    persistentWatches(zk, other);
    misc(zk, other);
    sessionClose(zk, other);
    zk.close();
    System.out.println("done");
  }

  private void creates(ZooKeeper zk) throws Exception {
    List<ACL> open = ZooDefs.Ids.OPEN_ACL_UNSAFE;
    step("create /probe", () -> zk.create("/probe", b("root"), open, CreateMode.PERSISTENT));
    step("exists /probe", () -> zk.exists("/probe", false));
    step("create2 /probe/p", () -> {
      Stat s = new Stat();
      return zk.create("/probe/p", b("data"), open, CreateMode.PERSISTENT, s) + " " + stat(s);
    });
    step("create /probe/p again", () -> zk.create("/probe/p", b("x"), open, CreateMode.PERSISTENT));
    step("create /probe/missing/child", () -> zk.create("/probe/missing/child", b(""), open, CreateMode.PERSISTENT));
    step("create empty data /probe/empty", () -> zk.create("/probe/empty", new byte[0], open, CreateMode.PERSISTENT));
    step("create null data /probe/nulldata", () -> zk.create("/probe/nulldata", null, open, CreateMode.PERSISTENT));
    step("getData /probe/nulldata", () -> zk.getData("/probe/nulldata", false, null));
    step("create2 ephemeral /probe/e", () -> {
      Stat s = new Stat();
      return zk.create("/probe/e", b("eph"), open, CreateMode.EPHEMERAL, s) + " " + stat(s);
    });
    step("create child of ephemeral", () -> zk.create("/probe/e/c", b(""), open, CreateMode.PERSISTENT));
    step("create sequential 1", () -> zk.create("/probe/seq-", b("1"), open, CreateMode.PERSISTENT_SEQUENTIAL));
    step("create sequential 2", () -> zk.create("/probe/seq-", b("2"), open, CreateMode.PERSISTENT_SEQUENTIAL));
    step("create ephemeral sequential", () -> zk.create("/probe/eseq-", b(""), open, CreateMode.EPHEMERAL_SEQUENTIAL));
    step("create sequential under /probe/p", () -> zk.create("/probe/p/s", b(""), open, CreateMode.PERSISTENT_SEQUENTIAL));
    step("create2 container /probe/c", () -> {
      Stat s = new Stat();
      return zk.create("/probe/c", b("box"), open, CreateMode.CONTAINER, s) + " " + stat(s);
    });
    step("create in container", () -> zk.create("/probe/c/x", b(""), open, CreateMode.PERSISTENT));
    step("create2 ttl /probe/ttl", () -> {
      Stat s = new Stat();
      return zk.create("/probe/ttl", b("t"), open, CreateMode.PERSISTENT_WITH_TTL, s, 100_000) + " " + stat(s);
    });
    step("create2 ttl sequential", () -> {
      Stat s = new Stat();
      return zk.create("/probe/ttlseq-", b("t"), open, CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, s, 100_000) + " " + stat(s);
    });
    step("create ttl with ttl 0", () -> zk.create("/probe/ttl0", b("t"), open, CreateMode.PERSISTENT_WITH_TTL, new Stat(), 0));
    step("create bad path", () -> zk.create("probe/relative", b(""), open, CreateMode.PERSISTENT));
    step("create bad path trailing slash", () -> zk.create("/probe/", b(""), open, CreateMode.PERSISTENT));
    step("create empty ACL", () -> zk.create("/probe/noacl", b(""), new ArrayList<ACL>(), CreateMode.PERSISTENT));
    step("create CREATOR_ALL_ACL without auth", () -> zk.create("/probe/creator", b(""), ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));
  }

  private void reads(ZooKeeper zk) throws Exception {
    step("getData /probe/p", () -> {
      Stat s = new Stat();
      return show(zk.getData("/probe/p", false, s)) + " " + stat(s);
    });
    step("getData /probe/none", () -> zk.getData("/probe/none", false, null));
    step("setData /probe/p v0", () -> zk.setData("/probe/p", b("data1"), 0));
    step("setData /probe/p v0 again", () -> zk.setData("/probe/p", b("data2"), 0));
    step("setData /probe/p any", () -> zk.setData("/probe/p", b("data2"), -1));
    step("setData /probe/none", () -> zk.setData("/probe/none", b(""), -1));
    step("getChildren /probe", () -> sorted(zk.getChildren("/probe", false)));
    step("getChildren2 /probe/p", () -> {
      Stat s = new Stat();
      return sorted(zk.getChildren("/probe/p", false, s)) + " " + stat(s);
    });
    step("getChildren /probe/none", () -> zk.getChildren("/probe/none", false));
    step("getChildren /zookeeper", () -> sorted(zk.getChildren("/zookeeper", false)));
    step("exists /probe/none", () -> zk.exists("/probe/none", false));
    step("getAllChildrenNumber /probe", () -> zk.getAllChildrenNumber("/probe"));
    step("getAllChildrenNumber /probe/none", () -> zk.getAllChildrenNumber("/probe/none"));
    step("getEphemerals", () -> sorted(zk.getEphemerals()));
    step("getEphemerals /probe/e", () -> sorted(zk.getEphemerals("/probe/e")));
    step("sync /probe", () -> sync(zk, "/probe"));
    step("sync /probe/none", () -> sync(zk, "/probe/none"));
  }

  private void watches(ZooKeeper zk) throws Exception {
    Watcher w = watcher("w");
    step("exists watch /probe/w", () -> zk.exists("/probe/w", w));
    step("create /probe/w", () -> zk.create("/probe/w", b("a"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
    expectEvents(1);
    step("exists watch /probe/w", () -> zk.exists("/probe/w", w));
    step("getData watch /probe/w", () -> zk.getData("/probe/w", w, null));
    step("setData /probe/w", () -> zk.setData("/probe/w", b("b"), -1));
    expectEvents(1); // the same watcher object registered twice for one path fires once
    step("getData watch /probe/w", () -> zk.getData("/probe/w", w, null));
    step("getChildren watch /probe/w", () -> zk.getChildren("/probe/w", w));
    step("create /probe/w/k1", () -> zk.create("/probe/w/k1", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
    expectEvents(1);
    step("getChildren2 watch /probe/w", () -> {
      Stat s = new Stat();
      return sorted(zk.getChildren("/probe/w", w, s)) + " " + stat(s);
    });
    step("delete /probe/w/k1", () -> {
      zk.delete("/probe/w/k1", -1);
      return "ok";
    });
    expectEvents(1);
    step("delete /probe/w", () -> {
      zk.delete("/probe/w", -1);
      return "ok";
    });
    expectEvents(1);
    Watcher d = watcher("d");
    step("getData watch d /probe/p", () -> zk.getData("/probe/p", d, null));
    step("removeWatches data d /probe/p", () -> {
      zk.removeWatches("/probe/p", d, Watcher.WatcherType.Data, false);
      return "ok";
    });
    expectEvents(1);
    step("setData /probe/p after removeWatches", () -> zk.setData("/probe/p", b("quiet"), -1));
    expectEvents(0);
    step("removeWatches none registered", () -> {
      zk.removeWatches("/probe/p", d, Watcher.WatcherType.Any, false);
      return "ok";
    });
  }

  private void deletes(ZooKeeper zk) throws Exception {
    step("delete /probe/p not empty", () -> {
      zk.delete("/probe/p", -1);
      return "ok";
    });
    step("delete /probe/none", () -> {
      zk.delete("/probe/none", -1);
      return "ok";
    });
    step("delete /probe/empty bad version", () -> {
      zk.delete("/probe/empty", 5);
      return "ok";
    });
    step("delete /probe/empty v0", () -> {
      zk.delete("/probe/empty", 0);
      return "ok";
    });
    step("delete /", () -> {
      zk.delete("/", -1);
      return "ok";
    });
    step("delete /zookeeper", () -> {
      zk.delete("/zookeeper", -1);
      return "ok";
    });
    step("exists /probe after deletes", () -> zk.exists("/probe", false));
  }

  private void multis(ZooKeeper zk) throws Exception {
    List<ACL> open = ZooDefs.Ids.OPEN_ACL_UNSAFE;
    step("multi ok", () -> zk.multi(Arrays.asList(
        Op.create("/probe/m1", b("m"), open, CreateMode.PERSISTENT),
        Op.create("/probe/m1/s-", b(""), open, CreateMode.PERSISTENT_SEQUENTIAL),
        Op.setData("/probe/m1", b("m2"), 0),
        Op.check("/probe/m1", 1),
        Op.create("/probe/mdel", b(""), open, CreateMode.PERSISTENT),
        Op.delete("/probe/mdel", 0))));
    step("multi failing check", () -> zk.multi(Arrays.asList(
        Op.create("/probe/m2", b(""), open, CreateMode.PERSISTENT),
        Op.check("/probe/m1", 99),
        Op.setData("/probe/m1", b("never"), -1))));
    step("exists /probe/m2 after failed multi", () -> zk.exists("/probe/m2", false));
    step("multi failing create", () -> zk.multi(Arrays.asList(
        Op.setData("/probe/m1", b("never"), -1),
        Op.create("/probe/m1", b(""), open, CreateMode.PERSISTENT))));
    step("multi delete missing", () -> zk.multi(Arrays.asList(Op.delete("/probe/none", -1))));
    step("multi empty", () -> zk.multi(new ArrayList<Op>()));
    step("multiRead", () -> zk.multi(Arrays.asList(
        Op.getData("/probe/m1"),
        Op.getChildren("/probe/m1"),
        Op.getData("/probe/none"),
        Op.getChildren("/probe/none"))));
    step("getData /probe/m1 after multis", () -> {
      Stat s = new Stat();
      return show(zk.getData("/probe/m1", false, s)) + " " + stat(s);
    });
  }

  private void acls(ZooKeeper zk, ZooKeeper other) throws Exception {
    String digest = DigestAuthenticationProvider.generateDigest("alice:secret");
    List<ACL> aliceAll = Arrays.asList(
        new ACL(ZooDefs.Perms.ALL, new Id("digest", digest)),
        new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
    step("create /probe/acl digest", () -> zk.create("/probe/acl", b("secret"), aliceAll, CreateMode.PERSISTENT));
    step("getACL /probe/acl", () -> {
      Stat s = new Stat();
      return show(zk.getACL("/probe/acl", s)) + " " + stat(s);
    });
    step("getACL /probe/none", () -> zk.getACL("/probe/none", new Stat()));
    step("S2 getData /probe/acl (world read)", () -> other.getData("/probe/acl", false, null));
    step("S2 setData /probe/acl without auth", () -> other.setData("/probe/acl", b("x"), -1));
    step("S2 create child without auth", () -> other.create("/probe/acl/c", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
    step("S2 addAuthInfo alice", () -> {
      other.addAuthInfo("digest", b("alice:secret"));
      return sync(other, "/probe"); // the auth packet gets no reply; a round trip orders it
    });
    step("S2 setData /probe/acl with auth", () -> other.setData("/probe/acl", b("x"), -1));
    step("S2 setACL /probe/acl bad version", () -> other.setACL("/probe/acl", ZooDefs.Ids.READ_ACL_UNSAFE, 7));
    step("S2 setACL /probe/acl read-only", () -> other.setACL("/probe/acl", ZooDefs.Ids.READ_ACL_UNSAFE, 0));
    step("getACL /probe/acl after setACL", () -> {
      Stat s = new Stat();
      return show(zk.getACL("/probe/acl", s)) + " " + stat(s);
    });
    step("S2 setData /probe/acl read-only", () -> other.setData("/probe/acl", b("y"), -1));
    step("S2 create CREATOR_ALL_ACL with auth", () -> other.create("/probe/creator", b(""), ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));
    step("getACL /probe/creator", () -> zk.getACL("/probe/creator", new Stat()));
    step("S1 getData /probe/creator (no read)", () -> zk.getData("/probe/creator", false, null));
    // exists() on a node the caller may not read: ZooKeeper 3.8.0 answers the Stat, releases
    // with ZOOKEEPER-2590 (3.8.4, 3.9.2) and Paddock answer NOAUTH; docs/compatibility.md.
    step("S1 addAuthInfo bob", () -> {
      zk.addAuthInfo("digest", b("bob:pw"));
      return sync(zk, "/probe");
    });
    step("S1 getData /probe/creator as bob", () -> zk.getData("/probe/creator", false, null));
    step("S1 whoAmI", () -> zk.whoAmI());
    step("S2 whoAmI", () -> other.whoAmI());
    step("S2 delete /probe/creator", () -> {
      other.delete("/probe/creator", -1);
      return "ok";
    });
  }

  /**
   * S1 holds a recursive watch and S2 a plain persistent one on the same path. (One session
   * holding both on one path keeps only the last mode on the server: a real quirk, but it
   * would test less.)
   */
  private void persistentWatches(ZooKeeper zk, ZooKeeper other) throws Exception {
    List<ACL> open = ZooDefs.Ids.OPEN_ACL_UNSAFE;
    Watcher r = watcher("r");
    Watcher p = watcher("p");
    step("addWatch recursive /probe/rw", () -> {
      zk.addWatch("/probe/rw", r, AddWatchMode.PERSISTENT_RECURSIVE);
      return "ok";
    });
    step("S2 addWatch persistent /probe/rw", () -> {
      other.addWatch("/probe/rw", p, AddWatchMode.PERSISTENT);
      return "ok";
    });
    step("create /probe/rw", () -> zk.create("/probe/rw", b(""), open, CreateMode.PERSISTENT));
    expectEvents(2);
    step("create /probe/rw/a", () -> zk.create("/probe/rw/a", b(""), open, CreateMode.PERSISTENT));
    expectEvents(2); // recursive: NodeCreated of the child; persistent: NodeChildrenChanged
    step("create /probe/rw/a/b", () -> zk.create("/probe/rw/a/b", b(""), open, CreateMode.PERSISTENT));
    expectEvents(1);
    step("setData /probe/rw/a/b", () -> zk.setData("/probe/rw/a/b", b("x"), -1));
    expectEvents(1);
    step("setData /probe/rw", () -> zk.setData("/probe/rw", b("x"), -1));
    expectEvents(2);
    step("delete /probe/rw/a/b", () -> {
      zk.delete("/probe/rw/a/b", -1);
      return "ok";
    });
    expectEvents(1);
    step("removeWatches recursive /probe/rw", () -> {
      zk.removeWatches("/probe/rw", r, Watcher.WatcherType.Any, false);
      return "ok";
    });
    expectEvents(1);
    step("setData /probe/rw/a after remove", () -> zk.setData("/probe/rw/a", b("y"), -1));
    expectEvents(0);
    step("delete /probe/rw/a", () -> {
      zk.delete("/probe/rw/a", -1);
      return "ok";
    });
    expectEvents(1);
    step("S2 removeWatches persistent /probe/rw", () -> {
      other.removeWatches("/probe/rw", p, Watcher.WatcherType.Any, false);
      return "ok";
    });
    expectEvents(1);
    step("S2 removeWatches again", () -> {
      other.removeWatches("/probe/rw", p, Watcher.WatcherType.Any, false);
      return "ok";
    });
  }

  private void misc(ZooKeeper zk, ZooKeeper other) throws Exception {
    step("exists /probe/c", () -> zk.exists("/probe/c", false));
    step("exists /probe/ttl", () -> zk.exists("/probe/ttl", false));
    step("getChildren /probe final", () -> sorted(zk.getChildren("/probe", false)));
    step("getAllChildrenNumber /", () -> zk.getAllChildrenNumber("/"));
    step("getData /zookeeper/quota", () -> zk.getData("/zookeeper/quota", false, null));
    step("S2 getEphemerals", () -> sorted(other.getEphemerals()));
  }

  private void sessionClose(ZooKeeper zk, ZooKeeper other) throws Exception {
    Watcher g = watcher("g");
    step("S2 create ephemeral /probe/e2", () -> other.create("/probe/e2", b(""), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL));
    step("exists watch /probe/e2", () -> zk.exists("/probe/e2", g));
    step("getChildren watch /probe", () -> sorted(zk.getChildren("/probe", g)));
    step("S2 close", () -> {
      other.close();
      return "ok";
    });
    expectEvents(2);
    step("exists /probe/e2 after close", () -> zk.exists("/probe/e2", false));
    step("getEphemerals after close", () -> sorted(zk.getEphemerals()));
    step("exists /probe", () -> zk.exists("/probe", false));
  }
}
