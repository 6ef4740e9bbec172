// Curator's own recipes as a participant in Paddock's recipe tests (and the bench):
//   mutex <connect> <lockPath> <counterPath> <markerDir> <iterations>
//   latch <connect> <path> <id> <sessionTimeoutMs>     (runs until stdin closes or it is killed)
//   bench <connect> <lockPath> <rounds>                (prints "latency_us <n>" per acquire+release)
// Lines on stdout; "OVERLAP ..." when a holder finds another holder's marker.
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;

public class CuratorRecipes {
  static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  static CuratorFramework connect(String connect, int sessionTimeoutMs) throws Exception {
    CuratorFramework client = CuratorFrameworkFactory.builder()
        .connectString(connect)
        .sessionTimeoutMs(sessionTimeoutMs)
        .connectionTimeoutMs(Math.min(15000, sessionTimeoutMs))
        .retryPolicy(new ExponentialBackoffRetry(100, 5))
        .build();
    client.start();
    if (!client.blockUntilConnected(20, java.util.concurrent.TimeUnit.SECONDS)) throw new IllegalStateException("not connected");
    return client;
  }

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    if (mode.equals("mutex")) mutex(args);
    else if (mode.equals("latch")) latch(args);
    else if (mode.equals("bench")) bench(args);
    else throw new IllegalArgumentException(mode);
    System.exit(0);
  }

  static void mutex(String[] args) throws Exception {
    CuratorFramework client = connect(args[1], 10000);
    String lockPath = args[2], counterPath = args[3], markerDir = args[4];
    int iterations = Integer.parseInt(args[5]);
    String tag = "java-" + UUID.randomUUID().toString().substring(0, 8);
    client.createContainers(markerDir);
    InterProcessMutex mutex = new InterProcessMutex(client, lockPath);
    for (int i = 0; i < iterations; i++) {
      mutex.acquire();
      try {
        client.create().withMode(CreateMode.EPHEMERAL).forPath(markerDir + "/holder-" + tag);
        List<String> present = client.getChildren().forPath(markerDir);
        if (present.size() > 1) say("OVERLAP " + present);
        int n = Integer.parseInt(new String(client.getData().forPath(counterPath), StandardCharsets.UTF_8));
        client.setData().forPath(counterPath, String.valueOf(n + 1).getBytes(StandardCharsets.UTF_8));
        client.delete().forPath(markerDir + "/holder-" + tag);
      } finally {
        mutex.release();
      }
    }
    say("done");
    client.close();
  }

  static void latch(String[] args) throws Exception {
    int sessionTimeoutMs = Integer.parseInt(args[4]);
    CuratorFramework client = connect(args[1], sessionTimeoutMs);
    String id = args[3];
    LeaderLatch latch = new LeaderLatch(client, args[2], id);
    latch.addListener(new LeaderLatchListener() {
      public void isLeader() { say("leader " + id); }
      public void notLeader() { say("notLeader " + id); }
    });
    latch.start();
    say("started " + id);
    while (System.in.read() >= 0) { /* until the test closes stdin */ }
    latch.close();
    client.close();
  }

  static void bench(String[] args) throws Exception {
    CuratorFramework client = connect(args[1], 10000);
    InterProcessMutex mutex = new InterProcessMutex(client, args[2]);
    int rounds = Integer.parseInt(args[3]);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < rounds; i++) {
      long t0 = System.nanoTime();
      mutex.acquire();
      mutex.release();
      out.append("latency_us ").append((System.nanoTime() - t0) / 1000).append('\n');
    }
    System.out.print(out);
    System.out.flush();
    client.close();
  }
}
