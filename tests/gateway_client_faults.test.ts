// The gateway client under the faults a real gateway cannot be made to show on demand: 5xx
// answers, a proxy's HTML error page, a watch stream cut in the middle of an event, headers that
// never come, and a proxy that buffers the event stream. msw's request handlers answer; the
// client is given a fetch that asks them (no global patching, so the same on every runtime).
import assert from "node:assert/strict";
import { test } from "node:test";
import { delay, getResponse, http, HttpResponse, type RequestHandler } from "msw";
import { GatewayClient, GatewayHttpError, type GatewayWatchEvent, SseParser } from "../core/client/http/mod.ts";

const BASE = "http://gateway.test";
const encoder = new TextEncoder();

function fetchVia(handlers: RequestHandler[]): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const response = await getResponse(handlers, request);
    if (response === undefined) throw new TypeError(`no handler for ${request.method} ${request.url}`);
    return response;
  }) as typeof fetch;
}

const NODE = { path: "/a", data: "eA==", text: "x", stat: { czxid: "0x1", mzxid: "0x1", ctime: 1, mtime: 1, version: 0, cversion: 0, aversion: 0, ephemeralOwner: "0x0", dataLength: 1, numChildren: 0, pzxid: "0x1" } };

/** An event-stream body that sends `parts` (with pauses) and then ends, or stays open. */
function eventStream(request: Request, parts: string[], opts: { pauseMs?: number; stayOpen?: boolean } = {}): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      request.signal.addEventListener("abort", () => controller.error(new Error("aborted")), { once: true });
      for (const part of parts) {
        if (request.signal.aborted) return;
        controller.enqueue(encoder.encode(part));
        if (opts.pauseMs !== undefined) await delay(opts.pauseMs);
      }
      if (!opts.stayOpen) controller.close();
    },
  });
}

function frame(id: string, type: string, path: string): string {
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify({ type, path, zxid: `0x${id.split(".")[0]}` })}\n\n`;
}

async function collect(watch: AsyncIterator<GatewayWatchEvent>, count: number, ms = 5_000): Promise<GatewayWatchEvent[]> {
  const out: GatewayWatchEvent[] = [];
  const deadline = Date.now() + ms;
  while (out.length < count) {
    const next = await Promise.race([watch.next(), delay(Math.max(1, deadline - Date.now())).then(() => null)]);
    if (next === null || next.done) assert.fail(`only ${out.length} of ${count} events: ${JSON.stringify(out)}`);
    out.push(next.value);
  }
  return out;
}

test("reads are retried after 5xx answers; writes are never repeated", async () => {
  let reads = 0;
  let writes = 0;
  const zk = new GatewayClient(BASE, {
    fetch: fetchVia([
      http.get(`${BASE}/api/v1/znodes/a`, () => (++reads < 3 ? HttpResponse.json({ error: "CONNECTIONLOSS", code: -4, message: "busy" }, { status: 503 }) : HttpResponse.json(NODE))),
      http.put(`${BASE}/api/v1/znodes/a`, () => {
        writes++;
        return new HttpResponse("upstream failed", { status: 500 });
      }),
    ]),
  });
  assert.equal((await zk.getData("/a")).text, "x");
  assert.equal(reads, 3);
  await assert.rejects(zk.setData("/a", "y"), (error: unknown) => error instanceof GatewayHttpError && error.status === 500);
  assert.equal(writes, 1, "a write that may have applied is not sent again");
});

test("a proxy's HTML error page becomes a ConnectionLoss error with the status", async () => {
  const zk = new GatewayClient(BASE, {
    readAttempts: 1,
    fetch: fetchVia([http.get(`${BASE}/api/v1/znodes/a`, () => new HttpResponse("<html>502 Bad Gateway</html>", { status: 502, headers: { "Content-Type": "text/html" } }))]),
  });
  await assert.rejects(zk.getData("/a"), (error: unknown) => {
    assert.ok(error instanceof GatewayHttpError);
    assert.equal(error.code, -4);
    assert.equal(error.status, 502);
    assert.match(error.message, /HTTP 502/);
    return true;
  });
});

test("headers that never come time out with OperationTimeout instead of hanging", async () => {
  const zk = new GatewayClient(BASE, {
    timeoutMs: 200,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      return await Promise.race([
        getResponse([http.get(`${BASE}/api/v1/status`, async () => {
          await delay(5_000);
          return HttpResponse.json({});
        })], request),
        new Promise<never>((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true })),
      ]) as Response;
    }) as typeof fetch,
  });
  const started = Date.now();
  await assert.rejects(zk.status(), (error: unknown) => error instanceof GatewayHttpError && error.code === -7);
  assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
});

test("a stream cut in the middle of an event resumes from the last whole event, losing nothing", async () => {
  const lastEventIds: (string | null)[] = [];
  const handlers = [
    http.get(`${BASE}/api/v1/watch/w`, ({ request }) => {
      lastEventIds.push(request.headers.get("Last-Event-ID"));
      const parts = lastEventIds.length === 1
        ? ["retry: 10\n\n", 'id: 1.-1\nevent: ready\ndata: {"path":"/w"}\n\n', frame("5.0", "NodeDataChanged", "/w"), "id: 6.0\nevent: NodeCreated\ndata: {\"type\":\"NodeCr"]
        : [frame("6.0", "NodeCreated", "/w/a"), frame("7.0", "NodeDeleted", "/w/a")];
      return new HttpResponse(eventStream(request, parts, { stayOpen: lastEventIds.length > 1 }), { headers: { "Content-Type": "text/event-stream" } });
    }),
  ];
  const controller = new AbortController();
  const zk = new GatewayClient(BASE, { fetch: fetchVia(handlers) });
  const watch = zk.watch("/w", { signal: controller.signal, reconnectDelayMs: 10 });
  const events = await collect(watch, 3);
  controller.abort();
  assert.deepEqual(events.map((e) => [e.id, e.type, e.path]), [["5.0", "NodeDataChanged", "/w"], ["6.0", "NodeCreated", "/w/a"], ["7.0", "NodeDeleted", "/w/a"]]);
  assert.deepEqual(lastEventIds, [null, "5.0"], "the half event was dropped and the resume asked for what came after 5.0");
});

test("a proxy that buffers the stream: batched events are all parsed, a silent stream is reopened", async () => {
  let connections = 0;
  const resumedFrom: (string | null)[] = [];
  const handlers = [
    http.get(`${BASE}/api/v1/watch/b`, ({ request }) => {
      connections++;
      resumedFrom.push(request.headers.get("Last-Event-ID"));
      // The first connection: everything arrives in one late chunk, then nothing at all.
      const parts = connections === 1
        ? ['id: 1.-1\nevent: ready\ndata: {}\n\n' + frame("2.0", "NodeCreated", "/b/1") + frame("3.0", "NodeCreated", "/b/2") + frame("4.0", "NodeCreated", "/b/3")]
        : [frame("5.0", "NodeDeleted", "/b/1")];
      return new HttpResponse(eventStream(request, parts, { stayOpen: true }), { headers: { "Content-Type": "text/event-stream" } });
    }),
  ];
  const controller = new AbortController();
  const zk = new GatewayClient(BASE, { fetch: fetchVia(handlers) });
  const watch = zk.watch("/b", { signal: controller.signal, idleTimeoutMs: 300, reconnectDelayMs: 10 });
  const events = await collect(watch, 4);
  controller.abort();
  assert.deepEqual(events.map((e) => e.path), ["/b/1", "/b/2", "/b/3", "/b/1"]);
  assert.equal(events[3]!.type, "NodeDeleted");
  assert.deepEqual(resumedFrom.slice(0, 2), [null, "4.0"]);
});

test("the SSE parser handles CRLF split across chunks, multi-line data and comments", () => {
  const seen: { event: string; data: string; id: string | undefined }[] = [];
  const parser = new SseParser((e) => seen.push(e));
  for (const chunk of [": hello\r", "\n", "id: 7\r\nevent: x\r\ndata: a\r\n", "data: b\r", "\n\r", "\n", "data: plain\n\n", "data: cut"]) parser.push(chunk);
  assert.deepEqual(seen, [{ event: "x", data: "a\nb", id: "7" }, { event: "message", data: "plain", id: "7" }]);
  assert.equal(parser.lastEventId, "7");
});
