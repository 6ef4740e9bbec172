// Drives node-zookeeper-client (callback API, ZooKeeper 3.4 operations) through a fixed scenario
// and prints one normalized line per step, so the transcripts from Apache ZooKeeper and Paddock
// can be compared. Run as a child process on the runtime under test: nzc_probe.ts host:port
import zookeeper from "node-zookeeper-client";

type Client = ReturnType<typeof zookeeper.createClient>;
type Callback = (error: unknown, ...results: unknown[]) => void;

const EVENT_WAIT_MS = 5_000;
const QUIET_WAIT_MS = 400;
const TIME_SLACK_MS = 10 * 60_000;
const OPEN = zookeeper.ACL.OPEN_ACL_UNSAFE;
const { CreateMode } = zookeeper;

const sessions = new Map<bigint, string>();
let zxidBase: bigint | undefined;

function long(value: unknown): bigint {
  if (value instanceof Uint8Array) return Buffer.from(value).readBigInt64BE(0);
  return BigInt(value as number);
}

function zxid(value: unknown): string {
  const z = long(value);
  if (z === 0n) return "0";
  zxidBase ??= z;
  const d = z - zxidBase;
  return d >= 0n ? `z+${d}` : `z${d}`;
}

function time(value: unknown): string {
  const t = Number(long(value));
  if (t === 0) return "0";
  return Math.abs(Date.now() - t) <= TIME_SLACK_MS ? "T" : "T!implausible";
}

function owner(value: unknown): string {
  const o = long(value);
  if (o === 0n) return "0";
  return sessions.get(o) ?? `0x${BigInt.asUintN(64, o).toString(16)}`;
}

// deno-lint-ignore no-explicit-any
function stat(s: any): string {
  return `{czxid=${zxid(s.czxid)} mzxid=${zxid(s.mzxid)} pzxid=${zxid(s.pzxid)} ctime=${time(s.ctime)} ` +
    `mtime=${time(s.mtime)} version=${s.version} cversion=${s.cversion} aversion=${s.aversion} ` +
    `ephemeralOwner=${owner(s.ephemeralOwner)} dataLength=${s.dataLength} numChildren=${s.numChildren}}`;
}

function show(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (value instanceof Uint8Array) return `'${Buffer.from(value).toString("utf8")}'`;
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (typeof value === "object") {
    const o = value as Record<string, unknown>;
    if ("czxid" in o && "numChildren" in o) return stat(o);
    if ("permission" in o && "id" in o) {
      const id = o.id as { scheme: string; id: string };
      return `${id.scheme}:${id.id}:${o.permission}`;
    }
    if ("type" in o && ("err" in o || "path" in o || "stat" in o || Object.keys(o).length === 1)) return opResult(o);
  }
  return JSON.stringify(value);
}

/** Multi results: op type plus path, stat or error name. */
function opResult(r: Record<string, unknown>): string {
  const parts = [`type=${r.type}`];
  if (r.path !== undefined) parts.push(`path=${r.path}`);
  if (r.stat !== undefined) parts.push(stat(r.stat));
  if (r.err !== undefined) parts.push(`err=${errorName(r.err as number)}`);
  return `{${parts.join(" ")}}`;
}

function errorName(code: number): string {
  const codes = (zookeeper.Exception as unknown as Record<string, unknown>);
  const name = Object.keys(codes).find((k) => /^[A-Z_]+$/.test(k) && codes[k] === code);
  return name ?? String(code);
}

function line(text: string): void {
  console.log(text);
}

/** Calls an nzc callback-style function and prints its results or the error name. */
function step(label: string, call: (cb: Callback) => void): Promise<unknown[]> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      line(`${label} -> no callback (timed out)`);
      resolve([]);
    }, EVENT_WAIT_MS * 2);
    call((error, ...results) => {
      clearTimeout(timer);
      if (error) {
        const e = error as { name?: string; code?: number };
        // A failed transaction also hands back the per-op results.
        const detail = results.length > 0 && results[0] !== undefined ? ` ${results.map(show).join(" ")}` : "";
        line(`${label} -> ERR ${e.name ?? String(error)}${detail}`);
      } else {
        line(`${label} -> ${results.map(show).join(" ")}`);
      }
      resolve(results);
    });
  });
}

const events: string[] = [];
let eventArrived: (() => void) | undefined;

/** A one-shot watcher that queues its events under a name; the scenario prints them at fixed points. */
function watcher(name: string) {
  return (event: { getName(): string; getPath(): string }) => {
    events.push(`${name} ${event.getName()} ${event.getPath()}`);
    eventArrived?.();
  };
}

async function nextEvent(waitMs: number): Promise<string | undefined> {
  if (events.length === 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      eventArrived = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    eventArrived = undefined;
  }
  return events.shift();
}

/** Prints the next `count` events (sorted: one change may fire several watchers), then any extra. */
async function expectEvents(count: number): Promise<void> {
  const batch: string[] = [];
  for (let i = 0; i < count; i++) batch.push((await nextEvent(EVENT_WAIT_MS)) ?? "none (timed out)");
  for (const e of batch.sort()) line(`event ${e}`);
  for (let extra = await nextEvent(QUIET_WAIT_MS); extra !== undefined; extra = await nextEvent(QUIET_WAIT_MS)) {
    line(`event (unexpected) ${extra}`);
  }
}

function connect(connectString: string, name: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = zookeeper.createClient(connectString, { sessionTimeout: 10_000, spinDelay: 100, retries: 0 });
    const timer = setTimeout(() => reject(new Error(`no connection for ${name}`)), 15_000);
    client.once("connected", () => {
      clearTimeout(timer);
      sessions.set(long(client.getSessionId()), name);
      line(`connect ${name} -> ${client.getState().getName()}`);
      resolve(client);
    });
    client.connect();
  });
}

const b = (text: string) => Buffer.from(text);

async function creates(c: Client): Promise<void> {
  await step("create /nzc", (cb) => c.create("/nzc", b("root"), cb));
  await step("exists /nzc", (cb) => c.exists("/nzc", cb));
  await step("create /nzc again", (cb) => c.create("/nzc", b("x"), cb));
  await step("create no parent", (cb) => c.create("/nzc/no/parent", cb));
  await step("create persistent", (cb) => c.create("/nzc/p", b("data"), OPEN, CreateMode.PERSISTENT, cb));
  await step("create ephemeral", (cb) => c.create("/nzc/e", b("eph"), OPEN, CreateMode.EPHEMERAL, cb));
  await step("create sequential", (cb) => c.create("/nzc/seq-", b(""), OPEN, CreateMode.PERSISTENT_SEQUENTIAL, cb));
  await step("create ephemeral sequential", (cb) => c.create("/nzc/eseq-", b(""), OPEN, CreateMode.EPHEMERAL_SEQUENTIAL, cb));
  await step("create child of ephemeral", (cb) => c.create("/nzc/e/c", cb));
  await step("mkdirp /nzc/m/k/dir", (cb) => c.mkdirp("/nzc/m/k/dir", b("leaf"), cb));
  await step("mkdirp existing", (cb) => c.mkdirp("/nzc/m/k/dir", cb));
}

async function readsAndWrites(c: Client): Promise<void> {
  await step("getData /nzc/p", (cb) => c.getData("/nzc/p", cb));
  await step("getData missing", (cb) => c.getData("/nzc/none", cb));
  await step("setData v0", (cb) => c.setData("/nzc/p", b("d1"), 0, cb));
  await step("setData v0 again", (cb) => c.setData("/nzc/p", b("d2"), 0, cb));
  await step("setData any", (cb) => c.setData("/nzc/p", b("d2"), -1, cb));
  await step("getChildren /nzc", (cb) => c.getChildren("/nzc", (e: unknown, kids: string[], s: unknown) => cb(e, kids?.sort(), s)));
  await step("getChildren missing", (cb) => c.getChildren("/nzc/none", cb));
  await step("exists missing", (cb) => c.exists("/nzc/none", cb));
}

async function watches(c: Client): Promise<void> {
  await step("exists watch /nzc/w", (cb) => c.exists("/nzc/w", watcher("exists"), cb));
  await step("create /nzc/w", (cb) => c.create("/nzc/w", b("a"), cb));
  await expectEvents(1);
  await step("getData watch /nzc/w", (cb) => c.getData("/nzc/w", watcher("data"), cb));
  await step("getChildren watch /nzc/w", (cb) => c.getChildren("/nzc/w", watcher("children"), cb));
  await step("setData /nzc/w", (cb) => c.setData("/nzc/w", b("b"), -1, cb));
  await expectEvents(1);
  await step("create /nzc/w/k", (cb) => c.create("/nzc/w/k", cb));
  await expectEvents(1);
  await step("getData watch /nzc/w/k", (cb) => c.getData("/nzc/w/k", watcher("data"), cb));
  await step("getChildren watch /nzc/w", (cb) => c.getChildren("/nzc/w", watcher("children"), cb));
  await step("remove /nzc/w/k", (cb) => c.remove("/nzc/w/k", -1, cb));
  await expectEvents(2);
}

async function transactions(c: Client): Promise<void> {
  await step("transaction ok", (cb) =>
    c.transaction().create("/nzc/t", b("t")).setData("/nzc/t", b("t2"), 0).check("/nzc/t", 1)
      .create("/nzc/t2").remove("/nzc/t2", 0).commit(cb));
  await step("transaction failing", (cb) =>
    c.transaction().create("/nzc/t3").check("/nzc/t", 9).remove("/nzc/t").commit(cb));
  await step("exists /nzc/t3", (cb) => c.exists("/nzc/t3", cb));
}

async function acls(c: Client, other: Client): Promise<void> {
  const { ACL, Id, Permission } = zookeeper;
  const alice = new ACL(Permission.ALL, new Id("digest", "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="));
  const worldRead = new ACL(Permission.READ, new Id("world", "anyone"));
  await step("create /nzc/acl", (cb) => c.create("/nzc/acl", b("s"), [alice, worldRead], CreateMode.PERSISTENT, cb));
  await step("getACL /nzc/acl", (cb) => c.getACL("/nzc/acl", cb));
  await step("S2 setData without auth", (cb) => other.setData("/nzc/acl", b("x"), -1, cb));
  other.addAuthInfo("digest", b("alice:secret"));
  await step("S2 setData with auth", (cb) => other.setData("/nzc/acl", b("x"), -1, cb));
  await step("S2 getACL with auth", (cb) => other.getACL("/nzc/acl", cb));
  await step("S2 setACL bad version", (cb) => other.setACL("/nzc/acl", [worldRead], 4, cb));
  await step("S2 setACL", (cb) => other.setACL("/nzc/acl", [worldRead], 0, cb));
  await step("S2 setData read-only", (cb) => other.setData("/nzc/acl", b("y"), -1, cb));
}

async function removes(c: Client): Promise<void> {
  await step("remove non-empty", (cb) => c.remove("/nzc/m", -1, cb));
  await step("remove missing", (cb) => c.remove("/nzc/none", -1, cb));
  await step("remove bad version", (cb) => c.remove("/nzc/p", 9, cb));
  await step("remove /nzc/p", (cb) => c.remove("/nzc/p", 2, cb));
}

async function sessionClose(c: Client, other: Client): Promise<void> {
  await step("S2 create ephemeral", (cb) => other.create("/nzc/e2", b(""), OPEN, CreateMode.EPHEMERAL, cb));
  await step("exists watch /nzc/e2", (cb) => c.exists("/nzc/e2", watcher("gone"), cb));
  other.close();
  await expectEvents(1);
  await step("exists /nzc/e2 after close", (cb) => c.exists("/nzc/e2", cb));
  await step("getChildren /nzc final", (cb) => c.getChildren("/nzc", (e: unknown, kids: string[], s: unknown) => cb(e, kids?.sort(), s)));
}

async function main(): Promise<void> {
  const connectString = process.argv[2];
  const c = await connect(connectString, "S1");
  const other = await connect(connectString, "S2");
  await creates(c);
  await readsAndWrites(c);
  await watches(c);
  await transactions(c);
  await acls(c, other);
  await removes(c);
  await sessionClose(c, other);
  c.close();
  line("done");
}

main().then(
  () => process.exit(0),
  (err) => {
    line(`FATAL ${err}`);
    process.exit(1);
  },
);
