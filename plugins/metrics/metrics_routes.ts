import { Hono } from "hono";
import type { ServerView } from "../../core/server/server_view.ts";
import { JavaDouble } from "../http/jackson_json.ts";
import type { HttpBindings } from "../http/serve.ts";
import { monitorValues } from "../admin/info_commands.ts";
import { EXPOSITION_CONTENT_TYPE, exposition, type MetricFamily } from "./exposition.ts";
import type { RuntimeMetrics } from "./runtime_metrics.ts";
import { histogramFamilies, zookeeperFamilies } from "./zookeeper_families.ts";

/**
 * Every family a scrape returns: ZooKeeper's (named as its Prometheus provider names them),
 * Paddock's histograms, and the runtime's own when exported.
 */
export function metricFamilies(view: ServerView, runtime: RuntimeMetrics | null): MetricFamily[] {
  const monitor = new Map<string, number | string>();
  for (const [key, value] of Object.entries(monitorValues(view.monitorText()))) {
    if (typeof value === "bigint") monitor.set(key, Number(value));
    else if (value instanceof JavaDouble) monitor.set(key, value.value);
    else if (typeof value === "string") monitor.set(key, value);
  }
  const histograms = view.histograms();
  return [
    ...zookeeperFamilies(monitor, histograms),
    ...histogramFamilies([...histograms, ...(runtime?.histograms() ?? [])]),
    ...(runtime?.gauges() ?? []),
  ];
}

/**
 * `GET /metrics` as ZooKeeper's PrometheusMetricsProvider serves it.
 *
 * @example serveHttp(metricsRoutes(view, runtime).fetch, { host: "127.0.0.1", port: 7000 })
 */
export function metricsRoutes(view: ServerView, runtime: RuntimeMetrics | null): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.get("/metrics", () =>
    new Response(exposition(metricFamilies(view, runtime)), { headers: { "Content-Type": EXPOSITION_CONTENT_TYPE } }));
  app.all("*", (c) => c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path} (metrics are at GET /metrics)` }, 404));
  return app;
}
