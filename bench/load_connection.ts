/**
 * One pipelined session of the load generator: raw TCP, the ZooKeeper handshake, then always
 * `inFlight` requests outstanding, each reply answered by the next request. Replies come back in
 * request order (ZooKeeper's per-session FIFO), so send times live in a ring indexed by xid and a
 * reply out of order is counted as a protocol error rather than silently mismatched.
 */
import { connect, type Socket } from "node:net";
import { JuteReader } from "../core/proto/jute_reader.ts";
import { OpCode } from "../core/proto/op_code.ts";
import { readConnectResponse } from "../core/proto/records.ts";
import type { LatencyHistogram } from "./histogram.ts";
import { connectFrame, headerOnlyTemplate, type RequestTemplate, stampRequest } from "./wire.ts";

/** What requests a connection sends: template and path suffix of the seq-th request. */
export interface ConnectionPlan {
  readonly templates: readonly RequestTemplate[];
  templateFor(seq: number): number;
  suffixFor(seq: number): number;
}

/** State shared by every connection of one process: phase flags and the tallies. */
export interface LoadTally {
  /** Replies arriving while true are counted and their latency recorded. */
  measuring: boolean;
  /** No new requests once set; connections drain, close their session and end. */
  stopping: boolean;
  completed: number;
  readonly histogram: LatencyHistogram;
  /** Error replies by ZooKeeper error code. */
  readonly errors: Map<number, number>;
  /** Error codes that are expected and not counted (e.g. NODEEXISTS while pre-creating keys). */
  readonly tolerated: ReadonlySet<number>;
  /** When set, every measured reply's arrival time and latency (ms, performance.now()) goes here too. */
  readonly timeline?: Timeline;
}

/** Arrival times and latencies of replies, in growable typed arrays (millions cost megabytes). */
export class Timeline {
  #at = new Float64Array(1 << 16);
  #latency = new Float32Array(1 << 16);
  length = 0;

  push(atMs: number, latencyMs: number): void {
    if (this.length === this.#at.length) {
      const at = new Float64Array(this.length * 2);
      at.set(this.#at);
      this.#at = at;
      const latency = new Float32Array(this.length * 2);
      latency.set(this.#latency);
      this.#latency = latency;
    }
    this.#at[this.length] = atMs;
    this.#latency[this.length++] = latencyMs;
  }

  /** Latencies of the replies that arrived in [fromMs, toMs). */
  between(fromMs: number, toMs: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.length; i++) {
      const at = this.#at[i]!;
      if (at >= fromMs && at < toMs) out.push(this.#latency[i]!);
    }
    return out;
  }
}

/** Where to connect and how hard to push. */
export interface ConnectionOptions {
  host: string;
  port: number;
  inFlight: number;
  /** Requests this connection sends in all; Infinity for a timed run. */
  quota: number;
  sessionTimeoutMs: number;
}

const CLOSE_XID = 0x7fff_fff0;
const FRAME_MAX_BYTES = 0xfffff;
const closeSession = headerOnlyTemplate(OpCode.closeSession);

/** A connected session driving load; `done` settles when it has closed. */
export class LoadConnection {
  readonly #socket: Socket;
  readonly #opts: ConnectionOptions;
  readonly #plan: ConnectionPlan;
  readonly #tally: LoadTally;
  readonly #sentAt: Float64Array;
  readonly #ringMask: number;
  readonly #ready: Promise<void>;
  readonly done: Promise<void>;
  #resolveReady: () => void = () => {};
  #fail: (error: Error) => void = () => {};
  #pending: Buffer | null = null;
  #handshaken = false;
  #started = false;
  #closing = false;
  #nextXid = 1;
  #expectedXid = 1;
  #outstanding = 0;
  #sent = 0;

  constructor(opts: ConnectionOptions, plan: ConnectionPlan, tally: LoadTally) {
    this.#opts = opts;
    this.#plan = plan;
    this.#tally = tally;
    let ring = 1;
    while (ring < opts.inFlight) ring *= 2;
    this.#sentAt = new Float64Array(ring);
    this.#ringMask = ring - 1;
    this.#ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#fail = reject;
    });
    this.#socket = connect({ host: opts.host, port: opts.port, noDelay: true });
    this.done = new Promise((resolve, reject) => {
      this.#socket.on("close", () => (this.#closing ? resolve() : reject(new Error("server closed the connection"))));
      this.#socket.on("error", (error) => {
        this.#fail(error);
        reject(error);
      });
    });
    // The caller awaits `ready` or `done`; keep an unobserved rejection from crashing the process.
    this.done.catch(() => {});
    this.#socket.on("connect", () => this.#socket.write(connectFrame(opts.sessionTimeoutMs)));
    this.#socket.on("data", (chunk: Buffer) => {
      try {
        this.#onData(chunk);
      } catch (error) {
        // A protocol surprise ends this connection with the reason, never the whole process.
        this.#socket.destroy(error as Error);
      }
    });
  }

  /** Requests sent so far. */
  get sent(): number {
    return this.#sent;
  }

  /** Settles once the session is established. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Starts the pipeline: `inFlight` requests at once. */
  start(): void {
    this.#started = true;
    const count = Math.min(this.#opts.inFlight, this.#opts.quota);
    if (count > 0) this.#sendBatch(count);
    else this.#maybeClose();
  }

  /** Ends the session (closeSession) once nothing is outstanding. */
  stop(): void {
    this.#tally.stopping = true;
    this.#maybeClose();
  }

  #onData(chunk: Buffer): void {
    let bytes = chunk;
    if (this.#pending !== null) {
      bytes = Buffer.concat([this.#pending, chunk]);
      this.#pending = null;
    }
    // One clock read per chunk: every reply in it arrived at the same moment.
    const now = performance.now();
    let offset = 0;
    let answered = 0;
    while (bytes.length - offset >= 4) {
      const length = bytes.readInt32BE(offset);
      if (length < 0 || length > FRAME_MAX_BYTES) throw new Error(`bad frame length ${length}`);
      if (bytes.length - offset - 4 < length) break;
      if (this.#handshaken) answered += this.#onReply(bytes, offset + 4, now);
      else this.#onHandshake(bytes.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    if (offset < bytes.length) this.#pending = bytes.subarray(offset);
    if (answered > 0) {
      const room = this.#opts.quota - this.#sent;
      if (!this.#tally.stopping && room > 0) this.#sendBatch(Math.min(answered, room));
      else this.#maybeClose();
    }
  }

  #onHandshake(frame: Uint8Array): void {
    const response = readConnectResponse(new JuteReader(frame));
    if (response.timeOut <= 0) {
      this.#fail(new Error("session refused (timeOut 0)"));
      this.#socket.destroy();
      return;
    }
    this.#handshaken = true;
    this.#resolveReady();
  }

  /** Handles one reply header; returns 1 when it answered a load request. */
  #onReply(bytes: Buffer, offset: number, now: number): number {
    const xid = bytes.readInt32BE(offset);
    if (xid === CLOSE_XID) {
      this.#socket.end();
      return 0;
    }
    const err = bytes.readInt32BE(offset + 12);
    if (xid !== this.#expectedXid) throw new Error(`reply xid ${xid}, expected ${this.#expectedXid}: FIFO order broken`);
    this.#expectedXid++;
    this.#outstanding--;
    const tally = this.#tally;
    if (err !== 0 && !tally.tolerated.has(err)) tally.errors.set(err, (tally.errors.get(err) ?? 0) + 1);
    if (tally.measuring) {
      tally.completed++;
      const latency = now - this.#sentAt[xid & this.#ringMask]!;
      tally.histogram.recordMs(latency);
      tally.timeline?.push(now, latency);
    }
    return 1;
  }

  #sendBatch(count: number): void {
    const plan = this.#plan;
    let total = 0;
    for (let i = 0; i < count; i++) total += plan.templates[plan.templateFor(this.#sent + i)]!.bytes.length;
    const out = Buffer.allocUnsafe(total);
    const now = performance.now();
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const seq = this.#sent++;
      const xid = this.#nextXid++;
      this.#sentAt[xid & this.#ringMask] = now;
      offset = stampRequest(out, offset, plan.templates[plan.templateFor(seq)]!, xid, plan.suffixFor(seq));
    }
    this.#outstanding += count;
    this.#socket.write(out);
  }

  #maybeClose(): void {
    if (!this.#started || this.#closing || this.#outstanding > 0) return;
    this.#closing = true;
    const out = Buffer.allocUnsafe(closeSession.bytes.length);
    stampRequest(out, 0, closeSession, CLOSE_XID, 0);
    this.#socket.write(out);
  }

  /** Drops the socket without a goodbye (error paths). */
  destroy(): void {
    this.#closing = true;
    this.#socket.destroy();
  }
}
