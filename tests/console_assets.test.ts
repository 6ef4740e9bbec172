// The console ships as generated string constants (plugins/console/console_assets.ts): rebuilding
// from plugins/console/src must give the committed file, so what runs is what the sources say.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ASSETS_FILE, consoleAssetsSource } from "../scripts/build_console.ts";

test("the committed console assets are built from the current sources (npx tsx scripts/build_console.ts)", { timeout: 120_000 }, async () => {
  const committed = readFileSync(ASSETS_FILE, "utf8");
  assert.ok(committed === await consoleAssetsSource(), "plugins/console/console_assets.ts is stale: run npx tsx scripts/build_console.ts");
});

test("the console bundle loads nothing from elsewhere", async () => {
  const { CONSOLE_HTML, CONSOLE_JS, CONSOLE_CSS } = await import("../plugins/console/console_assets.ts");
  for (const [name, text] of [["html", CONSOLE_HTML], ["js", CONSOLE_JS], ["css", CONSOLE_CSS]] as const) {
    assert.doesNotMatch(text, /(src|href)=["']https?:\/\//, name);
    assert.doesNotMatch(text, /@import\s+url\(/, name);
  }
  assert.doesNotMatch(CONSOLE_JS, /from\s*["']node:/, "no node:* in the browser bundle");
});
