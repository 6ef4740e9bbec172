// The client port keeps serving under HTTP load: client-port latency measured alone, with a
// Prometheus scrape every second, and with the scrape plus 100 Server-Sent Events watchers (in
// their own process) receiving every write. The figures are printed; the bounds are loose
// because this machine's two cores are shared, but every phase must serve, and every watcher
// must get every write.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { formatPhases, type HttpLoadTarget, type PhaseResult, runPhase, startHttpLoadTarget } from "../bench/http_load.ts";
import { paddockAvailable } from "./support/servers.ts";

const skip: string | false = paddockAvailable() ? false : "no Paddock entry point";
const PHASE_MS = 3_000;
let target: HttpLoadTarget | undefined;
const results: PhaseResult[] = [];

before(async () => {
  if (!skip) target = await startHttpLoadTarget();
}, { timeout: 60_000 });

after(async () => {
  if (results.length > 0) console.log(formatPhases(results));
  await target?.server.stop();
}, { timeout: 60_000 });

test("client port alone", { skip, timeout: 60_000 }, async () => {
  const r = await runPhase(target!, { phase: "client port alone", ms: PHASE_MS, scrapeEveryMs: null, watchers: 0 });
  results.push(r);
  assert.ok(r.requests > 100, `only ${r.requests} requests`);
});

test("with a Prometheus scrape every second the client port keeps its latency", { skip, timeout: 60_000 }, async () => {
  const r = await runPhase(target!, { phase: "+ a scrape every second", ms: PHASE_MS, scrapeEveryMs: 1000, watchers: 0 });
  results.push(r);
  assert.ok(r.scrapes >= 2, `${r.scrapes} scrapes`);
  assert.ok(r.requests > 100, `only ${r.requests} requests`);
  assert.ok(r.p99Ms < Math.max(100, results[0]!.p99Ms * 10), `p99 ${r.p99Ms} ms against ${results[0]!.p99Ms} ms alone`);
});

test("with the scrape and 100 SSE watchers the client port serves and every watcher gets every write", { skip, timeout: 120_000 }, async () => {
  const r = await runPhase(target!, { phase: "+ scrape + 100 SSE watchers", ms: PHASE_MS, scrapeEveryMs: 1000, watchers: 100 });
  results.push(r);
  assert.ok(r.requests > 100, `only ${r.requests} requests`);
  assert.ok(r.p99Ms < 1000, `p99 ${r.p99Ms} ms`);
  // Half the requests are writes; each reaches all 100 watchers (a few may still be in flight at the stop).
  const writes = Math.floor(r.requests / 2);
  assert.ok(r.sseEvents >= writes * 100 * 0.98 && r.sseEvents <= (writes + 8) * 100, `${r.sseEvents} events for ${writes} writes`);
});
