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
import type { JavaMultiDecoder } from "./java_multi_decoder.ts";
import { RawSession, type RawReply } from "./raw_session.ts";
import { SeededRandom } from "./seeded_random.ts";

const SESSIONS = 3;
const RUN_START_MS = Date.now() - 60_000;
/** TTLs long enough never to expire during a run (the servers also never run their reaper). */
const TTL_CHOICES_MS = [1n, 60_000n, 3_600_000n];

/** Normalizes what differs between two servers by nature: zxid bases, session ids, clock times. */
class Normalizer {
  baseZxid: bigint | null = null;
  readonly sessionNames = new Map<bigint, string>();
  /** Earlier seeds' changes (e.g. to /zookeeper) are read back later: any time since the run began is plausible. */
  readonly startMs = RUN_START_MS;

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

/** One differential run against one server. */
export interface DifferentialOptions {
  host: string;
  port: number;
  seed: number;
  steps: number;
  /** Puts the Java client's reading of every multi/multiRead reply into the transcript. */
  javaDecoder?: JavaMultiDecoder;
}

/** What a scenario step needs besides the session it runs on. */
interface StepContext {
  rnd: SeededRandom;
  norm: Normalizer;
  pathOf: () => string;
  base: string;
  javaDecoder: JavaMultiDecoder | undefined;
}

/**
 * One seeded scenario: several sessions doing random operations (creates of every mode including
 * containers and TTL nodes, deletes, sets with versions, watches of every mode side by side, watch
 * removal and checks, multi and multiRead, ACLs, auth, reconfig, session closes) against one
 * server, written down as a transcript with server-specific values normalized. The same seed
 * against ZooKeeper and Paddock must give the same transcript. The servers must be started with
 * extended types (TTL) on and their container reaper effectively off, so no background deletion
 * consumes a zxid in the middle of a scenario.
 */
export async function runDifferentialScript(opts: DifferentialOptions): Promise<string[]> {
  const { host, port } = opts;
  const rnd = new SeededRandom(opts.seed);
  const norm = new Normalizer();
  const out: string[] = [];
  const base = `/diff${opts.seed}`;
  const sessions: RawSession[] = [];
  const open = async (i: number) => {
    sessions[i] = await RawSession.connect(host, port, { timeoutMs: 4000 });
    norm.sessionNames.set(sessions[i]!.sessionId, `s${i}.${norm.sessionNames.size}`);
  };
  for (let i = 0; i < SESSIONS; i++) await open(i);
  const setup = await sessions[0]!.request(OpCode.create, (w) => createBody(w, base, new Uint8Array(0), ACL_CHOICES[0]!, 0));
  norm.baseZxid = setup.zxid;
  out.push(`setup -> ${errorName(setup.err)}`);
  const names = ["a", "a", "b", "b", "c", "a/x", "a/x", "a/y", "b/x", "c/q", "a/x/z"];
  const badPaths = ["bad", `${base}/a/`, `${base}//a`, `${base}/a/../b`, `${base}/.`];
  const systemPaths = ["/zookeeper", "/zookeeper/config", "/zookeeper/quota", base];
  const pathOf = () => {
    const roll = rnd.next();
    if (roll < 0.04) return rnd.pick(badPaths);
    if (roll < 0.07) return rnd.pick(systemPaths);
    return `${base}/${rnd.pick(names)}`;
  };
  const ctx: StepContext = { rnd, norm, pathOf, base, javaDecoder: opts.javaDecoder };
  try {
    for (let step = 0; step < opts.steps; step++) {
      const who = rnd.int(SESSIONS);
      const session = sessions[who]!;
      if (session.closed || rnd.chance(0.03)) {
        // A connection the server closed (failed auth, check outside multi) leaves its session to
        // expire at a random moment, which would consume a zxid mid-scenario: re-attach and close
        // it now instead.
        await closeForGood(host, port, session);
        out.push(`s${who} reopen`);
        await open(who);
        await flushEvents(sessions, norm, out);
        continue;
      }
      const line = await randomOp(ctx, session);
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
    out.push(`  s${i} events ${s.events.map((e) => `${e.type}:${e.path}@${norm.zxid(e.zxid)}`).join(" ")}`);
    s.events.length = 0;
  }
}

function createBody(w: JuteWriter, path: string, data: Uint8Array | null, acl: ACL[] | null, flags: number, ttlMs?: bigint): void {
  w.ustring(path).buffer(data);
  writeAcls(w, acl);
  w.int(flags);
  if (ttlMs !== undefined) w.long(ttlMs);
}

/**
 * A create of a random kind: mostly plain, sequential and ephemeral ones; sometimes a container or
 * a TTL node through its own op (19, 21); rarely a mode the op does not allow (a TTL flag on a
 * plain create, a container flag on createTTL), which both servers must refuse the same way.
 */
function randomCreate(rnd: SeededRandom): { type: number; flags: number; ttlMs?: bigint } {
  const roll = rnd.next();
  if (roll < 0.08) return { type: OpCode.createContainer, flags: 4 };
  if (roll < 0.16) return { type: OpCode.createTTL, flags: rnd.pick([5, 6]), ttlMs: rnd.pick(TTL_CHOICES_MS) };
  // Out-of-range TTLs only with TTL flags: ZooKeeper applies createTTL with a non-TTL flag and a
  // negative TTL by throwing in its DataTree (a server crash, not a behaviour to compare).
  if (roll < 0.18) return { type: OpCode.createTTL, flags: rnd.pick([5, 6]), ttlMs: rnd.pick([0n, -5n, 0x10000000000n]) };
  if (roll < 0.19) return { type: OpCode.createTTL, flags: rnd.pick([0, 2, 4]), ttlMs: rnd.pick([0n, 60_000n]) };
  if (roll < 0.20) return { type: OpCode.createContainer, flags: rnd.pick([0, 1, 2, 5]) };
  if (roll < 0.22) return { type: rnd.pick([OpCode.create, OpCode.create2]), flags: rnd.pick([4, 5, 6, 7, 9]) };
  return { type: rnd.pick([OpCode.create, OpCode.create2]), flags: rnd.pick([0, 0, 0, 1, 2, 3]) };
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

async function randomOp(ctx: StepContext, s: RawSession): Promise<string> {
  const { rnd, norm, base } = ctx;
  const path = ctx.pathOf();
  const version = rnd.pick([-1, -1, 0, 1, 2, 5]);
  const watch = rnd.chance(0.4);
  const op = rnd.int(25);
  switch (op) {
    case 0:
    case 1:
    case 2:
    case 20:
    case 21: {
      const { type, flags, ttlMs } = randomCreate(rnd);
      const acl = rnd.chance(0.7) ? ACL_CHOICES[0]! : rnd.pick(ACL_CHOICES);
      const data = randomData(rnd);
      const r = await s.request(type, (w) => createBody(w, path, data, acl, flags, ttlMs));
      return `create(${type},${path},flags=${flags},ttl=${ttlMs ?? "-"},acl=${acls(acl)}) -> ` +
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
      const r = await s.request(OpCode.setACL, (w) => {
        w.ustring(path);
        writeAcls(w, acl);
        w.int(rnd.pick([-1, 0, 1]));
      });
      return `setACL(${path},${acls(acl)}) -> ${describe(r, norm, (b) => norm.stat(readStat(b)))}`;
    }
    case 12:
    case 13:
      return `multi ${await randomMulti(ctx, s)}`;
    case 14: {
      const who = rnd.pick(["alice:secret", "bob:pw", "alice:wrong"]);
      const scheme = rnd.chance(0.9) ? "digest" : "nosuchscheme";
      const r = await s.request(OpCode.auth, (w) => w.int(0).ustring(scheme).buffer(new TextEncoder().encode(who)), -4);
      return `auth(${scheme},${who}) -> ${errorName(r.err)}`;
    }
    case 15: {
      // ZooKeeper 3.9 keeps every watch mode of one client on one path side by side.
      const mode = rnd.pick([0, 1]);
      const r = await s.request(OpCode.addWatch, (w) => w.ustring(path).int(mode));
      return `addWatch(${path},${mode}) -> ${describe(r, norm, () => "")}`;
    }
    case 16: {
      const type = rnd.chance(0.7) ? OpCode.removeWatches : OpCode.checkWatches;
      const which = rnd.pick([1, 2, 3, 4, 5]);
      const r = await s.request(type, (w) => w.ustring(path).int(which));
      return `watches(${type},${path},${which}) -> ${describe(r, norm, () => "")}`;
    }
    case 17: {
      const r = await s.request(OpCode.getEphemerals, (w) => w.ustring(base));
      return `getEphemerals -> ${describe(r, norm, (b) => JSON.stringify(b.ustrings() ?? []))}`;
    }
    case 18: {
      const r = await s.request(OpCode.getAllChildrenNumber, (w) => w.ustring(path));
      return `getAllChildrenNumber(${path}) -> ${describe(r, norm, (b) => String(b.int()))}`;
    }
    case 22:
      return `multiRead ${await randomMultiRead(ctx, s)}`;
    case 23:
      return rareOp(ctx, s, path, version);
    default: {
      const r = await s.request(OpCode.sync, (w) => w.ustring(path));
      return `sync(${path}) -> ${describe(r, norm, (b) => b.string())}`;
    }
  }
}

/**
 * Requests few clients send: reconfig (refused in standalone), check outside a multi (refused,
 * connection closed), a SASL token to a server without SASL (answered OK, nothing more).
 */
async function rareOp(ctx: StepContext, s: RawSession, path: string, version: number): Promise<string> {
  const { rnd, norm } = ctx;
  const roll = rnd.next();
  if (roll < 0.2) {
    const r = await s.request(OpCode.sasl, (w) => w.buffer(new Uint8Array([1, 2, 3])), -8);
    return `sasl -> ${errorName(r.err)} zxid=${r.zxid} ${r.body.remaining} bytes`;
  }
  if (roll < 0.7) {
    const r = await s.request(OpCode.reconfig, (w) => w.ustring("server.9=127.0.0.1:2888:3888;2181").ustring(null).ustring(null).long(-1n));
    return `reconfig -> ${describe(r, norm, () => "")}`;
  }
  const r = await s.request(OpCode.check, (w) => w.ustring(path).int(version));
  return `check(${path},${version}) outside multi -> ${describe(r, norm, () => "")}`;
}

async function randomMulti(ctx: StepContext, s: RawSession): Promise<string> {
  const { rnd, norm } = ctx;
  const count = 1 + rnd.int(5);
  const ops: string[] = [];
  const r = await s.request(OpCode.multi, (w) => {
    for (let i = 0; i < count; i++) {
      const path = ctx.pathOf();
      const version = rnd.pick([-1, 0, 1]);
      const kind = rnd.pick([OpCode.create, OpCode.create2, OpCode.create, OpCode.delete, OpCode.setData, OpCode.check]);
      if (kind === OpCode.create) {
        const { type, flags, ttlMs } = randomCreate(rnd);
        writeMultiHeader(w, { type, done: false, err: -1 });
        ops.push(`${type}:${path}:${flags}`);
        createBody(w, path, new Uint8Array([1]), ACL_CHOICES[0]!, flags, ttlMs);
        continue;
      }
      writeMultiHeader(w, { type: kind, done: false, err: -1 });
      ops.push(`${kind}:${path}`);
      if (kind === OpCode.create2) {
        createBody(w, path, new Uint8Array([1]), ACL_CHOICES[0]!, rnd.pick([0, 1, 2]));
      } else if (kind === OpCode.setData) {
        w.ustring(path).buffer(new Uint8Array([2])).int(version);
      } else {
        w.ustring(path).int(version);
      }
    }
    writeMultiHeader(w, { type: -1, done: true, err: -1 });
  });
  return `[${ops.join(" ")}] -> ${describe(r, norm, (b) => multiResults(b, norm))}${await javaReading(ctx, r)}`;
}

async function randomMultiRead(ctx: StepContext, s: RawSession): Promise<string> {
  const { rnd, norm } = ctx;
  const count = 1 + rnd.int(4);
  const ops: string[] = [];
  const r = await s.request(OpCode.multiRead, (w) => {
    for (let i = 0; i < count; i++) {
      const path = ctx.pathOf();
      const kind = rnd.pick([OpCode.getData, OpCode.getChildren]);
      writeMultiHeader(w, { type: kind, done: false, err: -1 });
      ops.push(`${kind}:${path}`);
      w.ustring(path).bool(rnd.chance(0.3));
    }
    writeMultiHeader(w, { type: -1, done: true, err: -1 });
  });
  return `[${ops.join(" ")}] -> ${describe(r, norm, (b) => multiResults(b, norm))}${await javaReading(ctx, r)}`;
}

/** How the Java client reads a successful multi/multiRead reply, when a decoder is attached. */
async function javaReading(ctx: StepContext, r: RawReply): Promise<string> {
  if (ctx.javaDecoder === undefined || r.err !== 0) return "";
  return ` ${await ctx.javaDecoder.decode(r.bytes)}`;
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
      case OpCode.getData:
        parts.push(`get:${text(b)} ${norm.stat(readStat(b))}`);
        break;
      case OpCode.getChildren:
        parts.push(`children:${strings(b)}`);
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
