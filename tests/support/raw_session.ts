import * as net from "node:net";
import { FrameParser, JuteReader, JuteWriter, readConnectResponse, readReplyHeader } from "../../core/proto/mod.ts";

/** xid (4 bytes), zxid (8), err (4). */
const REPLY_HEADER_BYTES = 16;

/** A reply as it came off the wire: header fields and a reader over the body. */
export interface RawReply {
  xid: number;
  zxid: bigint;
  err: number;
  body: JuteReader;
  /** The body as bytes (for decoders other than ours). */
  bytes: Uint8Array;
}

/** A watch notification as it came off the wire. */
export interface RawEvent {
  type: number;
  state: number;
  path: string;
  /** The notification header's zxid: the change that fired it (ZooKeeper 3.9), or -1. */
  zxid: bigint;
}

/**
 * A bare ZooKeeper protocol session for tests that compare servers at the byte level: it sends
 * what it is told, matches replies by xid and records notifications. No retries, no cleverness.
 */
export class RawSession {
  readonly sessionId: bigint;
  readonly timeoutMs: number;
  readonly passwd: Uint8Array;
  readonly events: RawEvent[] = [];
  readonly #socket: net.Socket;
  readonly #waiting = new Map<number, (reply: RawReply) => void>();
  #xid = 1;
  #closed = false;

  private constructor(socket: net.Socket, sessionId: bigint, timeoutMs: number, passwd: Uint8Array) {
    this.#socket = socket;
    this.sessionId = sessionId;
    this.timeoutMs = timeoutMs;
    this.passwd = passwd;
  }

  /** Connects and completes the handshake (a new session unless sessionId/passwd are given). */
  static async connect(
    host: string,
    port: number,
    { timeoutMs = 10_000, sessionId = 0n, passwd = new Uint8Array(16) }: { timeoutMs?: number; sessionId?: bigint; passwd?: Uint8Array } = {},
  ): Promise<RawSession> {
    const socket = net.connect({ host, port, noDelay: true });
    const parser = new FrameParser(16 * 1024 * 1024);
    const first = await new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("handshake timed out")), 10_000);
      socket.once("error", reject);
      socket.once("close", () => reject(new Error("closed during handshake")));
      socket.on("data", function onData(chunk: Uint8Array) {
        const frames = parser.push(chunk);
        if (frames.length === 0) return;
        clearTimeout(timer);
        socket.off("data", onData);
        resolve(frames[0]!);
      });
      socket.once("connect", () => {
        const w = new JuteWriter(64, { framed: true });
        w.int(0).long(0n).int(timeoutMs).long(sessionId).buffer(passwd).bool(false);
        socket.write(w.finishFrame());
      });
    });
    socket.removeAllListeners("error");
    socket.removeAllListeners("close");
    const response = readConnectResponse(new JuteReader(first));
    const session = new RawSession(socket, response.sessionId, response.timeOut, response.passwd);
    socket.on("data", (chunk: Uint8Array) => {
      for (const frame of parser.push(chunk)) session.#frame(frame);
    });
    socket.on("error", () => {});
    socket.on("close", () => session.#fail());
    return session;
  }

  #frame(frame: Uint8Array): void {
    const body = new JuteReader(frame);
    const header = readReplyHeader(body);
    if (header.xid === -1) {
      this.events.push({ type: body.int(), state: body.int(), path: body.string(), zxid: header.zxid });
      return;
    }
    const waiter = this.#waiting.get(header.xid);
    this.#waiting.delete(header.xid);
    waiter?.({ ...header, body, bytes: frame.subarray(REPLY_HEADER_BYTES) });
  }

  #fail(): void {
    this.#closed = true;
    for (const [xid, waiter] of this.#waiting) {
      waiter({ xid, zxid: -1n, err: -4, body: new JuteReader(new Uint8Array(0)), bytes: new Uint8Array(0) });
    }
    this.#waiting.clear();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one request and waits for its reply (xid -4/-8 requests pass their own xid). */
  request(type: number, writeBody: (w: JuteWriter) => void, xid?: number): Promise<RawReply> {
    const id = xid ?? this.#xid++;
    const w = new JuteWriter(128, { framed: true });
    w.int(id).int(type);
    writeBody(w);
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        resolve({ xid: id, zxid: -1n, err: -4, body: new JuteReader(new Uint8Array(0)), bytes: new Uint8Array(0) });
        return;
      }
      const timer = setTimeout(() => reject(new Error(`no reply to op ${type} xid ${id}`)), 10_000);
      this.#waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.#socket.write(w.finishFrame());
    });
  }

  /** Drops the TCP connection without closing the session. */
  drop(): void {
    this.#socket.destroy();
  }
}
