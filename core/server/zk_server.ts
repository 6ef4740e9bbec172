import type { Clock } from "../io/clock.ts";
import type { ServerSocket, SocketHandler } from "../io/socket.ts";
import { digestId } from "../acl/digest.ts";
import { ErrorCode } from "../proto/error_code.ts";
import { Refusal } from "../proto/refusal.ts";
import { JuteError, JuteReader } from "../proto/jute_reader.ts";
import { JuteWriter } from "../proto/jute_writer.ts";
import { OpCode, Xid, opName } from "../proto/op_code.ts";
import { type ConnectRequest, readAuthPacket, writeConnectResponse } from "../proto/records.ts";
import { OutstandingChanges } from "../pipeline/change_record.ts";
import { type PrepContext, prepWrite } from "../pipeline/prep.ts";
import { sessionPassword } from "../session/java_random.ts";
import { SessionTracker } from "../session/session_tracker.ts";
import type { TxnStore, TxnStoreSyncStats } from "../storage/txn_log.ts";
import { DataTree } from "../tree/data_tree.ts";
import { applyTxn } from "../txn/apply_txn.ts";
import type { Txn, TxnHeader } from "../txn/txn.ts";
import { decodeTxn, encodeTxn } from "../txn/txn_codec.ts";
import { containerCandidates } from "./container_reaper.ts";
import { fourLetterWordOutput } from "./four_letter_words.ts";
import { type HostInfo, staticHostInfo } from "./host_info.ts";
import { BadReadRequest, executeRead } from "./read_requests.ts";
import { errorReply, saslReply, writeReply } from "./replies.ts";
import type { ServerConfig } from "./server_config.ts";
import { ConnectionState, ServerConnection } from "./server_connection.ts";
import { LogLevel, type LogSink } from "../log_level.ts";
import { RecoveryProgress } from "./recovery_progress.ts";
import { ServerMetrics } from "./server_metrics.ts";
import { captureSnapshot, decodeSnapshot, encodeSnapshotSlices, type SnapshotImage } from "./snapshot_codec.ts";

/** What a standalone server is built from: its config and injected I/O. */
export interface ZkServerOptions {
  config: ServerConfig;
  store: TxnStore;
  clock: Clock;
  log?: LogSink;
  /** Process and disk facts for the four-letter words; default: nothing measured. */
  host?: HostInfo;
  /**
   * Resolves once pending I/O had a chance to run (a macrotask). Long work such as encoding a
   * snapshot awaits it between slices; the default (a microtask) suits simulations.
   */
  yieldToIo?: () => Promise<void>;
  /**
   * Called once when the server can no longer make writes durable (the txn log failed). The server
   * has stopped serving by then; the composition root decides what else ends (ZooKeeper halts the
   * process, so a supervisor restarts it and clients fail over). Core never exits the process.
   */
  onFatal?: (error: Error) => void;
}

/**
 * Ops that change state and therefore go through prep, the log and apply. `check` is only valid
 * inside a multi (ZOOKEEPER-2623); alone it is an unknown op, as in current ZooKeeper.
 */
const WRITE_OPS: ReadonlySet<number> = new Set([
  OpCode.create, OpCode.create2, OpCode.createContainer, OpCode.createTTL, OpCode.delete, OpCode.setData,
  OpCode.setACL, OpCode.multi, OpCode.reconfig,
]);

const READ_OPS: ReadonlySet<number> = new Set([
  OpCode.getData, OpCode.exists, OpCode.getChildren, OpCode.getChildren2, OpCode.getACL, OpCode.getAllChildrenNumber,
  OpCode.getEphemerals, OpCode.sync, OpCode.checkWatches, OpCode.removeWatches, OpCode.addWatch, OpCode.setWatches,
  OpCode.setWatches2, OpCode.whoAmI, OpCode.multiRead, OpCode.ping,
]);

/** Where the answer to a txn goes once it is applied. */
interface TxnOrigin {
  connection: ServerConnection | null;
  slot: ReturnType<ServerConnection["enqueueWrite"]> | null;
  xid: number;
  requestType: number;
  startMs: number;
}

/**
 * A standalone ZooKeeper-compatible server: an ensemble of one. Every write is prepared into a
 * txn, appended to the store (durable before it resolves), applied to the tree in zxid order and
 * only then answered; reads are answered from the tree after the earlier requests of the same
 * connection. Runtime-agnostic: sockets, disk and time are injected.
 */
export class ZkServer {
  readonly config: ServerConfig;
  readonly tree: DataTree;
  readonly sessions: SessionTracker;
  readonly outstanding = new OutstandingChanges();
  readonly connections = new Set<ServerConnection>();
  readonly metrics = new ServerMetrics();
  readonly clock: Clock;
  readonly startedAtMs: number;
  readonly host: HostInfo;
  readonly #store: TxnStore;
  readonly #log: LogSink;
  readonly #yieldToIo: () => Promise<void>;
  readonly #onFatal: (error: Error) => void;
  readonly #bySession = new Map<bigint, ServerConnection>();
  readonly #connectionsPerIp = new Map<string, number>();
  #lastZxid = 0n;
  #lastContainerCheckMs: number;
  #snapshotting = false;
  #running = false;

  constructor({ config, store, clock, log, host, yieldToIo, onFatal }: ZkServerOptions) {
    this.#yieldToIo = yieldToIo ?? (() => Promise.resolve());
    this.#onFatal = onFatal ?? (() => {});
    this.host = host ?? staticHostInfo(config);
    this.config = config;
    this.clock = clock;
    this.#store = store;
    this.#log = log ?? (() => {});
    this.tree = new DataTree({ extendedTypesEnabled: config.extendedTypesEnabled });
    this.startedAtMs = clock.monoMs();
    this.#lastContainerCheckMs = this.startedAtMs;
    this.sessions = new SessionTracker({ tickMs: config.tickTime, serverId: config.serverId, nowMs: clock.wallMs() });
  }

  log(line: string, level?: LogLevel): void {
    this.#log(line, level);
  }

  /** The store's group-commit counters (null for a store that never fsyncs), for `mntr`. */
  syncStats(): TxnStoreSyncStats | null {
    return this.#store.stats?.() ?? null;
  }

  get lastZxid(): bigint {
    return this.tree.lastProcessedZxid;
  }

  /** Loads the newest snapshot and replays the log after it. */
  async start(): Promise<void> {
    const initStartMs = this.clock.monoMs();
    const recovered = await this.#store.recover();
    const progress = new RecoveryProgress({ clock: this.clock, log: this.#log, totalTxns: recovered.txns.length });
    if (recovered.snapshot !== null) {
      this.#log(`recovery: loading snapshot 0x${recovered.snapshotZxid.toString(16)} (${recovered.snapshot.length} bytes)`);
      decodeSnapshot(recovered.snapshot, this.tree, this.sessions, this.clock.monoMs());
      this.#log(`recovery: snapshot loaded, ${this.tree.nodeCount} znodes (${progress.elapsedMs()} ms); replaying ${recovered.txns.length} txns`);
    }
    const snapLoadMs = progress.elapsedMs();
    for (let i = 0; i < recovered.txns.length; i++) {
      const { header, txn } = decodeTxn(recovered.txns[i]!.bytes);
      this.#applyAndTrackSessions(header, txn);
      progress.replayed(i + 1, () => this.tree.nodeCount);
    }
    const nowMs = this.clock.monoMs();
    this.metrics.started({
      snapLoadMs, txnsLoadMs: progress.elapsedMs() - snapLoadMs, txnsLoaded: recovered.txns.length, dbInitMs: Math.round(nowMs - initStartMs),
    });
    this.#lastZxid = this.tree.lastProcessedZxid;
    // Recovered sessions get a full timeout to reconnect, as ZooKeeper grants on start.
    for (const session of this.sessions.all()) this.sessions.touch(session.sessionId, this.clock.monoMs());
    this.#running = true;
    if (recovered.txns.length > 0 || recovered.snapshot !== null) {
      this.#log(`recovered to zxid 0x${this.tree.lastProcessedZxid.toString(16)}: ${this.tree.nodeCount} znodes, ` +
        `${this.sessions.size} sessions, ${recovered.txns.length} txns replayed in ${progress.elapsedMs()} ms`);
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    for (const connection of [...this.connections]) connection.close();
    await this.#store.close();
  }

  accept(socket: ServerSocket): SocketHandler {
    const perIp = (this.#connectionsPerIp.get(socket.remoteAddress) ?? 0) + 1;
    const connection = new ServerConnection(this, socket);
    const refusal = !this.#running
      ? (this.#fatalError === null ? "the server is not serving" : "the server stopped after a storage failure")
      : this.config.maxClientCnxns > 0 && perIp > this.config.maxClientCnxns
      ? `too many connections from that address (maxClientCnxns=${this.config.maxClientCnxns})`
      : null;
    if (refusal !== null) {
      this.metrics.connectionsRejected++;
      this.#log(`refusing connection from ${socket.remoteAddress}: ${refusal}`, LogLevel.warn);
      socket.close();
      connection.state = ConnectionState.closed;
      return connection;
    }
    this.#connectionsPerIp.set(socket.remoteAddress, perIp);
    this.connections.add(connection);
    return connection;
  }

  connectionClosed(connection: ServerConnection): void {
    if (!this.connections.delete(connection)) return;
    const ip = connection.socket.remoteAddress;
    const perIp = (this.#connectionsPerIp.get(ip) ?? 1) - 1;
    if (perIp <= 0) this.#connectionsPerIp.delete(ip);
    else this.#connectionsPerIp.set(ip, perIp);
    if (this.#bySession.get(connection.sessionId) === connection) this.#bySession.delete(connection.sessionId);
    // Watches belong to the connection; a reconnecting client re-registers them (setWatches).
    this.tree.removeWatcher(connection);
  }

  /** The handshake (ZooKeeperServer.processConnectRequest). */
  connect(connection: ServerConnection, request: ConnectRequest, hasReadOnly: boolean): void {
    this.metrics.connectionRequests++;
    if (request.lastZxidSeen > this.tree.lastProcessedZxid) {
      this.#log(`refusing session 0x${request.sessionId.toString(16)} from ${connection.describe()}: it has seen zxid ` +
        `0x${request.lastZxidSeen.toString(16)}, ours is 0x${this.tree.lastProcessedZxid.toString(16)}`, LogLevel.warn);
      connection.close();
      return;
    }
    const timeoutMs = Math.min(Math.max(request.timeOut, this.config.minSessionTimeout), this.config.maxSessionTimeout);
    if (request.sessionId === 0n) {
      this.#createSession(connection, timeoutMs, hasReadOnly);
      return;
    }
    const session = this.sessions.get(request.sessionId);
    const passwordOk = equalBytes(request.passwd, sessionPassword(request.sessionId));
    if (session === undefined || session.closing || !passwordOk) {
      const why = session === undefined || session.closing ? "it has expired or was closed" : "wrong session password";
      this.#log(`refusing to re-attach session 0x${request.sessionId.toString(16)} from ${connection.describe()}: ${why}`);
      this.#sendConnectResponse(connection, 0n, 0, hasReadOnly);
      connection.close();
      return;
    }
    const previous = this.#bySession.get(request.sessionId);
    if (previous !== undefined && previous !== connection) previous.close();
    session.timeoutMs = timeoutMs;
    this.sessions.touch(request.sessionId, this.clock.monoMs());
    this.#attach(connection, request.sessionId, timeoutMs, hasReadOnly);
  }

  #createSession(connection: ServerConnection, timeoutMs: number, hasReadOnly: boolean): void {
    const sessionId = this.sessions.newSessionId();
    const txn: Txn = { type: OpCode.createSession, timeoutMs };
    const header = this.#header(sessionId, 0, OpCode.createSession);
    this.#commit(header, txn, (result) => {
      if (result.err !== 0 || connection.state === ConnectionState.closed) return;
      this.#attach(connection, sessionId, timeoutMs, hasReadOnly);
    });
  }

  #attach(connection: ServerConnection, sessionId: bigint, timeoutMs: number, hasReadOnly: boolean): void {
    this.#bySession.set(sessionId, connection);
    this.#sendConnectResponse(connection, sessionId, timeoutMs, hasReadOnly);
    connection.established(sessionId, timeoutMs);
  }

  #sendConnectResponse(connection: ServerConnection, sessionId: bigint, timeoutMs: number, hasReadOnly: boolean): void {
    const w = new JuteWriter(64, { framed: true });
    const passwd = sessionId === 0n ? new Uint8Array(16) : sessionPassword(sessionId);
    writeConnectResponse(w, { protocolVersion: 0, timeOut: timeoutMs, sessionId, passwd, readOnly: false });
    // Old clients (no readOnly byte in their request) get no readOnly byte back.
    const frame = w.finishFrame();
    connection.send(hasReadOnly ? frame : withLength(frame.subarray(0, frame.length - 1)));
  }

  /** One request frame of an established connection. */
  request(connection: ServerConnection, frame: Uint8Array): void {
    const startMs = this.clock.monoMs();
    const body = new JuteReader(frame);
    let xid: number;
    let type: number;
    try {
      xid = body.int();
      type = body.int();
    } catch {
      connection.close();
      return;
    }
    this.sessions.touch(connection.sessionId, startMs);
    this.metrics.packetsReceived++;
    if (type === OpCode.auth) return this.#auth(connection, xid, body);
    if (READ_OPS.has(type)) return this.#read(connection, type, xid, body, startMs);
    if (WRITE_OPS.has(type)) return this.#write(connection, type, xid, body, startMs);
    if (type === OpCode.closeSession) return this.#closeSession(connection, xid, startMs);
    if (type === OpCode.sasl) return connection.enqueueRead(() => saslReply(xid));
    // Unknown ops get UNIMPLEMENTED and a close, as in ZooKeeper, whose
    // UnimplementedRequestProcessor answers with the request's zxid: -1.
    this.#log(`unknown request type ${type} from ${connection.describe()}`, LogLevel.warn);
    connection.enqueueRead(() => errorReply(xid, -1n, ErrorCode.UNIMPLEMENTED));
    connection.complete(connection.enqueueWrite(true), new Uint8Array(0));
  }

  #read(connection: ServerConnection, type: number, xid: number, body: JuteReader, startMs: number): void {
    const context = { tree: this.tree, watcher: connection, authIds: connection.authIds, sessionId: connection.sessionId };
    connection.enqueueRead(() => {
      let reply: Uint8Array;
      try {
        reply = executeRead(context, type, xid, body);
      } catch (error) {
        reply = errorReply(xid, this.tree.lastProcessedZxid, readErrorCode(error));
      }
      this.#served(connection, startMs, xid, type);
      return reply;
    });
  }

  #served(connection: ServerConnection, startMs: number, xid: number, type: number): void {
    const endMs = this.clock.monoMs();
    // Whole milliseconds, as ZooKeeper measures them, so min/avg/max read the same way.
    const isWrite = WRITE_OPS.has(type) || type === OpCode.closeSession;
    this.metrics.answered(Math.max(0, Math.floor(endMs) - Math.floor(startMs)), isWrite);
    connection.stats.answered({ xid, zxid: this.tree.lastProcessedZxid, type, startMs, endMs });
  }

  #auth(connection: ServerConnection, xid: number, body: JuteReader): void {
    let ok = false;
    try {
      const packet = readAuthPacket(body);
      if (packet.scheme === "digest") {
        const id = digestId(new TextDecoder().decode(packet.auth));
        if (this.config.superDigest !== null && id === this.config.superDigest) {
          connection.auth.add({ scheme: "super", id: "" });
        }
        connection.auth.add({ scheme: "digest", id });
        ok = true;
      }
    } catch (error) {
      if (!(error instanceof JuteError)) throw error;
    }
    if (ok) {
      connection.send(errorReply(Xid.auth, 0n, 0));
      return;
    }
    this.metrics.authFailed++;
    connection.send(errorReply(Xid.auth, 0n, ErrorCode.AUTHFAILED));
    connection.close();
  }

  #write(connection: ServerConnection, type: number, xid: number, body: JuteReader, startMs: number): void {
    const outcome = prepWrite(this.#prepContext(), {
      sessionId: connection.sessionId,
      cxid: xid,
      type,
      body,
      authIds: connection.authIds,
    }, this.#lastZxid + 1n, BigInt(Math.floor(this.clock.wallMs())));
    if ("malformed" in outcome) {
      this.#log(`malformed ${opName(type)} from ${connection.describe()}: ${outcome.malformed}`, LogLevel.warn);
      connection.enqueueRead(() => errorReply(xid, this.tree.lastProcessedZxid, ErrorCode.MARSHALLINGERROR));
      return;
    }
    this.#lastZxid = outcome.header.zxid;
    const slot = connection.enqueueWrite();
    this.#commit(outcome.header, outcome.txn, (result) => {
      this.#served(connection, startMs, xid, type);
      connection.complete(slot, writeReply(type, xid, this.tree.lastProcessedZxid, result));
    });
  }

  #closeSession(connection: ServerConnection, xid: number, startMs: number): void {
    const session = this.sessions.get(connection.sessionId);
    // A duplicate closeSession while the first is in flight must not cut off the first's reply.
    if (session?.closing === true && connection.outstanding > 0) return;
    if (session === undefined || session.closing) {
      connection.close();
      return;
    }
    session.closing = true;
    const header = this.#header(connection.sessionId, xid, OpCode.closeSession);
    const slot = connection.enqueueWrite(true);
    const txn = this.#prepClose(header);
    this.#commit(header, txn, () => {
      this.#served(connection, startMs, xid, OpCode.closeSession);
      connection.complete(slot, errorReply(xid, this.tree.lastProcessedZxid, 0));
    });
  }

  #prepClose(header: TxnHeader): Txn {
    const outcome = prepWrite(this.#prepContext(), {
      sessionId: header.sessionId,
      cxid: header.cxid,
      type: OpCode.closeSession,
      body: new JuteReader(new Uint8Array(0)),
      authIds: [],
    }, header.zxid, header.time);
    if ("malformed" in outcome) throw new Error("closeSession cannot be malformed");
    return outcome.txn;
  }

  #header(sessionId: bigint, cxid: number, type: number): TxnHeader {
    this.#lastZxid++;
    return { sessionId, cxid, zxid: this.#lastZxid, time: BigInt(Math.floor(this.clock.wallMs())), type };
  }

  /** What prep sees of this server; built once, not per write (it is on the write hot path). */
  #prepContextCache: PrepContext | null = null;

  #prepContext(): PrepContext {
    return this.#prepContextCache ??= {
      tree: this.tree,
      outstanding: this.outstanding,
      extendedTypesEnabled: this.config.extendedTypesEnabled,
      reconfigEnabled: this.config.reconfigEnabled,
      checkSession: (sessionId: bigint) => {
        const session = this.sessions.get(sessionId);
        if (session === undefined || session.closing) throw new Refusal(ErrorCode.SESSIONEXPIRED);
      },
      ...(this.config.enforceQuota ? { checkQuota: this.#checkQuota } : {}),
    };
  }

  /** zookeeper.enforceQuota: refuse a create/setData passing a hard limit; log a passed soft one. */
  readonly #checkQuota = (path: string, oldData: Uint8Array | null, newData: Uint8Array, isCreate: boolean): void => {
    const bytesDiff = newData.length - (oldData?.length ?? 0);
    for (const exceeded of this.tree.quotas.check(path, isCreate ? 1 : 0, bytesDiff)) {
      this.#log(exceeded.message, LogLevel.warn);
      if (exceeded.hard) throw new Refusal(ErrorCode.QUOTAEXCEEDED, exceeded.quotaPath);
    }
  };

  /** Logs a txn; once durable, applies it (in zxid order) and hands the result to `then`. */
  #commit(header: TxnHeader, txn: Txn, then: (result: ReturnType<typeof applyTxn>) => void): void {
    this.metrics.outstandingWrites++;
    this.#store.append({ zxid: header.zxid, bytes: encodeTxn(header, txn) }).then(() => {
      this.metrics.outstandingWrites--;
      const result = this.#applyAndTrackSessions(header, txn);
      this.outstanding.applied(header.zxid);
      then(result);
      this.#maybeSnapshot();
    }, (error: unknown) => this.#fatal(error));
  }

  #applyAndTrackSessions(header: TxnHeader, txn: Txn) {
    const result = applyTxn(this.tree, header, txn);
    if (txn.type === OpCode.createSession) this.sessions.add(header.sessionId, txn.timeoutMs, this.clock.monoMs());
    if (txn.type === OpCode.closeSession) this.sessions.remove(header.sessionId);
    return result;
  }

  #fatal(error: unknown): void {
    // A txn we promised to log could not be: answering anything more would risk acknowledging
    // writes that are not durable. Stop serving, loudly, once.
    if (this.#fatalError !== null) return;
    this.#fatalError = error instanceof Error ? error : new Error(String(error));
    this.#log(`txn log append failed, the server stops: ${this.#fatalError.message}`, LogLevel.error);
    this.#running = false;
    for (const connection of [...this.connections]) connection.close();
    this.#onFatal(this.#fatalError);
  }

  /** Why the server stopped serving on its own (a storage failure), or null. */
  get fatalError(): Error | null {
    return this.#fatalError;
  }

  #fatalError: Error | null = null;

  #maybeSnapshot(): void {
    if (this.#snapshotting || !this.#store.wantsSnapshot()) return;
    this.#snapshotting = true;
    const startMs = this.clock.monoMs();
    const image = captureSnapshot(this.tree, this.sessions);
    this.#writeSnapshot(image).then(
      (bytes) => {
        this.metrics.snapshotsTaken++;
        this.metrics.snapshotTime.record(Math.floor(this.clock.monoMs() - startMs));
        this.#log(`snapshot taken at zxid 0x${image.zxid.toString(16)} (${bytes} bytes, ${image.nodes.length} znodes)`);
      },
      (error: unknown) => this.#log(`snapshot at zxid 0x${image.zxid.toString(16)} failed: ${(error as Error).message}`, LogLevel.error),
    ).finally(() => {
      this.#snapshotting = false;
    });
  }

  /** Encodes in slices, letting requests run between them, then hands the bytes to the store. */
  async #writeSnapshot(image: SnapshotImage): Promise<number> {
    const slices = encodeSnapshotSlices(image);
    let step = slices.next();
    for (; !step.done; step = slices.next()) await this.#yieldToIo();
    await this.#store.writeSnapshot(image.zxid, step.value);
    return step.value.length;
  }

  /** Called every tick by the runtime: expires sessions, reaps containers and TTL nodes. */
  tick(): void {
    if (!this.#running) return;
    const now = this.clock.monoMs();
    for (const session of this.sessions.expired(now)) {
      this.#log(`expiring session 0x${session.sessionId.toString(16)}, timeout of ${session.timeoutMs}ms exceeded`);
      const header = this.#header(session.sessionId, 0, OpCode.closeSession);
      this.#commit(header, this.#prepClose(header), () => {});
      const connection = this.#bySession.get(session.sessionId);
      connection?.close();
    }
    if (now - this.#lastContainerCheckMs >= this.config.containerCheckIntervalMs) {
      this.#lastContainerCheckMs = now;
      this.#reapContainers();
    }
  }

  #reapContainers(): void {
    const candidates = containerCandidates(this.tree, this.clock.wallMs(), this.config.containerMaxPerMinute);
    for (const path of candidates) {
      const w = new JuteWriter(path.length + 8);
      w.ustring(path);
      const outcome = prepWrite(this.#prepContext(), {
        sessionId: 0n,
        cxid: 0,
        type: OpCode.deleteContainer,
        body: new JuteReader(w.bytes()),
        authIds: [],
      }, this.#lastZxid + 1n, BigInt(Math.floor(this.clock.wallMs())));
      if ("malformed" in outcome) continue;
      this.#lastZxid = outcome.header.zxid;
      this.#commit(outcome.header, outcome.txn, () => {});
    }
  }

  runFourLetterWord(connection: ServerConnection, word: string): void {
    connection.state = ConnectionState.open;
    // The word is the connection's one packet; ZooKeeper counts it for the connection and server.
    connection.stats.packetsReceived++;
    this.metrics.packetsReceived++;
    connection.send(new TextEncoder().encode(fourLetterWordOutput(this, word, connection)));
    connection.close();
  }
}

function readErrorCode(error: unknown): number {
  if (error instanceof Refusal) return error.code;
  if (error instanceof JuteError || error instanceof BadReadRequest) return ErrorCode.MARSHALLINGERROR;
  throw error;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Re-frames bytes whose length prefix must shrink (the readOnly byte removed). */
function withLength(frame: Uint8Array): Uint8Array {
  const copy = frame.slice();
  new DataView(copy.buffer).setInt32(0, copy.length - 4);
  return copy;
}
