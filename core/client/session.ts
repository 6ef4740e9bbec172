/**
 * The session engine under the public client: it connects to one server after another, attaches
 * (or re-attaches) the session, pipelines requests in xid order, matches replies to them, routes
 * watch notifications and re-registers watches after a reconnect. Connection-state policy lives
 * here and nowhere else.
 */
import {
  ErrorCode,
  EventType,
  JuteReader,
  JuteWriter,
  KeeperError,
  KeeperState,
  OpCode,
  Xid,
  readConnectResponse,
  readReplyHeader,
  type SetWatches,
  writeConnectRequest,
  writeSetWatches,
} from "../proto/mod.ts";
import type { Transport, TransportConnection } from "../io/transport.ts";
import type { Call } from "./call.ts";
import { Connection } from "./connection.ts";
import type { HostPort } from "./connect_string.ts";
import { Fifo } from "../fifo.ts";
import type { RequestSpec } from "./requests.ts";
import { ConnectionState, type ClientStatus, type WatchedEvent, type Watcher } from "./types.ts";
import { OneShotKind, WatchRegistry, type WatchLists } from "./watch_registry.ts";
import { connectFailure, ServerUnreachableError } from "./unreachable.ts";
import { watchedEvent } from "./event_names.ts";

/** Everything the engine needs, already resolved to concrete values. */
export interface SessionConfig {
  hosts: HostPort[];
  chroot: string;
  sessionTimeoutMs: number;
  connectTimeoutMs: number;
  reconnectDelayMaxMs: number;
  closeTimeoutMs: number;
  maxFrameBytes: number;
  maxPendingRequests: number;
  transport: Transport;
  random: () => number;
  /** Accept read-only servers, and look for a read-write one while on one. */
  canBeReadOnly: boolean;
}

/** What a request may carry besides its body. */
export interface SubmitOptions {
  /** Client path for error messages. */
  path?: string;
  watch?: Call["watch"];
  okWhen?: Call["okWhen"];
  sizeHintBytes?: number;
}

interface AuthInfo {
  scheme: string;
  auth: Uint8Array;
}

interface AuthWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** How soon, then how rarely at most, a read-only client asks the other servers whether they are read-write (ZooKeeper's pingRwTimeout). */
const RW_PROBE_FIRST_MS = 100;
const RW_PROBE_MAX_MS = 60_000;

/** ZooKeeper's limit on one SetWatches packet's path bytes. */
const SET_WATCHES_MAX_BYTES = 128 * 1024;
const XID_MAX = 0x7fffffff;
const TERMINAL: ReadonlySet<ClientStatus> = new Set(["expired", "closed", "authFailed"]);

export class Session {
  readonly config: SessionConfig;
  readonly watches = new WatchRegistry();
  status: ClientStatus = "connecting";
  sessionId = 0n;
  negotiatedTimeoutMs = 0;
  /** The highest zxid any reply carried: sent on reconnect so no server can take us back in time. */
  lastZxid = 0n;
  /** Connected to a read-only server (canBeReadOnly). */
  readOnly = false;
  /** A read-write server gave this session; until then its id is local to a read-only server. */
  #seenReadWrite = false;
  /** A read-write server found while read-only: the next connection goes there. */
  #nextHost: HostPort | null = null;
  #rwProbe: { timer: ReturnType<typeof setTimeout> | undefined; delayMs: number; turn: number } | null = null;
  #passwd: Uint8Array = new Uint8Array(16);
  #conn: Connection | null = null;
  #connecting: Connection | null = null;
  readonly #pending = new Fifo<Call>();
  readonly #outgoing = new Fifo<Call>();
  #xid = 0;
  readonly #auths: AuthInfo[] = [];
  readonly #unsentAuthWaiters = new Map<AuthInfo, AuthWaiter>();
  readonly #authWaiters = new Fifo<AuthWaiter | null>();
  readonly #listeners = new Set<(state: ConnectionState) => void>();
  readonly #unreachableListeners = new Set<(error: ServerUnreachableError) => void>();
  /** Why each server failed since the last successful connection. */
  readonly #failures = new Map<string, string>();
  #unreachable: ServerUnreachableError | null = null;
  readonly #stop = new AbortController();
  readonly #loop: Promise<void>;
  readonly #pingFrame: Uint8Array;

  constructor(config: SessionConfig) {
    this.config = config;
    this.#pingFrame = new JuteWriter(12, { framed: true }).int(Xid.ping).int(OpCode.ping).finishFrame();
    this.#loop = this.#run();
  }

  get passwd(): Uint8Array {
    return this.#passwd;
  }

  get terminal(): boolean {
    return TERMINAL.has(this.status);
  }

  /**
   * Set once a whole round of the servers failed before the first session was established; null
   * once one connects (the client keeps retrying either way).
   */
  get unreachable(): ServerUnreachableError | null {
    return this.#unreachable;
  }

  /** Hears each failed round before the first session; returns the unsubscribe function. */
  onUnreachable(listener: (error: ServerUnreachableError) => void): () => void {
    this.#unreachableListeners.add(listener);
    return () => this.#unreachableListeners.delete(listener);
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onState(listener: (state: ConnectionState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Encodes and queues a request; the promise settles with its decoded reply. */
  submit<T>(spec: RequestSpec<T>, opts: SubmitOptions = {}): Promise<T> {
    const terminalCode = this.#terminalCode();
    if (terminalCode !== undefined) return Promise.reject(new KeeperError(terminalCode, opts.path));
    if (this.#pending.length + this.#outgoing.length >= this.config.maxPendingRequests) {
      return Promise.reject(new RangeError(`more than ${this.config.maxPendingRequests} requests pending`));
    }
    const xid = this.#nextXid();
    const w = new JuteWriter(64 + (opts.sizeHintBytes ?? 0), { framed: true });
    w.int(xid).int(spec.opCode);
    spec.write(w);
    const frame = w.finishFrame();
    return new Promise<T>((resolve, reject) => {
      const call: Call = {
        xid, opCode: spec.opCode, frame, path: opts.path, decode: spec.decode,
        okWhen: opts.okWhen, watch: opts.watch, resolve: resolve as (v: unknown) => void, reject,
      };
      if (this.#conn !== null) {
        this.#pending.push(call);
        this.#conn.send(frame);
      } else {
        this.#outgoing.push(call);
      }
    });
  }

  /** Sends an auth packet now (or on the next connection) and remembers it for every reconnect. */
  addAuth(scheme: string, auth: Uint8Array): Promise<void> {
    const terminalCode = this.#terminalCode();
    if (terminalCode !== undefined) return Promise.reject(new KeeperError(terminalCode));
    const info = { scheme, auth };
    this.#auths.push(info);
    return new Promise((resolve, reject) => {
      if (this.#conn === null) {
        this.#unsentAuthWaiters.set(info, { resolve, reject });
        return;
      }
      this.#authWaiters.push({ resolve, reject });
      this.#conn.send(authFrame(info));
    });
  }

  /** Ends the session: closeSession when connected, then tears everything down. */
  async close(): Promise<void> {
    if (!this.terminal && this.#conn !== null) {
      const closing = this.submit({ opCode: OpCode.closeSession, write: () => undefined, decode: () => undefined });
      await settleWithin(closing, this.config.closeTimeoutMs);
    }
    this.#terminate("closed", ErrorCode.CONNECTIONLOSS, KeeperState.Closed);
    await this.#loop;
  }

  /** Maps a client path to the server's (chroot prepended). */
  toServer(path: string): string {
    const chroot = this.config.chroot;
    if (chroot === "") return path;
    return path === "/" ? chroot : chroot + path;
  }

  /** Maps a server path to the client's view (chroot removed). */
  toClient(serverPath: string): string {
    const chroot = this.config.chroot;
    if (chroot === "" || !serverPath.startsWith(chroot)) return serverPath;
    if (serverPath.length === chroot.length) return "/";
    return serverPath.charCodeAt(chroot.length) === 0x2f ? serverPath.slice(chroot.length) : serverPath;
  }

  /** True when a server path lies inside the chroot. */
  inChroot(serverPath: string): boolean {
    const chroot = this.config.chroot;
    return chroot === "" || serverPath === chroot || serverPath.startsWith(chroot + "/");
  }

  /** Calls each watcher; a throwing watcher must not break the client, so its error is rethrown later. */
  deliver(watchers: readonly Watcher[], event: WatchedEvent): void {
    for (const watcher of watchers) {
      try {
        watcher(event);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  #nextXid(): number {
    this.#xid = this.#xid >= XID_MAX ? 1 : this.#xid + 1;
    return this.#xid;
  }

  #terminalCode(): number | undefined {
    if (this.status === "authFailed") return ErrorCode.AUTHFAILED;
    if (this.status === "expired" || this.status === "closed") return ErrorCode.SESSIONEXPIRED;
    return undefined;
  }

  // ---- the connection loop -------------------------------------------------------------------

  /** Runs until the session ends; each turn is one connection attempt (and its lifetime). */
  async #run(): Promise<void> {
    const hostCount = this.config.hosts.length;
    let failures = 0;
    let turn = 0;
    let everConnected = false;
    while (!this.terminal) {
      const found = this.#nextHost;
      this.#nextHost = null;
      if (turn > 0 && found === null) await this.#sleep(this.#reconnectDelayMs(failures, hostCount, everConnected));
      if (this.terminal) break;
      const host = found ?? this.config.hosts[turn % hostCount]!;
      turn++;
      const outcome = await this.#attempt(host);
      const established = outcome === true;
      everConnected ||= established;
      failures = established ? 0 : failures + 1;
      if (established) {
        this.#failures.clear();
        this.#unreachable = null;
      } else if (!this.terminal) {
        this.#failures.set(`${host.host}:${host.port}`, outcome);
        if (!everConnected && failures % hostCount === 0) this.#reportUnreachable();
      }
    }
  }

  #reportUnreachable(): void {
    this.#unreachable = new ServerUnreachableError([...this.#failures.values()]);
    for (const listener of [...this.#unreachableListeners]) listener(this.#unreachable);
  }

  #reconnectDelayMs(failures: number, hostCount: number, everConnected: boolean): number {
    const cap = this.config.reconnectDelayMaxMs;
    // After trying every server in vain, back off a full step; otherwise only jitter (against herds).
    if (failures > 0 && failures % hostCount === 0) return cap;
    return everConnected || failures > 0 ? Math.floor(this.config.random() * cap) : 0;
  }

  /**
   * One connection: open, handshake, serve until it closes. True when a session was attached,
   * else why not (for the operator).
   */
  async #attempt(host: HostPort): Promise<true | string> {
    const opened = await this.#open(host);
    if (!("connection" in opened)) {
      this.#failQueue(this.#outgoing, ErrorCode.CONNECTIONLOSS);
      return opened.failure;
    }
    const transportConn = opened.connection;
    let established = false;
    let handshakeTimer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((ended) => {
      const conn = new Connection(transportConn, this.config.maxFrameBytes, {
        onFrame: (frame) => {
          if (established) this.#onFrame(frame);
          else established = this.#onHandshake(conn, frame);
        },
        onClosed: () => {
          clearTimeout(handshakeTimer);
          this.#onConnectionClosed(conn, established);
          ended();
        },
      });
      this.#connecting = conn;
      this.#connHosts.set(conn, host);
      handshakeTimer = setTimeout(() => {
        if (!established) conn.close(new Error("no ConnectResponse in time"));
      }, this.config.connectTimeoutMs);
      if (this.terminal) conn.close();
      else conn.send(this.#connectRequestFrame());
    });
    return established || `${host.host}:${host.port} closed the connection before a session was established`;
  }

  async #open(host: HostPort): Promise<{ connection: TransportConnection } | { failure: string }> {
    const abort = new AbortController();
    const timeoutMs = this.config.connectTimeoutMs;
    const timer = setTimeout(() => abort.abort(Object.assign(new Error("connect timeout"), { code: "ETIMEDOUT" })), timeoutMs);
    const onStop = () => abort.abort(new Error("client closed"));
    this.#stop.signal.addEventListener("abort", onStop, { once: true });
    try {
      return { connection: await this.config.transport.connect(host.host, host.port, abort.signal) };
    } catch (error) {
      const failure = connectFailure(host, error);
      return { failure: (error as { code?: unknown })?.code === "ETIMEDOUT" ? `${failure} within ${timeoutMs} ms` : failure };
    } finally {
      clearTimeout(timer);
      this.#stop.signal.removeEventListener("abort", onStop);
    }
  }

  #connectRequestFrame(): Uint8Array {
    const w = new JuteWriter(64, { framed: true });
    // A session from a read-only server is local to it: until a read-write server gave one, ask
    // for a new session every time (as the Java client does), or a read-write server expires it.
    const attach = this.#seenReadWrite;
    writeConnectRequest(w, {
      protocolVersion: 0,
      lastZxidSeen: this.lastZxid,
      timeOut: this.config.sessionTimeoutMs,
      sessionId: attach ? this.sessionId : 0n,
      passwd: attach ? this.#passwd : new Uint8Array(16),
      readOnly: this.config.canBeReadOnly,
    });
    return w.finishFrame();
  }

  /** Reads the ConnectResponse; true when the session is (re)attached on this connection. */
  #onHandshake(conn: Connection, frame: Uint8Array): boolean {
    let response;
    try {
      response = readConnectResponse(new JuteReader(frame));
    } catch (err) {
      conn.close(err as Error);
      return false;
    }
    // A session the server no longer knows is answered with timeout 0 (and session id 0).
    if (response.timeOut <= 0) {
      this.#terminate("expired", ErrorCode.SESSIONEXPIRED, KeeperState.Expired);
      return false;
    }
    const reattached = this.sessionId !== 0n && response.sessionId === this.sessionId;
    this.sessionId = response.sessionId;
    this.readOnly = response.readOnly === true;
    if (!this.readOnly) this.#seenReadWrite = true;
    this.#passwd = response.passwd;
    this.negotiatedTimeoutMs = response.timeOut;
    this.#conn = conn;
    this.status = "connected";
    conn.startLiveness(response.timeOut, this.#pingFrame);
    // Watches set on a read-only server go with the client to the read-write one.
    if (reattached || this.#deliveredReadOnly) this.#sendSetWatches(conn);
    this.#sendAuths(conn);
    this.#sendOutgoing(conn);
    if (this.readOnly) {
      this.#emit(ConnectionState.connectedReadOnly);
      this.#deliverState(KeeperState.ConnectedReadOnly);
      this.#startRwProbe(conn);
    } else {
      this.#emit(reattached ? ConnectionState.reconnected : ConnectionState.connected);
      if (reattached || this.#deliveredReadOnly) this.#deliverState(KeeperState.SyncConnected);
    }
    this.#deliveredReadOnly = this.readOnly;
    return true;
  }

  #deliveredReadOnly = false;

  /**
   * While on a read-only server: asks the other servers, one at a time with a growing pause,
   * whether they serve read-write (`isro`); the first that says `rw` gets the next connection.
   */
  #startRwProbe(conn: Connection): void {
    const others = this.config.hosts.filter((h) => h !== this.#hostOf(conn));
    if (others.length === 0) return;
    const probe = { timer: undefined as ReturnType<typeof setTimeout> | undefined, delayMs: RW_PROBE_FIRST_MS, turn: 0 };
    this.#rwProbe = probe;
    const next = () => {
      probe.timer = setTimeout(async () => {
        if (this.#rwProbe !== probe || this.#conn !== conn) return;
        const host = others[probe.turn++ % others.length]!;
        if ((await this.#askIsro(host)) === "rw" && this.#rwProbe === probe && this.#conn === conn) {
          this.#nextHost = host;
          conn.close();
          return;
        }
        probe.delayMs = Math.min(RW_PROBE_MAX_MS, probe.delayMs * 2);
        if (this.#rwProbe === probe) next();
      }, probe.delayMs);
    };
    next();
  }

  #stopRwProbe(): void {
    if (this.#rwProbe !== null) clearTimeout(this.#rwProbe.timer);
    this.#rwProbe = null;
  }

  #hostOf(conn: Connection): HostPort | undefined {
    return this.#connHosts.get(conn);
  }

  readonly #connHosts = new WeakMap<Connection, HostPort>();

  /** The four-letter word `isro` on a fresh connection: "rw", "ro", or "" when it did not answer. */
  async #askIsro(host: HostPort): Promise<string> {
    const opened = await this.#open(host);
    if (!("connection" in opened)) return "";
    const connection = opened.connection;
    return new Promise((resolve) => {
      let answer = "";
      const timer = setTimeout(() => connection.close(), this.config.connectTimeoutMs);
      connection.onData((chunk) => {
        answer += new TextDecoder().decode(chunk);
      });
      connection.onClose(() => {
        clearTimeout(timer);
        resolve(answer.trim());
      });
      connection.write(new TextEncoder().encode("isro"));
    });
  }

  #sendSetWatches(conn: Connection): void {
    const lists = this.watches.lists((p) => this.toServer(p));
    for (const batch of splitWatchLists(lists)) {
      const w = new JuteWriter(256, { framed: true });
      w.int(Xid.setWatches).int(OpCode.setWatches2);
      writeSetWatches(w, { relativeZxid: this.lastZxid, ...batch }, true);
      conn.send(w.finishFrame());
    }
  }

  #sendAuths(conn: Connection): void {
    for (const info of this.#auths) {
      const waiter = this.#unsentAuthWaiters.get(info) ?? null;
      this.#unsentAuthWaiters.delete(info);
      this.#authWaiters.push(waiter);
      conn.send(authFrame(info));
    }
  }

  #sendOutgoing(conn: Connection): void {
    // Bounded by maxPendingRequests: submit() refuses beyond it.
    for (let call = this.#outgoing.shift(); call !== undefined; call = this.#outgoing.shift()) {
      this.#pending.push(call);
      conn.send(call.frame);
    }
  }

  #onConnectionClosed(conn: Connection, established: boolean): void {
    if (this.#connecting === conn) this.#connecting = null;
    if (!established) {
      this.#failQueue(this.#outgoing, ErrorCode.CONNECTIONLOSS);
      return;
    }
    this.#conn = null;
    this.#stopRwProbe();
    // Whatever was in flight may or may not have been applied: the caller decides, never a replay.
    this.#failQueue(this.#pending, ErrorCode.CONNECTIONLOSS);
    this.#failQueue(this.#outgoing, ErrorCode.CONNECTIONLOSS);
    this.#failAuthWaiters(ErrorCode.CONNECTIONLOSS);
    if (this.terminal) return;
    this.status = "disconnected";
    this.#emit(ConnectionState.disconnected);
    this.#deliverState(KeeperState.Disconnected);
  }

  // ---- replies ---------------------------------------------------------------------------------

  #onFrame(frame: Uint8Array): void {
    const r = new JuteReader(frame);
    let header;
    try {
      header = readReplyHeader(r);
    } catch (err) {
      this.#conn?.close(err as Error);
      return;
    }
    switch (header.xid) {
      case Xid.ping:
      case Xid.setWatches:
        return;
      case Xid.notification:
        this.#onNotification(r, header.zxid);
        return;
      case Xid.auth:
        this.#onAuthReply(header.err);
        return;
    }
    const call = this.#pending.shift();
    if (call === undefined || call.xid !== header.xid) {
      if (call !== undefined) call.reject(new KeeperError(ErrorCode.CONNECTIONLOSS, call.path));
      this.#conn?.close(new Error(`reply xid ${header.xid} out of order (expected ${call?.xid})`));
      return;
    }
    if (header.zxid > 0n) this.lastZxid = header.zxid;
    this.#settle(call, header.err, r);
  }

  #settle(call: Call, err: number, r: JuteReader): void {
    if (err !== 0) {
      if (call.okWhen !== undefined && call.okWhen.code === err) {
        if (call.watch !== undefined) this.watches.addOneShot(OneShotKind.exist, call.watch.path, call.watch.watcher);
        call.resolve(call.okWhen.value);
      } else {
        call.reject(new KeeperError(err, call.path));
      }
      return;
    }
    let value: unknown;
    try {
      value = call.decode(r);
    } catch {
      call.reject(new KeeperError(ErrorCode.MARSHALLINGERROR, call.path));
      return;
    }
    if (call.watch !== undefined) this.watches.addOneShot(call.watch.kind, call.watch.path, call.watch.watcher);
    call.resolve(value);
  }

  #onNotification(r: JuteReader, zxid: bigint): void {
    let event: WatchedEvent;
    try {
      const typeCode = r.int();
      const stateCode = r.int();
      event = watchedEvent(typeCode, stateCode, this.toClient(r.string()), zxid > 0n ? zxid : undefined);
    } catch (err) {
      this.#conn?.close(err as Error);
      return;
    }
    this.deliver(this.watches.materialize(event), event);
  }

  #onAuthReply(err: number): void {
    const waiter = this.#authWaiters.shift();
    if (err === ErrorCode.AUTHFAILED) {
      waiter?.reject(new KeeperError(err));
      this.#terminate("authFailed", ErrorCode.AUTHFAILED, KeeperState.AuthFailed);
      return;
    }
    if (err !== 0) waiter?.reject(new KeeperError(err));
    else waiter?.resolve();
  }

  // ---- endings ---------------------------------------------------------------------------------

  /** Moves to a final state: fail everything, tell every watcher, stop the loop. */
  #terminate(status: ClientStatus, code: number, keeperState: number): void {
    if (this.terminal) return;
    this.status = status;
    this.#stopRwProbe();
    this.#stop.abort();
    this.#failQueue(this.#pending, code);
    this.#failQueue(this.#outgoing, code);
    this.#failAuthWaiters(code);
    for (const waiter of this.#unsentAuthWaiters.values()) waiter.reject(new KeeperError(code));
    this.#unsentAuthWaiters.clear();
    const conn = this.#conn ?? this.#connecting;
    this.#conn = null;
    conn?.close(new Error(`session ${status}`));
    this.deliver(this.watches.drainAll(), watchedEvent(EventType.None, keeperState, ""));
    this.#emit(status as ConnectionState);
    this.#listeners.clear();
  }

  #failQueue(queue: Fifo<Call>, code: number): void {
    for (const call of queue.drain()) call.reject(new KeeperError(code, call.path));
  }

  #failAuthWaiters(code: number): void {
    for (const waiter of this.#authWaiters.drain()) waiter?.reject(new KeeperError(code));
  }

  #deliverState(keeperState: number): void {
    this.deliver(this.watches.persistentListeners(), watchedEvent(EventType.None, keeperState, ""));
  }

  #emit(state: ConnectionState): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(state);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  /** Sleeps, but wakes at once when the session ends. The timer never outlives the session. */
  #sleep(ms: number): Promise<void> {
    const signal = this.#stop.signal;
    if (ms <= 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

function authFrame(info: AuthInfo): Uint8Array {
  const w = new JuteWriter(64 + info.auth.length, { framed: true });
  w.int(Xid.auth).int(OpCode.auth).int(0).ustring(info.scheme).buffer(info.auth);
  return w.finishFrame();
}

/** Splits the watch lists so that no SetWatches packet carries more than 128 KiB of paths. */
function splitWatchLists(lists: WatchLists): Omit<SetWatches, "relativeZxid">[] {
  const keys = ["data", "exist", "child", "persistent", "recursive"] as const;
  const batches: WatchLists[] = [];
  let current: WatchLists = { data: [], exist: [], child: [], persistent: [], recursive: [] };
  let bytes = 0;
  for (const key of keys) {
    for (const path of lists[key]) {
      if (bytes > 0 && bytes + path.length > SET_WATCHES_MAX_BYTES) {
        batches.push(current);
        current = { data: [], exist: [], child: [], persistent: [], recursive: [] };
        bytes = 0;
      }
      current[key].push(path);
      bytes += path.length;
    }
  }
  if (bytes > 0) batches.push(current);
  return batches.map((b) => ({
    dataWatches: b.data,
    existWatches: b.exist,
    childWatches: b.child,
    persistentWatches: b.persistent,
    persistentRecursiveWatches: b.recursive,
  }));
}

/** Waits for a promise for at most `ms`, ignoring its outcome; the timer is always cleared. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise.then(() => undefined, () => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
