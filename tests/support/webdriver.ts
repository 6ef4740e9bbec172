import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.ts";

/** Debian's chromium and chromedriver (apt-get install chromium chromium-driver). */
export const CHROMIUM = "/usr/bin/chromium";
export const CHROMEDRIVER = "/usr/bin/chromedriver";
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

/** Why the browser tests cannot run here, or false. */
export function browserSkipReason(): string | false {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} missing (apt-get install chromium)`;
  if (!existsSync(CHROMEDRIVER)) return `${CHROMEDRIVER} missing (apt-get install chromium-driver)`;
  return false;
}

/**
 * A headless Chromium driven over the W3C WebDriver protocol (plain HTTP to chromedriver), so
 * the same test code runs on Node, Deno and Bun. Started with the flags this machine's closed
 * network needs (no background networking, no component updates) and its own profile.
 */
export class Browser implements AsyncDisposable {
  private constructor(readonly driver: ChildProcess, readonly base: string, readonly profile: string) {}

  static async launch(): Promise<Browser> {
    const port = await freePort();
    const driver = spawn(CHROMEDRIVER, [`--port=${port}`], { stdio: "ignore" });
    const profile = mkdtempSync(join(tmpdir(), "paddock-chromium-"));
    const browser = new Browser(driver, `http://127.0.0.1:${port}`, profile);
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`${browser.base}/status`).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const created = await browser.#call("POST", "/session", {
      capabilities: {
        alwaysMatch: {
          browserName: "chrome",
          "goog:chromeOptions": {
            binary: CHROMIUM,
            args: [
              "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", `--user-data-dir=${profile}`, "--window-size=1400,900",
            ],
          },
        },
      },
    }) as { sessionId: string };
    browser.#session = created.sessionId;
    return browser;
  }

  #session = "";

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = await response.json() as { value: unknown };
    if (!response.ok) throw new Error(`webdriver ${method} ${path}: ${JSON.stringify(json.value).slice(0, 500)}`);
    return json.value;
  }

  #s(path: string): string {
    return `/session/${this.#session}${path}`;
  }

  async open(url: string): Promise<void> {
    await this.#call("POST", this.#s("/url"), { url });
  }

  /** Runs a function body in the page and returns its result. */
  async eval<T>(script: string, ...args: unknown[]): Promise<T> {
    return await this.#call("POST", this.#s("/execute/sync"), { script, args }) as T;
  }

  async #find(css: string): Promise<string> {
    const found = await this.#call("POST", this.#s("/element"), { using: "css selector", value: css }) as Record<string, string>;
    return found[ELEMENT]!;
  }

  async click(css: string): Promise<void> {
    await this.#call("POST", this.#s(`/element/${await this.#find(css)}/click`), {});
  }

  async type(css: string, text: string): Promise<void> {
    const id = await this.#find(css);
    await this.#call("POST", this.#s(`/element/${id}/clear`), {});
    await this.#call("POST", this.#s(`/element/${id}/value`), { text });
  }

  async text(css: string): Promise<string> {
    return await this.#call("GET", this.#s(`/element/${await this.#find(css)}/text`)) as string;
  }

  async acceptAlert(): Promise<void> {
    await this.#call("POST", this.#s("/alert/accept"), {});
  }

  /** A PNG of the viewport. */
  async screenshot(): Promise<Uint8Array> {
    const b64 = await this.#call("GET", this.#s("/screenshot")) as string;
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }

  /** Polls a page expression until it is truthy; fails with the last value after `ms`. */
  async waitFor(expression: string, ms = 10_000, what = expression): Promise<unknown> {
    const deadline = Date.now() + ms;
    let last: unknown;
    for (;;) {
      last = await this.eval(`return (${expression});`).catch((e: Error) => `error: ${e.message}`);
      if (last !== null && last !== undefined && last !== false && last !== "" && !(typeof last === "string" && last.startsWith("error: "))) return last;
      if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}; last: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    await this.#call("DELETE", this.#s("")).catch(() => {});
    this.driver.kill("SIGTERM");
    rmSync(this.profile, { recursive: true, force: true });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
