// The executable's commands as people meet them: --version and --help with examples, no server
// reachable (said at once, or waited for with --wait), $PADDOCK_SERVER everywhere, one-line
// errors with consistent exit codes, a counter that refuses to wrap. Real processes, real server.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createClient, type Client } from "../mod.ts";
import { startServer, type RunningServer } from "../core/server/start_server.ts";
import { runPaddock, sourceLauncher, startPaddock } from "./support/paddock_cli.ts";
import { freePort } from "./support/ports.ts";

const TEST_TIMEOUT_MS = 180_000;
const COMMANDS = ["server", "purge", "watch", "lock", "elect", "queue", "barrier", "counter", "registry", "shell"];
/** A stack frame or a raw schema message: what an ordinary error must never print. */
const NOT_FOR_PEOPLE = /^\s+at .+:\d+:\d+\)?$|Invalid type: Expected|ValiError|TypeError|undefined/m;

let server: RunningServer;
let client: Client;
before(async () => {
  server = await startServer({ clientPort: 0, inMemory: true, tickTime: 200 });
  client = createClient(server.connectString);
  await client.ready();
});
after(async () => {
  await client?.close();
  await server?.close();
});

const paddock = (args: string[], env?: Record<string, string | undefined>) => runPaddock(sourceLauncher, args, { env });

test("paddock --version names the release and the ZooKeeper it follows", { timeout: TEST_TIMEOUT_MS }, async () => {
  const r = await paddock(["--version"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^paddock \d+\.\d+\.\d+ \(ZooKeeper 3\.9\.3 compatible\)\n$/);
});

test("every command's --help shows its usage and examples, and exits 0", { timeout: TEST_TIMEOUT_MS }, async () => {
  const top = await paddock(["--help"]);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /Examples:\n  paddock server\n/);
  assert.match(top.stdout, /Exit status: 0 success, 1 failure .*2 usage error/s);
  for (const name of COMMANDS) {
    const r = await paddock([name, "--help"]);
    assert.equal(r.code, 0, `${name} --help`);
    assert.match(r.stdout, /^Usage: paddock /, `${name} --help starts with its usage`);
    assert.match(r.stdout, new RegExp(`\\nExamples:\\n(  .*paddock ${name}.*\\n)+`), `${name} --help has examples`);
  }
});

test("no server reachable: said within about a second, exit 1, one line; --wait keeps trying", { timeout: TEST_TIMEOUT_MS }, async () => {
  const port = await freePort(); // nothing listens there
  for (const args of [["counter", "get", "/c"], ["lock", "/l", "--", "true"], ["queue", "take", "/q"], ["elect", "/e", "--list"], ["watch", "/w"]]) {
    const started = performance.now();
    // -server right after the command word: everything after "--" belongs to CMD.
    const r = await paddock([args[0]!, "-server", `127.0.0.1:${port}`, ...args.slice(1)]);
    const elapsedMs = performance.now() - started;
    assert.equal(r.code, 1, `${args[0]}: exit 1\n${r.stderr}`);
    assert.equal(r.stderr, `paddock ${args[0]}: connection refused by 127.0.0.1:${port} (--wait keeps trying)\n`);
    // The process start (a TypeScript runtime) dominates; the client itself gives up in milliseconds.
    assert.ok(elapsedMs < 20_000, `${args[0]} took ${Math.round(elapsedMs)} ms`);
  }
  // --wait: the server comes up a moment later and the command goes through.
  const late = startPaddock(sourceLauncher, ["counter", "add", "/late", "7", "-server", `127.0.0.1:${port}`, "--wait", "--connect-timeout", "60000"]);
  await new Promise((r) => setTimeout(r, 1_500));
  await using lateServer = await startServer({ clientPort: port, inMemory: true });
  assert.equal(await late.exited, 0, late.stderr());
  assert.equal(late.stdout(), "7\n");
  assert.equal(late.stderr(), "", "--wait retries quietly");
  void lateServer;
});

test("$PADDOCK_SERVER is the default server of every command, the shell included; -server and --server override it", { timeout: TEST_TIMEOUT_MS }, async () => {
  const env = { PADDOCK_SERVER: server.connectString };
  assert.equal((await paddock(["counter", "set", "/env/c", "11"], env)).stdout, "11\n");
  assert.equal((await paddock(["counter", "get", "/env/c"], env)).stdout, "11\n");
  const shell = await paddock(["shell", "get", "/env/c"], env);
  assert.equal(shell.code, 0, shell.stderr);
  assert.match(shell.stdout, /^Connecting to 127\.0\.0\.1:\d+\n/);
  const nowhere = { PADDOCK_SERVER: `127.0.0.1:${await freePort()}` };
  assert.equal((await paddock(["counter", "get", "/env/c", "--server", server.connectString], nowhere)).stdout, "11\n");
  const viaFlag = await paddock(["shell", "--server", server.connectString, "stat", "/env/c"], nowhere);
  assert.equal(viaFlag.code, 0, viaFlag.stderr);
  assert.match(viaFlag.stdout, /dataLength = 8/);
});

test("ordinary errors are one line with the usage where it helps: exit 2 for usage, 1 for failures", { timeout: TEST_TIMEOUT_MS }, async () => {
  const cs = server.connectString;
  const usage: [string[], RegExp][] = [
    [["lock"], /^paddock lock: expects exactly one PATH\n\nUsage: paddock lock /],
    [["lock", "/l", "--timeout", "soon", "--", "true"], /^paddock lock: --timeout must be a whole number of milliseconds\n/],
    [["lock", "relative", "--", "true"], /^paddock lock: PATH must start with \/\n/],
    [["counter", "add", "/c", "99999999999999999999"], /^paddock counter: N must fit in 64 bits\n/],
    [["queue", "pop", "/q"], /^paddock queue: unknown action pop: put, take or size\n/],
    [["barrier", "/b"], /^paddock barrier: missing --members N\n/],
    [["watch", "/w", "--bogus"], /^paddock watch: unknown option --bogus\n/],
    [["nosuch"], /^paddock: unknown command 'nosuch'\n/],
  ];
  for (const [args, expected] of usage) {
    const r = await paddock([args[0]!, "-server", cs, ...args.slice(1)]);
    assert.equal(r.code, 2, `${args.join(" ")}\n${r.stderr}`);
    assert.match(r.stderr, expected);
    assert.doesNotMatch(r.stderr, NOT_FOR_PEOPLE, args.join(" "));
  }
  const missingCmd = await paddock(["lock", "/l", "-server", cs, "--", "no-such-program-xyz"]);
  assert.equal(missingCmd.code, 127);
  assert.equal(missingCmd.stderr, "paddock: cannot run no-such-program-xyz: not found\n");
  const noItem = await paddock(["queue", "take", "/empty", "--timeout", "1500", "-server", cs]);
  assert.equal(noItem.code, 1);
  assert.equal(noItem.stderr, "paddock queue: waiting for an item in /empty\npaddock queue: no item within 1500 ms\n");
});

test("counter: refuses to wrap past the signed 64-bit range and leaves the value unchanged", { timeout: TEST_TIMEOUT_MS }, async () => {
  const cs = server.connectString;
  const max = "9223372036854775807";
  assert.equal((await paddock(["counter", "set", "/wrap", max, "-server", cs])).stdout, `${max}\n`);
  const over = await paddock(["counter", "add", "/wrap", "1", "-server", cs]);
  assert.equal(over.code, 1);
  assert.equal(over.stderr, `paddock counter: add /wrap: ${max} + 1 is outside the signed 64-bit range; the counter is unchanged\n`);
  assert.equal((await paddock(["counter", "get", "/wrap", "-server", cs])).stdout, `${max}\n`);
  assert.equal((await paddock(["counter", "set", "/wrap", "-9223372036854775808", "-server", cs])).code, 0);
  assert.equal((await paddock(["counter", "add", "/wrap", "-1", "-server", cs])).code, 1);
  assert.equal((await paddock(["counter", "add", "/wrap", "5", "-server", cs])).stdout, "-9223372036854775803\n");
});
