import type { Server as NodeHttpServer } from "node:http";

/** What every handler sees of the connection: the peer's address (ZooKeeper's `ip` scheme). */
export interface HttpBindings {
  remoteAddress: string;
  /** Lets a long-lived response (a Server-Sent Events stream) outlive the idle timeout. */
  keepOpen(request: Request): void;
}

/** A fetch-style handler: a hono app's `fetch`. */
export type FetchHandler = (request: Request, bindings: HttpBindings) => Response | Promise<Response>;

/** A listening HTTP server. */
export interface HttpListener {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Limits against slow or idle peers (slowloris, a client that never finishes its body). */
export interface HttpLimits {
  /** Whole request (headers and body) must arrive within this. Default 30 s. */
  requestTimeoutMs?: number;
  /** Headers must arrive within this. Default 10 s. */
  headersTimeoutMs?: number;
}

/**
 * Serves a handler with the runtime's own HTTP server: Bun.serve on Bun, Deno.serve on Deno,
 * node:http (through @hono/node-server) on Node. The handlers are the same web-standard code on
 * all three (hono's model: a small adapter per runtime, generic code above it).
 *
 * @example const listener = await serveHttp(app.fetch, { host: "127.0.0.1", port: 8080 });
 */
export function serveHttp(handler: FetchHandler, options: { host: string; port: number } & HttpLimits): Promise<HttpListener> {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  if (g.Bun !== undefined) return serveBun(handler, options);
  if (g.Deno !== undefined) return serveDeno(handler, options);
  return serveNode(handler, options);
}

interface BunServer {
  port: number;
  requestIP(request: Request): { address: string } | null;
  timeout(request: Request, seconds: number): void;
  stop(closeActive?: boolean): Promise<void> | void;
}

function serveBun(handler: FetchHandler, options: { host: string; port: number } & HttpLimits): Promise<HttpListener> {
  const bun = (globalThis as unknown as { Bun: { serve(o: unknown): BunServer } }).Bun;
  const server = bun.serve({
    hostname: options.host,
    port: options.port,
    // Bun counts idle seconds (at most 255) for headers and bodies alike.
    idleTimeout: Math.min(255, Math.ceil((options.requestTimeoutMs ?? 30_000) / 1000)),
    fetch: (request: Request, s: BunServer) =>
      handler(request, {
        remoteAddress: unmapped(s.requestIP(request)?.address ?? ""),
        keepOpen: (r) => s.timeout(r, 0),
      }),
  });
  return Promise.resolve({
    host: options.host,
    port: server.port,
    close: async () => {
      await server.stop(true);
    },
  });
}

interface DenoServer {
  addr: { port: number };
  shutdown(): Promise<void>;
}

function serveDeno(handler: FetchHandler, options: { host: string; port: number } & HttpLimits): Promise<HttpListener> {
  const deno = (globalThis as unknown as {
    Deno: { serve(o: unknown, h: (r: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>): DenoServer };
  }).Deno;
  const abort = new AbortController();
  return new Promise((resolve, reject) => {
    try {
      const server = deno.serve(
        { hostname: options.host, port: options.port, signal: abort.signal, onListen: () => {} },
        (request, info) => handler(request, { remoteAddress: unmapped(info.remoteAddr.hostname), keepOpen: () => {} }),
      );
      resolve({
        host: options.host,
        port: server.addr.port,
        close: async () => {
          abort.abort();
          await server.shutdown().catch(() => {});
        },
      });
    } catch (error) {
      reject(error);
    }
  });
}

async function serveNode(handler: FetchHandler, options: { host: string; port: number } & HttpLimits): Promise<HttpListener> {
  const { serve } = await import("@hono/node-server");
  return new Promise((resolve, reject) => {
    const headersTimeout = options.headersTimeoutMs ?? 10_000;
    const server = serve({
      hostname: options.host,
      port: options.port,
      // Node checks header deadlines on this interval (30 s by default): check often enough.
      serverOptions: { headersTimeout, requestTimeout: 0, connectionsCheckingInterval: Math.min(1_000, headersTimeout) },
      fetch: (request: Request, env: { incoming: { socket: { remoteAddress?: string } } }) =>
        handler(request, { remoteAddress: unmapped(env.incoming.socket.remoteAddress ?? ""), keepOpen: () => {} }),
    } as Parameters<typeof serve>[0], (info) => {
      server.off("error", reject);
      resolve({
        host: options.host,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            (server as NodeHttpServer).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    }) as NodeHttpServer;
    // Node's requestTimeout would also cut Server-Sent Events streams; the body timeout below does not.
    server.on("request", (request) => {
      request.setTimeout(options.requestTimeoutMs ?? 30_000, () => {
        if (!request.complete) request.socket.destroy();
      });
    });
    server.once("error", reject);
  });
}

/** IPv4 peers on a dual-stack socket show as ::ffff:a.b.c.d; ZooKeeper's ip scheme wants a.b.c.d. */
function unmapped(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}
