import type { ServerSocket, SocketHandler } from "../../core/io/socket.ts";
import { ErrorCode } from "../../core/proto/error_code.ts";
import { FrameParser } from "../../core/proto/frame_parser.ts";
import { JuteReader } from "../../core/proto/jute_reader.ts";
import { OpCode } from "../../core/proto/op_code.ts";
import { readConnectResponse, readReplyHeader, readStat } from "../../core/proto/records.ts";
import { sessionPassword } from "../../core/session/java_random.ts";
import type { SeededRandom } from "../support/seeded_random.ts";
import { connectFrame, requestFrame } from "../support/raw_zk.ts";
import type { Scheduler } from "./scheduler.ts";
import type { SimMember } from "./sim_member.ts";
import type { SimNetwork } from "./sim_network.ts";

/** What a client asked for. */
export type SimOp =
  | { readonly kind: "write"; readonly key: string; readonly value: string }
  | { readonly kind: "cas"; readonly key: string; readonly value: string; readonly version: number }
  | { readonly kind: "read"; readonly key: string }
  | { readonly kind: "syncRead"; readonly key: string }
  | { readonly kind: "enqueue"; readonly queue: string }
  | { readonly kind: "create"; readonly path: string };

/** One operation as the client saw it: invoked, then ok, failed (definitely not applied) or unknown. */
export interface HistoryEntry {
  readonly client: number;
  readonly op: SimOp;
  readonly invokeMs: number;
  completeMs: number | null;
  outcome: "ok" | "fail" | "unknown" | "pending";
  /** For reads: the value; for writes: the new version; for enqueue: the created path. */
  value?: string;
  version?: number;
  /** The zxid the reply header carried, and for writes the txn's zxid (Stat.mzxid or czxid). */
  replyZxid?: bigint;
  txnZxid?: bigint;
  err?: number;
  member?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Member `sid`'s client port on the simulated network: bytes both ways with latency, in order. */
class SimClientSocket implements ServerSocket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly #network: SimNetwork;
  readonly #clientNode: string;
  readonly #sid: number;
  #toClient: (bytes: Uint8Array) => void;
  #closedByServer: () => void;
  #lastToClientMs = 0;
  #lastToServerMs = 0;
  handler: SocketHandler | null = null;
  closed = false;
  readonly #unregister: () => void;

  constructor(network: SimNetwork, clientNode: string, clientIndex: number, sid: number, toClient: (bytes: Uint8Array) => void, closed: () => void) {
    this.#network = network;
    this.#clientNode = clientNode;
    this.#sid = sid;
    this.remoteAddress = "10.0.0.1";
    this.remotePort = 10_000 + clientIndex;
    this.#toClient = toClient;
    this.#closedByServer = closed;
    this.#unregister = network.clientConnected(sid, this);
  }

  /** The member's process died: the connection is gone at once, on both ends. */
  drop(): void {
    this.#breakLink();
  }

  #at(last: number): number {
    const scheduler = this.#network.scheduler;
    return Math.max(scheduler.nowMs + this.#network.latencyMs(), last) - scheduler.nowMs;
  }

  /** Server -> client. Blocked directions drop the connection (a client gives up and reconnects). */
  write(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.#network.blocked(this.#sid, this.#clientNode)) return this.#breakLink();
    const copy = bytes.slice();
    const delay = this.#at(this.#lastToClientMs);
    this.#lastToClientMs = this.#network.scheduler.nowMs + delay;
    this.#network.scheduler.after(delay, () => {
      if (!this.closed) this.#toClient(copy);
    });
  }

  /** Client -> server. */
  send(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.#network.blocked(this.#clientNode, this.#sid) || !this.#network.isUp(this.#sid)) return this.#breakLink();
    const delay = this.#at(this.#lastToServerMs);
    this.#lastToServerMs = this.#network.scheduler.nowMs + delay;
    this.#network.scheduler.after(delay, () => this.#network.deliverTo(this.#sid, () => {
      if (!this.closed && this.#network.isUp(this.#sid)) this.handler?.data(bytes);
      else this.#breakLink();
    }));
  }

  #breakLink(): void {
    if (this.closed) return;
    this.closed = true;
    this.#unregister();
    this.#network.scheduler.after(this.#network.latencyMs(), () => {
      this.handler?.closed();
      this.#closedByServer();
    });
  }

  close(): void {
    this.#breakLink();
  }

  pause(): void {}
  resume(): void {}
}

/**
 * A simulated ZooKeeper client: one session, one request at a time, speaking the real client
 * protocol to a member's ZkServer over the simulated network. When its connection breaks, the
 * request in flight becomes "unknown" and the session moves to another member (with its
 * password and last zxid seen), as a real client does; an expired session is replaced.
 */
export class SimClient {
  readonly index: number;
  readonly history: HistoryEntry[] = [];
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

  stop(): void {
    this.#stopped = true;
    this.#socket?.close();
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
    const socket: SimClientSocket = new SimClientSocket(this.#network, this.#node, this.index, member.sid, (bytes) => this.#data(socket, bytes), () => this.#lost(socket));
    this.#socket = socket;
    socket.handler = member.peer.server.accept(socket);
    this.#handshakeDone = then;
    this.#connectSentMs = this.#scheduler.nowMs;
    const passwd = this.#sessionId === 0n ? new Uint8Array(16) : sessionPassword(this.#sessionId);
    socket.send(connectFrame({ timeOutMs: this.#timeoutMs, sessionId: this.#sessionId, passwd, lastZxidSeen: this.#lastZxidSeen }));
    // A handshake that gets no answer is abandoned like a real client's connect timeout.
    this.#scheduler.after(this.#timeoutMs / 3, () => {
      if (this.#socket === socket && !this.#connected) socket.close();
    });
  }

  #data(socket: SimClientSocket, bytes: Uint8Array): void {
    if (socket !== this.#socket) return;
    for (const frame of this.#parser.push(bytes)) {
      if (!this.#connected) this.#handshake(socket, frame);
      else this.#reply(frame);
    }
  }

  #handshake(socket: SimClientSocket, frame: Uint8Array): void {
    const response = readConnectResponse(new JuteReader(frame));
    const done = this.#handshakeDone;
    this.#handshakeDone = null;
    if (response.sessionId === 0n) {
      // Expired: a new session from scratch next time.
      this.#sessionId = 0n;
      socket.close();
      return;
    }
    this.#sessionId = response.sessionId;
    this.#connected = true;
    this.#answered(this.#connectSentMs);
    done?.(true);
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
      inFlight.entry.outcome = inFlight.entry.op.kind === "read" || inFlight.entry.op.kind === "syncRead" ? "fail" : "unknown";
      inFlight.entry.completeMs = this.#scheduler.nowMs;
      this.#onDone?.();
    }
    const done = this.#handshakeDone;
    this.#handshakeDone = null;
    done?.(false);
  }

  #onDone: (() => void) | null = null;

  /** Runs one op; `then` once it completes (in whatever outcome). */
  run(op: SimOp, then: () => void): void {
    const entry: HistoryEntry = { client: this.index, op, invokeMs: this.#scheduler.nowMs, completeMs: null, outcome: "pending", member: this.#member };
    this.history.push(entry);
    if (!this.#connected || this.#socket === null) {
      entry.outcome = "fail";
      entry.completeMs = this.#scheduler.nowMs;
      then();
      return;
    }
    this.#onDone = then;
    // sync+read: the sync's reply is skipped; the read after it answers the op.
    if (op.kind === "syncRead") this.#socket.send(requestFrame(++this.#xid, OpCode.sync, (w) => w.ustring(op.key)));
    const xid = ++this.#xid;
    this.#inFlight = { entry, xid };
    this.#socket.send(requestFrame(xid, ...encodeOp(op)));
  }

  #reply(frame: Uint8Array): void {
    const r = new JuteReader(frame);
    const header = readReplyHeader(r);
    if (header.zxid > this.#lastZxidSeen) this.#lastZxidSeen = header.zxid;
    const inFlight = this.#inFlight;
    if (inFlight === null || header.xid !== inFlight.xid) return;
    this.#inFlight = null;
    this.#answered(inFlight.entry.invokeMs);
    const entry = inFlight.entry;
    entry.completeMs = this.#scheduler.nowMs;
    entry.replyZxid = header.zxid;
    entry.err = header.err;
    decodeResult(entry, header.err, r);
    const done = this.#onDone;
    this.#onDone = null;
    done?.();
  }
}

function encodeOp(op: SimOp): [number, (w: import("../../core/proto/jute_writer.ts").JuteWriter) => void] {
  switch (op.kind) {
    case "write":
      return [OpCode.setData, (w) => w.ustring(op.key).buffer(encoder.encode(op.value)).int(-1)];
    case "cas":
      return [OpCode.setData, (w) => w.ustring(op.key).buffer(encoder.encode(op.value)).int(op.version)];
    case "read":
    case "syncRead":
      return [OpCode.getData, (w) => w.ustring(op.key).bool(false)];
    case "create":
      return [OpCode.create, (w) => {
        w.ustring(op.path).buffer(new Uint8Array(0));
        w.int(1).int(31).ustring("world").ustring("anyone");
        w.int(0);
      }];
    case "enqueue":
      return [OpCode.create2, (w) => {
        w.ustring(`${op.queue}/item-`).buffer(encoder.encode("x"));
        w.int(1).int(31).ustring("world").ustring("anyone");
        w.int(2); // PERSISTENT_SEQUENTIAL
      }];
  }
}

function decodeResult(entry: HistoryEntry, err: number, r: JuteReader): void {
  const op = entry.op;
  if (err !== ErrorCode.OK) {
    // A refused write never applied: BADVERSION, NONODE. Anything else (SESSIONEXPIRED...) is also definite.
    entry.outcome = "fail";
    return;
  }
  entry.outcome = "ok";
  switch (op.kind) {
    case "write":
    case "cas": {
      const stat = readStat(r);
      entry.version = stat.version;
      entry.txnZxid = stat.mzxid;
      return;
    }
    case "read":
    case "syncRead": {
      entry.value = decoder.decode(r.buffer() ?? new Uint8Array(0));
      const stat = readStat(r);
      entry.version = stat.version;
      entry.txnZxid = stat.mzxid;
      return;
    }
    case "enqueue": {
      entry.value = r.string();
      entry.txnZxid = readStat(r).czxid;
      return;
    }
    case "create":
      entry.value = r.string();
      return;
  }
}
