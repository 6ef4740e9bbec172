import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.CreateOptions;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.admin.ZooKeeperAdmin;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;

/**
 * The divergences ZooKeeper 3.9.3 showed against Paddock, through the Java client: a multi with
 * container, TTL and create2 creates (its results as the client decodes them, ZOOKEEPER-4026),
 * one-shot watch removal on a path that also holds a persistent
 * watch (ZOOKEEPER-4472), reconfig in standalone mode, the config node's Stat, and the order of a
 * session's ephemerals (getEphemerals, and their deletion when the session closes).
 * Prints one normalized line per step. Usage: java Divergences host:port
 */
public final class Divergences extends ProbeBase {
  private static final List<ACL> OPEN = ZooDefs.Ids.OPEN_ACL_UNSAFE;

  private final String connectString;

  private Divergences(String connectString) {
    this.connectString = connectString;
  }

  public static void main(String[] args) throws Exception {
    int code = 0;
    try {
      new Divergences(args[0]).run();
    } catch (Throwable t) {
      System.out.println("FATAL " + t);
      t.printStackTrace();
      code = 1;
    }
    System.out.flush();
    System.exit(code);
  }

  private ZooKeeperAdmin connect() throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeperAdmin zk = new ZooKeeperAdmin(connectString, 10_000, (WatchedEvent e) -> {
      if (e.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
    });
    if (!connected.await(15, TimeUnit.SECONDS)) throw new IllegalStateException("no SyncConnected");
    return zk;
  }

  private void run() throws Exception {
    ZooKeeperAdmin zk = connect();
    step("create /div", () -> zk.create("/div", b(""), OPEN, CreateMode.PERSISTENT));
    multis(zk);
    watchRemoval(zk);
    reconfig(zk);
    ephemerals(zk);
    zk.close();
    System.out.println("done");
  }

  /** Every later result of the multi must survive a container or TTL create before it. */
  private void multis(ZooKeeper zk) throws Exception {
    step("multi container, ttl, create2, setData", () -> zk.multi(Arrays.asList(
        Op.create("/div/box", b("c"), OPEN, CreateMode.CONTAINER),
        Op.create("/div/ttl", b("t"), OPEN, CreateMode.PERSISTENT_WITH_TTL, 60_000),
        Op.create("/div/box/item", b("i"), OPEN, CreateMode.PERSISTENT),
        Op.setData("/div/box", b("c2"), 0),
        Op.check("/div/ttl", 0))));
    step("multi ttl sequential, delete", () -> zk.multi(Arrays.asList(
        Op.create("/div/tseq-", b(""), OPEN, CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, 60_000),
        Op.delete("/div/box/item", -1))));
    step("multi container then failing check", () -> zk.multi(Arrays.asList(
        Op.create("/div/box2", b(""), OPEN, CreateMode.CONTAINER),
        Op.check("/div/ttl", 7))));
    step("exists /div/box2 after failed multi", () -> zk.exists("/div/box2", false));
    step("multi create2 (CreateOptions), create", () -> zk.multi(Arrays.asList(
        Op.create("/div/c2", b("2"), CreateOptions.newBuilder(OPEN, CreateMode.PERSISTENT).build()),
        Op.create("/div/c1", b("1"), OPEN, CreateMode.PERSISTENT))));

    step("getData /div/box", () -> {
      Stat s = new Stat();
      return new String(zk.getData("/div/box", false, s), StandardCharsets.UTF_8) + " " + stat(s);
    });
  }

  /**
   * ZooKeeper 3.9 removes a one-shot Data (or Children) watch without touching a persistent
   * watch on the same path, and answers NOWATCHER when only the persistent one is there.
   */
  private void watchRemoval(ZooKeeper zk) throws Exception {
    Watcher p = watcher("p");
    Watcher d = watcher("d");
    step("create /div/w", () -> zk.create("/div/w", b(""), OPEN, CreateMode.PERSISTENT));
    step("addWatch persistent /div/w", () -> {
      zk.addWatch("/div/w", p, AddWatchMode.PERSISTENT);
      return "ok";
    });
    step("getData watch /div/w", () -> zk.getData("/div/w", d, null).length);
    step("removeWatches Data /div/w", () -> {
      zk.removeWatches("/div/w", d, Watcher.WatcherType.Data, false);
      return "ok";
    });
    expectEvents(1);
    step("create /div/w/kid", () -> zk.create("/div/w/kid", b(""), OPEN, CreateMode.PERSISTENT));
    expectEvents(1);
    step("setData /div/w", () -> zk.setData("/div/w", b("x"), -1).getVersion());
    expectEvents(1);
    step("removeAllWatches Data /div/w (only persistent left)", () -> {
      zk.removeAllWatches("/div/w", Watcher.WatcherType.Data, false);
      return "ok";
    });
    step("removeAllWatches Children /div/w (only persistent left)", () -> {
      zk.removeAllWatches("/div/w", Watcher.WatcherType.Children, false);
      return "ok";
    });
    step("delete /div/w/kid", () -> {
      zk.delete("/div/w/kid", -1);
      return "ok";
    });
    expectEvents(1);
    step("removeWatches Persistent /div/w", () -> {
      zk.removeWatches("/div/w", p, Watcher.WatcherType.Persistent, false);
      return "ok";
    });
    expectEvents(1);
    step("setData /div/w after removal", () -> zk.setData("/div/w", b("y"), -1).getVersion());
    expectEvents(0);
  }

  /** Standalone: RECONFIGDISABLED unless reconfigEnabled=true, then UNIMPLEMENTED; both at once. */
  private void reconfig(ZooKeeperAdmin zk) throws Exception {
    long startMs = System.currentTimeMillis();
    step("reconfig add server.9", () -> zk.reconfigure("server.9=127.0.0.1:2888:3888;2181", null, null, -1, new Stat()));
    step("reconfig answered within 5 s", () -> System.currentTimeMillis() - startMs < 5_000);
    step("getConfig", () -> {
      try {
        return new String(zk.getConfig(false, null), StandardCharsets.UTF_8).isEmpty() ? "empty" : "non-empty";
      } catch (KeeperException e) {
        return "ERR " + e.code().name();
      }
    });
    step("exists /div after reconfig", () -> zk.exists("/div", false) != null);
    step("getACL /zookeeper/config", () -> {
      Stat s = new Stat();
      String acl = zk.getACL("/zookeeper/config", s).toString().replaceAll("\\s+", "");
      return acl + " aversion=" + s.getAversion() + " version=" + s.getVersion();
    });
  }

  /**
   * ZooKeeper lists a session's ephemerals, and deletes them when it closes, in the order of a
   * clone of a Java HashSet: neither creation nor sorted order. Printed as they come.
   */
  private void ephemerals(ZooKeeper zk) throws Exception {
    ZooKeeperAdmin owner = connect();
    List<String> names = Arrays.asList("zeta", "alpha", "m1", "queue-7", "b", "lock-0000000003", "x", "worker-12", "aa", "q");
    step("create /div/eph", () -> zk.create("/div/eph", b(""), OPEN, CreateMode.PERSISTENT));
    for (String name : names) {
      owner.create("/div/eph/" + name, b(""), OPEN, CreateMode.EPHEMERAL);
    }
    owner.delete("/div/eph/m1", -1);
    owner.delete("/div/eph/b", -1);
    step("getEphemerals (as they come)", () -> owner.getEphemerals());
    step("getEphemerals /div/eph/q (as they come)", () -> owner.getEphemerals("/div/eph/q"));
    List<String> order = new ArrayList<>();
    CountDownLatch all = new CountDownLatch(names.size() - 2);
    for (String name : names) {
      zk.exists("/div/eph/" + name, (WatchedEvent e) -> {
        synchronized (order) {
          order.add(e.getType() + " " + e.getPath());
        }
        all.countDown();
      });
    }
    step("close the owner", () -> {
      owner.close();
      return all.await(EVENT_WAIT_MS, TimeUnit.MILLISECONDS);
    });
    synchronized (order) {
      System.out.println("deleted in order " + order);
    }
  }
}
