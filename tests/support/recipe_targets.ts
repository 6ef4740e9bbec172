// The servers the recipe suites run against, and small helpers they share.
import { after, test } from "node:test";
import { type Client, type ClientOptions, createClient } from "../../core/client/mod.ts";
import { within } from "../client_helpers.ts";
import { paddockAvailable, type ServerHandle, type ServerOptions, startPaddock, startZooKeeper, zookeeperSkipReason } from "./servers.ts";

/** One server kind the recipes are checked against. */
export interface RecipeTarget {
  name: "paddock" | "zookeeper";
  skip: string | false;
  start: (opts: ServerOptions) => Promise<ServerHandle>;
}

/** Sessions may outlive a Paddock restart: the servers allow up to 30 s. */
export const RECIPE_SERVER_OPTIONS: ServerOptions = { tickTimeMs: 200, extra: { maxSessionTimeout: 30_000 } };
export const RECIPE_TEST_TIMEOUT_MS = 60_000;

/** Both targets; ZooKeeper is skipped where java or Debian's jar is missing. */
export const RECIPE_TARGETS: readonly RecipeTarget[] = [
  { name: "paddock", skip: paddockAvailable() ? false : "no Paddock entry point", start: startPaddock },
  { name: "zookeeper", skip: zookeeperSkipReason(), start: startZooKeeper },
];

/** A target's server, started on first use and stopped after the file's tests. */
export interface TargetServer {
  server(): Promise<ServerHandle>;
  connect(opts?: ClientOptions): Promise<Client>;
}

/**
 * Registers `after` cleanup and returns lazy access to one server of `target`.
 *
 * @example const zk = targetServer(target); await using c = await zk.connect();
 */
export function targetServer(target: RecipeTarget): TargetServer {
  let server: Promise<ServerHandle> | undefined;
  after(async () => {
    await (await server?.catch(() => undefined))?.stop();
  });
  const get = () => (server ??= target.start(RECIPE_SERVER_OPTIONS));
  return {
    server: get,
    connect: async (opts = {}) => {
      const client = createClient((await get()).connectString, { sessionTimeoutMs: 6_000, ...opts });
      await within("connect", client.ready());
      return client;
    },
  };
}

/**
 * One test per target, named `<suite> (<target>): <name>`.
 *
 * @example forEachTarget("queues", (t, it) => it("fifo", async () => { ... }));
 */
export function forEachTarget(
  suite: string,
  define: (target: RecipeTarget, it: (name: string, body: () => Promise<void>, skip?: string | false) => void, zk: TargetServer) => void,
): void {
  for (const target of RECIPE_TARGETS) {
    const zk = targetServer(target);
    const it = (name: string, body: () => Promise<void>, skip: string | false = false) =>
      test(`${suite} (${target.name}): ${name}`, { skip: target.skip || skip, timeout: RECIPE_TEST_TIMEOUT_MS }, body);
    define(target, it, zk);
  }
}

/**
 * Collects items and lets a test await the n-th one (no polling).
 *
 * @example const r = new Recorder<string>(); cache.on((e) => r.push(fmt(e))); await r.count(3);
 */
export class Recorder<T> {
  readonly items: T[] = [];
  #waiters: { n: number; resolve: () => void }[] = [];

  push(item: T): void {
    this.items.push(item);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.items.length < w.n) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `n` items have arrived; the timeout message shows what came. */
  async count(n: number, what = "events", ms = 10_000): Promise<T[]> {
    if (this.items.length < n) {
      const reached = new Promise<void>((resolve) => this.#waiters.push({ n, resolve }));
      await within(`${what}: wanted ${n}`, reached, ms).catch((err: Error) => {
        throw new Error(`${err.message}; have ${show(this.items)}`);
      });
    }
    return this.items;
  }
}

/** JSON for failure messages; Stat fields are bigints. */
function show(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? new TextDecoder().decode(v) : v));
}

/** A unique path prefix per test, so tests on a shared server never collide. */
export function uniquePath(name: string): string {
  return `/${name}-${Math.random().toString(36).slice(2, 8)}`;
}
