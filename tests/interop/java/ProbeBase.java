import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Stat;

/**
 * What the Java-client probes share: run a step and print its normalized result, print Stats,
 * ACLs, multi results and watch events the same way. Zxids print relative to the first one seen
 * ("z+3"), session ids by the names given in sessionNames, times as T once checked plausible.
 */
abstract class ProbeBase {
  /** A step that may throw; its result is printed. */
  interface Step {
    Object run() throws Exception;
  }

  protected static final long EVENT_WAIT_MS = 5_000;
  protected static final long QUIET_WAIT_MS = 400;
  protected static final long TIME_SLACK_MS = 10 * 60_000;

  protected final Map<Long, String> sessionNames = new HashMap<>();
  protected final LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
  private long zxidBase = -1;

  // ---- output helpers -------------------------------------------------------------------

  protected void step(String label, Step s) {
    String result;
    try {
      result = show(s.run());
    } catch (KeeperException e) {
      result = "ERR " + e.code().name() + multiErrors(e);
    } catch (IllegalArgumentException e) {
      result = "EXC IllegalArgumentException";
    } catch (Exception e) {
      result = "EXC " + e.getClass().getSimpleName();
    }
    System.out.println(label + " -> " + result);
  }

  private String multiErrors(KeeperException e) {
    List<OpResult> results = e.getResults();
    return results == null ? "" : " results=" + show(results);
  }

  protected String show(Object o) {
    if (o == null) return "null";
    if (o instanceof Stat) return stat((Stat) o);
    if (o instanceof byte[]) return "'" + new String((byte[]) o, StandardCharsets.UTF_8) + "'";
    if (o instanceof OpResult) return opResult((OpResult) o);
    if (o instanceof ACL) return acl((ACL) o);
    if (o instanceof ClientInfo) return ((ClientInfo) o).getAuthScheme() + ":" + ((ClientInfo) o).getUser();
    if (o instanceof List) {
      List<String> parts = new ArrayList<>();
      for (Object item : (List<?>) o) parts.add(show(item));
      return "[" + String.join(", ", parts) + "]";
    }
    if (o instanceof Object[]) return show(Arrays.asList((Object[]) o));
    return String.valueOf(o);
  }

  protected String zxid(long z) {
    if (z == 0) return "0";
    if (zxidBase < 0) zxidBase = z;
    long d = z - zxidBase;
    return d >= 0 ? "z+" + d : "z" + d;
  }

  protected String time(long t) {
    if (t == 0) return "0";
    long now = System.currentTimeMillis();
    return Math.abs(now - t) <= TIME_SLACK_MS ? "T" : "T!implausible";
  }

  protected String owner(long owner) {
    if (owner == 0) return "0";
    String name = sessionNames.get(owner);
    return name != null ? name : String.format("0x%x", owner); // TTL nodes encode their TTL here
  }

  protected String stat(Stat s) {
    return "{czxid=" + zxid(s.getCzxid()) + " mzxid=" + zxid(s.getMzxid()) + " pzxid=" + zxid(s.getPzxid())
        + " ctime=" + time(s.getCtime()) + " mtime=" + time(s.getMtime()) + " version=" + s.getVersion()
        + " cversion=" + s.getCversion() + " aversion=" + s.getAversion()
        + " ephemeralOwner=" + owner(s.getEphemeralOwner()) + " dataLength=" + s.getDataLength()
        + " numChildren=" + s.getNumChildren() + "}";
  }

  protected String acl(ACL a) {
    return a.getId().getScheme() + ":" + a.getId().getId() + ":" + a.getPerms();
  }

  protected String opResult(OpResult r) {
    if (r instanceof OpResult.CreateResult) {
      OpResult.CreateResult c = (OpResult.CreateResult) r;
      return "create(" + c.getPath() + (c.getStat() == null ? "" : " " + stat(c.getStat())) + ")";
    }
    if (r instanceof OpResult.SetDataResult) return "setData(" + stat(((OpResult.SetDataResult) r).getStat()) + ")";
    if (r instanceof OpResult.DeleteResult) return "delete";
    if (r instanceof OpResult.CheckResult) return "check";
    if (r instanceof OpResult.GetDataResult) {
      OpResult.GetDataResult g = (OpResult.GetDataResult) r;
      return "getData(" + show(g.getData()) + " " + stat(g.getStat()) + ")";
    }
    if (r instanceof OpResult.GetChildrenResult) return "getChildren(" + sorted(((OpResult.GetChildrenResult) r).getChildren()) + ")";
    if (r instanceof OpResult.ErrorResult) return "error(" + KeeperException.Code.get(((OpResult.ErrorResult) r).getErr()).name() + ")";
    return r.getClass().getSimpleName();
  }

  /** ZooKeeper returns children in hash order; clients must not rely on it, so compare sorted. */
  protected static List<String> sorted(List<String> names) {
    List<String> copy = new ArrayList<>(names);
    Collections.sort(copy);
    return copy;
  }

  protected static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // ---- watches --------------------------------------------------------------------------

  /** A watcher that queues its events under a name; the main thread prints them at fixed points. */
  protected Watcher watcher(String name) {
    return (WatchedEvent e) -> {
      if (e.getType() != Watcher.Event.EventType.None) events.add(name + " " + e.getType() + " " + e.getPath());
    };
  }

  /**
   * Prints the next `count` events, sorted: one notification reaching several watchers is
   * dispatched in the client's hash-set order, which differs between runs.
   */
  protected void expectEvents(int count) throws InterruptedException {
    List<String> batch = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String e = events.poll(EVENT_WAIT_MS, TimeUnit.MILLISECONDS);
      batch.add(e == null ? "none (timed out)" : e);
    }
    Collections.sort(batch);
    for (String e : batch) System.out.println("event " + e);
    String extra = events.poll(QUIET_WAIT_MS, TimeUnit.MILLISECONDS);
    while (extra != null) {
      System.out.println("event (unexpected) " + extra);
      extra = events.poll(QUIET_WAIT_MS, TimeUnit.MILLISECONDS);
    }
  }

  /** The 3.8 client only has the asynchronous sync; wait for its callback and return the code and path. */
  protected static String sync(ZooKeeper zk, String path) throws InterruptedException {
    LinkedBlockingQueue<String> done = new LinkedBlockingQueue<>();
    zk.sync(path, (rc, p, ctx) -> done.add(KeeperException.Code.get(rc).name() + " " + p), null);
    String result = done.poll(EVENT_WAIT_MS, TimeUnit.MILLISECONDS);
    return result == null ? "no callback (timed out)" : result;
  }
}
