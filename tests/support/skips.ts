import { appendFileSync } from "node:fs";
import { after, test } from "node:test";

/**
 * Notes why tests are skipped, for the last line of `npm test` (tests/run_all.sh sets
 * PADDOCK_SKIP_LOG); returns the reason unchanged so it can sit inside a `skip:` option.
 *
 * @example test("java probe", { skip: noteSkip(javaMissing()) }, ...)
 */
export function noteSkip(reason: string | false): string | false {
  const log = process.env.PADDOCK_SKIP_LOG;
  if (reason !== false && log !== undefined && log !== "") {
    try {
      appendFileSync(log, `${reason.replace(/\s+/g, " ")}\n`);
    } catch {
      // The summary loses a reason; the runners still count the skip.
    }
  }
  return reason;
}

type Body = () => void | Promise<void>;
type TestOptions = { timeout?: number; skip?: string | false };

/** What a suite's body registers its tests and hooks with. */
export interface SuiteApi {
  test(name: string, body: Body): void;
  test(name: string, options: TestOptions, body: Body): void;
  before(body: Body, options?: { timeout?: number }): void;
  after(body: Body, options?: { timeout?: number }): void;
}

/**
 * A group of tests with shared set-up, counted the same on Node, Deno and Bun. It registers plain
 * top-level tests named "<group>: <test>" rather than a describe(): Deno counts a describe's tests
 * as steps of one test and a skipped describe as one skip, Node and Bun count a skipped describe
 * as none. When `skip` is a reason every test is registered skipped with it and no hook runs.
 * `before` hooks run once, in the group's first test; `after` hooks run after the file's tests.
 *
 * @example suite("on zookeeper", zookeeperSkipReason(), (s) => { s.before(start); s.test("...", async () => {...}); });
 */
export function suite(name: string, skip: string | false, body: (s: SuiteApi) => void): void {
  noteSkip(skip);
  const setUp: Body[] = [];
  let started: Promise<void> | undefined;
  const start = () => started ??= (async () => {
    for (const hook of setUp) await hook();
  })();
  const api: SuiteApi = {
    test(testName: string, optionsOrBody: TestOptions | Body, maybeBody?: Body) {
      const options = typeof optionsOrBody === "function" ? {} : optionsOrBody;
      const run = typeof optionsOrBody === "function" ? optionsOrBody : maybeBody!;
      const skipped = skip || options.skip || false;
      test(`${name}: ${testName}`, { ...options, skip: skipped }, skipped === false ? async () => {
        await start();
        await run();
      } : () => {});
    },
    before(hook) {
      if (skip === false) setUp.push(hook);
    },
    after(hook, options) {
      if (skip === false) after(async () => {
        if (started !== undefined) await hook();
      }, options);
    },
  };
  body(api);
}
