// paddock shell's interactive side without a terminal: tab completion, argument parsing and a
// REPL session driven through streams (prompt, up-arrow recall, `history`, completion, quit).
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { after, test } from "node:test";
import { parseAcl, formatAclEntry } from "../plugins/shell/acl_parser.ts";
import { parseOptions, flag, valued } from "../plugins/shell/cli_options.ts";
import { completeLine } from "../plugins/shell/completion.ts";
import { runRepl } from "../plugins/shell/repl.ts";
import { Shell } from "../plugins/shell/shell.ts";
import { parseMainOptions } from "../plugins/shell/shell_command.ts";
import { javaDateString } from "../plugins/shell/stat_format.ts";
import { tokenize } from "../plugins/shell/tokenize.ts";
import { paddockAvailable, startPaddock, type ServerHandle } from "./support/servers.ts";

const tree: Record<string, string[]> = { "/": ["zookeeper", "zoo", "app"], "/app": ["beta", "alpha"] };
const lister = async (dir: string) => {
  if (tree[dir] === undefined) throw new Error("NoNode");
  return tree[dir]!;
};

test("completion: command names for the first word, znode children for a path, nothing else", async () => {
  assert.deepEqual(await completeLine("re", lister), [["reconfig", "redo", "removewatches"], "re"]);
  assert.deepEqual(await completeLine("get /zoo", lister), [["/zoo", "/zookeeper"], "/zoo"]);
  assert.deepEqual(await completeLine("ls /app/", lister), [["/app/alpha", "/app/beta"], "/app/"]);
  assert.deepEqual(await completeLine("ls /nope/x", lister), [[], "/nope/x"], "a failed listing offers nothing");
  assert.deepEqual(await completeLine("ls -s ", lister), [[], ""]);
});

test("parsing: tokens, options, ACLs, main options and dates as zkCli does", () => {
  assert.deepEqual(tokenize(`create /a "two words" 'x y'`), ["create", "/a", "two words", "x y"]);
  const parsed = parseOptions(["set", "/a", "-v5", "d", "-s"], [flag("s"), valued("v")]);
  assert.deepEqual([parsed.args, parsed.options.get("v"), parsed.options.get("s")], [["set", "/a", "d"], "5", true]);
  assert.throws(() => parseOptions(["ls", "-z", "/"], [flag("s")]), /Unrecognized option: -z/);
  const { acl, warnings } = parseAcl("digest:u:hash=:cdrwa,ip:1.2.3.4:rq,bad");
  assert.deepEqual(acl.map(formatAclEntry), ["'digest,'u:hash=\n: cdrwa", "'ip,'1.2.3.4\n: r"]);
  assert.deepEqual(warnings, ["Unknown perm type: q", "bad does not have the form scheme:id:perm"]);
  assert.deepEqual(parseMainOptions(["-server", "h:1/app", "-timeout", "5000", "ls", "/"]),
    { server: "h:1/app", timeoutMs: 5000, waitForConnection: false, command: ["ls", "/"] });
  assert.match(javaDateString(0), /^(Thu|Wed) (Jan|Dec) \d\d \d\d:\d\d:\d\d \S+ 19(70|69)$/);
});

const servers: ServerHandle[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

/**
 * Sends keystrokes one chunk at a time: each chunk must be answered (echoed, recalled, completed)
 * before the next, and `until` must hold after the last; either failing fails the test, saying
 * what the terminal showed.
 */
async function type(input: PassThrough, output: () => string, keys: string[], until: (text: string) => boolean): Promise<void> {
  for (let i = 0; i < keys.length; i++) {
    const before = output().length;
    input.write(keys[i]!);
    const last = i === keys.length - 1;
    const ok = await waitFor(output, last ? until : (t) => t.length > before, 10_000);
    assert.ok(ok, `after typing ${JSON.stringify(keys.slice(0, i + 1).join(""))} the terminal shows:\n${output()}`);
  }
}

/** True once `until` holds for the output, false when `ms` pass first. */
async function waitFor(output: () => string, until: (text: string) => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!until(output())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

test("REPL: prompt with state and count, up-arrow recall, history, znode completion, quit", {
  skip: paddockAvailable() ? false : "no Paddock entry point",
  timeout: 60_000,
}, async () => {
  const paddock = await startPaddock();
  servers.push(paddock);
  const input = new PassThrough();
  const output = new PassThrough();
  let text = "";
  output.on("data", (c: Buffer) => (text += c.toString("utf8")));
  const shell = new Shell({
    server: paddock.connectString,
    timeoutMs: 10_000,
    output: { stdout: (t) => output.write(t), stderr: (t) => output.write(t) },
  });
  assert.ok(await shell.waitForConnection());
  const done = runRepl(shell, { input, output, terminal: true });
  const seen = () => text;
  await type(input, seen, ["create /zebra z\r"], (t) => t.includes("Created /zebra"));
  await type(input, seen, ["ls /\r"], (t) => t.includes("[zebra, zookeeper]"));
  await type(input, seen, ["\x1b[A", "\r"], (t) => t.split("[zebra, zookeeper]").length > 2);
  await type(input, seen, ["get /zeb", "\t"], (t) => t.includes("get /zebra"));
  await type(input, seen, ["\r"], (t) => /\nz\r?\n/.test(t));
  await type(input, seen, ["history\r"], (t) => t.includes("4 - history"));
  await type(input, seen, ["get /none\r"], (t) => t.includes("Node does not exist: /none"));
  input.write("quit\r");
  const code = await done;
  assert.match(text, new RegExp(`\\[zk: ${paddock.connectString.replace(/\./g, "\\.")}\\(CONNECTED\\) 0\\] `));
  assert.match(text, /\[zk: \S+\(CONNECTED\) 5\] /, "the prompt counts commands");
  assert.deepEqual([...shell.history().values()], ["create /zebra z", "ls /", "ls /", "get /zebra", "history", "get /none", "quit"]);
  assert.match(text, /0 - create \/zebra z\r?\n1 - ls \/\r?\n2 - ls \/\r?\n3 - get \/zebra\r?\n4 - history/);
  assert.equal(code, 1, "quit keeps the exit code of the failed command before it");
});
