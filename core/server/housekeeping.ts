import type { Clock } from "../io/clock.ts";
import { containerCandidates } from "./container_reaper.ts";
import type { ServerConfig } from "./server_config.ts";
import type { PreparedTxn, TxnPreparer } from "./txn_preparer.ts";
import type { ZkDatabase } from "./zk_database.ts";

/**
 * What only the server that decides txns does on its ticks (standalone or leader): expire
 * sessions whose clients went quiet, and reap empty containers and expired TTL nodes (ZooKeeper's
 * SessionTracker and ContainerManager). Each becomes a txn handed to `submit`.
 */
export class Housekeeping {
  readonly #db: ZkDatabase;
  readonly #config: ServerConfig;
  readonly #clock: Clock;
  readonly #preparer: TxnPreparer;
  readonly #nextZxid: () => bigint;
  readonly #submit: (prepared: PreparedTxn) => void;
  readonly #log: (line: string) => void;
  #lastContainerCheckMs: number;

  constructor(options: {
    db: ZkDatabase;
    config: ServerConfig;
    clock: Clock;
    preparer: TxnPreparer;
    nextZxid: () => bigint;
    submit: (prepared: PreparedTxn) => void;
    log: (line: string) => void;
  }) {
    this.#db = options.db;
    this.#config = options.config;
    this.#clock = options.clock;
    this.#preparer = options.preparer;
    this.#nextZxid = options.nextZxid;
    this.#submit = options.submit;
    this.#log = options.log;
    this.#lastContainerCheckMs = options.clock.monoMs();
  }

  tick(nowMs: number): void {
    for (const session of this.#db.sessions.expired(nowMs)) {
      this.#log(`expiring session 0x${session.sessionId.toString(16)}, timeout of ${session.timeoutMs}ms exceeded`);
      this.#submit(this.#preparer.closeSession(session.sessionId, 0, this.#nextZxid()));
    }
    if (nowMs - this.#lastContainerCheckMs < this.#config.containerCheckIntervalMs) return;
    this.#lastContainerCheckMs = nowMs;
    const candidates = containerCandidates(this.#db.tree, this.#clock.wallMs(), this.#config.containerMaxPerMinute);
    for (const path of candidates) {
      const prepared = this.#preparer.deleteContainer(path, this.#nextZxid());
      if (prepared !== null) this.#submit(prepared);
    }
  }
}
