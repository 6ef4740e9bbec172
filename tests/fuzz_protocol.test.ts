/**
 * A seeded protocol fuzzer: many raw TCP connections throw random bytes and mutated frames at a
 * real Paddock server (in-process for speed, then a spawned process so a crash is a dead process
 * and memory is the process's RSS). After every batch the server must still serve a well-formed
 * client, every znode under the ledger root must be explained by a successful reply (and every
 * successful create/delete must show), multis must be all-or-nothing, and a control client's
 * versioned setData must see exactly its own versions.
 *
 * FUZZ_SEED=<n> replays a run; FUZZ_ITERATIONS=<n> scales the number of batches (default 1).
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";
import { digestId } from "../core/acl/digest.ts";
import { JuteReader } from "../core/proto/jute_reader.ts";
import { OpCode } from "../core/proto/op_code.ts";
import { readConnectResponse, readStat } from "../core/proto/records.ts";
import { startServer } from "../core/server/start_server.ts";
import {
  connectRequest,
  expectedPaths,
  HOSTILE_ROOT,
  LEDGER_ROOT,
  type LedgerEvent,
  ledgerEvents,
  mutate,
  Rng,
  validRequest,
} from "./support/fuzz_frames.ts";
import { body, connectFrame, RawConnection, requestFrame, withLengthPrefix } from "./support/raw_zk.ts";
import { paddockAvailable, startPaddock } from "./support/servers.ts";

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ITERATIONS = Math.max(1, Number(process.env.FUZZ_ITERATIONS ?? 1));
const JUTE_MAX_BUFFER = 64 * 1024;
const CONNECTIONS_PER_BATCH = 24;
const IN_PROCESS_BATCHES = 5 * ITERATIONS;
const PROCESS_BATCHES = 3 * ITERATIONS;
/** Bytes of garbage the spawned server is fed per batch by the "flood" connections. */
const FLOOD_BYTES_PER_BATCH = 8 * 1024 * 1024;
const RSS_CEILING_MB = 400;
/** Each slow reader could pin SLOW_READER_REQUESTS x ~63 KiB of replies if writes were unbounded. */
const SLOW_READERS = 8;
const SLOW_READER_REQUESTS = 1000;
const CONTROL_PATH = "/control-versioned-node";
const BIG_PATH = "/big-node-for-slow-readers";
const SYNC_XID = 0x7ffffff0;
const IDLE_WAIT_MS = 300;
const encoder = new TextEncoder();
/** The control client authenticates as super, so fuzzed ACLs cannot hide nodes from the audit. */
const SUPER_PASSWORD = "super:fuzz-audit";
const SUPER_DIGEST = digestId(SUPER_PASSWORD);

console.log(`fuzz_protocol: FUZZ_SEED=${SEED} FUZZ_ITERATIONS=${ITERATIONS} (replay: FUZZ_SEED=${SEED} npx tsx --test tests/fuzz_protocol.test.ts)`);

interface Target {
  host: string;
  port: number;
}

/** What one fuzzing connection sent and got back. */
interface FuzzOutcome {
  ledger: boolean;
  sent: Uint8Array[];
  connection: RawConnection;
  session: { sessionId: bigint; passwd: Uint8Array } | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The frames one connection sends: a handshake (usually) and a mix of valid and mutated requests. */
function sessionStream(rng: Rng, ledger: boolean): Uint8Array[] {
  const root = ledger ? LEDGER_ROOT : HOSTILE_ROOT;
  const frames: Uint8Array[] = [];
  const request = (xid: number) => {
    const frame = validRequest(rng, xid, { root, withAuth: !ledger });
    return rng.chance(0.5) ? frame : mutate(rng, frame, { juteMaxBufferBytes: JUTE_MAX_BUFFER, keepFraming: ledger });
  };
  if (!ledger && rng.chance(0.1)) frames.push(request(1)); // a request before the ConnectRequest
  // Ledger sessions must not expire mid-stream (that closes at once and drops replies); endSession ends them.
  frames.push(ledger ? connectFrame({ timeOutMs: 4_000 }) : rng.chance(0.7) ? connectFrame({ timeOutMs: 400 }) : connectRequest(rng));
  const count = 1 + rng.int(ledger ? 30 : 15);
  for (let i = 0; i < count; i++) {
    frames.push(request(i + 2));
    if (!ledger && rng.chance(0.03)) frames.push(connectRequest(rng)); // a second ConnectRequest
    if (rng.chance(0.02)) frames.push(requestFrame(9000 + i, OpCode.closeSession), requestFrame(9500 + i, OpCode.closeSession));
  }
  return frames;
}

/** Hostile streams that need no session: pure noise, four-letter words, oversize frames. */
function noiseStream(rng: Rng): Uint8Array[] {
  switch (rng.int(4)) {
    case 0:
      return [rng.bytes(1 + rng.int(4096))];
    case 1:
      return [encoder.encode(rng.pick(["ruok", "srvr", "stat", "mntr", "cons", "dump", "wchp", "kill", "abcd", "srv"])), rng.bytes(rng.int(16))];
    case 2:
      // A length just over jute.maxbuffer, then the bytes it promised: none of it may be buffered.
      return [connectFrame(), withLengthPrefix(rng.bytes(JUTE_MAX_BUFFER + 1 + rng.int(8)))];
    default:
      return [mutate(rng, connectFrame(), { juteMaxBufferBytes: JUTE_MAX_BUFFER, keepFraming: false }), rng.bytes(rng.int(256))];
  }
}

/** Writes frames in random chunk sizes (so frames straddle reads), then lets the server answer. */
async function runConnection(target: Target, rng: Rng, ledger: boolean): Promise<FuzzOutcome> {
  const sent = ledger || rng.chance(0.7) ? sessionStream(rng, ledger) : noiseStream(rng);
  const connection = await RawConnection.open(target.host, target.port);
  const stream = Buffer.concat(sent);
  let offset = 0;
  for (let piece = 0; piece < 64 && offset < stream.length; piece++) {
    const size = piece === 63 ? stream.length - offset : 1 + rng.int(Math.min(stream.length - offset, rng.chance(0.3) ? 7 : 20_000));
    connection.send(stream.subarray(offset, offset + size));
    offset += size;
    if (rng.chance(0.3)) await sleep(0);
  }
  if (ledger) {
    // A read queued behind everything: once it is answered, every earlier reply has arrived.
    connection.send(requestFrame(SYNC_XID, OpCode.exists, body.pathWatch("/")));
    // Answered, or the stream closed its own session (a closeSession frame) and so the connection.
    const answered = await connection.waitFor(() => connection.replies().some((r) => r.xid === SYNC_XID), 5_000);
    assert.ok(answered || connection.closed, "the read queued behind the stream got no answer within 5 s and the connection is still open");
  } else {
    await connection.waitClosed(IDLE_WAIT_MS);
  }
  let session: FuzzOutcome["session"] = null;
  const first = connection.frames[0];
  if (first !== undefined && first.length >= 36) {
    try {
      const response = readConnectResponse(new JuteReader(first));
      if (response.sessionId !== 0n) session = { sessionId: response.sessionId, passwd: response.passwd };
    } catch {
      // Not a ConnectResponse (a four-letter-word answer): no session to close.
    }
  }
  connection.destroy();
  return { ledger, sent, connection, session };
}

/** Ends a fuzzing session by resuming it and sending closeSession, so its ephemerals go now. */
async function endSession(target: Target, session: { sessionId: bigint; passwd: Uint8Array }): Promise<void> {
  const c = await RawConnection.open(target.host, target.port);
  try {
    const response = await c.handshake(connectFrame({ sessionId: session.sessionId, passwd: session.passwd, timeOutMs: 400 }));
    if (response.sessionId === 0n) return; // already expired or closed
    await c.call(requestFrame(1, OpCode.closeSession), 5_000);
  } finally {
    c.destroy();
  }
}

/** A well-formed client that must always work: connect, create, getData, delete. */
async function assertServes(target: Target, label: string): Promise<void> {
  const c = await RawConnection.open(target.host, target.port);
  try {
    const response = await c.handshake(connectFrame({ timeOutMs: 4_000 }));
    assert.notEqual(response.sessionId, 0n, `${label}: the handshake of a well-formed client failed`);
    const path = `/health-${label.replace(/\W+/g, "-")}`;
    const payload = encoder.encode(`alive ${label}`);
    const created = await c.call(requestFrame(1, OpCode.create, body.create(path, payload)));
    assert.equal(created?.err, 0, `${label}: create ${path} answered ${created?.err ?? "nothing"}`);
    const read = await c.call(requestFrame(2, OpCode.getData, body.pathWatch(path)));
    assert.equal(read?.err, 0, `${label}: getData ${path} answered ${read?.err ?? "nothing"}`);
    assert.deepEqual(new JuteReader(read.body).buffer(), payload, `${label}: getData returned other bytes`);
    const deleted = await c.call(requestFrame(3, OpCode.delete, body.pathVersion(path, 0)));
    assert.equal(deleted?.err, 0, `${label}: delete ${path} answered ${deleted?.err ?? "nothing"}`);
    await c.call(requestFrame(4, OpCode.closeSession));
  } finally {
    c.destroy();
  }
}

/**
 * The control client: versioned setData must move the version by exactly one, a stale version must
 * fail without effect, and a multi with a failing check must leave nothing behind.
 */
class Control {
  version = 0;
  #xid = 100;
  readonly #c: RawConnection;

  private constructor(c: RawConnection) {
    this.#c = c;
  }

  static async open(target: Target): Promise<Control> {
    const c = await RawConnection.open(target.host, target.port);
    await c.handshake(connectFrame({ timeOutMs: 30_000 }));
    c.send(requestFrame(-4, OpCode.auth, (w) => w.int(0).ustring("digest").buffer(encoder.encode(SUPER_PASSWORD))));
    const control = new Control(c);
    const created = await c.call(requestFrame(1, OpCode.create, body.create(CONTROL_PATH, encoder.encode("v0"))));
    assert.equal(created?.err, 0, "control: create");
    for (const root of [LEDGER_ROOT, HOSTILE_ROOT]) await c.call(requestFrame(2, OpCode.create, body.create(root)));
    const big = await c.call(requestFrame(3, OpCode.create, body.create(BIG_PATH, new Uint8Array(JUTE_MAX_BUFFER - 1024))));
    assert.equal(big?.err, 0, "control: create the big node");
    return control;
  }

  async #call(type: number, write: Parameters<typeof requestFrame>[2]) {
    const reply = await this.#c.call(requestFrame(++this.#xid, type, write));
    assert.ok(reply !== undefined, `control: no reply to op ${type} (connection closed: ${this.#c.closed})`);
    return reply;
  }

  async check(label: string): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const set = await this.#call(OpCode.setData, body.setData(CONTROL_PATH, encoder.encode(`v${this.version + 1}`), this.version));
      assert.equal(set.err, 0, `${label}: control setData at version ${this.version}`);
      assert.equal(readStat(new JuteReader(set.body)).version, this.version + 1, `${label}: control version after setData`);
      this.version++;
    }
    const stale = await this.#call(OpCode.setData, body.setData(CONTROL_PATH, encoder.encode("stale"), this.version - 1));
    assert.equal(stale.err, -103, `${label}: a stale setData must be BadVersion`);
    const multi = await this.#call(OpCode.multi, (w) => {
      w.int(OpCode.setData).bool(false).int(-1).ustring(CONTROL_PATH).buffer(encoder.encode("half")).int(this.version);
      w.int(OpCode.create).bool(false).int(-1);
      body.create(`${CONTROL_PATH}/half-applied`)(w);
      w.int(OpCode.check).bool(false).int(-1).ustring(CONTROL_PATH).int(this.version + 7);
      w.int(-1).bool(true).int(-1);
    });
    const read = await this.#call(OpCode.getData, body.pathWatch(CONTROL_PATH));
    assert.equal(read.err, 0, `${label}: control getData`);
    const r = new JuteReader(read.body);
    assert.equal(new TextDecoder().decode(r.buffer() ?? new Uint8Array(0)), `v${this.version}`, `${label}: control data (multi err ${multi.err})`);
    assert.equal(readStat(r).version, this.version, `${label}: a failed multi changed the control node's version`);
    const child = await this.#call(OpCode.exists, body.pathWatch(`${CONTROL_PATH}/half-applied`));
    assert.equal(child.err, -101, `${label}: a failed multi left its create behind`);
  }

  /** Every node under `root` (root included), by walking getChildren2; checks numChildren on the way. */
  async listTree(root: string, label: string): Promise<Set<string>> {
    const found = new Set<string>();
    const queue = [root];
    for (let i = 0; i < queue.length && i < 200_000; i++) {
      const path = queue[i]!;
      const reply = await this.#call(OpCode.getChildren2, body.pathWatch(path));
      if (reply.err === -101) continue; // deleted while walking: cannot happen once fuzzing stopped
      assert.equal(reply.err, 0, `${label}: getChildren2 ${path}`);
      found.add(path);
      const r = new JuteReader(reply.body);
      const children = r.ustrings() ?? [];
      assert.equal(readStat(r).numChildren, children.length, `${label}: numChildren of ${path} disagrees with its children`);
      for (const child of children) queue.push(path === "/" ? `/${child}` : `${path}/${child}`);
    }
    return found;
  }

  /** Whether `path` exists (the control client is super, so no ACL hides it). */
  async exists(path: string, label: string): Promise<boolean> {
    const reply = await this.#call(OpCode.exists, body.pathWatch(path));
    if (reply.err !== 0) assert.equal(reply.err, -101, `${label}: exists ${path}`);
    return reply.err === 0;
  }

  close(): void {
    this.#c.destroy();
  }
}

/** Runs one batch: connections in parallel, sessions ended, then every invariant checked. */
async function batch(target: Target, control: Control, rng: Rng, label: string, ledger: LedgerEvent[]): Promise<void> {
  const runs: Promise<FuzzOutcome>[] = [];
  for (let i = 0; i < CONNECTIONS_PER_BATCH; i++) {
    const child = new Rng(rng.int(2 ** 31));
    runs.push(runConnection(target, child, i % 3 === 0));
  }
  const outcomes = await Promise.all(runs);
  const problems: string[] = [];
  for (const outcome of outcomes) {
    if (!outcome.ledger) continue;
    const result = ledgerEvents(outcome.sent, outcome.connection.replies());
    ledger.push(...result.events);
    problems.push(...result.problems);
  }
  assert.deepEqual(problems, [], `${label}: replies that break atomicity or do not parse`);
  for (const outcome of outcomes) if (outcome.session !== null) await endSession(target, outcome.session);
  await assertServes(target, label);
  await control.check(label);
  const expected = expectedPaths(ledger);
  expected.add(LEDGER_ROOT);
  const actual = await control.listTree(LEDGER_ROOT, label);
  // A mutated byte can move a ledger request's path out of the ledger root ("/fz/c" -> "/fz'c"),
  // where the walk does not look: those nodes are checked one by one.
  for (const path of expected) {
    if (path !== LEDGER_ROOT && !path.startsWith(`${LEDGER_ROOT}/`) && (await control.exists(path, label))) actual.add(path);
  }
  const missing = [...expected].filter((p) => !actual.has(p));
  const unexplained = [...actual].filter((p) => !expected.has(p));
  assert.deepEqual({ missing, unexplained }, { missing: [], unexplained: [] },
    `${label}: znodes under ${LEDGER_ROOT} vs successful replies; requests naming them:\n${explain([...missing, ...unexplained], outcomes)}`);
}

/** For a failure message: the requests of this batch whose bytes name one of `paths`, and what came back. */
function explain(paths: string[], outcomes: FuzzOutcome[]): string {
  const lines: string[] = [];
  for (const [n, outcome] of outcomes.entries()) {
    const replies = outcome.connection.replies();
    for (const frame of outcome.sent) {
      // The path as jute writes it (length prefix and bytes), so longer paths do not match.
      const hex = Buffer.from(frame).toString("hex");
      const named = paths.some((p) => hex.includes(Buffer.from(requestFrame(0, 0, (w) => w.ustring(p)).subarray(12)).toString("hex")));
      if (!named || frame.length < 12) continue;
      const view = new DataView(frame.buffer, frame.byteOffset);
      const xid = view.getInt32(4);
      const reply = replies.find((r) => r.xid === xid);
      lines.push(`  conn ${n}${outcome.ledger ? " (ledger)" : ""} xid ${xid} op ${view.getInt32(8)}: ` +
        `${reply === undefined ? "no reply" : `err ${reply.err} zxid ${reply.zxid}`}, closed ${outcome.connection.closed}, ` +
        `${Buffer.from(frame).toString("hex").slice(0, 160)}`);
    }
  }
  return lines.slice(0, 40).join("\n");
}

test(`in-process server survives hostile clients (FUZZ_SEED=${SEED})`, async () => {
  const running = await startServer({
    clientPort: 0,
    inMemory: true,
    tickTime: 200,
    juteMaxBuffer: JUTE_MAX_BUFFER,
    maxClientCnxns: 0,
    fourLetterWords: new Set(["ruok", "srvr", "mntr", "stat"]),
    superDigest: SUPER_DIGEST,
  });
  const target = { host: running.host, port: running.port };
  const rng = new Rng(SEED);
  const control = await Control.open(target);
  const ledger: LedgerEvent[] = [];
  try {
    for (let i = 0; i < IN_PROCESS_BATCHES; i++) await batch(target, control, rng, `in-process batch ${i}`, ledger);
    // Only the control connection is left: nothing leaked per connection (watches, connections).
    const deadline = Date.now() + 3_000;
    while (running.server.connections.size > 1 && Date.now() < deadline) await sleep(50);
    assert.equal(running.server.connections.size, 1, "connections left open after the fuzz connections closed");
    assert.equal(running.server.tree.dataWatches.size + running.server.tree.childWatches.size, 0, "watches of closed connections leaked");
  } finally {
    control.close();
    await running.close();
  }
});

/** The pid of the spawned server, found by its unique zoo.cfg directory on its command line. */
function pidServing(dir: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(dir)) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Clients that pipeline reads of a big node and never read the replies. */
async function slowReaders(target: Target, count: number, requests: number): Promise<RawConnection[]> {
  const readers: RawConnection[] = [];
  for (let i = 0; i < count; i++) {
    const c = await RawConnection.open(target.host, target.port);
    await c.handshake(connectFrame({ timeOutMs: 30_000 }));
    c.socket.pause();
    const frames = Array.from({ length: requests }, (_, xid) => requestFrame(xid + 1, OpCode.getData, body.pathWatch(BIG_PATH)));
    c.send(Buffer.concat(frames));
    readers.push(c);
  }
  return readers;
}

/** Connections that stream garbage frames of nearly jute.maxbuffer each. */
async function flood(target: Target, rng: Rng, totalBytes: number): Promise<void> {
  const per = totalBytes / 8;
  await Promise.all(Array.from({ length: 8 }, async () => {
    const c = await RawConnection.open(target.host, target.port);
    c.send(connectFrame());
    for (let sent = 0; sent < per && !c.closed; sent += JUTE_MAX_BUFFER) {
      c.send(withLengthPrefix(requestFrame(1, OpCode.setData, body.setData(`${HOSTILE_ROOT}/x`, rng.bytes(JUTE_MAX_BUFFER - 200), -1)).subarray(4)));
      if (rng.chance(0.5)) c.send(rng.bytes(rng.int(JUTE_MAX_BUFFER)));
      await sleep(0);
    }
    await c.waitClosed(IDLE_WAIT_MS);
    c.destroy();
  }));
}

test(`spawned server process survives hostile clients with bounded memory (FUZZ_SEED=${SEED})`, {
  skip: paddockAvailable() && process.platform === "linux" ? false : "needs plugins/main.ts and /proc",
}, async () => {
  const paddock = await startPaddock({ extra: {
      "jute.maxbuffer": JUTE_MAX_BUFFER,
      maxClientCnxns: 0,
      // The control connection sends no pings: its 30 s session must not be cut to 20 ticks,
      // or a slow batch on a loaded machine expires it and the server rightly closes it.
      maxSessionTimeout: 60_000,
      inMemory: true,
      "zookeeper.DigestAuthenticationProvider.superDigest": SUPER_DIGEST,
    }, });
  const target = { host: paddock.host, port: paddock.port };
  const pid = pidServing(paddock.dir);
  const rng = new Rng(SEED ^ 0x5eed);
  let control: Control | undefined;
  try {
    assert.ok(pid !== undefined, "cannot find the spawned server's pid");
    control = await Control.open(target);
    const ledger: LedgerEvent[] = [];
    const baselineMb = rssMb(pid);
    let peakMb = baselineMb;
    for (let i = 0; i < PROCESS_BATCHES; i++) {
      const readers = await slowReaders(target, SLOW_READERS, SLOW_READER_REQUESTS);
      await flood(target, rng, FLOOD_BYTES_PER_BATCH);
      await batch(target, control, rng, `process batch ${i}`, ledger);
      peakMb = Math.max(peakMb, rssMb(pid));
      // A slow reader that finally reads gets every reply: holding back must not lose any.
      const late = readers[0]!;
      late.socket.resume();
      const all = await late.waitFor(() => late.frames.length >= SLOW_READER_REQUESTS + 1, 20_000);
      assert.ok(all, `a slow reader got ${late.frames.length - 1} of ${SLOW_READER_REQUESTS} replies after it started reading`);
      for (const reader of readers) reader.destroy();
      assert.ok(rssMb(pid) < RSS_CEILING_MB, `server RSS ${rssMb(pid).toFixed(0)} MB after batch ${i} (baseline ${baselineMb.toFixed(0)} MB)`);
    }
    console.log(`fuzz_protocol: server RSS baseline ${baselineMb.toFixed(0)} MB, peak ${peakMb.toFixed(0)} MB`);
    assert.ok(peakMb < RSS_CEILING_MB, `server RSS peaked at ${peakMb.toFixed(0)} MB (ceiling ${RSS_CEILING_MB} MB)`);
    assert.ok(pidServing(paddock.dir) === pid, `the server process died:\n${paddock.output()}`);
  } finally {
    control?.close();
    await paddock.stop();
  }
});
