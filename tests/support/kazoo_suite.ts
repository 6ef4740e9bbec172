import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reservePortBlock } from "./ports.ts";
import { REPO_ROOT } from "./runtime.ts";
import { ZooKeeperVersion, zookeeperClasspath, zookeeperMissing } from "./zookeeper_dist.ts";
import { findExecutable } from "./which.ts";

/** Which servers kazoo's harness starts: Paddock members through the java shim, or ZooKeeper 3.9.3. */
export const KazooTarget = { paddock: "paddock", zookeeper: "zookeeper" } as const;
/** One of {@link KazooTarget}. */
export type KazooTarget = (typeof KazooTarget)[keyof typeof KazooTarget];

/** How one of kazoo's tests ended, as pytest's JUnit report says. */
export const KazooOutcome = { passed: "passed", failed: "failed", skipped: "skipped" } as const;
/** One of {@link KazooOutcome}. */
export type KazooOutcome = (typeof KazooOutcome)[keyof typeof KazooOutcome];

/** One test of kazoo's suite: `test_client.TestClient.test_create`, its outcome and pytest's message. */
export interface KazooCase {
  readonly id: string;
  readonly outcome: KazooOutcome;
  readonly message: string;
}

/** Tests of kazoo's suite left out of a run, and why. */
export interface KazooExclusion {
  /** A pytest node id relative to kazoo's tests directory: `test_sasl.py` or `test_client.py::TestReconfig`. */
  readonly test: string;
  readonly reason: string;
}

/**
 * What Paddock does not implement and kazoo's suite cannot run past: left out of every Paddock run
 * and listed with the results. kazoo's SASL handshake loops until the server sends a challenge,
 * so against a server without SASL (Paddock, or ZooKeeper without a JAAS Server section) its
 * client start never returns and the suite would hang there.
 */
export const PADDOCK_EXCLUSIONS: readonly KazooExclusion[] = [
  {
    test: "test_sasl.py",
    reason: "SASL (DIGEST-MD5 against a JAAS Server section) is not implemented (docs/compatibility.md); kazoo's SASL start waits for a challenge forever",
  },
];

/** A run of (part of) kazoo's suite. */
export interface KazooSuiteRun {
  readonly target: KazooTarget;
  readonly excluded: readonly KazooExclusion[];
  readonly cases: readonly KazooCase[];
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly seconds: number;
  /** pytest's own output (its tail, bounded). */
  readonly output: string;
}

/** The Python that has Debian's python3-kazoo and pytest (PADDOCK_PYTHON overrides). */
const PYTHON = process.env.PADDOCK_PYTHON ?? "/usr/bin/python3";
/** kazoo's harness gives member i the ports offset + 10i + 0..3 (client, election, quorum, admin). */
const MEMBER_PORT_OFFSETS = [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23] as const;
/** The directory holding the `java` shim that runs `paddock server` for QuorumPeerMain. */
export const KAZOO_SHIM_DIR: string = join(REPO_ROOT, "tests", "interop", "kazoo");
const OUTPUT_LIMIT = 256 * 1024;
const KILL_GRACE_MS = 5_000;

/** Where Debian's python3-kazoo keeps its test suite, or null when kazoo or pytest is missing. */
function kazooTestsDir(): string | null {
  // The suite's modules import mock and objgraph besides pytest: without them pytest collects nothing.
  const probe = spawnSync(PYTHON, ["-c", "import os, mock, objgraph, pytest, kazoo.tests; print(os.path.dirname(kazoo.tests.__file__))"], {
    encoding: "utf8",
    timeout: 30_000,
  });
  if (probe.status !== 0) return null;
  const dir = probe.stdout.trim();
  return existsSync(join(dir, "test_client.py")) ? dir : null;
}

/**
 * Why kazoo's suite cannot run against `target` here, or null when it can: python3-kazoo (whose
 * package ships the suite and its harness), pytest, mock and objgraph, plus java and the 3.9.3 jars for ZooKeeper.
 */
export function kazooSuiteMissing(target: KazooTarget): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} missing (apt-get install python3)`;
  if (kazooTestsDir() === null) return `kazoo's test suite, pytest, mock or objgraph missing for ${PYTHON} (apt-get install python3-kazoo python3-pytest python3-mock python3-objgraph)`;
  if (target === KazooTarget.zookeeper) {
    if (findExecutable("java", ["/usr/bin/java"]) === undefined) return "java missing (apt-get install default-jdk-headless)";
    return zookeeperMissing(ZooKeeperVersion.v393);
  }
  if (!existsSync(join(REPO_ROOT, "node_modules", "tsx", "dist", "loader.mjs")) && process.env.PADDOCK_COMMAND === undefined) {
    return "tsx missing from node_modules (npm ci)";
  }
  return null;
}

/**
 * Runs kazoo's own test suite (all of it, or the named files/node ids relative to its tests
 * directory) with its unchanged 3-server harness on a free port block. For Paddock the shim
 * directory goes first on PATH, so the harness's `java ... QuorumPeerMain zoo.cfg` starts
 * `paddock server zoo.cfg`. The whole process group is killed afterwards, so a timed-out run
 * leaves no member behind.
 *
 * @example const run = await runKazooSuite({ target: "paddock", tests: ["test_lock.py"], timeoutMs: 120_000 });
 */
export async function runKazooSuite(opts: {
  target: KazooTarget;
  tests: readonly string[];
  timeoutMs: number;
  /** Left out besides {@link PADDOCK_EXCLUSIONS} (which apply to Paddock runs). */
  exclude?: readonly KazooExclusion[];
  /** Where the members' logs go (Paddock only); default: the harness's temporary directories. */
  logDir?: string;
  /**
   * How the shim runs paddock, e.g. `node dist/paddock.mjs` (Paddock only). The bundle starts
   * in a fraction of the time tsx takes to compile the sources, and kazoo's tests that restart a
   * member give it 5 s to be back (test_client's request queuing tests).
   */
  paddockCommand?: string;
}): Promise<KazooSuiteRun> {
  const testsDir = kazooTestsDir();
  if (testsDir === null) throw new Error(kazooSuiteMissing(opts.target) ?? "kazoo's suite not found");
  const work = mkdtempSync(join(tmpdir(), "paddock-kazoo-"));
  try {
    const xml = join(work, "junit.xml");
    const paths = opts.tests.length === 0 ? [testsDir] : opts.tests.map((t) => join(testsDir, t));
    const inRun = (e: KazooExclusion) => opts.tests.length === 0 || opts.tests.includes(e.test.split("::")[0]!);
    const excluded = [...(opts.target === KazooTarget.paddock ? PADDOCK_EXCLUSIONS : []), ...(opts.exclude ?? [])].filter(inRun);
    // Node ids are relative to the rootdir, kazoo's tests directory (nothing is written there: no cache).
    const deselect = excluded.flatMap((e) => ["--deselect", e.test]);
    const env = await harnessEnv(opts.target, opts.logDir);
    if (opts.target === KazooTarget.paddock && opts.paddockCommand !== undefined) env.PADDOCK_COMMAND = opts.paddockCommand;
    const started = performance.now();
    const result = await runGroup(
      PYTHON,
      ["-m", "pytest", ...paths, ...deselect, "-p", "no:cacheprovider", "-q", "-rfEs", "--rootdir", testsDir, "--junitxml", xml, "-o", "junit_family=xunit2"],
      { cwd: work, env, timeoutMs: opts.timeoutMs },
    );
    const cases = existsSync(xml) ? parseJunit(readFileSync(xml, "utf8")) : [];
    return { target: opts.target, excluded, cases, ...result, seconds: (performance.now() - started) / 1000 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Runs a Python script that starts a cluster with kazoo's harness (get_global_cluster) on a free
 * port block, ZooKeeper 3.9.3 or Paddock members as `target` says, and returns what it printed.
 *
 * @example const r = await runKazooScript({ target: "paddock", script, timeoutMs: 60_000 });
 */
export async function runKazooScript(opts: {
  target: KazooTarget;
  script: string;
  timeoutMs: number;
  paddockCommand?: string;
}): Promise<{ exitCode: number | null; timedOut: boolean; output: string }> {
  const work = mkdtempSync(join(tmpdir(), "paddock-kazoo-"));
  try {
    const env = await harnessEnv(opts.target, undefined);
    if (opts.target === KazooTarget.paddock && opts.paddockCommand !== undefined) env.PADDOCK_COMMAND = opts.paddockCommand;
    return await runGroup(PYTHON, [opts.script], { cwd: work, env, timeoutMs: opts.timeoutMs });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function harnessEnv(target: KazooTarget, logDir: string | undefined): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ZOOKEEPER_VERSION: ZooKeeperVersion.v393,
    ZOOKEEPER_CLUSTER_SIZE: "3",
    ZOOKEEPER_PORT_OFFSET: String(await reservePortBlock(MEMBER_PORT_OFFSETS)),
    // The harness builds a classpath either way; the shim never hands it to a JVM for Paddock.
    ZOOKEEPER_CLASSPATH: zookeeperClasspath(ZooKeeperVersion.v393),
    PYTHONDONTWRITEBYTECODE: "1",
  };
  if (target === KazooTarget.paddock) {
    env.PATH = `${KAZOO_SHIM_DIR}:${env.PATH ?? ""}`;
    if (logDir !== undefined) env.PADDOCK_KAZOO_LOG_DIR = logDir;
  }
  return env;
}

/** Runs a program in its own process group; kills the group on timeout and once it is done. */
function runGroup(
  command: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<{ exitCode: number | null; timedOut: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // The group is gone already.
      }
    };
    let timedOut = false;
    let grace: ReturnType<typeof setTimeout> | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup("SIGTERM");
      grace = setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS);
    }, opts.timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (grace !== undefined) clearTimeout(grace);
      // The harness stops its members at exit; whatever it left (a killed pytest) goes now.
      killGroup("SIGKILL");
      resolve({ exitCode: code, timedOut, output });
    });
  });
}

const XML_ENTITIES: Record<string, string> = { "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&" };

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-fA-F]+);/g, (entity) => {
    if (entity.startsWith("&#x")) return String.fromCodePoint(parseInt(entity.slice(3, -1), 16));
    if (entity.startsWith("&#")) return String.fromCodePoint(parseInt(entity.slice(2, -1), 10));
    return XML_ENTITIES[entity] ?? entity;
  });
}

function attributes(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of text.matchAll(/([\w:-]+)="([^"]*)"/g)) found.set(match[1]!, unescapeXml(match[2]!));
  return found;
}

/**
 * The test cases of a pytest JUnit report (xunit2): a case with a <failure> or <error> failed, one
 * with <skipped> was skipped, any other passed. Exported for its unit test.
 */
export function parseJunit(xml: string): KazooCase[] {
  const cases: KazooCase[] = [];
  for (const match of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attrs = attributes(match[1]!);
    const body = match[2] ?? "";
    const id = `${attrs.get("classname") ?? "?"}.${attrs.get("name") ?? "?"}`;
    const problem = /<(failure|error|skipped)\b([^>]*?)\/?>/.exec(body);
    if (problem === null) {
      cases.push({ id, outcome: KazooOutcome.passed, message: "" });
      continue;
    }
    const outcome = problem[1] === "skipped" ? KazooOutcome.skipped : KazooOutcome.failed;
    cases.push({ id, outcome, message: attributes(problem[2]!).get("message") ?? problem[1]! });
  }
  return cases;
}

/** How many cases ended each way. */
export function countOutcomes(cases: readonly KazooCase[]): Record<KazooOutcome, number> {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const c of cases) counts[c.outcome]++;
  return counts;
}

/** One line per failure plus the totals, as the test and `npm run test:kazoo-suite` print them. */
export function formatKazooRun(run: KazooSuiteRun): string {
  const counts = countOutcomes(run.cases);
  const name = run.target === KazooTarget.paddock ? "Paddock (3 members)" : "ZooKeeper 3.9.3 (3 servers)";
  const lines = [
    `kazoo suite on ${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped ` +
    `in ${run.seconds.toFixed(0)} s (pytest exit ${run.exitCode}${run.timedOut ? ", timed out" : ""})`,
  ];
  for (const e of run.excluded) lines.push(`  not run: ${e.test}: ${e.reason}`);
  for (const c of run.cases) {
    if (c.outcome === KazooOutcome.failed) lines.push(`  FAILED ${c.id}: ${c.message.split("\n")[0]!.slice(0, 200)}`);
  }
  return lines.join("\n");
}
