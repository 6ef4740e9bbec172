import { FrameParser } from "../../core/proto/frame_parser.ts";
import { JuteReader } from "../../core/proto/jute_reader.ts";
import { JuteWriter } from "../../core/proto/jute_writer.ts";
import { OpCode, Xid } from "../../core/proto/op_code.ts";
import { readConnectResponse, readReplyHeader, writeSetWatches } from "../../core/proto/records.ts";
import { sessionPassword } from "../../core/session/java_random.ts";
import type { SeededRandom } from "../support/seeded_random.ts";
import { connectFrame, requestFrame } from "../support/raw_zk.ts";
import type { Scheduler } from "./scheduler.ts";
import { SimClientSocket } from "./sim_client_socket.ts";
import type { SimMember } from "./sim_member.ts";
import type { SimNetwork } from "./sim_network.ts";
import { decodeResult, encodeOp, type HistoryEntry, isWriteOp, type SimOp, syncPathOf } from "./sim_ops.ts";

export type { HistoryEntry, SimOp } from "./sim_ops.ts";

/** One session of a client, from its handshake to its close or expiry (if the client learned of either). */
export interface SessionLife {
  readonly client: number;
  readonly sessionId: bigint;
  readonly startMs: number;
  /** How it ended as far as the client knows: closed (closeSession answered), expired (a reconnect was refused). */
  end: "closed" | "expired" | null;
  endMs: number | null;
}

/** A watch event as the client received it. */
export interface WatchEvent {
  readonly client: number;
  readonly sessionId: bigint;
  readonly path: string;
  readonly type: number;
  /** The zxid of the change (-1 when a re-registration after a reconnect fired it). */
  readonly zxid: bigint;
  readonly atMs: number;
  readonly member: number;
  /** The zxid of the reply that set the watch this event used up; null when no watch was pending. */
  readonly registeredZxid: bigint | null;
  /** The highest reply zxid this connection had delivered before the event. */
  readonly repliedZxidBefore: bigint;
}

/**
 * A simulated ZooKeeper client: one session, one request at a time, speaking the real client
 * protocol to a member's ZkServer over the simulated network. When its connection breaks, the
 * request in flight becomes "unknown" and the session moves to another member (with its
 * password, its last zxid seen and its pending watches, re-registered with setWatches), as a real
 * client does; an expired or closed session is replaced by a new one.
 */
export class SimClient {
  readonly index: number;
  readonly history: HistoryEntry[] = [];
  readonly sessions: SessionLife[] = [];
  readonly events: WatchEvent[] = [];
  /**
   * Requests a member answered, per session: when each was sent and to whom. The member touched
   * the session when the request arrived, which is no earlier than it was sent.
   */
  readonly answered = new Map<bigint, { atMs: number; sid: number }[]>();
  readonly #scheduler: Scheduler;
  readonly #network: SimNetwork;
  readonly #members: readonly SimMember[];
  readonly #rng: SeededRandom;
  readonly #node: string;
  readonly #timeoutMs: number;
  #sessionId = 0n;
  #lastZxidSeen = 0n;
  #socket: SimClientSocket | null = null;
  #connected = false;
  #member = -1;
  #xid = 0;
  #inFlight: { entry: HistoryEntry; xid: number } | null = null;
  #parser = new FrameParser(16 * 1024 * 1024);
  #handshakeDone: ((ok: boolean) => void) | null = null;
  #stopped = false;
  #connectSentMs = 0;
  #onDone: (() => void) | null = null;
  /** Data watches the session holds: path -> zxid of the reply that set it. */
  readonly #watches = new Map<string, bigint>();
  /** The highest zxid in a reply on the current connection. */
  #connectionZxid = -1n;

  constructor(options: { index: number; scheduler: Scheduler; network: SimNetwork; members: readonly SimMember[]; rng: SeededRandom; sessionTimeoutMs: number }) {
    this.index = options.index;
    this.#scheduler = options.scheduler;
    this.#network = options.network;
    this.#members = options.members;
    this.#rng = options.rng;
    this.#node = `client${options.index}`;
    this.#timeoutMs = options.sessionTimeoutMs;
  }

  get node(): string {
    return this.#node;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** The workload stops issuing ops (the run is settling). */
  draining = false;
  /** The client process is stalled until then (a GC pause): it issues nothing, so its session may expire. */
  pausedUntilMs = 0;

  /** An op or a handshake is under way. */
  get busy(): boolean {
    return this.#onDone !== null || this.#handshakeDone !== null;
  }

  /** The watches still pending (path -> the zxid of the reply that set it). */
  get pendingWatches(): ReadonlyMap<string, bigint> {
    return this.#watches;
  }

  stop(): void {
    this.#stopped = true;
    this.#socket?.abort();
  }

  /** Connects (or reconnects) to some member; calls `then(true)` once the session is usable. */
  connect(then: (ok: boolean) => void): void {
    if (this.#stopped) return;
    const candidates = this.#members.filter((m) => m.up);
    const member = candidates.length === 0 ? null : this.#rng.pick(candidates);
    if (member === null || member.peer === null) {
      this.#scheduler.after(100, () => then(false));
      return;
    }
    this.#member = member.sid;
    this.#parser = new FrameParser(16 * 1024 * 1024);
    this.#connectionZxid = -1n;
    const socket: SimClientSocket = new SimClientSocket(this.#network, this.#node, this.index, member.sid, (bytes) => this.#data(socket, bytes), () => this.#lost(socket));
    this.#socket = socket;
    socket.handler = member.peer.server.accept(socket);
    this.#handshakeDone = then;
    this.#connectSentMs = this.#scheduler.nowMs;
    const passwd = this.#sessionId === 0n ? new Uint8Array(16) : sessionPassword(this.#sessionId);
    socket.send(connectFrame({ timeOutMs: this.#timeoutMs, sessionId: this.#sessionId, passwd, lastZxidSeen: this.#lastZxidSeen }));
    // A handshake that gets no answer is abandoned like a real client's connect timeout.
    this.#scheduler.after(this.#timeoutMs / 3, () => {
      if (this.#socket === socket && !this.#connected) socket.abort();
    });
  }

  #data(socket: SimClientSocket, bytes: Uint8Array): void {
    if (socket !== this.#socket) return;
    for (const frame of this.#parser.push(bytes)) {
      if (!this.#connected) this.#handshake(socket, frame);
      else this.#frame(frame);
    }
  }

  #handshake(socket: SimClientSocket, frame: Uint8Array): void {
    const response = readConnectResponse(new JuteReader(frame));
    const done = this.#handshakeDone;
    this.#handshakeDone = null;
    if (response.sessionId === 0n) {
      // Expired: a new session from scratch next time.
      this.#sessionEnded("expired");
      socket.abort();
      return;
    }
    const resumed = response.sessionId === this.#sessionId;
    if (!resumed) this.sessions.push({ client: this.index, sessionId: response.sessionId, startMs: this.#scheduler.nowMs, end: null, endMs: null });
    this.#sessionId = response.sessionId;
    this.#connected = true;
    this.#answered(this.#connectSentMs);
    if (resumed && this.#watches.size > 0) this.#resendWatches(socket);
    done?.(true);
  }

  /** ZooKeeper's client re-registers its watches first thing on a new connection (SetWatches). */
  #resendWatches(socket: SimClientSocket): void {
    const dataWatches = [...this.#watches.keys()].sort();
    const w = new JuteWriter(64, { framed: true });
    w.int(Xid.setWatches).int(OpCode.setWatches);
    writeSetWatches(w, { relativeZxid: this.#lastZxidSeen, dataWatches, existWatches: [], childWatches: [], persistentWatches: [], persistentRecursiveWatches: [] }, false);
    socket.send(w.finishFrame().slice());
  }

  #sessionEnded(how: "closed" | "expired"): void {
    const life = this.sessions.findLast((s) => s.sessionId === this.#sessionId);
    if (life !== undefined && life.end === null) {
      life.end = how;
      life.endMs = this.#scheduler.nowMs;
    }
    this.#sessionId = 0n;
    this.#watches.clear();
  }

  #answered(sentMs: number): void {
    let times = this.answered.get(this.#sessionId);
    if (times === undefined) this.answered.set(this.#sessionId, (times = []));
    times.push({ atMs: sentMs, sid: this.#member });
  }

  #lost(socket: SimClientSocket): void {
    if (socket !== this.#socket) return;
    this.#socket = null;
    this.#connected = false;
    const inFlight = this.#inFlight;
    this.#inFlight = null;
    if (inFlight !== null) {
      inFlight.entry.outcome = isWriteOp(inFlight.entry.op) ? "unknown" : "fail";
      inFlight.entry.completeMs = this.#scheduler.nowMs;
      this.#finish();
    }
    const done = this.#handshakeDone;
    this.#handshakeDone = null;
    done?.(false);
  }

  #finish(): void {
    const done = this.#onDone;
    this.#onDone = null;
    done?.();
  }

  /** Runs one op; `then` once it completes (in whatever outcome). */
  run(op: SimOp, then: () => void): void {
    const entry: HistoryEntry = { client: this.index, op, sessionId: this.#sessionId, invokeMs: this.#scheduler.nowMs, completeMs: null, outcome: "pending", member: this.#member };
    this.history.push(entry);
    if (!this.#connected || this.#socket === null) {
      entry.outcome = "fail";
      entry.completeMs = this.#scheduler.nowMs;
      then();
      return;
    }
    this.#onDone = then;
    // sync+read, sync+exists: the sync's reply is skipped; the request after it answers the op.
    const syncPath = syncPathOf(op);
    if (syncPath !== null) this.#socket.send(requestFrame(++this.#xid, OpCode.sync, (w) => w.ustring(syncPath)));
    const xid = ++this.#xid;
    this.#inFlight = { entry, xid };
    this.#socket.send(requestFrame(xid, ...encodeOp(op)));
  }

  #frame(frame: Uint8Array): void {
    const r = new JuteReader(frame);
    const header = readReplyHeader(r);
    if (header.xid === Xid.notification) return this.#event(r, header.zxid);
    if (header.zxid > this.#lastZxidSeen) this.#lastZxidSeen = header.zxid;
    if (header.zxid > this.#connectionZxid) this.#connectionZxid = header.zxid;
    const inFlight = this.#inFlight;
    if (inFlight === null || header.xid !== inFlight.xid) return;
    this.#inFlight = null;
    this.#answered(inFlight.entry.invokeMs);
    const entry = inFlight.entry;
    entry.completeMs = this.#scheduler.nowMs;
    entry.replyZxid = header.zxid;
    decodeResult(entry, header.err, r);
    this.#afterReply(entry, header.zxid);
    this.#finish();
  }

  #afterReply(entry: HistoryEntry, zxid: bigint): void {
    if (entry.outcome !== "ok") return;
    if (entry.op.kind === "watchRead" && !this.#watches.has(entry.op.key)) this.#watches.set(entry.op.key, zxid);
    if (entry.op.kind === "close") this.#sessionEnded("closed");
  }

  /** A watch event: it uses up the watch on its path (a one-shot data watch). */
  #event(r: JuteReader, zxid: bigint): void {
    const type = r.int();
    r.int(); // keeper state
    const path = r.string();
    const registeredZxid = this.#watches.get(path) ?? null;
    this.#watches.delete(path);
    this.events.push({
      client: this.index, sessionId: this.#sessionId, path, type, zxid, atMs: this.#scheduler.nowMs, member: this.#member,
      registeredZxid, repliedZxidBefore: this.#connectionZxid,
    });
  }
}
