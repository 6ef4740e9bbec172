import {
  type ACL,
  type JuteReader,
  type JuteWriter,
  OpCode,
  readAcls,
  readMultiHeader,
  readStat,
  type Stat,
  writeAcls,
  writeMultiHeader,
  errorName,
} from "../../core/proto/mod.ts";
import { RawSession, type RawReply } from "./raw_session.ts";
import { SeededRandom } from "./seeded_random.ts";

const SESSIONS = 3;

const WATCH_STYLES = ["standard", "persistent", "recursive"] as const;
type WatchStyle = (typeof WATCH_STYLES)[number];

/** Normalizes what differs between two servers by nature: zxid bases, session ids, clock times. */
class Normalizer {
  baseZxid: bigint | null = null;
  readonly sessionNames = new Map<bigint, string>();
  readonly startMs = Date.now() - 60_000;
  /** Paths (a trailing * covers sequential names) whose ACL may deny READ to some session. */
  readonly readRestricted = new Set<string>();

  zxid(z: bigint): string {
    if (z === -1n || z === 0n) return String(z);
    this.baseZxid ??= z;
    return `z${z - this.baseZxid >= 0n ? "+" : ""}${z - this.baseZxid}`;
  }

  owner(o: bigint): string {
    if (o === 0n) return "0";
    return this.sessionNames.get(o) ?? `0x${BigInt.asUintN(64, o).toString(16)}`;
  }

  time(t: bigint): string {
    const ms = Number(t);
    return ms >= this.startMs && ms <= Date.now() + 60_000 ? "T" : `BADTIME(${ms})`;
  }

  stat(s: Stat): string {
    return `{c=${this.zxid(s.czxid)} m=${this.zxid(s.mzxid)} p=${this.zxid(s.pzxid)} ct=${this.time(s.ctime)} ` +
      `mt=${this.time(s.mtime)} v=${s.version} cv=${s.cversion} av=${s.aversion} eo=${this.owner(s.ephemeralOwner)} ` +
      `len=${s.dataLength} kids=${s.numChildren}}`;
  }
}

const ACL_CHOICES: readonly (ACL[] | null)[] = [
  [{ perms: 31, id: { scheme: "world", id: "anyone" } }],
  [{ perms: 1, id: { scheme: "world", id: "anyone" } }],
  [{ perms: 31, id: { scheme: "digest", id: "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=" } }, { perms: 1, id: { scheme: "world", id: "anyone" } }],
  [{ perms: 31, id: { scheme: "auth", id: "" } }],
  [{ perms: 31, id: { scheme: "ip", id: "127.0.0.0/8" } }],
  [{ perms: 31, id: { scheme: "ip", id: "10.1.2.3" } }],
  [{ perms: 31, id: { scheme: "world", id: "nobody" } }],
  [],
  [{ perms: 31, id: { scheme: "digest", id: "broken" } }],
];

/**
 * One seeded scenario: several sessions doing random operations (creates of every mode,
 * deletes, sets with versions, watches, multi, ACLs, auth, session closes) against one server,
 * written down as a transcript with server-specific values normalized. The same seed against
 * ZooKeeper and Paddock must give the same transcript.
 */
export async function runDifferentialScript(host: string, port: number, seed: number, steps: number): Promise<string[]> {
  const rnd = new SeededRandom(seed);
  const norm = new Normalizer();
  const out: string[] = [];
  const base = `/diff${seed}`;
  const sessions: RawSession[] = [];
  const open = async (i: number) => {
    sessions[i] = await RawSession.connect(host, port, { timeoutMs: 4000 });
    norm.sessionNames.set(sessions[i]!.sessionId, `s${i}.${norm.sessionNames.size}`);
  };
  for (let i = 0; i < SESSIONS; i++) await open(i);
  // ZooKeeper 3.8 keeps one watch mode per client and path (a later getData watch replaces a
  // persistent watch); 3.9, and Paddock, keep both. Each session sticks to one style so the
  // scenarios stay inside the behaviour both versions share.
  const styles = Array.from({ length: SESSIONS }, () => rnd.pick(WATCH_STYLES));
  const setup = await sessions[0]!.request(OpCode.create, (w) => createBody(w, base, new Uint8Array(0), ACL_CHOICES[0]!, 0));
  norm.baseZxid = setup.zxid;
  out.push(`setup -> ${errorName(setup.err)}`);
  const names = ["a", "a", "b", "b", "c", "a/x", "a/x", "a/y", "b/x", "c/q", "a/x/z"];
  const badPaths = ["bad", `${base}/a/`, `${base}//a`, `${base}/a/../b`, `${base}/.`];
  const pathOf = () => (rnd.chance(0.05) ? rnd.pick(badPaths) : `${base}/${rnd.pick(names)}`);
  try {
    for (let step = 0; step < steps; step++) {
      const who = rnd.int(SESSIONS);
      const session = sessions[who]!;
      if (session.closed || rnd.chance(0.03)) {
        // A connection the server closed (failed auth) leaves its session to expire at a random
        // moment, which would consume a zxid mid-scenario: re-attach and close it now instead.
        await closeForGood(host, port, session);
        out.push(`s${who} reopen`);
        await open(who);
        await flushEvents(sessions, norm, out);
        continue;
      }
      const line = await randomOp(rnd, session, norm, pathOf, base, styles[who]!);
      out.push(`s${who} ${line}`);
      await flushEvents(sessions, norm, out);
    }
  } finally {
    for (const s of sessions) await closeForGood(host, port, s).catch(() => {});
  }
  return out;
}

/** Closes a session even when the server already dropped its connection (failed auth). */
async function closeForGood(host: string, port: number, session: RawSession): Promise<void> {
  const closer = session.closed
    ? await RawSession.connect(host, port, { timeoutMs: 4000, sessionId: session.sessionId, passwd: session.passwd })
    : session;
  await closer.request(OpCode.closeSession, () => {});
  closer.drop();
  session.drop();
}

/** Pings every session: a ping reply comes after every notification sent to it before. */
async function flushEvents(sessions: RawSession[], norm: Normalizer, out: string[]): Promise<void> {
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i]!;
    if (s.closed) continue;
    await s.request(OpCode.ping, () => {}, -2);
    if (s.events.length === 0) continue;
    out.push(`  s${i} events ${s.events.map((e) => `${e.type}:${e.path}`).join(" ")}`);
    s.events.length = 0;
  }
  void norm;
}

function createBody(w: JuteWriter, path: string, data: Uint8Array | null, acl: ACL[] | null, flags: number): void {
  w.ustring(path).buffer(data);
  writeAcls(w, acl);
  w.int(flags);
}

function randomData(rnd: SeededRandom): Uint8Array | null {
  if (rnd.chance(0.1)) return null;
  return new TextEncoder().encode(`d${rnd.int(1000)}`);
}

function describe(reply: RawReply, norm: Normalizer, body: (r: JuteReader) => string): string {
  const head = `${errorName(reply.err)} zxid=${norm.zxid(reply.zxid)}`;
  return reply.err === 0 ? `${head} ${body(reply.body)}` : head;
}

const text = (r: JuteReader) => {
  const b = r.buffer();
  return b === null ? "null" : JSON.stringify(new TextDecoder().decode(b));
};
const strings = (r: JuteReader) => JSON.stringify(r.ustrings());
const acls = (a: ACL[] | null) => JSON.stringify(a?.map((x) => `${x.id.scheme}:${x.id.id}:${x.perms}`) ?? null);

function grantsWorldRead(acl: ACL[] | null): boolean {
  return acl !== null && acl.some((a) => (a.perms & 1) !== 0 && (a.id.scheme === "world" || a.id.id === "127.0.0.0/8"));
}

async function randomOp(
  rnd: SeededRandom,
  s: RawSession,
  norm: Normalizer,
  pathOf: () => string,
  base: string,
  style: WatchStyle,
): Promise<string> {
  const path = pathOf();
  const version = rnd.pick([-1, -1, 0, 1, 2, 5]);
  const watch = rnd.chance(0.5) && style === "standard";
  const op = rnd.int(22);
  switch (op) {
    case 0:
    case 1:
    case 2:
    case 20:
    case 21: {
      const flags = rnd.chance(0.04) ? 9 : rnd.pick([0, 0, 0, 1, 2, 3, 4]);
      const acl = rnd.chance(0.7) ? ACL_CHOICES[0]! : rnd.pick(ACL_CHOICES);
      const type = flags === 4 ? OpCode.createContainer : rnd.pick([OpCode.create, OpCode.create2]);
      const data = randomData(rnd);
      const r = await s.request(type, (w) => createBody(w, path, data, acl, flags));
      if (r.err === 0 && !grantsWorldRead(acl)) norm.readRestricted.add(flags & 2 ? `${path}*` : path);
      return `create(${type},${path},flags=${flags},acl=${acls(acl)}) -> ` +
        describe(r, norm, (b) => (type === OpCode.create ? b.string() : `${b.string()} ${norm.stat(readStat(b))}`));
    }
    case 3: {
      const r = await s.request(OpCode.delete, (w) => w.ustring(path).int(version));
      return `delete(${path},${version}) -> ${describe(r, norm, () => "")}`;
    }
    case 4:
    case 5: {
      const data = randomData(rnd);
      const r = await s.request(OpCode.setData, (w) => w.ustring(path).buffer(data).int(version));
      return `setData(${path},${version}) -> ${describe(r, norm, (b) => norm.stat(readStat(b)))}`;
    }
    case 6:
    case 7: {
      const r = await s.request(OpCode.getData, (w) => w.ustring(path).bool(watch));
      return `getData(${path},${watch}) -> ${describe(r, norm, (b) => `${text(b)} ${norm.stat(readStat(b))}`)}`;
    }
    case 8: {
      // ZooKeeper 3.8.0 answers exists without a READ check; 3.9 and Paddock check it
      // (ZOOKEEPER-2590). Nodes whose ACL may deny READ are left out of exists.
      if ([...norm.readRestricted].some((p) => p === path || (p.endsWith("*") && path.startsWith(p.slice(0, -1))))) {
        return `exists(${path}) skipped: READ may be denied`;
      }
      const r = await s.request(OpCode.exists, (w) => w.ustring(path).bool(watch));
      return `exists(${path},${watch}) -> ${describe(r, norm, (b) => norm.stat(readStat(b)))}`;
    }
    case 9: {
      const two = rnd.chance(0.5);
      const r = await s.request(two ? OpCode.getChildren2 : OpCode.getChildren, (w) => w.ustring(path).bool(watch));
      return `getChildren(${path},${watch},${two}) -> ` +
        describe(r, norm, (b) => `${strings(b)}${two ? ` ${norm.stat(readStat(b))}` : ""}`);
    }
    case 10: {
      const r = await s.request(OpCode.getACL, (w) => w.ustring(path));
      return `getACL(${path}) -> ${describe(r, norm, (b) => `${acls(readAcls(b))} ${norm.stat(readStat(b))}`)}`;
    }
    case 11: {
      const acl = rnd.pick(ACL_CHOICES);
      if (!grantsWorldRead(acl)) norm.readRestricted.add(path);
      const r = await s.request(OpCode.setACL, (w) => {
        w.ustring(path);
        writeAcls(w, acl);
        w.int(rnd.pick([-1, 0, 1]));
      });
      return `setACL(${path},${acls(acl)}) -> ${describe(r, norm, (b) => norm.stat(readStat(b)))}`;
    }
    case 12:
    case 13:
      return `multi ${await randomMulti(rnd, s, norm, pathOf)}`;
    case 14: {
      const who = rnd.pick(["alice:secret", "bob:pw", "alice:wrong"]);
      const scheme = rnd.chance(0.9) ? "digest" : "nosuchscheme";
      const r = await s.request(OpCode.auth, (w) => w.int(0).ustring(scheme).buffer(new TextEncoder().encode(who)), -4);
      return `auth(${scheme},${who}) -> ${errorName(r.err)}`;
    }
    case 15: {
      if (style === "standard") return `no addWatch for a standard-watch session`;
      const mode = style === "persistent" ? 0 : 1;
      const r = await s.request(OpCode.addWatch, (w) => w.ustring(path).int(mode));
      return `addWatch(${path},${mode}) -> ${describe(r, norm, (b) => String(b.int()))}`;
    }
    case 16: {
      // Only removeWatches: ZooKeeper 3.8's checkWatches answers OK when any client watches the
      // path (docs/compatibility.md); Paddock checks the caller's own watches.
      // Persistent watches live in different tables in 3.8 and 3.9: remove only one-shot ones.
      if (style !== "standard") return `no removeWatches for a ${style}-watch session`;
      const type = OpCode.removeWatches;
      const which = rnd.pick([1, 2, 3]);
      const r = await s.request(type, (w) => w.ustring(path).int(which));
      return `watches(${type},${path},${which}) -> ${describe(r, norm, () => "")}`;
    }
    case 17: {
      const r = await s.request(OpCode.getEphemerals, (w) => w.ustring(base));
      return `getEphemerals -> ${describe(r, norm, (b) => JSON.stringify((b.ustrings() ?? []).sort()))}`;
    }
    case 18: {
      const r = await s.request(OpCode.getAllChildrenNumber, (w) => w.ustring(path));
      return `getAllChildrenNumber(${path}) -> ${describe(r, norm, (b) => String(b.int()))}`;
    }
    default: {
      const r = await s.request(OpCode.sync, (w) => w.ustring(path));
      return `sync(${path}) -> ${describe(r, norm, (b) => b.string())}`;
    }
  }
}

async function randomMulti(rnd: SeededRandom, s: RawSession, norm: Normalizer, pathOf: () => string): Promise<string> {
  const count = 1 + rnd.int(4);
  const ops: string[] = [];
  const r = await s.request(OpCode.multi, (w) => {
    for (let i = 0; i < count; i++) {
      const path = pathOf();
      const version = rnd.pick([-1, 0, 1]);
      const kind = rnd.pick([OpCode.create, OpCode.create2, OpCode.delete, OpCode.setData, OpCode.check]);
      writeMultiHeader(w, { type: kind, done: false, err: -1 });
      ops.push(`${kind}:${path}`);
      if (kind === OpCode.create || kind === OpCode.create2) {
        createBody(w, path, new Uint8Array([1]), ACL_CHOICES[0]!, rnd.pick([0, 1, 2]));
      } else if (kind === OpCode.setData) {
        w.ustring(path).buffer(new Uint8Array([2])).int(version);
      } else {
        w.ustring(path).int(version);
      }
    }
    writeMultiHeader(w, { type: -1, done: true, err: -1 });
  });
  return `[${ops.join(" ")}] -> ${describe(r, norm, (b) => multiResults(b, norm))}`;
}

function multiResults(b: JuteReader, norm: Normalizer): string {
  const parts: string[] = [];
  for (let i = 0; i < 100; i++) {
    const h = readMultiHeader(b);
    if (h.done) break;
    switch (h.type) {
      case OpCode.create:
        parts.push(`create:${b.string()}`);
        break;
      case OpCode.create2:
        parts.push(`create2:${b.string()} ${norm.stat(readStat(b))}`);
        break;
      case OpCode.setData:
        parts.push(`set:${norm.stat(readStat(b))}`);
        break;
      case -1:
        parts.push(`err:${h.err}/${b.int()}`);
        break;
      default:
        parts.push(`op${h.type}`);
    }
  }
  return parts.join(" ");
}
