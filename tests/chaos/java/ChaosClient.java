import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * The chaos harness's hands on the ZooKeeper Java client: many sessions in one JVM, driven line by
 * line over stdin, every call through the client's asynchronous API so a slow answer never blocks
 * another session. The harness decides what to do and times every call; this only executes.
 *
 * Requests:  id open S connectString timeoutMs | id close S | id create S path b64 MODE
 *            | id get S path | id set S path b64 version | id delete S path version
 *            | id children S path | id exists S path watch(0|1) | id sync S path
 *            | id barrier S path   (multi with one check of version -1: a quorum write changing nothing)
 * Answers:   id ok ... | id err CODE            (CODE: KeeperException.Code name)
 * Events:    ! S state KeeperState | ! S watch EventType path
 * Data travels as base64 ("-" for null). lastZxid is the session's reply-header zxid after the answer.
 */
public final class ChaosClient {
  private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);
  private static final Map<String, Session> SESSIONS = new ConcurrentHashMap<>();

  /** Exposes the reply-header zxid the client tracks, which ZooKeeper keeps in ClientCnxn. */
  static final class Session extends ZooKeeper {
    Session(String connectString, int timeoutMs, Watcher watcher) throws java.io.IOException {
      super(connectString, timeoutMs, watcher);
    }

    long lastZxid() {
      return cnxn.getLastZxid();
    }
  }

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      String[] f = line.split(" ");
      try {
        dispatch(f);
      } catch (Exception e) {
        send(f[0] + " err BADARGUMENTS " + e.getClass().getSimpleName());
      }
    }
    for (Session s : SESSIONS.values()) s.close(1_000);
  }

  private static void send(String line) {
    synchronized (OUT) {
      OUT.println(line);
    }
  }

  private static void dispatch(String[] f) throws Exception {
    String id = f[0];
    String op = f[1];
    String name = f[2];
    if (op.equals("open")) {
      open(id, name, f[3], Integer.parseInt(f[4]));
      return;
    }
    Session zk = SESSIONS.get(name);
    if (zk == null) {
      send(id + " err SESSIONEXPIRED");
      return;
    }
    switch (op) {
      case "close":
        SESSIONS.remove(name);
        new Thread(() -> {
          try {
            zk.close(2_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          send(id + " ok");
        }).start();
        break;
      case "create":
        zk.create(f[3], decode(f[4]), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.valueOf(f[5]),
            (AsyncCallback.Create2Callback) (rc, path, ctx, created, stat) -> answer(id, rc, zk, rc == 0 ? created : ""), null);
        break;
      case "get":
        zk.getData(f[3], false, (rc, path, ctx, data, stat) ->
            answer(id, rc, zk, rc == 0 ? encode(data) + " " + stat.getVersion() + " " + stat.getMzxid() : ""), null);
        break;
      case "set":
        zk.setData(f[3], decode(f[4]), Integer.parseInt(f[5]), (rc, path, ctx, stat) ->
            answer(id, rc, zk, rc == 0 ? stat.getVersion() + " " + stat.getMzxid() : ""), null);
        break;
      case "delete":
        zk.delete(f[3], Integer.parseInt(f[4]), (rc, path, ctx) -> answer(id, rc, zk, ""), null);
        break;
      case "children":
        zk.getChildren(f[3], false, (AsyncCallback.ChildrenCallback) (rc, path, ctx, children) ->
            answer(id, rc, zk, rc == 0 ? String.join(" ", children) : ""), null);
        break;
      case "exists":
        Watcher watcher = f[4].equals("1") ? event -> send("! " + name + " watch " + event.getType() + " " + event.getPath()) : null;
        zk.exists(f[3], watcher, (rc, path, ctx, stat) ->
            answer(id, rc == KeeperException.Code.NONODE.intValue() ? 0 : rc, zk, stat == null ? "0" : "1"), null);
        break;
      case "sync":
        zk.sync(f[3], (rc, path, ctx) -> answer(id, rc, zk, ""), null);
        break;
      case "barrier":
        zk.multi(List.of(Op.check(f[3], -1)), (rc, path, ctx, results) -> answer(id, rc, zk, ""), null);
        break;
      default:
        send(id + " err BADARGUMENTS unknown-op-" + op);
    }
  }

  /** Opens a session and answers once it is connected (or has failed for good). */
  private static void open(String id, String name, String connectString, int timeoutMs) throws Exception {
    final boolean[] answered = {false};
    Watcher watcher = (WatchedEvent event) -> {
      if (event.getType() != Watcher.Event.EventType.None) return;
      Watcher.Event.KeeperState state = event.getState();
      Session zk = SESSIONS.get(name);
      synchronized (answered) {
        if (!answered[0] && state == Watcher.Event.KeeperState.SyncConnected && zk != null) {
          answered[0] = true;
          send(id + " ok " + Long.toHexString(zk.getSessionId()));
          return;
        }
        if (!answered[0] && (state == Watcher.Event.KeeperState.Expired || state == Watcher.Event.KeeperState.AuthFailed)) {
          answered[0] = true;
          send(id + " err SESSIONEXPIRED");
          return;
        }
      }
      send("! " + name + " state " + state);
    };
    synchronized (answered) {
      SESSIONS.put(name, new Session(connectString, timeoutMs, watcher));
    }
  }

  private static void answer(String id, int rc, Session zk, String rest) {
    if (rc != 0) {
      send(id + " err " + KeeperException.Code.get(rc).name());
      return;
    }
    send(id + " ok " + zk.lastZxid() + (rest.isEmpty() ? "" : " " + rest));
  }

  private static byte[] decode(String b64) {
    return b64.equals("-") ? null : Base64.getDecoder().decode(b64);
  }

  private static String encode(byte[] data) {
    return data == null ? "-" : Base64.getEncoder().encodeToString(data);
  }

  private ChaosClient() {}
}
