import { PerformanceObserver } from "node:perf_hooks";
import process from "node:process";
import { Histogram, LATENCY_BUCKETS_MS } from "../../core/metrics/histogram.ts";
import type { HistogramView } from "../../core/server/server_view.ts";
import type { MetricFamily } from "./exposition.ts";

/** How often the event-loop probe schedules itself. */
const PROBE_INTERVAL_MS = 50;

/**
 * The runtime's own health, measured in the process (ZooKeeper's exportJvmInfo plays this part):
 * event-loop lag (how late a 50 ms timer fires), GC pauses where the runtime reports them
 * (PerformanceObserver "gc" entries: Node; Deno and Bun report none, and then there is no
 * family rather than a made-up one), and memory.
 */
export class RuntimeMetrics {
  readonly eventLoopLagMs = new Histogram(LATENCY_BUCKETS_MS);
  readonly gcPauseMs = new Histogram(LATENCY_BUCKETS_MS);
  #gcSupported = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #observer: PerformanceObserver | undefined;
  #stopped = false;

  start(): void {
    let expected = performance.now() + PROBE_INTERVAL_MS;
    const probe = () => {
      if (this.#stopped) return;
      const now = performance.now();
      this.eventLoopLagMs.record(Math.max(0, now - expected));
      expected = now + PROBE_INTERVAL_MS;
      this.#timer = setTimeout(probe, PROBE_INTERVAL_MS);
      (this.#timer as { unref?: () => void }).unref?.();
    };
    this.#timer = setTimeout(probe, PROBE_INTERVAL_MS);
    (this.#timer as { unref?: () => void }).unref?.();
    try {
      const supported = (PerformanceObserver as unknown as { supportedEntryTypes?: readonly string[] }).supportedEntryTypes;
      if (!supported?.includes("gc")) return;
      this.#observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) this.gcPauseMs.record(entry.duration);
      });
      this.#observer.observe({ entryTypes: ["gc"] });
      this.#gcSupported = true;
    } catch {
      this.#gcSupported = false;
    }
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#observer?.disconnect();
  }

  histograms(): HistogramView[] {
    const view = (name: string, help: string, h: Histogram): HistogramView =>
      ({ name, help, labels: {}, bounds: h.bounds, cumulative: h.cumulative(), sum: h.sum, count: h.count });
    const out = [view("paddock_event_loop_lag_ms", "How late a 50 ms timer fires: time the event loop was busy", this.eventLoopLagMs)];
    if (this.#gcSupported) out.push(view("paddock_gc_pause_ms", "Garbage-collection pauses the runtime reported", this.gcPauseMs));
    return out;
  }

  gauges(): MetricFamily[] {
    const memory = process.memoryUsage();
    const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: "gauge", samples: [{ name, value }] });
    return [
      gauge("paddock_heap_used_bytes", "JavaScript heap in use", memory.heapUsed),
      gauge("paddock_heap_total_bytes", "JavaScript heap reserved", memory.heapTotal),
      gauge("paddock_resident_memory_bytes", "Resident set size of the process", memory.rss),
    ];
  }
}
