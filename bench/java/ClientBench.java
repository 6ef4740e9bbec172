import java.lang.management.ManagementFactory;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * The ZooKeeper Java client's side of bench/client_bench.ts: getData or setData of one znode with
 * N requests in flight through the async API (a completion issues the next request from the
 * event thread), timed per request into the same log-linear histogram as bench/histogram.ts, with
 * the process's CPU time (all threads: JIT, GC, IO, event) read around each measured window.
 * Prints one JSON object per line, the same lines as bench/client_worker.ts.
 * Usage: java ClientBench host:port path warmupMs caseWarmupMs durationMs op:inFlight[,op:inFlight...]
 */
public final class ClientBench {
  private static final int LINEAR_BUCKETS = 128;
  private static final int SUB_BUCKETS = 64;
  private static final int SUB_BITS = 6;
  private static final int MAX_SHIFT = 25;
  private static final int BUCKET_COUNT = LINEAR_BUCKETS + MAX_SHIFT * SUB_BUCKETS;
  private static final long MAX_VALUE_US = (1L << 31) - 1;
  private static final long DRAIN_TIMEOUT_MS = 30_000;
  private static final int VALUE_BYTES = 100;

  /** bench/histogram.ts's bucketOf, ported bit for bit. */
  static int bucketOf(long valueUs) {
    if (valueUs < LINEAR_BUCKETS) return (int) valueUs;
    int msb = 63 - Long.numberOfLeadingZeros(valueUs);
    int shift = msb - SUB_BITS;
    return LINEAR_BUCKETS + (shift - 1) * SUB_BUCKETS + (int) ((valueUs >>> shift) - SUB_BUCKETS);
  }

  /** One op at one depth: the loop that keeps `inFlight` requests outstanding. */
  static final class Run implements AsyncCallback.DataCallback, AsyncCallback.StatCallback {
    final ZooKeeper zk;
    final String path;
    final boolean write;
    final byte[] value = new byte[VALUE_BYTES];
    final long[] sentNs;
    final Integer[] slots;
    final int[] counts = new int[BUCKET_COUNT];
    volatile boolean stopping = false;
    volatile boolean recording = false;
    long maxUs = 0;
    long ops = 0;
    long errors = 0;
    final AtomicInteger outstanding = new AtomicInteger();
    final CountDownLatch drained = new CountDownLatch(1);

    Run(ZooKeeper zk, String path, boolean write, int inFlight) {
      this.zk = zk;
      this.path = path;
      this.write = write;
      this.sentNs = new long[inFlight];
      this.slots = new Integer[inFlight];
      for (int i = 0; i < inFlight; i++) slots[i] = i;
      for (int i = 0; i < VALUE_BYTES; i++) value[i] = (byte) ('a' + i % 26);
    }

    void send(int slot) {
      sentNs[slot] = System.nanoTime();
      if (write) zk.setData(path, value, -1, this, slots[slot]);
      else zk.getData(path, false, this, slots[slot]);
    }

    void completed(int rc, Object ctx) {
      int slot = (Integer) ctx;
      long us = (System.nanoTime() - sentNs[slot] + 500) / 1000;
      if (recording) {
        if (rc != KeeperException.Code.OK.intValue()) errors++;
        else {
          if (us > MAX_VALUE_US) us = MAX_VALUE_US;
          counts[bucketOf(us)]++;
          if (us > maxUs) maxUs = us;
          ops++;
        }
      }
      // A completion while running reuses its slot, so `outstanding` only falls once stopping.
      if (!stopping) send(slot);
      else if (outstanding.decrementAndGet() == 0) drained.countDown();
    }

    @Override
    public void processResult(int rc, String p, Object ctx, byte[] data, Stat stat) {
      completed(rc, ctx);
    }

    @Override
    public void processResult(int rc, String p, Object ctx, Stat stat) {
      completed(rc, ctx);
    }
  }

  static long processCpuNs() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
  }

  static void runCase(ZooKeeper zk, String path, String op, int inFlight, long warmupMs, long durationMs, boolean report, int index) throws Exception {
    Run run = new Run(zk, path, op.equals("setData"), inFlight);
    run.outstanding.set(inFlight);
    for (int i = 0; i < inFlight; i++) run.send(i);
    Thread.sleep(warmupMs);
    if (report) System.out.println("{\"event\":\"start\",\"case\":" + index + "}");
    long cpu0 = processCpuNs();
    long t0 = System.nanoTime();
    run.recording = true;
    Thread.sleep(durationMs);
    run.recording = false;
    long t1 = System.nanoTime();
    long cpu1 = processCpuNs();
    if (report) System.out.println("{\"event\":\"end\",\"case\":" + index + "}");
    run.stopping = true;
    if (!run.drained.await(DRAIN_TIMEOUT_MS, TimeUnit.MILLISECONDS)) throw new IllegalStateException("requests did not drain");
    if (!report) return;
    // The event thread wrote the counters; the latch's countDown/await orders those writes before these reads.
    StringBuilder hist = new StringBuilder();
    for (int i = 0; i < BUCKET_COUNT; i++) {
      if (run.counts[i] == 0) continue;
      if (hist.length() > 0) hist.append(',');
      hist.append('[').append(i).append(',').append(run.counts[i]).append(']');
    }
    System.out.println("{\"case\":" + index + ",\"op\":\"" + op + "\",\"inFlight\":" + inFlight
        + ",\"ops\":" + run.ops + ",\"errors\":" + run.errors
        + ",\"elapsedMs\":" + (t1 - t0) / 1e6 + ",\"cpuMs\":" + (cpu1 - cpu0) / 1e6
        + ",\"maxUs\":" + run.maxUs + ",\"histogram\":[" + hist + "]}");
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 6) throw new IllegalArgumentException("usage: ClientBench host:port path warmupMs caseWarmupMs durationMs op:inFlight,...");
    String connectString = args[0];
    String path = args[1];
    long warmupMs = Long.parseLong(args[2]);
    long caseWarmupMs = Long.parseLong(args[3]);
    long durationMs = Long.parseLong(args[4]);
    String[] cases = args[5].split(",");
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(connectString, 30_000, event -> {
      if (event.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
    });
    try {
      if (!connected.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("not connected");
      // Warm-up: every case briefly, until the JIT has compiled the paths (~5 s on this JVM).
      long warmEach = Math.max(1, warmupMs / cases.length);
      for (String c : cases) {
        String[] parts = c.split(":");
        runCase(zk, path, parts[0], Integer.parseInt(parts[1]), 0, warmEach, false, -1);
      }
      System.out.println("{\"event\":\"warm\"}");
      for (int i = 0; i < cases.length; i++) {
        String[] parts = cases[i].split(":");
        runCase(zk, path, parts[0], Integer.parseInt(parts[1]), caseWarmupMs, durationMs, true, i);
      }
    } finally {
      zk.close();
    }
  }
}
