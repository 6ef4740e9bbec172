import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.jute.BinaryInputArchive;
import org.apache.zookeeper.MultiResponse;
import org.apache.zookeeper.OpResult;

/**
 * Decodes multi and multiRead reply bodies exactly as the ZooKeeper Java client does
 * (MultiResponse.deserialize), so the differential test compares what a Java application would
 * get, not only the bytes. One hex-encoded body per stdin line; one line out per body: the
 * results' classes, op types, paths and error codes, or why decoding failed.
 */
public final class MultiDecode {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      System.out.println(decode(line.trim()));
      System.out.flush();
    }
  }

  private static String decode(String hex) {
    try {
      MultiResponse response = new MultiResponse();
      response.deserialize(BinaryInputArchive.getArchive(new ByteArrayInputStream(bytes(hex))), "result");
      List<String> parts = new ArrayList<>();
      for (OpResult r : response.getResultList()) parts.add(describe(r));
      return "java[" + String.join(" ", parts) + "]";
    } catch (Exception e) {
      return "java decode failed: " + e;
    }
  }

  private static String describe(OpResult r) {
    String head = r.getClass().getSimpleName() + "/" + r.getType();
    if (r instanceof OpResult.CreateResult) {
      OpResult.CreateResult c = (OpResult.CreateResult) r;
      return head + ":" + c.getPath() + (c.getStat() == null ? "" : "+stat");
    }
    if (r instanceof OpResult.ErrorResult) return head + ":" + ((OpResult.ErrorResult) r).getErr();
    if (r instanceof OpResult.GetDataResult) return head + ":" + (((OpResult.GetDataResult) r).getData() == null ? "null" : ((OpResult.GetDataResult) r).getData().length);
    if (r instanceof OpResult.GetChildrenResult) return head + ":" + ((OpResult.GetChildrenResult) r).getChildren();
    return head;
  }

  private static byte[] bytes(String hex) {
    byte[] out = new byte[hex.length() / 2];
    for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    return out;
  }
}
