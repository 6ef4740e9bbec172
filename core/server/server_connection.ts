import { aclAllows } from "../acl/acl_check.ts";
import { AuthIds } from "../acl/auth_ids.ts";
import { Perms } from "../proto/acl_perms.ts";
import { FrameParser } from "../proto/frame_parser.ts";
import { JuteError, JuteReader } from "../proto/jute_reader.ts";
import { JuteWriter } from "../proto/jute_writer.ts";
import { Xid } from "../proto/op_code.ts";
import { type ACL, type Id, readConnectRequest } from "../proto/records.ts";
import { KeeperState } from "../proto/watch_event.ts";
import type { ServerSocket, SocketHandler } from "../io/socket.ts";
import type { Watcher } from "../watch/watch_manager.ts";
import { ConnectionStats } from "./connection_stats.ts";
import { isFourLetterWord } from "./four_letter_words.ts";
import type { ZkServer } from "./zk_server.ts";

/** Replies a connection may have queued in its socket before it stops executing requests. */
const WRITE_BACKLOG_MIN_BYTES = 1024 * 1024;

/** A reply waiting its turn: a write not yet applied has no bytes yet; a queued read has `run`. */
interface Slot {
  bytes: Uint8Array | null;
  run: (() => Uint8Array | null) | null;
  closeAfter: boolean;
}

export const ConnectionState = {
  /** Nothing read yet: may still be a four-letter word. */
  fresh: "fresh",
  /** ConnectRequest read, session being created or revalidated. */
  connecting: "connecting",
  open: "open",
  closed: "closed",
} as const;

type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/**
 * One client connection (ZooKeeper's ServerCnxn): framing, the handshake, the per-session reply
 * queue that keeps replies in request order, and watch delivery.
 */
export class ServerConnection implements SocketHandler, Watcher {
  readonly server: ZkServer;
  readonly socket: ServerSocket;
  /** Who the client has authenticated as (ip always; digest/super after addauth). */
  readonly auth: AuthIds;
  readonly #parser: FrameParser;
  readonly #slots: Slot[] = [];
  #slotHead = 0;
  #paused = false;
  /** A reply that closes the connection is queued: frames after it are not executed. */
  #closing = false;
  /** Reading stopped because the peer does not read its replies; frames wait here for drain. */
  #blocked = false;
  #deferred: Uint8Array[] = [];
  #pendingFrames: Uint8Array[] = [];
  state: ConnectionState = ConnectionState.fresh;
  sessionId = 0n;
  timeoutMs = 0;
  /** The client asked to close its session: nothing after that request is executed. */
  closingSession = false;
  /** Stats for `cons`/`stat`. */
  readonly stats = new ConnectionStats();

  constructor(server: ZkServer, socket: ServerSocket) {
    this.server = server;
    this.socket = socket;
    this.auth = new AuthIds([{ scheme: "ip", id: socket.remoteAddress }]);
    this.#parser = new FrameParser(server.config.juteMaxBuffer);
  }

  data(bytes: Uint8Array): void {
    if (this.state === ConnectionState.closed) return;
    this.server.metrics.bytesReceived += bytes.length;
    if (this.state === ConnectionState.fresh && this.#parser.pendingBytes === 0 && bytes.length >= 4) {
      const word = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
      if (isFourLetterWord(word)) {
        this.server.runFourLetterWord(this, word);
        return;
      }
    }
    let frames: Uint8Array[];
    try {
      frames = this.#parser.push(bytes);
    } catch (error) {
      this.server.log(`closing ${this.describe()}: ${(error as Error).message}`);
      this.close();
      return;
    }
    if (this.#blocked) {
      this.#deferred.push(...frames);
      return;
    }
    this.#run(frames);
  }

  #run(frames: Uint8Array[]): void {
    for (let i = 0; i < frames.length; i++) {
      // A frame may close the connection (bad handshake, closeSession, unknown op): stop at once.
      if ((this.state as ConnectionState) === ConnectionState.closed || this.#closing) return;
      // A client that pipelines reads and never reads the replies would make us buffer without
      // bound: stop executing (and reading) until the socket has drained.
      if ((this.socket.writeBacklogBytes?.() ?? 0) > this.#writeBacklogMaxBytes()) {
        this.#deferred = frames.slice(i);
        this.#blocked = true;
        this.socket.pause();
        return;
      }
      this.stats.packetsReceived++;
      this.#frame(frames[i]!);
    }
  }

  #writeBacklogMaxBytes(): number {
    return Math.max(WRITE_BACKLOG_MIN_BYTES, 2 * this.server.config.juteMaxBuffer);
  }

  /** The socket flushed what was queued: run the frames held back, then read again. */
  drained(): void {
    if (!this.#blocked || this.state === ConnectionState.closed) return;
    this.#blocked = false;
    const frames = this.#deferred;
    this.#deferred = [];
    this.#run(frames);
    if (!this.#blocked && !this.#paused) this.socket.resume();
  }

  #frame(frame: Uint8Array): void {
    switch (this.state) {
      case ConnectionState.fresh:
        this.#connect(frame);
        return;
      case ConnectionState.connecting:
        // Requests sent before the handshake finished wait for it (bounded like any backlog).
        this.#pendingFrames.push(frame);
        if (this.#pendingFrames.length > this.server.config.maxOutstandingPerConnection) this.close();
        return;
      case ConnectionState.open:
        this.server.request(this, frame);
        return;
    }
  }

  #connect(frame: Uint8Array): void {
    try {
      const reader = new JuteReader(frame);
      const request = readConnectRequest(reader);
      this.state = ConnectionState.connecting;
      this.server.connect(this, request, frame.length > 4 + 8 + 4 + 8 + 4 + request.passwd.length);
    } catch (error) {
      if (!(error instanceof JuteError)) throw error;
      this.server.log(`closing ${this.describe()}: bad ConnectRequest: ${error.message}`);
      this.close();
    }
  }

  /** The handshake succeeded: the session is attached to this connection. */
  established(sessionId: bigint, timeoutMs: number): void {
    this.sessionId = sessionId;
    this.timeoutMs = timeoutMs;
    this.state = ConnectionState.open;
    this.stats.established = this.server.clock.wallMs();
    const waiting = this.#pendingFrames;
    this.#pendingFrames = [];
    for (const frame of waiting) {
      if (this.state !== ConnectionState.open || this.#closing) return;
      this.server.request(this, frame);
    }
  }

  /** Sends bytes outside the reply queue (handshake, auth replies, notifications). */
  send(bytes: Uint8Array): void {
    if (this.state === ConnectionState.closed) return;
    this.stats.packetsSent++;
    this.server.metrics.packetsSent++;
    // Replies and notifications of a session count, as ZooKeeper's BufferStats counts them; the
    // handshake and four-letter-word answers (no session yet) do not.
    if (this.sessionId !== 0n) this.server.metrics.responded(bytes.length - 4);
    this.socket.write(bytes);
  }

  /** Queues a read; it runs when every earlier request of this connection has been answered. */
  enqueueRead(run: () => Uint8Array | null): void {
    if (this.#slotHead === this.#slots.length) {
      const bytes = run();
      if (bytes !== null) this.send(bytes);
      return;
    }
    this.#push({ bytes: null, run, closeAfter: false });
  }

  /** Reserves the reply position of a write; fill it with complete(). */
  enqueueWrite(closeAfter = false): Slot {
    const slot: Slot = { bytes: null, run: null, closeAfter };
    // Requests behind a close would run (a write would apply) but their replies never leave.
    if (closeAfter) this.#closing = true;
    this.#push(slot);
    return slot;
  }

  #push(slot: Slot): void {
    this.#slots.push(slot);
    if (!this.#paused && this.#slots.length - this.#slotHead > this.server.config.maxOutstandingPerConnection) {
      this.#paused = true;
      this.socket.pause();
    }
  }

  complete(slot: Slot, bytes: Uint8Array): void {
    slot.bytes = bytes;
    this.#drain();
  }

  #drain(): void {
    while (this.#slotHead < this.#slots.length && this.state !== ConnectionState.closed) {
      const slot = this.#slots[this.#slotHead]!;
      if (slot.bytes === null && slot.run === null) break;
      this.#slotHead++;
      const bytes = slot.bytes ?? slot.run!();
      if (bytes !== null) this.send(bytes);
      if (slot.closeAfter) this.close();
    }
    if (this.#slotHead === this.#slots.length) {
      this.#slots.length = 0;
      this.#slotHead = 0;
    }
    const outstanding = this.#slots.length - this.#slotHead;
    if (this.#paused && outstanding <= this.server.config.maxOutstandingPerConnection / 2) {
      this.#paused = false;
      if (!this.#blocked) this.socket.resume();
    }
  }

  /** What ZooKeeper's `cons` shows in brackets: 1 while reading requests, 0 when paused or done. */
  get interestOps(): number {
    return this.state !== ConnectionState.closed && !this.#paused ? 1 : 0;
  }

  get outstanding(): number {
    return this.#slots.length - this.#slotHead;
  }

  get authIds(): readonly Id[] {
    return this.auth.list;
  }

  /** Delivers a watch event, unless the client may not read the node. */
  notify(type: number, path: string, zxid: bigint, acl: readonly ACL[] | null): void {
    if (this.state !== ConnectionState.open) return;
    if (acl !== null && !aclAllows(acl, Perms.READ, this.authIds)) return;
    const w = new JuteWriter(32 + path.length * 3, { framed: true });
    // The zxid of the change rides in the header, as ZooKeeper 3.9 sends it (3.8 sent -1).
    w.int(Xid.notification).long(zxid).int(0);
    w.int(type).int(KeeperState.SyncConnected).ustring(path);
    this.send(w.finishFrame());
  }

  close(): void {
    if (this.state === ConnectionState.closed) return;
    this.state = ConnectionState.closed;
    this.socket.close();
    this.server.connectionClosed(this);
  }

  closed(): void {
    if (this.state === ConnectionState.closed) return;
    this.state = ConnectionState.closed;
    this.server.connectionClosed(this);
  }

  describe(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }
}
