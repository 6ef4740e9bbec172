// Prints the type ZooKeeper's ServerMetrics registers each metric as, one "name type" per line:
// counter, summary-basic, summary-advanced, summary-set-basic/-advanced, counter-set, gauge-set.
// Run as a single-file program against ZooKeeper's jars: java -cp <jars> MetricTypes.java
import java.util.Properties;
import java.util.function.BiConsumer;
import org.apache.zookeeper.metrics.*;
import org.apache.zookeeper.server.ServerMetrics;

public class MetricTypes {
  public static void main(String[] args) {
    MetricsContext context = new MetricsContext() {
      public MetricsContext getContext(String name) { return this; }
      public Counter getCounter(String name) {
        System.out.println(name + " counter");
        return new Counter() { public void add(long d) {} public long get() { return 0; } };
      }
      public CounterSet getCounterSet(String name) {
        System.out.println(name + " counter-set");
        return (key, delta) -> {};
      }
      public void registerGauge(String name, Gauge gauge) { System.out.println(name + " gauge"); }
      public void unregisterGauge(String name) {}
      public void registerGaugeSet(String name, GaugeSet set) { System.out.println(name + " gauge-set"); }
      public void unregisterGaugeSet(String name) {}
      public Summary getSummary(String name, DetailLevel level) {
        System.out.println(name + " summary-" + level.name().toLowerCase());
        return value -> {};
      }
      public SummarySet getSummarySet(String name, DetailLevel level) {
        System.out.println(name + " summary-set-" + level.name().toLowerCase());
        return (key, value) -> {};
      }
    };
    ServerMetrics.metricsProviderInitialized(new MetricsProvider() {
      public void configure(Properties p) {}
      public void start() {}
      public MetricsContext getRootContext() { return context; }
      public void stop() {}
      public void dump(BiConsumer<String, Object> sink) {}
      public void resetAllValues() {}
    });
  }
}
