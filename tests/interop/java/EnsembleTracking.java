import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryForever;

/**
 * Curator against an ensemble it is given one member of: its EnsembleTracker reads
 * /zookeeper/config and widens the connection string to every member, so the client survives
 * the loss of the member it was given. Prints, one line each:
 *   "tracked <connection string>"  once the tracker knows `expected` members;
 *   "created"                      after creating `path`;
 * then waits for a line on stdin (the test kills the given member meanwhile) and prints
 *   "written <version>"            after setData on `path` through another member.
 * Usage: EnsembleTracking <connectString> <expected members> <path>
 */
public final class EnsembleTracking {
  public static void main(String[] args) throws Exception {
    String connectString = args[0];
    int expected = Integer.parseInt(args[1]);
    String path = args[2];
    CuratorFramework client = CuratorFrameworkFactory.builder()
        .connectString(connectString)
        .sessionTimeoutMs(30_000)
        .connectionTimeoutMs(5_000)
        .retryPolicy(new RetryForever(200))
        .ensembleTracker(true)
        .build();
    client.start();
    if (!client.blockUntilConnected(60, TimeUnit.SECONDS)) throw new IllegalStateException("not connected in 60 s");
    long deadline = System.currentTimeMillis() + 60_000;
    String current = client.getZookeeperClient().getCurrentConnectionString();
    while (current.split(",").length < expected) {
      if (System.currentTimeMillis() > deadline) throw new IllegalStateException("the tracker never widened " + current);
      Thread.sleep(100);
      current = client.getZookeeperClient().getCurrentConnectionString();
    }
    System.out.println("tracked " + current);
    client.create().forPath(path, "before".getBytes(StandardCharsets.UTF_8));
    System.out.println("created");
    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    int version = client.setData().forPath(path, "after".getBytes(StandardCharsets.UTF_8)).getVersion();
    System.out.println("written " + version);
    client.close();
  }
}
