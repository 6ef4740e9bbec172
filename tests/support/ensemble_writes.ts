import { readFileSync } from "node:fs";
import { type Client, type ClientOptions, ConnectionState, createClient, ErrorCode, KeeperError, type Stat } from "../../mod.ts";
import type { Ensemble } from "./ensemble.ts";
import { fourLetterWord } from "./four_letter.ts";

const decoder = new TextDecoder();

/** What a {@link PipelinedWriter} saw. */
export interface WriterReport {
  /** Children of the writer's parent whose create was answered OK. */
  acked: Set<string>;
  /** Creates that ended in connection loss or a timeout: applied or not, nobody knows. */
  unknown: Set<string>;
  /** Creates refused (e.g. NODEEXISTS after a retried unknown one): must not happen here. */
  refused: string[];
  /** Session states the client went through (an expiry would show here). */
  states: ConnectionState[];
  /** The longest time without an acknowledgement while the writer ran (from start to stop). */
  longestStallMs: number;
}

/** How a {@link PipelinedWriter} writes. */
export interface PipelinedWriterOptions {
  /** Creates in flight at once; default 32. */
  window?: number;
  /** Default 15000. */
  sessionTimeoutMs?: number;
  /** Names the znodes `<prefix><seq>`; default "w". */
  prefix?: string;
  /** Hears every acknowledged create, as it arrives. */
  onAck?: (name: string, stat: Stat) => void;
  /** false: the first server of the connect string first (default: shuffled). */
  shuffleHosts?: boolean;
  /** Overrides the client's options. */
  client?: ClientOptions;
}

/**
 * Keeps `window` creates in flight under `parent` through one Paddock client session (znodes
 * `<prefix><seq>` holding their own name), as an application that pipelines writes does. A create that
 * fails with connection loss is recorded as unknown and the next one goes on; the session must
 * survive every failover (the client moves to another member and keeps it).
 *
 * @example const w = await PipelinedWriter.start(ensemble.connectString(), "/w"); ...; const r = await w.stop();
 */
export class PipelinedWriter {
  readonly #client: Client;
  readonly #parent: string;
  readonly #window: number;
  readonly #prefix: string;
  readonly #onAck: ((name: string, stat: Stat) => void) | undefined;
  readonly #report: WriterReport = { acked: new Set(), unknown: new Set(), refused: [], states: [], longestStallMs: 0 };
  readonly #inFlight = new Set<Promise<void>>();
  #seq = 0;
  #lastAckAt = performance.now();
  #stopping = false;
  #stopped: Promise<WriterReport> | undefined;
  #loop: Promise<void> = Promise.resolve();

  private constructor(client: Client, parent: string, window: number, prefix: string, onAck: ((name: string, stat: Stat) => void) | undefined) {
    this.#client = client;
    this.#onAck = onAck;
    this.#parent = parent;
    this.#window = window;
    this.#prefix = prefix;
    client.on("state", (state) => this.#report.states.push(state));
  }

  /**
   * `prefix` names the znodes (`<prefix><seq>`, default "w"): writers sharing a parent need their own.
   * `onAck` hears every acknowledged create with its Stat as it arrives (the benchmarks time
   * failovers by it); `shuffleHosts: false` connects to the first server of `connectString` first
   * (writes through a chosen member), moving down the list when it fails; `client` overrides the
   * client's options.
   */
  static async start(connectString: string, parent: string, opts: PipelinedWriterOptions = {}): Promise<PipelinedWriter> {
    const client = createClient(connectString, { sessionTimeoutMs: opts.sessionTimeoutMs ?? 15_000, shuffleHosts: opts.shuffleHosts, ...opts.client });
    await client.ready({ wait: true, signal: AbortSignal.timeout(30_000) });
    await client.create(parent, null).catch((err: unknown) => {
      if (!(err instanceof KeeperError && err.code === ErrorCode.NODEEXISTS)) throw err;
    });
    const writer = new PipelinedWriter(client, parent, opts.window ?? 32, opts.prefix ?? "w", opts.onAck);
    writer.#loop = writer.#run();
    return writer;
  }

  /** How many creates were acknowledged so far. */
  get ackedCount(): number {
    return this.#report.acked.size;
  }

  /** Resolves once `count` more creates than now have been acknowledged. */
  async waitForAcks(count: number, timeoutMs = 60_000): Promise<void> {
    const target = this.#report.acked.size + count;
    const deadline = performance.now() + timeoutMs;
    while (this.#report.acked.size < target) {
      if (performance.now() > deadline) throw new Error(`only ${this.#report.acked.size} of ${target} creates acknowledged within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      if (this.#inFlight.size >= this.#window) {
        await Promise.race(this.#inFlight);
        continue;
      }
      const name = `${this.#prefix}${String(this.#seq++).padStart(8, "0")}`;
      const write = this.#create(name).finally(() => this.#inFlight.delete(write));
      this.#inFlight.add(write);
      // Let answers in between sends, and back off while disconnected.
      if (this.#client.state !== "connected") await sleep(10);
      else if (this.#seq % this.#window === 0) await sleep(0);
    }
    await Promise.all(this.#inFlight);
  }

  async #create(name: string): Promise<void> {
    try {
      const { stat } = await this.#client.create(`${this.#parent}/${name}`, name);
      this.#report.acked.add(name);
      this.#noteAck();
      this.#onAck?.(name, stat);
    } catch (err) {
      if (err instanceof KeeperError && (err.code === ErrorCode.CONNECTIONLOSS || err.code === ErrorCode.OPERATIONTIMEOUT)) {
        this.#report.unknown.add(name);
      } else {
        this.#report.refused.push(`${name}: ${(err as Error).message}`);
      }
    }
  }

  /** The longest stall so far, including the one going on now. */
  get longestStallMs(): number {
    return Math.max(this.#report.longestStallMs, performance.now() - this.#lastAckAt);
  }

  #noteAck(): void {
    const now = performance.now();
    this.#report.longestStallMs = Math.max(this.#report.longestStallMs, now - this.#lastAckAt);
    this.#lastAckAt = now;
  }

  /** Stops sending, waits for every answer, closes the session (once: later calls get the same report). */
  stop(): Promise<WriterReport> {
    return this.#stopped ??= this.#finish();
  }

  async #finish(): Promise<WriterReport> {
    this.#report.longestStallMs = this.longestStallMs;
    this.#stopping = true;
    await this.#loop;
    await this.#client.close();
    return this.#report;
  }
}

/** One znode as a member serves it. */
export interface ServedNode {
  data: string | null;
  version: number;
  mzxid: bigint;
}

/**
 * The children of `parent` as one member serves them after a `sync` (a client connected to that
 * member alone), with each one's data, version and mzxid. A connection lost on the way (the
 * member re-elected meanwhile) means reading again.
 */
export async function servedChildren(port: number, parent: string, attempts = 5): Promise<Map<string, ServedNode>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readChildren(port, parent);
    } catch (err) {
      const lost = err instanceof KeeperError && (err.code === ErrorCode.CONNECTIONLOSS || err.code === ErrorCode.OPERATIONTIMEOUT);
      if (!lost || attempt >= attempts) throw err;
      await sleep(500);
    }
  }
}

/** Reads in flight at once when a parent's children are read back (the client holds at most 100,000 pending). */
const READ_BATCH = 10_000;

async function readChildren(port: number, parent: string): Promise<Map<string, ServedNode>> {
  const client = createClient(`127.0.0.1:${port}`, { sessionTimeoutMs: 10_000 });
  try {
    await client.ready({ wait: true, signal: AbortSignal.timeout(30_000) });
    await client.sync(parent);
    const { children } = await client.getChildren(parent);
    const out = new Map<string, ServedNode>();
    // In batches: a parent with more children than the client lets wait at once would be refused.
    const reads: Awaited<ReturnType<typeof client.getData>>[] = [];
    for (let at = 0; at < children.length; at += READ_BATCH) {
      reads.push(...await Promise.all(children.slice(at, at + READ_BATCH).map((name) => client.getData(`${parent}/${name}`))));
    }
    children.forEach((name, i) => {
      const { data, stat } = reads[i]!;
      out.set(name, { data: data === null ? null : decoder.decode(data), version: stat.version, mzxid: stat.mzxid });
    });
    return out;
  } finally {
    await client.close();
  }
}

/**
 * Waits until every running member reports the same last zxid (`srvr`) for a few polls in a row:
 * nothing is in flight any more.
 */
export async function waitForSameZxid(ensemble: Ensemble, timeoutMs = 60_000): Promise<bigint> {
  const deadline = performance.now() + timeoutMs;
  let last = "";
  let stable = 0;
  while (performance.now() < deadline) {
    const statuses = (await ensemble.statuses()).filter((s) => s.process === "running");
    const zxids = new Set(statuses.map((s) => s.zxid));
    const key = statuses.map((s) => `${s.id}:${s.zxid?.toString(16)}`).join(" ");
    if (zxids.size === 1 && !zxids.has(undefined) && key === last) {
      if (++stable >= 3) return statuses[0]!.zxid!;
    } else {
      stable = 0;
    }
    last = key;
    await sleep(200);
  }
  throw new Error(`members never agreed on a last zxid: ${last}`);
}

/** A member's `mntr` as a map (zk_ prefix removed). */
export async function monitor(port: number): Promise<Map<string, string>> {
  const text = await fourLetterWord({ host: "127.0.0.1", port, word: "mntr", timeoutMs: 5_000 });
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [key, value] = line.split("\t");
    if (key?.startsWith("zk_") && value !== undefined) out.set(key.slice(3), value);
  }
  return out;
}

/**
 * The ways leaders synced learners from now on, as their logs say: Paddock's "sync of learner N:
 * DIFF|TRUNC|SNAP ...", ZooKeeper's LearnerHandler "Sending DIFF|TRUNC ... for peer sid: N" and
 * "Sending snapshot ..." (that one names no sid: its thread's "Synchronizing with Learner sid: N"
 * does). Marks where every member's log ends, reads only what comes after.
 *
 * @example const syncs = new SyncWatch(ensemble); await ensemble.restart(2); ...; syncs.modes(2) // ["DIFF"]
 */
export class SyncWatch {
  readonly #ensemble: Ensemble;
  readonly #offsets = new Map<number, number>();

  constructor(ensemble: Ensemble) {
    this.#ensemble = ensemble;
    for (const m of ensemble.members) this.#offsets.set(m.id, logText(m.process.logPath).length);
  }

  /** Modes logged for `learnerId` since the mark, by every member that led meanwhile. */
  modes(learnerId: number): string[] {
    const found: string[] = [];
    for (const m of this.#ensemble.members) {
      const text = logText(m.process.logPath).slice(this.#offsets.get(m.id) ?? 0);
      found.push(...syncModesLogged(text, learnerId));
    }
    return found;
  }
}

/** ZooKeeper's LearnerHandler lines (slf4j-simple: `time [thread] LEVEL class - message`). */
const ZK_SYNC_START = /^\S+ \[([^\]]+)\] INFO \S+LearnerHandler - Synchronizing with Learner sid: (\d+) /;
const ZK_SYNC_SENT = /^\S+ \[([^\]]+)\] (?:INFO|DEBUG) \S+LearnerHandler - Sending (DIFF|TRUNC|snapshot)\b.*?(?:peer sid: ?(\d+))?$/;

/** The sync modes one member's log text says it used for `learnerId`, in order, whichever server wrote it. */
function syncModesLogged(text: string, learnerId: number): string[] {
  const found: string[] = [];
  const learnerOfThread = new Map<string, number>();
  for (const line of text.split("\n")) {
    const paddock = /sync of learner (\d+): (DIFF|TRUNC|SNAP)/.exec(line);
    if (paddock !== null) {
      if (Number(paddock[1]) === learnerId) found.push(paddock[2]!);
      continue;
    }
    const start = ZK_SYNC_START.exec(line);
    if (start !== null) {
      learnerOfThread.set(start[1]!, Number(start[2]));
      continue;
    }
    const sent = ZK_SYNC_SENT.exec(line);
    if (sent === null) continue;
    const sid = sent[4] === undefined ? learnerOfThread.get(sent[1]!) : Number(sent[4]);
    // One sync logs one mode; the thread's next sync starts with its own "Synchronizing" line.
    if (sid === learnerId && learnerOfThread.get(sent[1]!) === learnerId) {
      found.push(sent[2] === "snapshot" ? "SNAP" : sent[2]!);
      learnerOfThread.delete(sent[1]!);
    }
  }
  return found;
}

function logText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** The tree digests a member logged (AdminServer `hash`): zxid to digest. */
export async function digestLog(adminUrl: string): Promise<Map<bigint, bigint>> {
  const text = await (await fetch(`${adminUrl}/hash`)).text();
  const out = new Map<bigint, bigint>();
  // Longs beyond 2^53: read the numbers as text.
  for (const m of text.matchAll(/"zxid" : (-?\d+),\s*"digest" : (-?\d+)/g)) out.set(BigInt(m[1]!), BigInt(m[2]!));
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
