import type { Clock } from "../io/clock.ts";
import { LogLevel, type LogSink } from "../log_level.ts";
import { OutstandingChanges } from "../pipeline/change_record.ts";
import { type PrepContext, type PrepOutcome, prepWrite } from "../pipeline/prep.ts";
import { ErrorCode } from "../proto/error_code.ts";
import { JuteReader } from "../proto/jute_reader.ts";
import { JuteWriter } from "../proto/jute_writer.ts";
import { OpCode } from "../proto/op_code.ts";
import { Refusal } from "../proto/refusal.ts";
import type { Txn, TxnDigest, TxnHeader } from "../txn/txn.ts";
import { DigestPredictor } from "../pipeline/digest_predictor.ts";
import type { ServerConfig } from "./server_config.ts";
import type { WriteRequest } from "./server_role.ts";
import type { ZkDatabase } from "./zk_database.ts";

/** A txn ready to be logged or proposed, with the tree digest it will leave (when digests are on). */
export interface PreparedTxn {
  readonly header: TxnHeader;
  readonly txn: Txn;
  readonly digest?: TxnDigest;
}

/**
 * The first stage of a server that decides txns (standalone or leader): ZooKeeper's
 * PrepRequestProcessor. It validates each write against the tree plus every change prepared and
 * not yet applied, and turns it into a txn with the next zxid; failed writes become error txns
 * and still consume a zxid, as in ZooKeeper. Internal changes (session expiry, container reaping)
 * are prepared here too, from their fields, without a wire round trip.
 */
export class TxnPreparer {
  readonly #db: ZkDatabase;
  readonly #clock: Clock;
  readonly #log: LogSink;
  readonly outstanding = new OutstandingChanges();
  readonly #context: PrepContext;
  /** Null when the tree keeps no digest (zookeeper.digest.enabled=false): txns then carry none. */
  readonly #digests: DigestPredictor | null;

  constructor(options: { db: ZkDatabase; config: ServerConfig; clock: Clock; log: LogSink }) {
    this.#db = options.db;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#digests = options.db.tree.digestEnabled ? new DigestPredictor(() => options.db.tree) : null;
    this.#context = {
      get tree() {
        return options.db.tree;
      },
      outstanding: this.outstanding,
      extendedTypesEnabled: options.config.extendedTypesEnabled,
      reconfigEnabled: options.config.reconfigEnabled,
      ensembleConfig: () => options.db.config,
      checkSession: (sessionId: bigint) => {
        const session = options.db.sessions.get(sessionId);
        if (session === undefined || session.closing) throw new Refusal(ErrorCode.SESSIONEXPIRED);
      },
      ...(options.config.enforceQuota ? { checkQuota: this.#checkQuota } : {}),
    };
  }

  /** The last millisecond a txn was stamped with, and its bigint (one per ms, not per txn). */
  #lastMs = -1;
  #lastTime = 0n;

  #time(): bigint {
    const ms = Math.floor(this.#clock.wallMs());
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#lastTime = BigInt(ms);
    }
    return this.#lastTime;
  }

  /** A client's write as the txn with zxid `zxid`, or why it is malformed (no zxid consumed). */
  prepare(request: WriteRequest, zxid: bigint): PreparedTxn | { malformed: string } {
    // From here on the session accepts no more writes (setSessionClosing).
    if (request.type === OpCode.closeSession) this.#markClosing(request.sessionId);
    const outcome = prepWrite(this.#context, {
      sessionId: request.sessionId,
      cxid: request.cxid,
      type: request.type,
      body: new JuteReader(request.body),
      authIds: request.authIds,
    }, zxid, this.#time());
    return "malformed" in outcome ? outcome : this.#withDigest(outcome);
  }

  #withDigest(prepared: PreparedTxn): PreparedTxn {
    if (this.#digests === null) return prepared;
    return { header: prepared.header, txn: prepared.txn, digest: this.#digests.predict(prepared.header, prepared.txn) };
  }

  #markClosing(sessionId: bigint): void {
    const session = this.#db.sessions.get(sessionId);
    if (session !== undefined) session.closing = true;
  }

  /** A forwarded request ZooKeeper could not parse becomes a MARSHALLINGERROR txn (it must commit). */
  malformed(request: WriteRequest, zxid: bigint): PreparedTxn {
    const header: TxnHeader = { sessionId: request.sessionId, cxid: request.cxid, zxid, time: this.#time(), type: OpCode.error };
    return this.#withDigest({ header, txn: { type: OpCode.error, err: ErrorCode.MARSHALLINGERROR } });
  }

  /** closeSession with the session's ephemerals as prep sees them (an expiry, or a client's close). */
  closeSession(sessionId: bigint, cxid: number, zxid: bigint): PreparedTxn {
    const outcome = this.prepare({ sessionId, cxid, type: OpCode.closeSession, body: new Uint8Array(0), authIds: [] }, zxid);
    if ("malformed" in outcome) throw new Error("closeSession cannot be malformed");
    return outcome;
  }

  /** The reaper's delete of an empty container or expired TTL node (null: no longer applies). */
  deleteContainer(path: string, zxid: bigint): PreparedTxn | null {
    const body = new JuteWriter(path.length * 3 + 8).ustring(path).bytes();
    const outcome = this.prepare({ sessionId: 0n, cxid: 0, type: OpCode.deleteContainer, body, authIds: [] }, zxid);
    return "malformed" in outcome ? null : outcome;
  }

  /** Forgets change records up to an applied zxid. */
  applied(zxid: bigint): void {
    this.outstanding.applied(zxid);
    this.#digests?.applied(zxid);
  }

  /** zookeeper.enforceQuota: refuse a create/setData passing a hard limit; log a passed soft one. */
  readonly #checkQuota = (path: string, oldDataLength: number, newDataLength: number, isCreate: boolean): void => {
    const bytesDiff = newDataLength - oldDataLength;
    for (const exceeded of this.#db.tree.quotas.check(path, isCreate ? 1 : 0, bytesDiff)) {
      this.#log(exceeded.message, LogLevel.warn);
      if (exceeded.hard) throw new Refusal(ErrorCode.QUOTAEXCEEDED, exceeded.quotaPath);
    }
  };
}
