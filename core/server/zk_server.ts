import type { Clock } from "../io/clock.ts";
import type { ServerSocket, SocketHandler } from "../io/socket.ts";
import { digestAuthIds } from "../acl/digest.ts";
import { ErrorCode } from "../proto/error_code.ts";
import { Refusal } from "../proto/refusal.ts";
import { JuteError, JuteReader } from "../proto/jute_reader.ts";
import { JuteWriter } from "../proto/jute_writer.ts";
import { OpCode, Xid, opName } from "../proto/op_code.ts";
import { type ConnectRequest, readAuthPacket, writeConnectResponse } from "../proto/records.ts";
import { sessionPassword } from "../session/java_random.ts";
import { SessionTracker } from "../session/session_tracker.ts";
import type { TxnStore, TxnStoreSyncStats } from "../storage/txn_log.ts";
import { DataTree } from "../tree/data_tree.ts";
import type { ApplyResult } from "../txn/apply_txn.ts";
import type { Txn, TxnDigest, TxnHeader } from "../txn/txn.ts";
import { fourLetterWordOutput } from "./four_letter_words.ts";
import { type HostInfo, staticHostInfo } from "./host_info.ts";
import { PendingWrites } from "./pending_writes.ts";
import { BadReadRequest, executeRead } from "./read_requests.ts";
import { errorReply, saslReply, writeReply } from "./replies.ts";
import type { ServerConfig } from "./server_config.ts";
import { ConnectionState, ServerConnection } from "./server_connection.ts";
import { PaddockMetrics } from "./paddock_metrics.ts";
import { LogLevel, type LogSink } from "../log_level.ts";
import { ServerMetrics } from "./server_metrics.ts";
import type { QuorumFacts } from "./quorum_facts.ts";
import type { LocalSessions, ServerRole } from "./server_role.ts";
import type { CapturedImage } from "../tree/tree_image.ts";
import { captureSnapshot, decodeSnapshot, encodeSnapshot } from "./snapshot_codec.ts";
import { type SnapshotEncoder, slicedSnapshotEncoder, withFallback } from "./snapshot_encoder.ts";
import { decodeZkBackup, encodeZkBackup, isZkSnapshotFile } from "./zk_backup.ts";
import { StandaloneRole } from "./standalone_role.ts";
import type { ZkDatabase } from "./zk_database.ts";

/** What a server is built from: its config, its database and store, and injected I/O. */
export interface ZkServerOptions {
  config: ServerConfig;
  db: ZkDatabase;
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
  /**
   * Encodes snapshots (a worker thread where the runtime has one); default: on the event loop,
   * in slices between `yieldToIo`s.
   */
  snapshotEncoder?: SnapshotEncoder;
}

/**
 * Ops that change state and therefore go through the role (prep, log or quorum, apply). `check`
 * is only valid inside a multi (ZOOKEEPER-2623); alone it is an unknown op, as in current ZooKeeper.
 */
const WRITE_OPS: ReadonlySet<number> = new Set([
  OpCode.create, OpCode.create2, OpCode.createContainer, OpCode.createTTL, OpCode.delete, OpCode.setData,
  OpCode.setACL, OpCode.multi, OpCode.reconfig,
]);

/** What a read-only server refuses (ReadOnlyRequestProcessor): every change, sync and check. */
const CHANGES_STATE: ReadonlySet<number> = new Set([...WRITE_OPS, OpCode.sync, OpCode.check, OpCode.closeSession]);

const READ_OPS: ReadonlySet<number> = new Set([
  OpCode.getData, OpCode.exists, OpCode.getChildren, OpCode.getChildren2, OpCode.getACL, OpCode.getAllChildrenNumber,
  OpCode.getEphemerals, OpCode.checkWatches, OpCode.removeWatches, OpCode.addWatch, OpCode.setWatches,
  OpCode.setWatches2, OpCode.whoAmI, OpCode.multiRead, OpCode.ping,
]);

/**
 * The client-facing server (ZooKeeper's ZooKeeperServer with its connection factory): sessions'
 * connections, the handshake, reads served from the local database after the session's earlier
 * requests, and writes handed to the role (standalone, leader, follower, observer), whose
 * committed txns come back through {@link applyCommitted} to be applied and answered. Without a
 * role (an ensemble member that is electing or syncing) it serves nobody.
 * Runtime-agnostic: sockets, disk and time are injected.
 */
export class ZkServer {
  readonly config: ServerConfig;
  readonly db: ZkDatabase;
  readonly connections = new Set<ServerConnection>();
  readonly metrics = new ServerMetrics();
  /** Paddock's own measurements (per-op latency, snapshot durations, batch sizes, admin counters). */
  readonly paddockMetrics = new PaddockMetrics();
  readonly clock: Clock;
  readonly startedAtMs: number;
  readonly host: HostInfo;
  #store: TxnStore;
  readonly #log: LogSink;
  readonly #yieldToIo: () => Promise<void>;
  readonly #onFatal: (error: Error) => void;
  readonly #snapshotEncoder: SnapshotEncoder;
  readonly #bySession = new Map<bigint, ServerConnection>();
  readonly #connectionsPerIp = new Map<string, number>();
  readonly #pending = new PendingWrites();
  #role: ServerRole | null = null;
  /** An ensemble member's place in its ensemble (null: standalone). */
  quorum: QuorumFacts | null = null;
  readonly #applyListeners: ((header: TxnHeader, txn: Txn, bytes: Uint8Array | undefined) => void)[] = [];
  #snapshotting = false;
  #failed = false;
  /** A restore is swapping the database: no connections are accepted meanwhile. */
  #restoring = false;
  #lastSnapshot: { zxid: bigint; wallMs: number } | null = null;
  /** The store's promise for the txn appended last: txns sharing one were fsynced together. */
  #batchPromise: Promise<void> | null = null;
  #batchSize = 0;

  constructor({ config, db, store, clock, log, host, yieldToIo, onFatal, snapshotEncoder }: ZkServerOptions) {
    this.#yieldToIo = yieldToIo ?? (() => Promise.resolve());
    this.#onFatal = onFatal ?? (() => {});
    const sliced = slicedSnapshotEncoder(this.#yieldToIo);
    this.#snapshotEncoder = snapshotEncoder === undefined ? sliced : withFallback(snapshotEncoder, sliced, (line) => this.log(line));
    this.host = host ?? staticHostInfo(config);
    this.config = config;
    this.db = db;
    this.clock = clock;
    this.#store = store;
    this.#log = log ?? (() => {});
    this.startedAtMs = clock.monoMs();
    if (db.recoveredSnapshotZxid !== null) this.#lastSnapshot = { zxid: db.recoveredSnapshotZxid, wallMs: clock.wallMs() };
  }

  get tree(): DataTree {
    return this.db.tree;
  }

  get sessions(): SessionTracker {
    return this.db.sessions;
  }

  /** The zxid of the last applied txn. */
  get lastZxid(): bigint {
    return this.db.lastProcessedZxid;
  }

  /** The role serving clients, or null while the member elects or syncs. */
  get role(): ServerRole | null {
    return this.#role;
  }

  /** Prepared changes not yet applied (zero where this server does not prepare txns). */
  get outstandingChanges(): number {
    return this.#role?.outstandingChanges ?? 0;
  }

  log(line: string, level?: LogLevel): void {
    this.#log(line, level);
  }

  /** A learner reopened its store after truncating it. */
  replaceStore(store: TxnStore): void {
    this.#store = store;
  }

  /** The store's group-commit counters (null for a store that never fsyncs), for `mntr`. */
  syncStats(): TxnStoreSyncStats | null {
    return this.#store.stats?.() ?? null;
  }

  /**
   * Starts serving as `role`, or stops serving (null). Changing role drops every client
   * connection, as ZooKeeper does on a leader change: clients reconnect and revalidate.
   */
  setRole(role: ServerRole | null): void {
    if (this.#role !== null) {
      for (const connection of [...this.connections]) connection.close();
      this.#pending.clear();
    }
    this.#role = role;
  }

  /** Closes the connection of a session that ended outside the txn stream (a read-only server's local expiry). */
  dropSession(sessionId: bigint): void {
    this.#bySession.get(sessionId)?.close();
  }

  /** The store failed: this server must not serve again (its process should exit). */
  get failed(): boolean {
    return this.#failed;
  }

  get serving(): boolean {
    return this.#role !== null && !this.#failed;
  }

  async stop(): Promise<void> {
    this.setRole(null);
    for (const connection of [...this.connections]) connection.close();
    this.#snapshotEncoder.close?.();
  }

  accept(socket: ServerSocket): SocketHandler {
    const perIp = (this.#connectionsPerIp.get(socket.remoteAddress) ?? 0) + 1;
    const connection = new ServerConnection(this, socket);
    const refusal = this.#failed
      ? "the server stopped after a storage failure"
      : this.#restoring
      ? "a restore is in progress"
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
    if (this.#bySession.get(connection.sessionId) === connection) {
      this.#bySession.delete(connection.sessionId);
      this.#pending.forget(connection.sessionId);
    }
    // Watches belong to the connection; a reconnecting client re-registers them (setWatches).
    this.db.tree.removeWatcher(connection);
  }

  /** The handshake (ZooKeeperServer.processConnectRequest). */
  connect(connection: ServerConnection, request: ConnectRequest, hasReadOnly: boolean): void {
    this.metrics.connectionRequests++;
    const role = this.#role;
    if (role === null || this.#failed) {
      this.#log(`refusing ${connection.describe()}: not currently serving requests`, LogLevel.warn);
      connection.close();
      return;
    }
    if (request.lastZxidSeen > this.db.lastProcessedZxid) {
      this.#log(`refusing session 0x${request.sessionId.toString(16)} from ${connection.describe()}: it has seen zxid ` +
        `0x${request.lastZxidSeen.toString(16)}, ours is 0x${this.db.lastProcessedZxid.toString(16)}`, LogLevel.warn);
      connection.close();
      return;
    }
    if (role.readOnly !== undefined && !request.readOnly) {
      this.#log(`Refusing session request for not-read-only client ${connection.describe()}`);
      connection.close();
      return;
    }
    const timeoutMs = Math.min(Math.max(request.timeOut, this.config.minSessionTimeout), this.config.maxSessionTimeout);
    if (request.sessionId === 0n) {
      if (role.readOnly !== undefined) this.#attach(connection, role.readOnly.create(timeoutMs), timeoutMs, hasReadOnly);
      else this.#createSession(role, connection, timeoutMs, hasReadOnly);
      return;
    }
    const sessionId = request.sessionId;
    if (role.readOnly !== undefined && !role.readOnly.has(sessionId)) {
      // Only the leader can re-attach a global session: the client must find a read-write server.
      this.#log(`Refusing global session reconnection in RO mode ${connection.describe()}`);
      connection.close();
      return;
    }
    if (!equalBytes(request.passwd, sessionPassword(sessionId))) {
      this.#log(`refusing to re-attach session 0x${sessionId.toString(16)} from ${connection.describe()}: wrong session password`);
      this.#sendConnectResponse(connection, 0n, 0, hasReadOnly);
      connection.close();
      return;
    }
    role.revalidate(sessionId, timeoutMs, (valid) => {
      if (connection.state === ConnectionState.closed) return;
      if (!valid) {
        this.#log(`refusing to re-attach session 0x${sessionId.toString(16)} from ${connection.describe()}: it has expired or was closed`);
        this.#sendConnectResponse(connection, 0n, 0, hasReadOnly);
        connection.close();
        return;
      }
      const previous = this.#bySession.get(sessionId);
      if (previous !== undefined && previous !== connection) previous.close();
      this.#attach(connection, sessionId, timeoutMs, hasReadOnly);
    });
  }

  #createSession(role: ServerRole, connection: ServerConnection, timeoutMs: number, hasReadOnly: boolean): void {
    const sessionId = this.db.sessions.newSessionId();
    role.write({ sessionId, cxid: 0, type: OpCode.createSession, body: new JuteWriter(4).int(timeoutMs).bytes(), authIds: [] });
    this.#pending.add(sessionId, {
      cxid: 0,
      complete: () => {
        if (connection.state !== ConnectionState.closed) this.#attach(connection, sessionId, timeoutMs, hasReadOnly);
      },
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
    writeConnectResponse(w, { protocolVersion: 0, timeOut: timeoutMs, sessionId, passwd, readOnly: this.#role?.readOnly !== undefined });
    // Old clients (no readOnly byte in their request) get no readOnly byte back.
    const frame = w.finishFrame();
    connection.send(hasReadOnly ? frame : withLength(frame.subarray(0, frame.length - 1)));
  }

  /** One request frame of an established connection. */
  request(connection: ServerConnection, frame: Uint8Array): void {
    const role = this.#role;
    if (role === null || this.#failed) {
      connection.close();
      return;
    }
    const startMs = this.clock.monoMs();
    if (frame.length < 8) {
      connection.close();
      return;
    }
    // The header by hand: a write hands its body on as bytes, and needs no reader here.
    const xid = (frame[0]! << 24) | (frame[1]! << 16) | (frame[2]! << 8) | frame[3]!;
    const type = (frame[4]! << 24) | (frame[5]! << 16) | (frame[6]! << 8) | frame[7]!;
    role.touch(connection.sessionId, connection.timeoutMs);
    this.metrics.packetsReceived++;
    // A read-only server refuses every change, sync and check (writes come first: the hot path).
    if (role.readOnly !== undefined && CHANGES_STATE.has(type)) return this.#refuseReadOnly(role.readOnly, connection, type, xid);
    if (WRITE_OPS.has(type)) return this.#write(role, connection, type, xid, frame.subarray(8), startMs);
    const body = new JuteReader(frame, 8);
    if (type === OpCode.auth) return this.#auth(connection, xid, body);
    if (READ_OPS.has(type)) return this.#read(connection, type, xid, body, startMs);
    if (type === OpCode.sync) return this.#sync(role, connection, xid, body, startMs);
    if (type === OpCode.closeSession) return this.#closeSession(role, connection, xid, startMs);
    if (type === OpCode.sasl) return connection.enqueueRead(() => saslReply(xid));
    // Unknown ops get UNIMPLEMENTED and a close, as in ZooKeeper, whose
    // UnimplementedRequestProcessor answers with the request's zxid: -1.
    this.#log(`unknown request type ${type} from ${connection.describe()}`, LogLevel.warn);
    connection.enqueueRead(() => errorReply(xid, -1n, ErrorCode.UNIMPLEMENTED));
    connection.complete(connection.enqueueWrite(true), new Uint8Array(0));
  }

  #readContext(connection: ServerConnection) {
    return { tree: this.db.tree, watcher: connection, authIds: connection.authIds, sessionId: connection.sessionId };
  }

  #read(connection: ServerConnection, type: number, xid: number, body: JuteReader, startMs: number): void {
    connection.enqueueRead(() => this.#executeRead(connection, type, xid, body, startMs));
  }

  #executeRead(connection: ServerConnection, type: number, xid: number, body: JuteReader, startMs: number): Uint8Array {
    let reply: Uint8Array;
    try {
      reply = executeRead(this.#readContext(connection), type, xid, body);
    } catch (error) {
      reply = errorReply(xid, this.db.lastProcessedZxid, readErrorCode(error));
    }
    this.#served(connection, startMs, xid, type);
    return reply;
  }

  /** `sync`: answered, in the session's order, once every write committed before it is applied here. */
  /**
   * ReadOnlyRequestProcessor: every state change (and sync, which waits for the leader) is answered
   * NOTREADONLY; closing a session of this read-only server just forgets it.
   */
  #refuseReadOnly(sessions: LocalSessions, connection: ServerConnection, type: number, xid: number): void {
    if (type === OpCode.closeSession && sessions.has(connection.sessionId)) {
      sessions.close(connection.sessionId);
      connection.closingSession = true;
      connection.complete(connection.enqueueWrite(true), errorReply(xid, this.db.lastProcessedZxid, 0));
      return;
    }
    connection.enqueueRead(() => errorReply(xid, this.db.lastProcessedZxid, ErrorCode.NOTREADONLY));
  }

  #sync(role: ServerRole, connection: ServerConnection, xid: number, body: JuteReader, startMs: number): void {
    const slot = connection.enqueueWrite();
    role.sync(connection.sessionId, () => {
      connection.complete(slot, this.#executeRead(connection, OpCode.sync, xid, body, startMs));
    });
  }

  #served(connection: ServerConnection, startMs: number, xid: number, type: number): void {
    const endMs = this.clock.monoMs();
    // Whole milliseconds, as ZooKeeper measures them, so min/avg/max read the same way.
    const isWrite = WRITE_OPS.has(type) || type === OpCode.closeSession;
    this.metrics.answered(Math.max(0, Math.floor(endMs) - Math.floor(startMs)), isWrite);
    this.paddockMetrics.recordOp(type, Math.max(0, endMs - startMs));
    connection.stats.answered({ xid, zxid: this.db.lastProcessedZxid, type, startMs, endMs });
  }

  #auth(connection: ServerConnection, xid: number, body: JuteReader): void {
    let ok = false;
    try {
      const packet = readAuthPacket(body);
      if (packet.scheme === "digest") {
        for (const id of digestAuthIds(new TextDecoder().decode(packet.auth), this.config.superDigest)) connection.auth.add(id);
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

  #write(role: ServerRole, connection: ServerConnection, type: number, xid: number, body: Uint8Array, startMs: number): void {
    const slot = connection.enqueueWrite();
    const malformed = role.write({ sessionId: connection.sessionId, cxid: xid, type, body, authIds: connection.authIds });
    if (malformed !== null) {
      // It never becomes a txn: answered in its place in the session's order.
      this.#log(`malformed ${opName(type)} from ${connection.describe()}: ${malformed}`, LogLevel.warn);
      this.#served(connection, startMs, xid, type);
      connection.complete(slot, errorReply(xid, this.db.lastProcessedZxid, ErrorCode.MARSHALLINGERROR));
      return;
    }
    this.#pending.add(connection.sessionId, {
      cxid: xid,
      complete: (zxid, result) => {
        this.#served(connection, startMs, xid, type);
        connection.complete(slot, writeReply(type, xid, zxid, result));
      },
    });
  }

  #closeSession(role: ServerRole, connection: ServerConnection, xid: number, startMs: number): void {
    if (connection.closingSession) {
      // A duplicate closeSession while the first is in flight must not cut off the first's reply.
      if (connection.outstanding === 0) connection.close();
      return;
    }
    const session = this.db.sessions.get(connection.sessionId);
    if (session === undefined || session.closing) {
      connection.close();
      return;
    }
    connection.closingSession = true;
    const slot = connection.enqueueWrite(true);
    role.write({ sessionId: connection.sessionId, cxid: xid, type: OpCode.closeSession, body: new Uint8Array(0), authIds: [] });
    this.#pending.add(connection.sessionId, {
      cxid: xid,
      complete: (zxid) => {
        this.#served(connection, startMs, xid, OpCode.closeSession);
        connection.complete(slot, errorReply(xid, zxid, 0));
      },
    });
  }

  /**
   * Applies a committed txn to the database (in zxid order, on every member alike) and answers
   * the local client that asked for it, if any. `bytes` is the txn as logged (for the history).
   */
  applyCommitted(committed: { header: TxnHeader; txn: Txn; digest?: TxnDigest }, bytes?: Uint8Array): ApplyResult {
    const { header, txn } = committed;
    const result = this.db.apply(header, txn, this.clock.monoMs(), bytes, committed.digest);
    for (const listener of this.#applyListeners) listener(header, txn, bytes);
    this.#pending.take(header.sessionId, header.cxid)?.complete(this.db.lastProcessedZxid, result);
    if (txn.type === OpCode.closeSession) {
      // Expired, or closed through another member: its connection here goes too.
      const connection = this.#bySession.get(header.sessionId);
      if (connection !== undefined && !connection.closingSession) connection.close();
    }
    this.#maybeSnapshot();
    return result;
  }

  /** Calls `listener` after every applied txn (the simulator's checkers, the gateway's event streams). */
  onApplied(listener: (header: TxnHeader, txn: Txn, bytes: Uint8Array | undefined) => void): void {
    this.#applyListeners.push(listener);
  }

  /**
   * A txn was handed to the store: group commit hands every txn of one fsync the same promise
   * (FileStore), so a new promise starts a new batch, and the finished batch's size goes to the
   * batch-size histogram.
   */
  countAppend(durable: Promise<void>): void {
    if (durable === this.#batchPromise) {
      this.#batchSize++;
      return;
    }
    if (this.#batchSize > 0) this.paddockMetrics.commitBatchSize.record(this.#batchSize);
    this.#batchPromise = durable;
    this.#batchSize = 1;
  }

  /**
   * The store failed: a txn we promised to log could not be, and answering anything more could
   * acknowledge writes that are not durable. Stop serving, loudly, once.
   */
  fatal(error: unknown): void {
    if (this.#fatalError !== null) return;
    this.#fatalError = error instanceof Error ? error : new Error(String(error));
    this.#failed = true;
    this.#log(`txn log append failed, the server stops: ${this.#fatalError.message}`, LogLevel.error);
    if (this.#fatalError.stack !== undefined) this.#log(this.#fatalError.stack, LogLevel.debug);
    for (const connection of [...this.connections]) connection.close();
    this.#onFatal(this.#fatalError);
  }

  /** Why the server stopped serving on its own (a storage failure), or null. */
  get fatalError(): Error | null {
    return this.#fatalError;
  }

  #fatalError: Error | null = null;

  /**
   * Takes a snapshot when the store asks for one: the capture freezes the tree's pages (cheap at
   * any size, see tree_image.ts) and the encoding runs meanwhile, off the event loop where the
   * encoder can, while the tree moves on.
   */
  #maybeSnapshot(): void {
    if (this.#snapshotting || !this.#store.wantsSnapshot()) return;
    this.#snapshotting = true;
    const startMs = this.clock.monoMs();
    const captured = captureSnapshot(this.db.tree, this.db.sessions);
    const { zxid, nodeCount } = captured.image;
    this.#writeSnapshot(captured).then(
      ({ length }) => {
        this.metrics.snapshotTime.record(Math.floor(this.clock.monoMs() - startMs));
        this.#log(`snapshot taken at zxid 0x${zxid.toString(16)} (${length} bytes, ${nodeCount} znodes)`);
      },
      (error: unknown) => this.#log(`snapshot at zxid 0x${zxid.toString(16)} failed: ${(error as Error).message}`, LogLevel.error),
    ).finally(() => {
      this.#snapshotting = false;
    });
  }

  /**
   * Encodes the image as a stream into the store (unless a snapshot at that zxid exists already:
   * the store takes each zxid once), then releases it.
   */
  async #writeSnapshot(captured: CapturedImage): Promise<{ length: number }> {
    const startMs = this.clock.monoMs();
    const zxid = captured.image.zxid;
    try {
      const stream = await this.#snapshotEncoder.encode(captured.image);
      // The store's first snapshot must be after zxid 0, and each later one after the last.
      if (zxid > (this.#lastSnapshot?.zxid ?? 0n)) {
        this.#lastSnapshot = { zxid, wallMs: this.clock.wallMs() };
        await this.#store.writeSnapshot(zxid, { length: stream.length, chunks: stream.chunks });
      } else {
        for await (const _ of stream.chunks) continue;
      }
      this.paddockMetrics.snapshotDurationMs.record(this.clock.monoMs() - startMs);
      return { length: stream.length };
    } finally {
      captured.release();
    }
  }

  /** The newest snapshot written or loaded at start (`last_snapshot`). */
  get lastSnapshot(): { zxid: bigint; wallMs: number } | null {
    return this.#lastSnapshot;
  }

  /**
   * A consistent snapshot at the applied zxid (the admin `snapshot` command), persisted in
   * Paddock's format when new; with its bytes as a ZooKeeper snapshot file (zk_backup.ts) unless
   * `keepBytes` is false (`streaming=false` only wants it taken: the length is then the persisted one's).
   */
  async takeSnapshot({ keepBytes = true }: { keepBytes?: boolean } = {}): Promise<{ zxid: bigint; length: number; bytes: Uint8Array | null }> {
    // Two holds on the same state, taken in one turn: one for the store, one for the backup.
    const captured = captureSnapshot(this.db.tree, this.db.sessions);
    const forBackup = keepBytes ? captureSnapshot(this.db.tree, this.db.sessions) : null;
    const digest = this.db.tree.digest;
    const zxid = captured.image.zxid;
    const written = this.#writeSnapshot(captured);
    if (forBackup === null) return { zxid, length: (await written).length, bytes: null };
    try {
      const [bytes] = await Promise.all([encodeZkBackup(forBackup.image, digest, this.#yieldToIo), written]);
      return { zxid, length: bytes.length, bytes };
    } finally {
      forBackup.release();
    }
  }

  /**
   * Replaces the tree and sessions with a snapshot's (the admin `restore` command; standalone
   * only: one member restoring alone would leave its ensemble). The bytes are decoded before
   * anything changes, so a bad snapshot leaves the server as it was. Connections are closed
   * (clients reattach, or learn their session is gone, and re-register watches), the writes in
   * flight are applied first, and the result is written as a snapshot at a zxid above every one
   * logged so far, so a restart comes back to the restored state.
   */
  async restoreSnapshot(bytes: Uint8Array): Promise<bigint> {
    const role = this.#role;
    if (!(role instanceof StandaloneRole)) throw new Error("restore needs a standalone server (an ensemble member cannot restore alone)");
    if (this.#restoring || this.#failed) throw new Error("the server is not serving (or already restoring)");
    const startMs = this.clock.monoMs();
    const tree = new DataTree({ extendedTypesEnabled: this.config.extendedTypesEnabled });
    const sessions = new SessionTracker({ tickMs: this.config.tickTime, serverId: this.config.serverId, nowMs: this.clock.wallMs() });
    if (isZkSnapshotFile(bytes)) {
      const { digestMismatch } = decodeZkBackup(bytes, tree, sessions, this.clock.monoMs());
      if (digestMismatch !== null) {
        this.db.digestMismatches++; // as DataTree.compareSnapshotDigests reports it
        this.#log(`restore: the ZooKeeper snapshot's digest at zxid 0x${tree.lastProcessedZxid.toString(16)} is ${digestMismatch.recorded}, ` +
          `the loaded tree's ${digestMismatch.loaded} (a fuzzy snapshot); restoring it as ZooKeeper does`, LogLevel.warn);
      }
    } else {
      decodeSnapshot(bytes, tree, sessions, this.clock.monoMs());
    }
    this.#restoring = true;
    try {
      for (const connection of [...this.connections]) connection.close();
      await role.idle();
      const zxid = role.lastZxid + 1n > tree.lastProcessedZxid ? role.lastZxid + 1n : tree.lastProcessedZxid;
      this.db.tree.adopt(tree, zxid);
      this.db.sessions.adopt(sessions, this.clock.monoMs());
      role.restoredAt(zxid);
      // Durably the new base of everything: the log and snapshots before it are replaced.
      const encoded = encodeSnapshot(this.db.tree, this.db.sessions);
      await this.#store.installSnapshot(zxid, encoded);
      this.#lastSnapshot = { zxid, wallMs: this.clock.wallMs() };
      this.paddockMetrics.recordRestore(this.clock.monoMs() - startMs);
      this.#log(`restored a snapshot: zxid 0x${zxid.toString(16)}, ${this.db.tree.nodeCount} znodes, ${this.db.sessions.size} sessions`);
      return zxid;
    } finally {
      this.#restoring = false;
    }
  }

  /** Closes about `percentage`% of connections, each with that probability (100 closes all). */
  shedConnections(percentage: number, random: () => number): number {
    let shed = 0;
    for (const connection of [...this.connections]) {
      if (percentage >= 100 || random() < percentage / 100) {
        connection.close();
        shed++;
      }
    }
    return shed;
  }

  /** Called every tick by the runtime: the role expires sessions, reaps containers, pings. */
  tick(): void {
    if (this.#failed || this.#restoring) return;
    this.#role?.tick(this.clock.monoMs());
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
