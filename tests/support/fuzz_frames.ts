import { JuteError, JuteReader } from "../../core/proto/jute_reader.ts";
import { JuteWriter } from "../../core/proto/jute_writer.ts";
import { OpCode } from "../../core/proto/op_code.ts";
import { readCreateRequest, readMultiHeader, readStat, writeCreateRequest, writeSetWatches } from "../../core/proto/records.ts";
import { connectFrame, requestFrame, withLengthPrefix } from "./raw_zk.ts";

/** A small seeded PRNG (mulberry32): one seed replays a whole fuzz run. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

/** The subtree whose every change is accounted for by the ledger. */
export const LEDGER_ROOT = "/fz";
/** Where hostile connections aim; a few bit flips cannot turn it into LEDGER_ROOT. */
export const HOSTILE_ROOT = "/hostile-garbage";

let currentRoot: string = LEDGER_ROOT;

const SCHEMES = ["digest", "world", "ip", "sasl", "x509", "", "super", "auth", "d\u0000igest", "🦘"] as const;
const WATCHER_TYPES = [1, 2, 3, 4, 5, 0, -1, 99] as const;

function fuzzPath(rng: Rng): string {
  const depth = 1 + rng.int(3);
  let path = currentRoot;
  for (let i = 0; i < depth; i++) path += `/${rng.pick(["a", "b", "c", "seq-", "e", "x".repeat(1 + rng.int(40))])}`;
  if (rng.chance(0.08)) path += rng.pick(["/", "//x", "/.", "/..", "\u0000", "\u0007", "\ud800"]);
  return path;
}

function acl(rng: Rng): { perms: number; id: { scheme: string; id: string } }[] {
  if (rng.chance(0.85)) return [{ perms: 31, id: { scheme: "world", id: "anyone" } }];
  return [{ perms: rng.int(64) - 16, id: { scheme: rng.pick(SCHEMES), id: rng.pick(["anyone", "u:p", "1.2.3.4", "", "x:y:z"]) } }];
}

/** Create flags: mostly persistent, sometimes every other mode and some that do not exist. */
function createFlags(rng: Rng): number {
  return rng.chance(0.6) ? rng.pick([0, 2]) : rng.pick([1, 3, 4, 5, 6, 7, -1, 0x7fffffff]);
}

function data(rng: Rng): Uint8Array | null {
  if (rng.chance(0.1)) return null;
  return rng.bytes(rng.chance(0.9) ? rng.int(64) : rng.int(4096));
}

function createBody(rng: Rng): (w: JuteWriter) => void {
  return (w) => writeCreateRequest(w, { path: fuzzPath(rng), data: data(rng), acl: acl(rng), flags: createFlags(rng), ttl: -1n }, false);
}

function multiBody(rng: Rng): (w: JuteWriter) => void {
  return (w) => {
    const count = rng.int(6);
    for (let i = 0; i < count; i++) {
      const type = rng.chance(0.9) ? rng.pick([OpCode.create, OpCode.create2, OpCode.delete, OpCode.setData, OpCode.check]) : rng.int(40) - 5;
      // A nested "done" flag in the middle: everything after it must be ignored, not half-read.
      w.int(type).bool(rng.chance(0.05)).int(-1);
      if (type === OpCode.create || type === OpCode.create2) createBody(rng)(w);
      else if (type === OpCode.setData) w.ustring(fuzzPath(rng)).buffer(data(rng)).int(rng.int(3) - 1);
      else if (type === OpCode.delete || type === OpCode.check) w.ustring(fuzzPath(rng)).int(rng.int(3) - 1);
      else w.raw(rng.bytes(rng.int(12)));
    }
    w.int(-1).bool(true).int(-1);
  };
}

function setWatchesBody(rng: Rng, withPersistent: boolean): (w: JuteWriter) => void {
  // Long lists of paths, some that exist, most that do not (each fires an event at once).
  const list = () => Array.from({ length: rng.chance(0.2) ? rng.int(2000) : rng.int(8) }, () => fuzzPath(rng));
  return (w) =>
    writeSetWatches(w, {
      relativeZxid: BigInt(rng.int(1000)),
      dataWatches: list(),
      existWatches: list(),
      childWatches: list(),
      persistentWatches: list(),
      persistentRecursiveWatches: list(),
    }, withPersistent);
}

/**
 * One well-formed request frame of a random kind under `root`, written with core/proto.
 * `withAuth: false` leaves out auth packets (a failed auth closes at once, dropping replies).
 */
export function validRequest(rng: Rng, xid: number, { root, withAuth }: { root: string; withAuth: boolean }): Uint8Array {
  currentRoot = root;
  const path = () => fuzzPath(rng);
  const kind = rng.int(22);
  switch (kind === 13 && !withAuth ? 8 : kind) {
    case 0:
    case 1:
    case 2:
      return requestFrame(xid, OpCode.create, createBody(rng));
    case 3:
      return requestFrame(xid, OpCode.create2, createBody(rng));
    case 4:
      return requestFrame(xid, OpCode.createContainer, (w) =>
        writeCreateRequest(w, { path: path(), data: data(rng), acl: acl(rng), flags: 4, ttl: -1n }, false));
    case 5:
    case 6:
      return requestFrame(xid, OpCode.delete, (w) => w.ustring(path()).int(rng.int(3) - 1));
    case 7:
      return requestFrame(xid, OpCode.setData, (w) => w.ustring(path()).buffer(data(rng)).int(rng.int(3) - 1));
    case 8:
      return requestFrame(xid, rng.pick([OpCode.getData, OpCode.exists, OpCode.getChildren, OpCode.getChildren2]), (w) =>
        w.ustring(path()).bool(rng.chance(0.5)));
    case 9:
    case 10:
      return requestFrame(xid, OpCode.multi, multiBody(rng));
    case 11:
      return requestFrame(xid, OpCode.multiRead, (w) => {
        const count = rng.int(5);
        for (let i = 0; i < count; i++) w.int(rng.pick([OpCode.getData, OpCode.getChildren, 3])).bool(false).int(-1).ustring(path()).bool(rng.chance(0.5));
        w.int(-1).bool(true).int(-1);
      });
    case 12:
      return requestFrame(-8, rng.pick([OpCode.setWatches, OpCode.setWatches2]), setWatchesBody(rng, rng.chance(0.5)));
    case 13:
      return requestFrame(-4, OpCode.auth, (w) => w.int(rng.int(3) - 1).ustring(rng.pick(SCHEMES)).buffer(rng.chance(0.8) ? rng.bytes(rng.int(40)) : null));
    case 14:
      return requestFrame(xid, OpCode.closeSession);
    case 15:
      return requestFrame(-2, OpCode.ping);
    case 16:
      return requestFrame(xid, rng.pick([OpCode.checkWatches, OpCode.removeWatches]), (w) => w.ustring(path()).int(rng.pick(WATCHER_TYPES)));
    case 17:
      return requestFrame(xid, OpCode.addWatch, (w) => w.ustring(path()).int(rng.int(4) - 1));
    case 18:
      return requestFrame(xid, OpCode.setACL, (w) => {
        w.ustring(path());
        const list = acl(rng);
        w.int(list.length);
        for (const a of list) w.int(a.perms).ustring(a.id.scheme).ustring(a.id.id);
        w.int(rng.int(3) - 1);
      });
    case 19:
      return requestFrame(xid, rng.pick([OpCode.getACL, OpCode.sync, OpCode.getAllChildrenNumber, OpCode.getEphemerals, OpCode.whoAmI]), (w) =>
        w.ustring(rng.chance(0.9) ? path() : null));
    case 20:
      return requestFrame(xid, OpCode.check, (w) => w.ustring(path()).int(rng.int(3) - 1));
    default:
      return requestFrame(xid, rng.pick([999, -77, 0, 16, 102, 108, 0x7fffffff, -0x80000000]), (w) => w.raw(rng.bytes(rng.int(32))));
  }
}

/** Sets a big-endian int inside a frame (if it fits). */
function putInt(frame: Uint8Array, offset: number, value: number): void {
  if (offset + 4 <= frame.length) new DataView(frame.buffer, frame.byteOffset).setInt32(offset, value);
}

/**
 * Mutates a frame. With `keepFraming` the length prefix stays honest and at least the 8-byte
 * header survives, so the stream stays in step and every reply before a close still arrives.
 */
export function mutate(rng: Rng, frame: Uint8Array, { juteMaxBufferBytes, keepFraming }: { juteMaxBufferBytes: number; keepFraming: boolean }): Uint8Array {
  const out = frame.slice();
  const kinds = keepFraming ? [0, 1, 2, 6, 7, 8, 9, 10, 11] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  switch (rng.pick(kinds)) {
    case 0: {
      // Bit flips anywhere after the length prefix.
      const flips = 1 + rng.int(4);
      // With keepFraming the opcode stays (a flip to auth would close before earlier replies go out).
      const from = keepFraming ? 12 : 4;
      for (let i = 0; i < flips && out.length > from; i++) out[from + rng.int(out.length - from)]! ^= 1 << rng.int(8);
      return out;
    }
    case 1:
      // Truncated body, honest length.
      return withLengthPrefix(out.subarray(4, Math.min(out.length, (keepFraming ? 12 : 4) + rng.int(Math.max(1, out.length - 4)))));
    case 2: {
      // Extended with garbage, honest length.
      const extra = rng.bytes(1 + rng.int(64));
      const body = new Uint8Array(out.length - 4 + extra.length);
      body.set(out.subarray(4));
      body.set(extra, out.length - 4);
      return withLengthPrefix(body);
    }
    case 3:
      // A length prefix that lies (the rest of the stream is then misframed).
      putInt(out, 0, rng.int(out.length * 2 + 8));
      return out;
    case 4:
      putInt(out, 0, -1 - rng.int(0x7fffffff));
      return out;
    case 5:
      putInt(out, 0, juteMaxBufferBytes + 1 + rng.int(16));
      return out;
    case 6:
      // A huge vector/string count at a random aligned field.
      putInt(out, 4 + 4 * (2 + rng.int(Math.max(1, (out.length - 12) / 4))), rng.pick([0x7fffffff, 0x0fffffff, 65536, -2, -5]));
      return out;
    case 7:
      // A negative string length where the path length would be.
      putInt(out, 12, -2 - rng.int(100));
      return out;
    case 8: {
      // Invalid UTF-8 inside the path bytes.
      for (let i = 0; i < 3 && out.length > 17; i++) out[16 + rng.int(Math.min(8, out.length - 16))] = rng.pick([0xff, 0xfe, 0xc0, 0x80, 0xed]);
      return out;
    }
    case 9:
      // A different opcode with the same body.
      putInt(out, 8, rng.pick([OpCode.create, OpCode.delete, OpCode.setData, OpCode.multi, OpCode.setWatches, keepFraming ? 16 : OpCode.auth, OpCode.closeSession, OpCode.getData, 13, 22, 105, 999, -10]));
      return out;
    case 10:
      // A multi whose body is garbage headers with random done flags.
      // The xid stays: a reply must be traceable to the frame that caused it.
      return requestFrame(out.length >= 8 ? new DataView(out.buffer).getInt32(4) : 1, OpCode.multi, (w) => {
        const count = rng.int(10);
        for (let i = 0; i < count; i++) w.int(rng.int(30) - 5).bool(rng.chance(0.3)).int(rng.int(3) - 2).raw(rng.bytes(rng.int(20)));
      });
    default:
      // Random bytes in place of the body, honest length (with keepFraming the header stays:
      // a frame shorter than a header closes at once, dropping replies of writes in flight).
      if (keepFraming) return withLengthPrefix(Buffer.concat([out.subarray(4, 12), rng.bytes(rng.int(120))]));
      return withLengthPrefix(rng.bytes(rng.int(128)));
  }
}

/** A ConnectRequest, sometimes with odd fields (timeouts, unknown sessions, future zxids, short passwords). */
export function connectRequest(rng: Rng): Uint8Array {
  if (rng.chance(0.75)) return connectFrame({ timeOutMs: rng.pick([400, 1000, 2000, 0, -5]) });
  return connectFrame({
    timeOutMs: rng.int(100_000) - 1000,
    sessionId: rng.chance(0.5) ? BigInt(rng.int(1 << 30)) : 0n,
    passwd: rng.bytes(rng.pick([0, 3, 16, 200])),
    lastZxidSeen: rng.chance(0.3) ? BigInt(rng.int(1 << 30)) : 0n,
  });
}

/** What a request did to the tree, as seen from its reply; ordered by zxid across connections. */
export interface LedgerEvent {
  zxid: bigint;
  path: string;
  created: boolean;
  ephemeral: boolean;
}

/** Ops whose successful reply creates a node. */
const CREATES: ReadonlySet<number> = new Set([OpCode.create, OpCode.create2, OpCode.createContainer, OpCode.createTTL]);

function readFrameHeader(frame: Uint8Array): { xid: number; type: number } | undefined {
  if (frame.length < 12) return undefined;
  const view = new DataView(frame.buffer, frame.byteOffset);
  return { xid: view.getInt32(4), type: view.getInt32(8) };
}

/**
 * The creates and deletes a connection's successful replies prove, with the paths taken from the
 * reply (creates, sequential names included) or from the request sent (deletes). Requests whose xid
 * was sent more than once are skipped: their replies cannot be told apart.
 */
export function ledgerEvents(sent: readonly Uint8Array[], replies: readonly { xid: number; zxid: bigint; err: number; body: Uint8Array }[]): {
  events: LedgerEvent[];
  problems: string[];
} {
  const byXid = new Map<number, Uint8Array | null>();
  for (const frame of sent) {
    const header = readFrameHeader(frame);
    if (header === undefined) continue;
    byXid.set(header.xid, byXid.has(header.xid) ? null : frame);
  }
  const events: LedgerEvent[] = [];
  const problems: string[] = [];
  for (const reply of replies) {
    const frame = byXid.get(reply.xid);
    if (frame === undefined || frame === null || reply.err !== 0) continue;
    const type = readFrameHeader(frame)!.type;
    const request = new JuteReader(frame, 12);
    const response = new JuteReader(reply.body);
    try {
      if (CREATES.has(type)) {
        const create = readCreateRequest(request, type === OpCode.createTTL);
        events.push({ zxid: reply.zxid, path: response.string(), created: true, ephemeral: (create.flags & 1) === 1 });
      } else if (type === OpCode.delete) {
        events.push({ zxid: reply.zxid, path: request.string(), created: false, ephemeral: false });
      } else if (type === OpCode.multi) {
        multiEvents(request, response, reply.zxid, events, problems);
      }
    } catch (error) {
      if (!(error instanceof JuteError)) throw error;
      problems.push(`xid ${reply.xid} (op ${type}) succeeded but its request or reply does not parse: ${error.message}`);
    }
  }
  return { events, problems };
}

/** Walks a multi request and its reply side by side; all sub-results must fail or none. */
function multiEvents(request: JuteReader, response: JuteReader, zxid: bigint, events: LedgerEvent[], problems: string[]): void {
  const results: number[] = [];
  const pending: LedgerEvent[] = [];
  for (let i = 0; i < 1000; i++) {
    const op = readMultiHeader(request);
    const result = readMultiHeader(response);
    if (op.done || result.done) {
      if (op.done !== result.done) problems.push(`multi zxid ${zxid}: ${results.length} results for a different number of ops`);
      break;
    }
    results.push(result.type);
    if (CREATES.has(op.type)) {
      const create = readCreateRequest(request, op.type === OpCode.createTTL);
      if (result.type === OpCode.error) response.int();
      else pending.push({ zxid, path: response.string(), created: true, ephemeral: (create.flags & 1) === 1 });
      if (result.type === OpCode.create2) readStat(response);
    } else if (op.type === OpCode.delete || op.type === OpCode.check) {
      const path = request.string();
      request.int();
      if (result.type === OpCode.error) response.int();
      else if (op.type === OpCode.delete) pending.push({ zxid, path, created: false, ephemeral: false });
    } else if (op.type === OpCode.setData) {
      request.string();
      request.buffer();
      request.int();
      if (result.type === OpCode.error) response.int();
      else readStat(response);
    }
  }
  const failed = results.filter((t) => t === OpCode.error).length;
  if (failed !== 0 && failed !== results.length) problems.push(`multi zxid ${zxid} half applied: results ${results.join(",")}`);
  if (failed === 0) events.push(...pending);
}

/** The paths the ledger says exist once every fuzzing session has ended (ephemerals gone). */
export function expectedPaths(events: LedgerEvent[]): Set<string> {
  const sorted = [...events].sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));
  const alive = new Map<string, boolean>();
  for (const event of sorted) alive.set(event.path, event.created && !event.ephemeral);
  return new Set([...alive].filter(([, persistent]) => persistent).map(([path]) => path));
}
