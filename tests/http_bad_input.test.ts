// Bad input to every HTTP endpoint of a real Paddock process (AdminServer, gateway, console,
// Prometheus): malformed JSON, huge bodies, wrong types, path traversal and broken encodings in
// znode paths, unauthenticated snapshot/restore, unknown sessions and event ids, and slow clients.
// Each gets a 4xx with a clear JSON error; afterwards the server still serves, HTTP and client port.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { createClient } from "../mod.ts";
import { freePort } from "./support/ports.ts";
import { paddockAvailable, startPaddock, type ServerHandle } from "./support/servers.ts";

const skip: string | false = paddockAvailable() ? false : "no Paddock entry point";
const TIMEOUT_MS = 60_000;
const IDLE_TIMEOUT_MS = 1_500;

let server: ServerHandle | undefined;
let base = "";
let metrics = "";
let adminPort = 0;

before(async () => {
  if (skip) return;
  [adminPort] = [await freePort()];
  const metricsPort = await freePort();
  server = await startPaddock({
    extra: {
      "admin.enableServer": true,
      "admin.serverPort": adminPort,
      "admin.idleTimeout": IDLE_TIMEOUT_MS,
      "admin.restore.maxBytes": 64 * 1024,
      "gateway.enabled": true,
      "metricsProvider.className": "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider",
      "metricsProvider.httpPort": metricsPort,
    },
  });
  base = `http://127.0.0.1:${adminPort}`;
  metrics = `http://127.0.0.1:${metricsPort}`;
  await fetch(`${base}/api/v1/znodes/exists`, { method: "POST", body: "{}" });
}, { timeout: TIMEOUT_MS });

after(async () => {
  await server?.stop();
}, { timeout: TIMEOUT_MS });

interface Case {
  name: string;
  method?: string;
  path: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  status: number;
  /** What the JSON error must say. */
  error: RegExp;
}

const HUGE = new Uint8Array(8 * 1024 * 1024).fill(0x61);

const CASES: Case[] = [
  { name: "gateway create: malformed JSON", method: "POST", path: "/api/v1/znodes/x", body: "{oops", status: 400, error: /not JSON/ },
  { name: "gateway create: data of the wrong type", method: "POST", path: "/api/v1/znodes/x", body: '{"data":42}', status: 400, error: /data must be a string/ },
  { name: "gateway create: unknown field", method: "POST", path: "/api/v1/znodes/x", body: '{"data":"a","bogus":1}', status: 400, error: /bogus/ },
  { name: "gateway create: unknown mode", method: "POST", path: "/api/v1/znodes/x", body: '{"mode":"FOREVER"}', status: 400, error: /CreateMode/ },
  { name: "gateway create: not base64", method: "POST", path: "/api/v1/znodes/x", body: '{"dataBase64":"***"}', status: 400, error: /base64/ },
  { name: "gateway create: a body over the limit", method: "POST", path: "/api/v1/znodes/x", body: HUGE, status: 413, error: /larger than/ },
  { name: "gateway set: version not a number", method: "PUT", path: "/api/v1/znodes/exists", body: '{"version":"one"}', status: 400, error: /version/ },
  { name: "gateway set: version out of range", method: "PUT", path: "/api/v1/znodes/exists", body: '{"version":99999999999}', status: 400, error: /version/ },
  { name: "gateway delete: version not a number", method: "DELETE", path: "/api/v1/znodes/exists?version=abc", status: 400, error: /version/ },
  { name: "gateway read: unknown view", path: "/api/v1/znodes/exists?view=everything", status: 400, error: /view must be/ },
  { name: "path traversal through encoded slashes", path: "/api/v1/znodes/a%2F..%2Fexists", status: 400, error: /relative paths/ },
  { name: "a dot segment encoded twice stays a name", path: "/api/v1/znodes/%252e%252e", status: 404, error: /NoNode/ },
  { name: "an empty path segment", path: "/api/v1/znodes/a//b", status: 400, error: /empty node name/ },
  { name: "a NUL in the path", path: "/api/v1/znodes/a%00b", status: 400, error: /null character/ },
  { name: "broken percent-encoding", path: "/api/v1/znodes/a%zz", status: 400, error: /percent-encoding/ },
  { name: "a trailing slash", path: "/api/v1/znodes/exists/", status: 400, error: /must not end with \// },
  { name: "multi: not a list of ops", method: "POST", path: "/api/v1/multi", body: '{"ops":{"op":"delete"}}', status: 400, error: /ops must be a list/ },
  { name: "multi: unknown op", method: "POST", path: "/api/v1/multi", body: '{"ops":[{"op":"explode","path":"/a"}]}', status: 400, error: /op must be/ },
  { name: "session: timeout of the wrong type", method: "POST", path: "/api/v1/sessions", body: '{"timeoutMs":"long"}', status: 400, error: /timeoutMs/ },
  { name: "an unknown session token", path: "/api/v1/znodes/exists", headers: { "Paddock-Session": "nope" }, status: 410, error: /no such gateway session/ },
  { name: "a heartbeat for an unknown session", method: "POST", path: "/api/v1/sessions/nope/heartbeat", status: 410, error: /no such gateway session/ },
  { name: "an Authorization header that is neither digest nor Basic", path: "/api/v1/znodes/exists", headers: { Authorization: "Bearer xyz" }, status: 401, error: /digest user:password/ },
  { name: "a watch resumed from a malformed event id", path: "/api/v1/watch/exists", headers: { "Last-Event-ID": "yesterday" }, status: 400, error: /not an event id/ },
  { name: "a watch on an invalid path", path: "/api/v1/watch/a%2F.%2Fb", status: 400, error: /relative paths/ },
  { name: "an unknown gateway route", path: "/api/v1/nothing-here", status: 404, error: /no such endpoint/ },
  { name: "snapshot without credentials", path: "/commands/snapshot", status: 401, error: /Auth info is missing/ },
  { name: "restore without credentials", method: "POST", path: "/commands/restore", body: "x", status: 401, error: /Auth info is missing/ },
  { name: "restore with an unknown auth scheme", method: "POST", path: "/commands/restore", body: "x", headers: { Authorization: "sasl x" }, status: 401, error: /Not authenticated/ },
  { name: "restore over admin.restore.maxBytes", method: "POST", path: "/commands/restore", body: HUGE, headers: { Authorization: "digest a:b" }, status: 413, error: /larger than/ },
  { name: "restore of bytes that are not a snapshot", method: "POST", path: "/commands/restore", body: "garbage", headers: { Authorization: "digest a:b" }, status: 400, error: /not a snapshot/ },
  { name: "shed: malformed JSON", method: "POST", path: "/commands/shed", body: "{", headers: { Authorization: "digest a:b" }, status: 400, error: /Invalid JSON/ },
  { name: "shed: percentage of the wrong type", method: "POST", path: "/commands/shed", body: '{"percentage":"all"}', headers: { Authorization: "digest a:b" }, status: 400, error: /percentage must be a number/ },
  { name: "shed: percentage out of range", method: "POST", path: "/commands/shed", body: '{"percentage":150}', headers: { Authorization: "digest a:b" }, status: 400, error: /between 0 and 100/ },
  { name: "a GET-only command by PUT", method: "PUT", path: "/commands/ruok", status: 405, error: /GET command/ },
  { name: "a long non-number trace mask", path: "/commands/stmk?traceMask=99999999999999999999999", status: 200, error: /requires long traceMask/ },
];

for (const c of CASES) {
  test(`${c.name}: ${c.status} with a JSON error`, { skip, timeout: TIMEOUT_MS }, async () => {
    const response = await fetch(`${base}${c.path}`, {
      method: c.method ?? "GET",
      headers: c.headers ?? {},
      ...(c.body === undefined ? {} : { body: c.body as BodyInit }),
    });
    const text = await response.text();
    assert.equal(response.status, c.status, `${c.name}: ${text}`);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    const json = JSON.parse(text) as { error?: string; message?: string };
    assert.match(`${json.error ?? ""} ${json.message ?? ""}`, c.error);
  });
}

test("the metrics endpoint answers anything but GET /metrics with a JSON 404", { skip }, async () => {
  for (const [method, path] of [["POST", "/metrics"], ["GET", "/../commands/ruok"], ["GET", "/metrics/extra"]] as const) {
    const response = await fetch(`${metrics}${path}`, { method });
    assert.equal(response.status, 404, `${method} ${path}`);
    assert.match((await response.json() as { error: string }).error, /GET \/metrics/);
  }
});

/** Opens a raw TCP connection, writes `bytes`, and resolves when the server closes it (or not). */
function slowClient(bytes: string): Promise<{ closedAfterMs: number | null; reply: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let reply = "";
    const socket = connect({ host: "127.0.0.1", port: adminPort }, () => socket.write(bytes));
    socket.on("data", (chunk) => (reply += chunk.toString()));
    const give = setTimeout(() => {
      socket.destroy();
      resolve({ closedAfterMs: null, reply });
    }, 15_000);
    socket.on("close", () => {
      clearTimeout(give);
      resolve({ closedAfterMs: Date.now() - started, reply });
    });
    socket.on("error", () => {});
  });
}

test("slow clients: headers or a body that never finish are cut off, and others are served meanwhile", { skip, timeout: TIMEOUT_MS }, async () => {
  const runtime = (globalThis as { Deno?: unknown }).Deno !== undefined ? "deno" : "other";
  const slow = [
    slowClient("GET /commands/ruok HTTP/1.1\r\nHost: x\r\n"),
    slowClient("POST /api/v1/znodes/slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"data\":"),
  ];
  // While they dawdle, everyone else is served.
  for (let i = 0; i < 5; i++) {
    const response = await fetch(`${base}/commands/ruok`);
    assert.equal(response.status, 200);
    await response.text();
  }
  const results = await Promise.all(slow);
  // Deno.serve offers no header/body deadline to configure; there the point is only that others are served.
  if (runtime === "deno") return;
  for (const r of results) {
    assert.ok(r.closedAfterMs !== null, `a slow client was never cut off (reply: ${r.reply.slice(0, 100)})`);
    assert.ok(r.closedAfterMs < IDLE_TIMEOUT_MS + 12_000, `cut off after ${r.closedAfterMs} ms`);
  }
});

test("after all of it the server serves: AdminServer, gateway and the client port", { skip, timeout: TIMEOUT_MS }, async () => {
  assert.equal((await fetch(`${base}/commands/ruok`)).status, 200);
  const created = await fetch(`${base}/api/v1/znodes/after`, { method: "POST", body: '{"data":"ok"}' });
  assert.equal(created.status, 201);
  const client = createClient(server!.connectString);
  try {
    await client.ready();
    assert.equal(new TextDecoder().decode((await client.getData("/after")).data!), "ok");
    assert.equal(await client.exists("/x"), null, "no bad request created anything");
  } finally {
    await client.close();
  }
});
