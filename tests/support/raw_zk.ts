import { connect, type Socket } from "node:net";
import { FrameParser } from "../../core/proto/frame_parser.ts";
import { JuteReader } from "../../core/proto/jute_reader.ts";
import { JuteWriter } from "../../core/proto/jute_writer.ts";
import { OpCode } from "../../core/proto/op_code.ts";
import { readConnectResponse, readReplyHeader, writeConnectRequest, type ConnectResponse } from "../../core/proto/records.ts";

/** Replies are read with a generous limit: a test must see whatever the server sends. */
const REPLY_FRAME_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 5_000;

/** One reply frame, split into its header and the rest. */
export interface RawReply {
  xid: number;
  zxid: bigint;
  err: number;
  /** The body after the reply header. */
  body: Uint8Array;
}

/** Builds one framed request: header (xid, type) and whatever `body` writes. */
export function requestFrame(xid: number, type: number, body?: (w: JuteWriter) => void): Uint8Array {
  const w = new JuteWriter(64, { framed: true });
  w.int(xid).int(type);
  body?.(w);
  return w.finishFrame().slice();
}

/** A framed ConnectRequest for a new session (or a resumed one). */
export function connectFrame(
  { timeOutMs = 4_000, sessionId = 0n, passwd = new Uint8Array(16), lastZxidSeen = 0n }: {
    timeOutMs?: number;
    sessionId?: bigint;
    passwd?: Uint8Array;
    lastZxidSeen?: bigint;
  } = {},
): Uint8Array {
  const w = new JuteWriter(64, { framed: true });
  writeConnectRequest(w, { protocolVersion: 0, lastZxidSeen, timeOut: timeOutMs, sessionId, passwd, readOnly: false });
  return w.finishFrame().slice();
}

/** Frames a raw body with a length prefix (which may be made to lie). */
export function withLengthPrefix(body: Uint8Array, length = body.length): Uint8Array {
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setInt32(0, length);
  frame.set(body, 4);
  return frame;
}

/**
 * A raw TCP connection speaking ZooKeeper's framing, for tests that send bytes no client library
 * would: it records every frame the server sends and whether the server closed the connection.
 *
 * @example
 * const c = await RawConnection.open("127.0.0.1", port);
 * await c.handshake();
 * const reply = await c.call(requestFrame(1, OpCode.getData, (w) => w.ustring("/").bool(false)));
 * c.destroy();
 */
export class RawConnection {
  readonly socket: Socket;
  /** Frames received so far; the first one after a handshake is the ConnectResponse. */
  readonly frames: Uint8Array[] = [];
  /** Raw bytes received (four-letter-word answers are not framed). */
  receivedBytes = 0;
  readonly #raw: Uint8Array[] = [];
  #closed = false;
  #unframed = false;
  readonly #parser = new FrameParser(REPLY_FRAME_MAX_BYTES);
  readonly #waiters = new Set<() => void>();
  readonly closedPromise: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closedPromise = new Promise((resolve) => {
      socket.on("close", () => {
        this.#closed = true;
        this.#wake();
        resolve();
      });
    });
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      this.receivedBytes += chunk.length;
      this.#raw.push(new Uint8Array(chunk));
      if (!this.#unframed) {
        try {
          for (const frame of this.#parser.push(new Uint8Array(chunk))) this.frames.push(frame.slice());
        } catch {
          // Not framed (a four-letter-word answer): keep the raw bytes only.
          this.#unframed = true;
        }
      }
      this.#wake();
    });
  }

  /** Connects; rejects when the server refuses within the timeout. */
  static open(host: string, port: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new RawConnection(socket));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** All bytes received, as text (four-letter words). */
  text(): string {
    return Buffer.concat(this.#raw).toString("utf8");
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** Writes bytes, unless the server already closed the connection. */
  send(bytes: Uint8Array): void {
    if (!this.#closed && !this.socket.destroyed) this.socket.write(bytes);
  }

  /** Waits until `done()` holds or the connection closes; false on timeout. */
  waitFor(done: () => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (value: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(value);
      };
      const check = () => {
        if (done()) finish(true);
        else if (this.#closed) finish(false);
      };
      const timer = setTimeout(() => finish(done()), timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Waits for the server to close the connection; false on timeout. */
  waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<boolean> {
    return this.waitFor(() => this.#closed, timeoutMs).then(() => this.#closed);
  }

  /** Sends a ConnectRequest and waits for the ConnectResponse. */
  async handshake(frame: Uint8Array = connectFrame(), timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ConnectResponse> {
    const before = this.frames.length;
    this.send(frame);
    if (!(await this.waitFor(() => this.frames.length > before, timeoutMs))) {
      throw new Error(`no ConnectResponse within ${timeoutMs} ms (closed: ${this.#closed})`);
    }
    return readConnectResponse(new JuteReader(this.frames[before]!));
  }

  /** The replies received so far (every frame after the ConnectResponse at index `from`). */
  replies(from = 1): RawReply[] {
    return this.frames.slice(from).map(parseReply);
  }

  /** The first reply with this xid (received after frame index `from`), or undefined on timeout/close. */
  async reply(xid: number, timeoutMs = DEFAULT_TIMEOUT_MS, from = 1): Promise<RawReply | undefined> {
    const find = () => this.frames.slice(from).map(parseReply).find((r) => r.xid === xid);
    await this.waitFor(() => find() !== undefined, timeoutMs);
    return find();
  }

  /** Sends a request frame and waits for the reply with the frame's xid. */
  async call(frame: Uint8Array, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawReply | undefined> {
    const xid = new DataView(frame.buffer, frame.byteOffset).getInt32(4);
    const from = this.frames.length;
    this.send(frame);
    return this.reply(xid, timeoutMs, from);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Splits a reply frame; frames shorter than a reply header come back with err NaN. */
export function parseReply(frame: Uint8Array): RawReply {
  if (frame.length < 16) return { xid: Number.NaN, zxid: -1n, err: Number.NaN, body: frame };
  const header = readReplyHeader(new JuteReader(frame));
  return { ...header, body: frame.subarray(16) };
}

/** Common request bodies, written with core/proto's writer. */
export const body = {
  create: (path: string, data: Uint8Array | null = null, flags = 0) => (w: JuteWriter) => {
    w.ustring(path).buffer(data);
    w.int(1).int(31).ustring("world").ustring("anyone");
    w.int(flags);
  },
  pathWatch: (path: string, watch = false) => (w: JuteWriter) => {
    w.ustring(path).bool(watch);
  },
  pathVersion: (path: string, version: number) => (w: JuteWriter) => {
    w.ustring(path).int(version);
  },
  setData: (path: string, data: Uint8Array | null, version: number) => (w: JuteWriter) => {
    w.ustring(path).buffer(data).int(version);
  },
} as const;

export { OpCode };
