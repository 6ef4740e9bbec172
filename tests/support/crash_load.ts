/**
 * The crash test's load generator and checker. Several raw-protocol sessions keep many writes in
 * flight: creates of unique nodes and versioned setData on counters each session owns (so the
 * version every setData will produce is known when it is sent). Every write is recorded as
 * acknowledged (reply err 0, with what the reply said) or in flight (sent, no answer before the
 * crash). After a restart, {@link verifyRound} reads the tree back and lists every violation.
 */
import { ErrorCode, JuteWriter, OpCode, Perms, readStat } from "../../core/proto/mod.ts";
import { RawSession } from "./raw_session.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Shape of one round's load. */
export interface CrashLoadSpec {
  host: string;
  port: number;
  /** Unique per round: `/crash/r<round>`. */
  root: string;
  sessions: number;
  inFlightPerSession: number;
  countersPerSession: number;
  /** Share of writes that are setData (the rest are creates). */
  setDataShare: number;
  /** Upper bound on writes per session, so a round's tree stays bounded. */
  writesPerSessionMax: number;
  random: () => number;
}

/** What one counter saw: the version its latest acknowledged and latest sent setData produce. */
export interface CounterRecord {
  readonly path: string;
  ackedVersion: number;
  sentVersion: number;
}

/** Everything a round wrote, as the client knows it. */
export interface RoundRecord {
  readonly root: string;
  readonly counters: CounterRecord[];
  /** Parent path -> child name -> acknowledged? (false: sent, answer not seen). */
  readonly creates: Map<string, Map<string, boolean>>;
  acked: number;
  inFlight: number;
  /** Replies with an error other than connection loss: none are expected. */
  readonly unexpected: string[];
}

/** The data a counter holds at a version: nothing half-applied means data and version agree. */
export function counterData(path: string, version: number): Uint8Array {
  return encoder.encode(`${path}@${version}`);
}

/** The data of a created node. */
export function createData(parent: string, name: string): Uint8Array {
  return encoder.encode(`${parent}/${name}#data`);
}

/**
 * Creates the round's parents and counters (one session, pipelined), then returns the record
 * with every counter at version 0.
 */
export async function prepareRound(spec: CrashLoadSpec): Promise<RoundRecord> {
  const session = await RawSession.connect(spec.host, spec.port, { timeoutMs: 4000 });
  const record: RoundRecord = { root: spec.root, counters: [], creates: new Map(), acked: 0, inFlight: 0, unexpected: [] };
  try {
    await expectOk(session, create("/crash", new Uint8Array(0)), true);
    await expectOk(session, create(spec.root, new Uint8Array(0)), false);
    const pending: Promise<void>[] = [];
    for (let s = 0; s < spec.sessions; s++) {
      const parent = `${spec.root}/s${s}`;
      record.creates.set(parent, new Map());
      pending.push(expectOk(session, create(parent, new Uint8Array(0)), false));
      for (let c = 0; c < spec.countersPerSession; c++) {
        const path = `${spec.root}/k${s}-${c}`;
        record.counters.push({ path, ackedVersion: 0, sentVersion: 0 });
        pending.push(expectOk(session, create(path, counterData(path, 0)), false));
      }
    }
    await Promise.all(pending);
  } finally {
    session.drop();
  }
  return record;
}

/**
 * Connects the sessions, then starts the load and calls `crash` (which kills the server at its
 * chosen moment); resolves once every session's connection has dropped and `crash` has settled.
 */
export async function runLoad(spec: CrashLoadSpec, record: RoundRecord, crash: () => Promise<void>): Promise<void> {
  const sessions: RawSession[] = [];
  for (let s = 0; s < spec.sessions; s++) sessions.push(await RawSession.connect(spec.host, spec.port, { timeoutMs: 4000 }));
  let stopped = false;
  const crashed = crash().finally(() => (stopped = true));
  const lanes: Promise<void>[] = [];
  for (let s = 0; s < spec.sessions; s++) {
    const session = sessions[s]!;
    const parent = `${spec.root}/s${s}`;
    const counters = record.counters.slice(s * spec.countersPerSession, (s + 1) * spec.countersPerSession);
    const writer = { seq: 0 };
    for (let lane = 0; lane < spec.inFlightPerSession; lane++) {
      lanes.push(runLane({ spec, record, session, parent, counters, writer, stopped: () => stopped }));
    }
  }
  await Promise.all(lanes);
  for (const session of sessions) session.drop();
  await crashed;
}

interface Lane {
  spec: CrashLoadSpec;
  record: RoundRecord;
  session: RawSession;
  parent: string;
  counters: CounterRecord[];
  /** Shared by a session's lanes: the next unique create suffix. */
  writer: { seq: number };
  stopped: () => boolean;
}

/** One request slot of a session: sends a write, waits for its answer, repeats. */
async function runLane(lane: Lane): Promise<void> {
  const { spec, record, session } = lane;
  // Bounded by writesPerSessionMax (each iteration sends one write or stops).
  while (!lane.stopped() && !session.closed && lane.writer.seq < spec.writesPerSessionMax) {
    const seq = lane.writer.seq++;
    if (spec.random() < spec.setDataShare) {
      const counter = lane.counters[seq % lane.counters.length]!;
      const expected = counter.sentVersion++;
      const version = expected + 1;
      record.inFlight++;
      const reply = await session.request(OpCode.setData, (w) => {
        w.ustring(counter.path).buffer(counterData(counter.path, version)).int(expected);
      });
      if (reply.err === ErrorCode.CONNECTIONLOSS) return;
      record.inFlight--;
      if (reply.err !== 0) {
        record.unexpected.push(`setData ${counter.path} v${expected}: err ${reply.err}`);
        return;
      }
      const stat = readStat(reply.body);
      if (stat.version !== version) record.unexpected.push(`setData ${counter.path} answered version ${stat.version}, expected ${version}`);
      counter.ackedVersion = Math.max(counter.ackedVersion, stat.version);
      record.acked++;
    } else {
      const name = `n${seq}`;
      const children = record.creates.get(lane.parent)!;
      children.set(name, false);
      record.inFlight++;
      const reply = await session.request(OpCode.create, create(`${lane.parent}/${name}`, createData(lane.parent, name)));
      if (reply.err === ErrorCode.CONNECTIONLOSS) return;
      record.inFlight--;
      if (reply.err !== 0) {
        record.unexpected.push(`create ${lane.parent}/${name}: err ${reply.err}`);
        return;
      }
      children.set(name, true);
      record.acked++;
    }
  }
}

/** Reads in flight per verifying session: enough to be quick, few enough to keep the session alive. */
const VERIFY_BATCH = 256;
/** Verifying sessions send no pings; a long timeout covers a slow, busy restart. */
const VERIFY_SESSION_TIMEOUT_MS = 30_000;

/** Runs `check` over `items`, at most VERIFY_BATCH at a time. */
async function inBatches<T>(items: readonly T[], check: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += VERIFY_BATCH) await Promise.all(items.slice(i, i + VERIFY_BATCH).map(check));
}

/**
 * Reads the round's nodes back from a restarted server; returns the violations (none expected).
 * `checkData: false` (rounds already verified once) checks versions and which children exist,
 * not every child's data, so a long run's per-round cost stays flat.
 */
export async function verifyRound(host: string, port: number, record: RoundRecord, checkData = true): Promise<{ violations: string[]; lost: number }> {
  const session = await RawSession.connect(host, port, { timeoutMs: VERIFY_SESSION_TIMEOUT_MS });
  const violations: string[] = [];
  let lost = 0;
  try {
    await inBatches(record.counters, async (counter) => {
      const reply = await session.request(OpCode.getData, (w) => w.ustring(counter.path).bool(false));
      if (reply.err !== 0) {
        violations.push(`counter ${counter.path}: getData err ${reply.err}`);
        lost++;
        return;
      }
      const data = decoder.decode(reply.body.buffer() ?? new Uint8Array(0));
      const { version } = readStat(reply.body);
      if (version < counter.ackedVersion) {
        lost++;
        violations.push(`counter ${counter.path}: version ${version} < acknowledged ${counter.ackedVersion}`);
      }
      if (version > counter.sentVersion) violations.push(`counter ${counter.path}: version ${version} > highest sent ${counter.sentVersion}`);
      const expected = decoder.decode(counterData(counter.path, version));
      if (data !== expected) violations.push(`counter ${counter.path}: data "${data}" at version ${version}, expected "${expected}"`);
    });
    for (const [parent, children] of record.creates) lost += await verifyCreates(session, parent, children, violations, checkData);
  } finally {
    session.drop();
  }
  return { violations, lost };
}

/** Checks one create parent: acknowledged children exist with their data, nothing unsent exists. */
async function verifyCreates(
  session: RawSession,
  parent: string,
  children: Map<string, boolean>,
  violations: string[],
  checkData: boolean,
): Promise<number> {
  const reply = await session.request(OpCode.getChildren, (w) => w.ustring(parent).bool(false));
  if (reply.err !== 0) {
    violations.push(`parent ${parent}: getChildren err ${reply.err}`);
    return [...children.values()].filter((acked) => acked).length;
  }
  const present = new Set(reply.body.ustrings() ?? []);
  let lost = 0;
  for (const name of present) {
    if (!children.has(name)) violations.push(`${parent}/${name} exists but was never sent`);
  }
  for (const [name, acked] of children) {
    if (acked && !present.has(name)) {
      lost++;
      violations.push(`${parent}/${name}: acknowledged create is missing`);
    }
  }
  if (!checkData) return lost;
  await inBatches([...present].filter((name) => children.has(name)), async (name) => {
    const got = await session.request(OpCode.getData, (w) => w.ustring(`${parent}/${name}`).bool(false));
    const data = got.err === 0 ? decoder.decode(got.body.buffer() ?? new Uint8Array(0)) : `<err ${got.err}>`;
    const expected = decoder.decode(createData(parent, name));
    if (data !== expected) violations.push(`${parent}/${name}: data "${data}", expected "${expected}"`);
  });
  return lost;
}

/**
 * After verification the round's state is settled: what the server has now is what every later
 * round must keep seeing exactly (no one writes there again).
 */
export function settle(record: RoundRecord, observedVersions: Map<string, number>): void {
  for (const counter of record.counters) {
    const version = observedVersions.get(counter.path) ?? counter.ackedVersion;
    counter.ackedVersion = version;
    counter.sentVersion = version;
  }
}

/** Reads every counter's current version (for {@link settle}). */
export async function readVersions(host: string, port: number, record: RoundRecord): Promise<Map<string, number>> {
  const session = await RawSession.connect(host, port, { timeoutMs: VERIFY_SESSION_TIMEOUT_MS });
  try {
    const versions = new Map<string, number>();
    await inBatches(record.counters, async (counter) => {
      const reply = await session.request(OpCode.exists, (w) => w.ustring(counter.path).bool(false));
      if (reply.err === 0) versions.set(counter.path, readStat(reply.body).version);
    });
    return versions;
  } finally {
    session.drop();
  }
}

/** Marks every create of a settled round by whether it exists now; absent ones must stay absent. */
export async function settleCreates(host: string, port: number, record: RoundRecord): Promise<void> {
  const session = await RawSession.connect(host, port, { timeoutMs: VERIFY_SESSION_TIMEOUT_MS });
  try {
    await Promise.all([...record.creates].map(async ([parent, children]) => {
      const reply = await session.request(OpCode.getChildren, (w) => w.ustring(parent).bool(false));
      const present = new Set(reply.err === 0 ? reply.body.ustrings() ?? [] : []);
      for (const name of [...children.keys()]) {
        if (present.has(name)) children.set(name, true);
        else children.delete(name);
      }
    }));
  } finally {
    session.drop();
  }
}

/** A create request body (persistent, open ACL). */
export function create(path: string, data: Uint8Array): (w: JuteWriter) => void {
  return (w) => {
    w.ustring(path).buffer(data);
    w.int(1).int(Perms.ALL).ustring("world").ustring("anyone");
    w.int(0);
  };
}

async function expectOk(session: RawSession, body: (w: JuteWriter) => void, existsOk: boolean): Promise<void> {
  const reply = await session.request(OpCode.create, body);
  if (reply.err === 0 || (existsOk && reply.err === ErrorCode.NODEEXISTS)) return;
  throw new Error(`prepare: create failed with err ${reply.err}`);
}
