// Prometheus: the same workload on ZooKeeper 3.9.3 and on Paddock (metricsProvider.className set
// to ZooKeeper's PrometheusMetricsProvider). ZooKeeper's provider cannot run here (Debian packages
// no Prometheus Java client), so the expected families come from 3.9.3's `monitor` keys and the
// provider's naming rules, with each metric's type taken from 3.9.3's own ServerMetrics (a Java
// probe registers them with a recording provider). Paddock's scrape is parsed by the official
// Python client's exposition parser.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createClient, CreateMode, type Client } from "../mod.ts";
import { mntrKeyNotKept, MNTR_SUMMARIES_NOT_KEPT } from "../core/server/monitor.ts";
import { freePort } from "./support/ports.ts";
import { REPO_ROOT } from "./support/runtime.ts";
import { runProcess } from "./support/run_process.ts";
import { javaExecutable, paddockAvailable, startPaddock, type ServerHandle } from "./support/servers.ts";
import { zookeeperClasspath, ZooKeeperVersion } from "./support/zookeeper_dist.ts";
import { startZooKeeper393WithAdmin, type ZooKeeperWithAdmin, zookeeper393Missing } from "./support/zookeeper_http.ts";

const PYTHON = "/usr/bin/python3";
const PARSER = join(REPO_ROOT, "tests", "interop", "prometheus_parse.py");
const METRIC_TYPES = join(REPO_ROOT, "tests", "interop", "java", "MetricTypes.java");
const PROMETHEUS_PROVIDER = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider";
const TIMEOUT_MS = 180_000;

function parserMissing(): string | null {
  const probe = spawnSync(PYTHON, ["-c", "import prometheus_client.parser"], { timeout: 20_000 });
  return probe.status === 0 ? null : `${PYTHON} cannot import prometheus_client (apt-get install python3-prometheus-client)`;
}

const skip: string | false = zookeeper393Missing() ?? parserMissing() ?? (paddockAvailable() ? false : "no Paddock entry point");

interface Family {
  type: string;
  samples: [string, Record<string, string>, number | null][];
}

let zk: ZooKeeperWithAdmin | undefined;
let paddock: ServerHandle | undefined;
let metricsUrl = "";
let adminUrl = "";
const clients: Client[] = [];

async function workload(connectString: string): Promise<void> {
  const client = createClient(connectString, { sessionTimeoutMs: 30_000 });
  clients.push(client);
  await client.ready();
  await client.create("/svc", "x");
  for (let i = 0; i < 20; i++) await client.create(`/svc/n${i}`, `v${i}`);
  await client.create("/svc/e", "e", { mode: CreateMode.EPHEMERAL });
  for (let i = 0; i < 20; i++) await client.getData(`/svc/n${i}`, { watch: () => {} });
  await client.setData("/svc", "y");
}

before(async () => {
  if (skip) return;
  const [metricsPort, adminPort] = [await freePort(), await freePort()];
  [zk, paddock] = await Promise.all([
    startZooKeeper393WithAdmin(),
    startPaddock({
      extra: {
        "metricsProvider.className": PROMETHEUS_PROVIDER,
        "metricsProvider.httpPort": metricsPort,
        "admin.enableServer": true,
        "admin.serverPort": adminPort,
      },
    }),
  ]);
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  adminUrl = `http://127.0.0.1:${adminPort}/commands`;
  await workload(zk.connectString);
  await workload(paddock.connectString);
}, { timeout: TIMEOUT_MS });

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await Promise.all([zk?.stop(), paddock?.stop()]);
}, { timeout: TIMEOUT_MS });

/** ServerMetrics' registration types, from ZooKeeper 3.9.3 itself. */
async function zookeeperMetricTypes(): Promise<Map<string, string>> {
  const r = await runProcess({ command: javaExecutable()!, args: ["-cp", zookeeperClasspath(ZooKeeperVersion.v393), METRIC_TYPES], timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  return new Map(r.stdout.trim().split("\n").map((line) => line.split(" ") as [string, string]));
}

async function scrape(): Promise<{ families: Record<string, Family>; text: string; contentType: string }> {
  const response = await fetch(metricsUrl);
  assert.equal(response.status, 200);
  const text = await response.text();
  const parsed = await runProcess({ command: PYTHON, args: [PARSER], input: text, timeoutMs: 60_000 });
  assert.equal(parsed.code, 0, `the exposition parser rejected the scrape: ${parsed.stderr}\n${text.slice(0, 2000)}`);
  return { families: JSON.parse(parsed.stdout), text, contentType: response.headers.get("content-type") ?? "" };
}

/**
 * The families ZooKeeper's PrometheusMetricsProvider exports for a `monitor` answer: summaries
 * X from avg_X/cnt_X/..., counters and gauges by their key; version and server_state are not
 * metrics. Per-namespace summary sets are left out, and the `mntr` figures Paddock does not
 * measure (monitor.ts lists them).
 */
function expectedFamilies(monitorKeys: string[], types: Map<string, string>): Map<string, string> {
  const expected = new Map<string, string>();
  for (const key of monitorKeys) {
    if (key === "version" || key === "server_state" || key === "command" || key === "error") continue;
    if (mntrKeyNotKept(key)) continue;
    const part = /^(avg|min|max|cnt|sum|p50|p95|p99|p999)_(.+)$/.exec(key);
    const summary = part !== null && types.get(part[2]!)?.startsWith("summary") ? part[2]! : null;
    if (summary !== null) {
      if (!types.get(summary)!.startsWith("summary-set")) expected.set(summary, "summary");
      continue;
    }
    if (/_per_namespace$/.test(part?.[2] ?? "")) continue;
    expected.set(key, types.get(key) === "counter" ? "counter" : "gauge");
  }
  return expected;
}

test("a scrape carries every metric ZooKeeper 3.9.3 exports for the same workload, with its type", { skip, timeout: TIMEOUT_MS }, async () => {
  const types = await zookeeperMetricTypes();
  assert.ok(types.size > 100, `ServerMetrics registered only ${types.size} metrics`);
  const monitor = JSON.parse(await (await fetch(`${zk!.adminUrl}/monitor`)).text()) as Record<string, unknown>;
  const expected = expectedFamilies(Object.keys(monitor), types);
  assert.ok(expected.size > 50, `only ${expected.size} families expected`);
  const { families, contentType } = await scrape();
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  const problems: string[] = [];
  for (const [name, type] of expected) {
    const family = families[name];
    if (family === undefined) problems.push(`${name}: missing`);
    else if (family.type !== type) problems.push(`${name}: ${family.type}, ZooKeeper's is a ${type}`);
  }
  assert.deepEqual(problems, []);
});

test("summaries have ZooKeeper's quantiles (0.5 basic; 0.5, 0.9, 0.99 advanced), _count and _sum", { skip, timeout: TIMEOUT_MS }, async () => {
  const types = await zookeeperMetricTypes();
  const { families } = await scrape();
  for (const [name, type] of types) {
    if (type !== "summary-basic" && type !== "summary-advanced") continue;
    if (MNTR_SUMMARIES_NOT_KEPT.includes(name)) continue;
    const family = families[name];
    assert.ok(family !== undefined, `${name} missing`);
    const quantiles = family.samples.filter(([n]) => n === name).map(([, labels]) => labels.quantile);
    assert.deepEqual(quantiles, type === "summary-basic" ? ["0.5"] : ["0.5", "0.9", "0.99"], name);
    const names = family.samples.map(([n]) => n);
    assert.ok(names.includes(`${name}_count`) && names.includes(`${name}_sum`), `${name}: ${names.join(" ")}`);
  }
});

test("the values are measured: they agree with mntr and the workload", { skip, timeout: TIMEOUT_MS }, async () => {
  const { families } = await scrape();
  const all = Object.values(families).flatMap((f) => f.samples);
  const value = (name: string, labels: Record<string, string> = {}) =>
    all.find(([n, l]) => n === name && Object.entries(labels).every(([k, v]) => l[k] === v))?.[2];
  const monitor = JSON.parse(await (await fetch(`${adminUrl}/monitor`)).text()) as Record<string, number>;
  assert.equal(value("znode_count"), monitor.znode_count);
  assert.equal(value("ephemerals_count"), 1);
  assert.equal(value("watch_count"), 20);
  // readlatency/updatelatency quantiles come from the per-op histograms: 22 creates + 1 setData.
  const creates = families.paddock_request_latency_ms?.samples
    .filter(([n, l]) => n === "paddock_request_latency_ms_count" && /^create/.test(l.op ?? ""))
    .reduce((sum, [, , v]) => sum + (v ?? 0), 0);
  assert.ok(creates !== undefined && creates >= 22, `creates counted: ${creates}`);
  const p99 = value("updatelatency", { quantile: "0.99" });
  assert.ok(typeof p99 === "number" && p99 > 0, `updatelatency p99 ${p99}`);
  assert.ok((value("readlatency_count") ?? 0) >= 0);
  const lag = value("paddock_event_loop_lag_ms_count");
  assert.ok(typeof lag === "number" && lag > 0, `event-loop lag samples: ${lag}`);
  const batches = families.paddock_commit_batch_size;
  assert.equal(batches?.type, "histogram");
  assert.ok((value("paddock_heap_used_bytes") ?? 0) > 0);
});

test("anything but GET /metrics is a 404 with a JSON error", { skip, timeout: TIMEOUT_MS }, async () => {
  const response = await fetch(metricsUrl.replace("/metrics", "/nope"));
  assert.equal(response.status, 404);
  assert.match((await response.json() as { error: string }).error, /GET \/metrics/);
});
