import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;

/** Reads one znode with the ZooKeeper Java client and prints data, ACL and Stat on one line. */
public class ReadBack {
  public static void main(String[] args) throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(args[0], 10000, event -> {
      if (event.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
    });
    connected.await();
    Stat stat = new Stat();
    byte[] data = zk.getData(args[1], false, stat);
    List<ACL> acl = zk.getACL(args[1], new Stat());
    StringBuilder hex = new StringBuilder();
    for (byte b : data) hex.append(String.format("%02x", b & 0xff));
    StringBuilder acls = new StringBuilder();
    for (ACL a : acl) {
      if (acls.length() > 0) acls.append(",");
      acls.append(a.getId().getScheme()).append(":").append(a.getId().getId()).append(":").append(a.getPerms());
    }
    System.out.println("data=" + hex + " acl=[" + acls + "] stat=" + stat.getCzxid() + "," + stat.getMzxid() + ","
        + stat.getCtime() + "," + stat.getMtime() + "," + stat.getVersion() + "," + stat.getCversion() + ","
        + stat.getAversion() + "," + stat.getEphemeralOwner() + "," + stat.getDataLength() + ","
        + stat.getNumChildren() + "," + stat.getPzxid());
    zk.close();
  }
}
