// The web console in headless Chromium (Debian's, driven through chromedriver) against a real
// Paddock process: it loads with nothing from outside, browses the tree, shows data as text,
// JSON and hex with Stat and ACL, edits through the gateway, shows a change made by another
// client live, refuses what the ACL refuses until credentials are given, and fills the
// sessions, watches, ensemble and metrics views. PADDOCK_UPDATE_SCREENSHOTS=1 writes the
// screenshots to docs/console/ for the README.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Client, createClient, CreateMode, Perms } from "../mod.ts";
import { digestId } from "../core/acl/digest.ts";
import { freePort } from "./support/ports.ts";
import { REPO_ROOT } from "./support/runtime.ts";
import { paddockAvailable, startPaddock, type ServerHandle } from "./support/servers.ts";
import { Browser, browserSkipReason } from "./support/webdriver.ts";

const skip: string | false = browserSkipReason() || (paddockAvailable() ? false : "no Paddock entry point");
const TIMEOUT_MS = 120_000;
const SCREENSHOTS = process.env.PADDOCK_UPDATE_SCREENSHOTS === "1" ? join(REPO_ROOT, "docs", "console") : null;

let server: ServerHandle | undefined;
let zk: Client;
let browser: Browser | undefined;
let url = "";

before(async () => {
  if (skip) return;
  const port = await freePort();
  server = await startPaddock({ extra: { "admin.enableServer": true, "admin.serverPort": port, "gateway.enabled": true } });
  url = `http://127.0.0.1:${port}/console`;
  zk = createClient(server.connectString, { sessionTimeoutMs: 20_000 });
  await zk.ready();
  await zk.create("/app", "");
  await zk.create("/app/config", JSON.stringify({ replicas: 3, region: "eu-west", features: ["a", "b"] }));
  await zk.create("/app/bin", new Uint8Array([0xca, 0xfe, 0x00, 0x01, 0x41]));
  await zk.create("/app/workers", "");
  await zk.create("/app/workers/w-", "host-1", { mode: CreateMode.EPHEMERAL_SEQUENTIAL });
  await zk.addAuth("digest", "alice:pw");
  await zk.create("/app/secret", "s3cr3t", { acl: [{ perms: Perms.ALL, id: { scheme: "digest", id: digestId("alice:pw") } }] });
  browser = await Browser.launch();
}, { timeout: TIMEOUT_MS });

after(async () => {
  await browser?.close();
  await zk?.close().catch(() => {});
  await server?.stop();
}, { timeout: TIMEOUT_MS });

async function shot(name: string): Promise<void> {
  const png = await browser!.screenshot();
  assert.ok(png.length > 1000 && png[0] === 0x89, "a PNG screenshot");
  if (SCREENSHOTS === null) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  writeFileSync(join(SCREENSHOTS, `${name}.png`), png);
}

const nodeLabel = (path: string) => `document.querySelector('#tree-root span[data-path="${path}"]')`;

async function select(path: string): Promise<void> {
  await browser!.waitFor(`${nodeLabel(path)} !== null`, 10_000, `${path} in the tree`);
  await browser!.click(`#tree-root span[data-path="${path}"]`);
  await browser!.waitFor(`document.getElementById("node-path").textContent === ${JSON.stringify(path)}`);
}

test("the console loads from the server alone and browses the tree", { skip, timeout: TIMEOUT_MS }, async () => {
  const b = browser!;
  await b.open(url);
  // Everything the page fetched came from the same origin.
  const origins = await b.eval<string[]>("return performance.getEntriesByType('resource').map((e) => new URL(e.name).origin);");
  assert.ok(origins.every((o) => o === new URL(url).origin), origins.join(" "));
  await b.waitFor(`document.getElementById("status").textContent.includes("standalone")`);
  await select("/app");
  await select("/app/config");
  await b.waitFor(`document.getElementById("node-data").textContent.includes("eu-west")`);
  await b.click('.views button[data-view="json"]');
  const pretty = await b.text("#node-data");
  assert.deepEqual(JSON.parse(pretty), { replicas: 3, region: "eu-west", features: ["a", "b"] });
  assert.match(pretty, /\n {2}"replicas": 3/);
  const stat = await b.text("#node-stat");
  assert.match(stat, /version 0/);
  assert.match(await b.text("#node-acl"), /world:anyone rwcda/);
  await shot("tree");
  await select("/app/bin");
  await b.click('.views button[data-view="hex"]');
  assert.match(await b.text("#node-data"), /^00000000 {2}ca fe 00 01 41/);
  await b.click('.views button[data-view="text"]');
});

test("an edit in the console goes through the gateway; a change by another client appears live", { skip, timeout: TIMEOUT_MS }, async () => {
  const b = browser!;
  await select("/app/config");
  await b.click("#edit");
  await b.type("#editor-text", '{"replicas":5}');
  await b.click('#editor button[type="submit"]');
  await b.waitFor(`document.getElementById("node-data").textContent.includes('"replicas":5')`);
  const { data, stat } = await zk.getData("/app/config");
  assert.equal(new TextDecoder().decode(data!), '{"replicas":5}');
  assert.equal(stat.version, 1);
  // Another client's change reaches the page through the SSE watch.
  await zk.setData("/app/config", '{"replicas":7}');
  await b.waitFor(`document.getElementById("node-data").textContent.includes('"replicas":7')`, 10_000, "the live update");
  await zk.create("/app/live", "new");
  await b.waitFor(`${nodeLabel("/app/live")} !== null`, 10_000, "the new node in the tree");
  const events = await b.text("#events");
  assert.match(events, /NodeDataChanged \/app\/config/);
  assert.match(events, /NodeCreated \/app\/live/);
  // Create and delete from the console.
  await select("/app");
  await b.click("#create");
  await b.type("#creator-name", "made-here");
  await b.type("#creator-data", "hello");
  await b.click('#creator button[type="submit"]');
  await b.waitFor(`document.getElementById("node-path").textContent === "/app/made-here"`);
  assert.equal(new TextDecoder().decode((await zk.getData("/app/made-here")).data!), "hello");
  await b.click("#delete");
  await b.acceptAlert();
  await b.waitFor(`document.getElementById("node-path").textContent === "/app"`);
  assert.equal(await zk.exists("/app/made-here"), null);
});

test("ACLs guard the console as any client: NoAuth until the right credentials are given", { skip, timeout: TIMEOUT_MS }, async () => {
  const b = browser!;
  await select("/app/secret");
  await b.waitFor(`document.getElementById("node-error").textContent.includes("NoAuth")`);
  await b.eval(`document.getElementById("node-error").textContent = "";`);
  await b.click("#edit");
  await b.type("#editor-text", "overwritten");
  await b.click('#editor button[type="submit"]');
  await b.waitFor(`document.getElementById("node-error").textContent.includes("NoAuth")`);
  assert.equal(new TextDecoder().decode((await zk.getData("/app/secret")).data!), "s3cr3t", "the refused write changed nothing");
  await b.click("#editor-cancel");
  await b.type("#credentials", "alice:pw");
  await b.click('#login button[type="submit"]');
  await b.waitFor(`document.getElementById("who").textContent === "alice"`);
  await select("/app/secret");
  await b.waitFor(`document.getElementById("node-data").textContent === "s3cr3t"`);
  assert.match(await b.text("#node-acl"), /digest:alice:/);
});

test("sessions, watches, ensemble and metrics views show the server's state", { skip, timeout: TIMEOUT_MS }, async () => {
  const b = browser!;
  await b.click('#tabs button[data-tab="sessions"]');
  await b.waitFor(`document.getElementById("sessions-body").textContent.includes("/app/workers/w-")`, 10_000, "the ephemeral in the sessions view");
  assert.match(await b.text("#sessions-body"), new RegExp(`0x${zk.sessionId.toString(16)}`));
  await shot("sessions");
  await zk.getData("/app/bin", { watch: () => {} });
  await b.click('#tabs button[data-tab="watches"]');
  await b.waitFor(`document.getElementById("watches-body").textContent.includes("/app/bin")`);
  await b.click('#tabs button[data-tab="ensemble"]');
  await b.waitFor(`document.getElementById("ensemble-body").textContent.includes("standalone")`);
  for (let i = 0; i < 20; i++) await zk.setData("/app/live", String(i));
  await b.click('#tabs button[data-tab="metrics"]');
  await b.waitFor(`[...document.querySelectorAll(".chart .value")].every((v) => v.textContent !== "–")`, 15_000, "every chart drawn");
  const znodes = await b.eval<string>(`return document.querySelector('.chart[data-title="Znode count"] .value').textContent;`);
  assert.match(znodes, /^\d+/);
  assert.ok(Number(znodes.split(" ")[0]) >= 9, znodes);
  await shot("metrics");
  await b.click('#tabs button[data-tab="tree"]');
});
