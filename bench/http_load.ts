/**
 * Does the HTTP side cost the client port? Measures client-port latency (one session, pipelined
 * getData/setData through the Paddock client) on a Paddock process alone, then with a Prometheus
 * scrape every second, then with the scrape and 100 Server-Sent Events watchers (recursive on
 * "/", so every write is streamed to each of them). Prints p50/p99/p99.9 per phase.
 *
 * Run: npx tsx bench/http_load.ts [--seconds 10]
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT, Runtime, typeScriptCommand } from "../tests/support/runtime.ts";
import { type Client, createClient } from "../core/client/mod.ts";
import { freePort } from "../tests/support/ports.ts";
import { startPaddock, type ServerHandle } from "../tests/support/servers.ts";
import { LatencyHistogram } from "./histogram.ts";

/** One phase's figures. */
export interface PhaseResult {
  phase: string;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  scrapes: number;
  sseEvents: number;
}

/** A Paddock process with everything HTTP on. */
export interface HttpLoadTarget {
  server: ServerHandle;
  base: string;
  metricsUrl: string;
}

export async function startHttpLoadTarget(): Promise<HttpLoadTarget> {
  const [adminPort, metricsPort] = [await freePort(), await freePort()];
  const server = await startPaddock({
    tickTimeMs: 2000,
    extra: {
      "admin.enableServer": true,
      "admin.serverPort": adminPort,
      "gateway.enabled": true,
      "metricsProvider.className": "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider",
      "metricsProvider.httpPort": metricsPort,
    },
  });
  return { server, base: `http://127.0.0.1:${adminPort}`, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
}

/** Keeps `inFlight` requests going for `ms`, recording each one's latency. */
async function clientPortLoad(client: Client, ms: number, inFlight: number): Promise<{ histogram: LatencyHistogram; requests: number }> {
  const histogram = new LatencyHistogram();
  let requests = 0;
  const deadline = performance.now() + ms;
  const worker = async (w: number) => {
    const path = `/load/k${w}`;
    for (let i = 0; performance.now() < deadline; i++) {
      const start = performance.now();
      if (i % 2 === 0) await client.setData(path, `v${i}`);
      else await client.getData(path);
      histogram.recordMs(performance.now() - start);
      requests++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(w)));
  return { histogram, requests };
}

/** Runs one phase with optional scrapes and SSE watchers beside the client-port load. */
export async function runPhase(
  target: HttpLoadTarget,
  opts: { phase: string; ms: number; scrapeEveryMs: number | null; watchers: number; inFlight?: number },
): Promise<PhaseResult> {
  const client = createClient(target.server.connectString, { sessionTimeoutMs: 30_000 });
  await client.ready();
  await client.create("/load", "").catch(() => {});
  const inFlight = opts.inFlight ?? 4;
  for (let w = 0; w < inFlight; w++) await client.create(`/load/k${w}`, "").catch(() => {});
  const stop = new AbortController();
  const watchers = opts.watchers === 0 ? null : await startWatchers(target.base, opts.watchers);
  let scrapes = 0;
  const scraper = opts.scrapeEveryMs === null ? null : (async () => {
    while (!stop.signal.aborted) {
      const response = await fetch(target.metricsUrl).catch(() => null);
      if (response !== null) {
        await response.text();
        scrapes++;
      }
      await new Promise((r) => setTimeout(r, opts.scrapeEveryMs!));
    }
  })();
  let result: Omit<PhaseResult, "sseEvents">;
  try {
    const { histogram, requests } = await clientPortLoad(client, opts.ms, inFlight);
    result = {
      phase: opts.phase,
      requests,
      p50Ms: histogram.percentileMs(50),
      p99Ms: histogram.percentileMs(99),
      p999Ms: histogram.percentileMs(99.9),
      scrapes,
    };
  } finally {
    stop.abort();
    await scraper;
    await client.close();
  }
  return { ...result, sseEvents: (await watchers?.stop()) ?? 0 };
}

/** The watchers run in their own process, so their parsing does not slow the load generator. */
async function startWatchers(base: string, count: number): Promise<{ stop(): Promise<number> }> {
  // The watchers are the load, not the subject: always on Node, so the server under test (on
  // whatever runtime) meets the same consumer.
  const { command, args } = typeScriptCommand(join(REPO_ROOT, "bench", "http_load_watchers.ts"), [base, String(count), "/load"], Runtime.node);
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  for (let i = 0; i < 600 && !output.includes("ready"); i++) await new Promise((r) => setTimeout(r, 100));
  if (!output.includes("ready")) {
    child.kill("SIGKILL");
    throw new Error(`the watcher process did not get ready: ${output}`);
  }
  return {
    stop: async () => {
      child.stdin!.write("stop\n");
      await new Promise<void>((resolve) => child.once("exit", () => resolve()));
      return Number(/events (\d+)/.exec(output)?.[1] ?? 0);
    },
  };
}

/** The three phases in order. */
export async function httpLoad(target: HttpLoadTarget, ms: number): Promise<PhaseResult[]> {
  return [
    await runPhase(target, { phase: "client port alone", ms, scrapeEveryMs: null, watchers: 0 }),
    await runPhase(target, { phase: "+ a scrape every second", ms, scrapeEveryMs: 1000, watchers: 0 }),
    await runPhase(target, { phase: "+ scrape + 100 SSE watchers", ms, scrapeEveryMs: 1000, watchers: 100 }),
  ];
}

export function formatPhases(results: readonly PhaseResult[]): string {
  const lines = [
    "| phase | requests | p50 ms | p99 ms | p99.9 ms | scrapes | SSE events delivered |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    lines.push(`| ${r.phase} | ${r.requests} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.p999Ms.toFixed(2)} | ${r.scrapes} | ${r.sseEvents} |`);
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { seconds: { type: "string", default: "10" } } });
  const target = await startHttpLoadTarget();
  try {
    console.log(formatPhases(await httpLoad(target, Number(values.seconds) * 1000)));
  } finally {
    await target.server.stop();
  }
}
