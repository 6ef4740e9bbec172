import { Fifo } from "../fifo.ts";
import type { TxnStore } from "../storage/txn_log.ts";
import { encodeTxn } from "../txn/txn_codec.ts";
import { Housekeeping } from "./housekeeping.ts";
import { type RoleHost, RoleName, type ServerRole, type WriteRequest } from "./server_role.ts";
import { type PreparedTxn, TxnPreparer } from "./txn_preparer.ts";

/**
 * An ensemble of one (ZooKeeper's standalone processor chain): prep -> log (fsync, group
 * commit) -> apply and answer, in zxid order.
 */
export class StandaloneRole implements ServerRole {
  readonly name = RoleName.standalone;
  readonly #host: RoleHost;
  readonly #store: TxnStore;
  readonly #preparer: TxnPreparer;
  readonly #housekeeping: Housekeeping;
  #lastZxid: bigint;
  /** Settles once every txn appended so far has been applied (a restore waits for it). */
  #applied: Promise<void> = Promise.resolve();
  /** Txns logged and not yet applied, oldest first, with the promise of the group commit that covers them. */
  readonly #unapplied = new Fifo<{ prepared: PreparedTxn; bytes: Uint8Array; durable: Promise<void> }>();
  /** The group commit whose completion is awaited last (one reaction per batch, not per txn). */
  #awaited: Promise<void> | null = null;

  constructor(host: RoleHost, store: TxnStore) {
    this.#host = host;
    this.#store = store;
    this.#lastZxid = host.db.lastProcessedZxid;
    this.#preparer = new TxnPreparer({ db: host.db, config: host.config, clock: host.clock, log: (line) => host.log(line) });
    this.#housekeeping = new Housekeeping({
      db: host.db,
      config: host.config,
      clock: host.clock,
      preparer: this.#preparer,
      nextZxid: () => this.#lastZxid + 1n,
      submit: (prepared) => this.#commit(prepared),
      log: (line) => host.log(line),
    });
  }

  /** The zxid of the last txn prepared. */
  get lastZxid(): bigint {
    return this.#lastZxid;
  }

  /** Resolves once every txn logged so far is applied (none may be added meanwhile). */
  async idle(): Promise<void> {
    // Bounded: each pass sees a later promise only if a txn was added, which callers prevent.
    for (let previous: Promise<void> | null = null; previous !== this.#applied;) {
      previous = this.#applied;
      await previous;
    }
  }

  /** An admin restore moved the database to `zxid`: the next txn follows it. */
  restoredAt(zxid: bigint): void {
    this.#lastZxid = zxid;
  }

  get outstandingChanges(): number {
    return this.#preparer.outstanding.size;
  }

  write(request: WriteRequest): string | null {
    const outcome = this.#preparer.prepare(request, this.#lastZxid + 1n);
    if ("malformed" in outcome) return outcome.malformed;
    this.#commit(outcome);
    return null;
  }

  sync(_sessionId: bigint, done: () => void): void {
    // Everything committed here is applied before the next request of the session runs.
    done();
  }

  revalidate(sessionId: bigint, timeoutMs: number, answer: (valid: boolean) => void): void {
    const session = this.#host.db.sessions.get(sessionId);
    if (session === undefined || session.closing) {
      answer(false);
      return;
    }
    session.timeoutMs = timeoutMs;
    this.#host.db.sessions.touch(sessionId, this.#host.clock.monoMs());
    answer(true);
  }

  touch(sessionId: bigint): void {
    this.#host.db.sessions.touch(sessionId, this.#host.clock.monoMs());
  }

  tick(nowMs: number): void {
    this.#housekeeping.tick(nowMs);
  }

  /**
   * Logs the txn; once durable, applies it. Appends resolve in zxid order, and every txn of one
   * group commit shares its promise: one reaction applies the whole batch.
   */
  #commit(prepared: PreparedTxn): void {
    this.#lastZxid = prepared.header.zxid;
    const bytes = encodeTxn(prepared.header, prepared.txn, prepared.digest);
    const durable = this.#store.append({ zxid: prepared.header.zxid, bytes });
    this.#host.countAppend?.(durable);
    this.#unapplied.push({ prepared, bytes, durable });
    if (durable === this.#awaited) return;
    this.#awaited = durable;
    this.#applied = durable.then(() => this.#applyBatch(durable), (error: unknown) => this.#host.fatal(error));
  }

  /** Applies the txns the group commit `durable` made durable (they are the oldest unapplied). */
  #applyBatch(durable: Promise<void>): void {
    const queue = this.#unapplied;
    // Bounded by the queue: each round applies one txn.
    while (queue.length > 0 && queue.peek()!.durable === durable) {
      const { prepared, bytes } = queue.shift()!;
      this.#host.applyCommitted(prepared, bytes);
      this.#preparer.applied(prepared.header.zxid);
    }
  }
}
