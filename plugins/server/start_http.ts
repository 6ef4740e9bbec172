import { Hono } from "hono";
import type { QuorumPeer } from "../../core/quorum/quorum_peer.ts";
import { quorumViewOf } from "../../core/quorum/quorum_view.ts";
import type { RunningServer } from "../../core/server/start_server.ts";
import { zkServerView } from "../../core/server/zk_server_view.ts";
import { adminRoutes } from "../admin/admin_routes.ts";
import type { HttpConfig } from "../http/http_config.ts";
import { type HttpBindings, type HttpListener, serveHttp } from "../http/serve.ts";
import { metricsRoutes } from "../metrics/metrics_routes.ts";
import { createGateway, type Gateway } from "../gateway/gateway_routes.ts";
import { consoleRoutes } from "../console/console_routes.ts";
import { RuntimeMetrics } from "../metrics/runtime_metrics.ts";
import { type LogSink, LogLevel } from "../../core/log_level.ts";

/** The HTTP listeners beside a running server. */
export interface RunningHttp {
  /** The AdminServer (and, when enabled, the gateway and console); null when off. */
  readonly admin: HttpListener | null;
  /** The Prometheus endpoint; null when no provider is configured. */
  readonly metrics: HttpListener | null;
  /** The HTTP/JSON gateway when enabled (on the admin listener). */
  readonly gateway: Gateway | null;
  close(): Promise<void>;
}

/**
 * Starts the HTTP side of a server: the AdminServer (with the gateway and web console when
 * enabled) and the Prometheus endpoint, each on its own listener as in ZooKeeper. A listener
 * that cannot start stops the others and throws, as a standalone ZooKeeper exits when its
 * AdminServer fails; with `adminOptional` (an ensemble member, as QuorumPeer does) an AdminServer
 * that cannot bind is logged as a warning and the server goes on without it.
 *
 * @example await using http = await startHttp(running, httpConfigFromZooCfg(text), { initialConfig: text });
 */
export async function startHttp(
  running: Pick<RunningServer, "server"> & { peer?: QuorumPeer },
  config: HttpConfig,
  options: { initialConfig?: string; log?: LogSink; adminOptional?: boolean } = {},
): Promise<RunningHttp & AsyncDisposable> {
  const view = zkServerView(running.server, {
    initialConfig: options.initialConfig ?? "",
    ...(running.peer === undefined ? {} : { quorum: quorumViewOf(running.peer) }),
  });
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closeOne of closers.splice(0).reverse()) await closeOne().catch(() => {});
  };
  let gateway: Gateway | null = null;
  try {
    let admin: HttpListener | null = null;
    if (config.admin.enabled || config.gateway.enabled) {
      const app = new Hono<{ Bindings: HttpBindings }>();
      app.notFound((c) => c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404));
      if (config.admin.enabled) app.route("/", adminRoutes(view, view, { ...config.admin }));
      if (config.gateway.enabled) {
        gateway = createGateway(view, view, {
          journalEvents: config.gateway.journalEvents,
          // Data rides in JSON as base64: room for jute.maxbuffer of it, and the rest of the body.
          bodyMaxBytes: Math.ceil((running.server.config.juteMaxBuffer * 4) / 3) + 64 * 1024,
          sessionsMax: 1000,
          watchersMax: 1000,
          heartbeatMs: 15_000,
        });
        const g = gateway;
        closers.push(() => g.close());
        app.route("/", g.app);
        app.route("/", consoleRoutes());
      }
      try {
        admin = await serveHttp(app.fetch, {
          host: config.admin.address,
          port: config.admin.port,
          requestTimeoutMs: config.admin.idleTimeoutMs,
          headersTimeoutMs: Math.min(10_000, config.admin.idleTimeoutMs),
        });
      } catch (error) {
        if (!options.adminOptional) throw error;
        options.log?.(`AdminServer not started on ${config.admin.address}:${config.admin.port}: ${(error as Error).message}; serving without it`, LogLevel.warn);
      }
      if (admin !== null) {
        const listening = admin;
        closers.push(() => listening.close());
        options.log?.(`AdminServer on http://${config.admin.address}:${listening.port}${config.admin.commandUrl}`);
      }
    }
    let metrics: HttpListener | null = null;
    if (config.metrics.enabled) {
      const runtime = config.metrics.exportRuntimeInfo ? new RuntimeMetrics() : null;
      runtime?.start();
      closers.push(() => Promise.resolve(runtime?.stop()));
      metrics = await serveHttp(metricsRoutes(view, runtime).fetch, { host: config.metrics.host, port: config.metrics.port });
      closers.push(() => metrics!.close());
      options.log?.(`Prometheus metrics on http://${config.metrics.host}:${metrics.port}/metrics`);
    }
    return { admin, metrics, gateway, close, [Symbol.asyncDispose]: close };
  } catch (error) {
    await close();
    throw error;
  }
}
