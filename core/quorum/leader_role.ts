import { Fifo } from "../fifo.ts";
import { type LeaderEffect, LeaderZab } from "../zab/leader.ts";
import { readPingTouches, readRequest, readRevalidate, revalidateAnswerPacket } from "../zab/wire/learner_packets.ts";
import { PacketType, type QuorumPacket } from "../zab/wire/quorum_packet.ts";
import { WireError } from "../zab/wire/wire_error.ts";
import type { LinkId } from "../zab/effects.ts";
import { hexZxid } from "../proto/zxid.ts";
import { Housekeeping } from "../server/housekeeping.ts";
import { type RoleHost, RoleName, type ServerRole, type WriteRequest } from "../server/server_role.ts";
import { captureSnapshot } from "../server/snapshot_codec.ts";
import { type PreparedTxn, TxnPreparer } from "../server/txn_preparer.ts";
import type { MemberStore } from "./member_store.ts";
import { decodeTxn, encodeTxn } from "../txn/txn_codec.ts";
import { CLOSED_HERE, type LearnerLink } from "./quorum_transport.ts";
import type { RoleSettings } from "./role_settings.ts";
import { PersistQueue } from "./persist_queue.ts";

/** How a role tells the member it is ready to serve, or that it has ended. */
export interface RoleEvents {
  established(epoch: bigint): void;
  lost(reason: string): void;
}

/**
 * The leader's server side (ZooKeeper's LeaderZooKeeperServer with its processor chain): prep ->
 * propose -> (quorum ACKs) -> commit -> apply and answer, for its own clients' writes and for the
 * requests learners forward; plus session expiry, container reaping, session touches and
 * revalidations from learners. It executes the LeaderZab machine's effects in order.
 */
export class LeaderRole implements ServerRole {
  readonly name = RoleName.leader;
  readonly zab: LeaderZab;
  readonly #host: RoleHost;
  readonly #store: MemberStore;
  readonly #events: RoleEvents;
  readonly #preparer: TxnPreparer;
  readonly #housekeeping: Housekeeping;
  readonly #persist: PersistQueue;
  readonly #links = new Map<LinkId, LearnerLink>();
  /** Txns proposed and not yet applied, in zxid order (applied from these, not re-decoded). */
  readonly #proposed = new Fifo<PreparedTxn>();
  #nextLinkId = 1;
  #ended = false;

  constructor(options: { host: RoleHost; store: MemberStore; settings: RoleSettings; events: RoleEvents; epochs: { acceptedEpoch: bigint; currentEpoch: bigint } }) {
    const { host, store, settings } = options;
    this.#host = host;
    this.#store = store;
    this.#events = options.events;
    this.#persist = new PersistQueue((error) => this.#fail(error));
    this.#preparer = new TxnPreparer({ db: host.db, config: host.config, clock: host.clock, log: (line) => host.log(line) });
    this.zab = new LeaderZab({
      myId: settings.myId,
      config: settings.quorum,
      configBytes: new TextEncoder().encode(settings.configText),
      tickMs: host.config.tickTime,
      initLimit: settings.initLimit,
      syncLimit: settings.syncLimit,
    }, {
      acceptedEpoch: options.epochs.acceptedEpoch,
      currentEpoch: options.epochs.currentEpoch,
      lastZxid: host.db.lastProcessedZxid,
      history: host.db.history,
      nowMs: host.clock.monoMs(),
    });
    this.#housekeeping = new Housekeeping({
      db: host.db,
      config: host.config,
      clock: host.clock,
      preparer: this.#preparer,
      nextZxid: () => this.zab.nextZxid(),
      submit: (prepared) => this.#propose(prepared),
      log: (line) => host.log(line),
    });
    this.#run();
  }

  get outstandingChanges(): number {
    return this.#preparer.outstanding.size;
  }

  /** A learner's connection to our quorum port. */
  acceptLearner(link: LearnerLink): void {
    if (this.#ended) {
      link.close();
      return;
    }
    const id = this.#nextLinkId++;
    this.#links.set(id, link);
    link.onMessage((p) => {
      this.zab.receive(id, p, this.#host.clock.monoMs());
      this.#run();
    });
    link.onClose((reason) => {
      // Our own closes were logged with their reason; a peer's garbage or hang-up is logged here.
      if (reason !== CLOSED_HERE) this.#host.log(`learner link closed: ${reason}`);
      this.#links.delete(id);
      this.zab.learnerClosed(id);
      this.#run();
    });
    this.zab.learnerConnected(id, this.#host.clock.monoMs());
    this.#run();
  }

  write(request: WriteRequest): string | null {
    if (!this.zab.canPropose) {
      this.#host.log(`dropping a write of session 0x${request.sessionId.toString(16)}: not leading`);
      return null;
    }
    const zxid = this.zab.nextZxid();
    const outcome = this.#preparer.prepare(request, zxid);
    if ("malformed" in outcome) return outcome.malformed;
    this.#propose(outcome);
    return null;
  }

  /** A learner's request: even one that cannot be parsed must commit, so the learner can answer it. */
  #learnerWrite(request: WriteRequest): void {
    if (!this.zab.canPropose) return;
    const zxid = this.zab.nextZxid();
    const outcome = this.#preparer.prepare(request, zxid);
    this.#propose("malformed" in outcome ? this.#preparer.malformed(request, zxid) : outcome);
  }

  #propose(prepared: PreparedTxn): void {
    const bytes = encodeTxn(prepared.header, prepared.txn, prepared.digest);
    this.#proposed.push(prepared);
    this.zab.propose(prepared.header.zxid, bytes, this.#host.clock.monoMs());
    this.#run();
  }

  sync(_sessionId: bigint, done: () => void): void {
    this.zab.requestSync({ link: null, token: done });
    this.#run();
  }

  revalidate(sessionId: bigint, timeoutMs: number, answer: (valid: boolean) => void): void {
    answer(this.#revalidate(sessionId, timeoutMs));
  }

  #revalidate(sessionId: bigint, timeoutMs: number): boolean {
    const session = this.#host.db.sessions.get(sessionId);
    if (session === undefined || session.closing) return false;
    session.timeoutMs = timeoutMs;
    this.#host.db.sessions.touch(sessionId, this.#host.clock.monoMs());
    return true;
  }

  touch(sessionId: bigint): void {
    this.#host.db.sessions.touch(sessionId, this.#host.clock.monoMs());
  }

  tick(nowMs: number): void {
    this.zab.tick(nowMs);
    if (this.zab.canPropose) this.#housekeeping.tick(nowMs);
    this.#run();
  }

  /** Ends leadership from outside (shutdown): learners are dropped. */
  stop(reason: string): void {
    this.zab.stop(reason);
    this.#run();
  }

  /** Every persist issued so far is done (before the member fast-forwards and re-elects). */
  settled(): Promise<void> {
    return this.#persist.idle();
  }

  /**
   * Applies what this leader logged but never committed, as ZooKeeper's fastForwardDataBase does:
   * its log is its history, and the next election counts it.
   */
  fastForward(): void {
    const logged = this.#store.lastLoggedZxid();
    for (let prepared = this.#proposed.peek(); prepared !== undefined && prepared.header.zxid <= logged; prepared = this.#proposed.peek()) {
      this.#proposed.shift();
      this.#host.applyCommitted(prepared, encodeTxn(prepared.header, prepared.txn, prepared.digest));
    }
  }

  #run(): void {
    // Bounded: each pass executes what the machine asked for; executing never feeds it back synchronously.
    for (const effect of this.zab.drain()) this.#execute(effect);
  }

  #execute(effect: LeaderEffect): void {
    switch (effect.kind) {
      case "send":
        return this.#links.get(effect.link)?.send(effect.packet);
      case "snapshot":
        return this.#sendSnapshot(effect.link, effect.zxid);
      case "close":
        this.#host.log(`closing learner link: ${effect.reason}`);
        return this.#links.get(effect.link)?.close();
      case "append":
        return this.#persist.run(() => this.#store.append({ zxid: effect.zxid, bytes: effect.bytes }), () => this.#logged(effect.zxid));
      case "acceptedEpoch":
        return this.#persist.run(() => this.#store.writeAcceptedEpoch(effect.epoch), () => this.#epochPersisted("accepted"));
      case "currentEpoch":
        return this.#persist.run(() => this.#store.writeCurrentEpoch(effect.epoch), () => this.#epochPersisted("current"));
      case "apply":
        return this.#apply(effect.zxid, effect.bytes);
      case "learnerPacket":
        return this.#learnerPacket(effect.link, effect.packet);
      case "syncDone":
        return (effect.token as () => void)();
      case "established":
        this.#renewSessions();
        return this.#events.established(effect.epoch);
      case "lost":
        this.#ended = true;
        return this.#events.lost(effect.reason);
      case "log":
        return this.#host.log(effect.line);
    }
  }

  #logged(zxid: bigint): void {
    this.zab.logged(zxid);
    this.#run();
  }

  /**
   * Every session gets a full timeout from now, as ZooKeeper's new leader builds its session
   * tracker: clients of the old leader touched only the old leader, and need the time to move.
   */
  #renewSessions(): void {
    const sessions = this.#host.db.sessions;
    const nowMs = this.#host.clock.monoMs();
    for (const session of [...sessions.all()]) sessions.touch(session.sessionId, nowMs);
  }

  #epochPersisted(which: "accepted" | "current"): void {
    this.zab.epochPersisted(which, this.#host.clock.monoMs());
    this.#run();
  }

  #apply(zxid: bigint, bytes: Uint8Array): void {
    // Commits come in zxid order, so this is the oldest proposed; an older one left behind would
    // never be applied here, and is dropped rather than kept forever.
    while (this.#proposed.length > 0 && this.#proposed.peek()!.header.zxid < zxid) this.#proposed.shift();
    const prepared = this.#proposed.peek()?.header.zxid === zxid ? this.#proposed.shift()! : decodeTxn(bytes);
    this.#host.applyCommitted(prepared, bytes);
    this.#preparer.applied(zxid);
  }

  #sendSnapshot(id: LinkId, zxid: bigint): void {
    if (this.#host.db.lastProcessedZxid !== zxid) {
      throw new Error(`leader: snapshot at ${hexZxid(zxid)} but the database is at ${hexZxid(this.#host.db.lastProcessedZxid)}`);
    }
    const progress = () => {
      this.zab.snapshotProgress(id, this.#host.clock.monoMs());
      this.#run();
    };
    this.#links.get(id)?.send({ zxid, image: captureSnapshot(this.#host.db.tree, this.#host.db.sessions), progress });
  }

  #learnerPacket(id: LinkId, p: QuorumPacket): void {
    try {
      this.#readLearnerPacket(id, p);
    } catch (error) {
      // Unreadable: ZooKeeper's LearnerHandler would die on it; only this learner is dropped.
      if (!(error instanceof WireError)) throw error;
      this.#links.get(id)?.close();
    }
  }

  #readLearnerPacket(id: LinkId, p: QuorumPacket): void {
    switch (p.type) {
      case PacketType.PING:
        for (const touch of readPingTouches(p)) this.#host.db.sessions.touch(touch.sessionId, this.#host.clock.monoMs());
        return;
      case PacketType.REVALIDATE: {
        const { sessionId, timeoutMs } = readRevalidate(p);
        const valid = this.#revalidate(sessionId, timeoutMs);
        this.zab.sendTo(id, { ...revalidateAnswerPacket(sessionId, valid), zxid: p.zxid });
        this.#run();
        return;
      }
      case PacketType.REQUEST: {
        const forwarded = readRequest(p);
        this.#learnerWrite({ sessionId: forwarded.sessionId, cxid: forwarded.cxid, type: forwarded.type, body: forwarded.request, authIds: forwarded.authinfo });
        return;
      }
    }
  }

  #fail(error: unknown): void {
    this.#host.fatal(error);
    this.stop(`storage failed: ${(error as Error)?.message ?? error}`);
  }
}
