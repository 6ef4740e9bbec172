import { JuteWriter } from "../proto/jute_writer.ts";
import { OpCode } from "../proto/op_code.ts";
import { type RoleHost, RoleName, type ServerRole, type WriteRequest } from "../server/server_role.ts";
import { encodeSnapshot, liveSessions } from "../server/snapshot_codec.ts";
import type { SnapshotTranscoder } from "../server/snapshot_transcoder.ts";
import type { Divergence } from "../server/zk_database.ts";
import type { SnapshotStream } from "../storage/txn_log.ts";
import type { DataTree } from "../tree/data_tree.ts";
import { decodeTxn } from "../txn/txn_codec.ts";
import { type LearnerEffect, LearnerPhase, LearnerZab } from "../zab/learner.ts";
import {
  bareQuorumPacket,
  pingReplyPacket,
  readRevalidateAnswer,
  requestPacket,
  revalidatePacket,
} from "../zab/wire/learner_packets.ts";
import { PacketType, type QuorumPacket } from "../zab/wire/quorum_packet.ts";
import { WireError } from "../zab/wire/wire_error.ts";
import type { RoleEvents } from "./leader_role.ts";
import type { Epochs, MemberStore } from "./member_store.ts";
import { PersistQueue } from "./persist_queue.ts";
import type { FromLeader, LeaderLink, ReceivedSnapshot } from "./quorum_transport.ts";
import type { RoleSettings } from "./role_settings.ts";

/** What a learner needs beyond the server: its store and a way to reload the database from it. */
export interface LearnerStorage {
  /** The store now (a TRUNC replaces it). */
  store(): MemberStore;
  /** Truncates the log after `zxid` and reloads the database from what is left (a TRUNC). */
  truncateAndReload(zxid: bigint): Promise<void>;
}

/** Sessions revalidations and syncs wait on the leader; bounded so a silent leader cannot pile them up. */
const WAITERS_MAX = 100_000;

/**
 * A follower's or observer's server side (ZooKeeper's FollowerZooKeeperServer and
 * ObserverZooKeeperServer): writes and syncs are forwarded to the leader, revalidations asked of
 * it, touches reported in PINGs, and the leader's txns logged, ACKed and applied as the
 * LearnerZab machine says. Every local write is answered when its txn is applied here.
 */
export class LearnerRole implements ServerRole {
  readonly name: RoleName;
  readonly zab: LearnerZab;
  readonly #host: RoleHost;
  readonly #storage: LearnerStorage;
  readonly #events: RoleEvents;
  readonly #persist: PersistQueue;
  #link: LeaderLink | null = null;
  readonly #touches = new Map<bigint, number>();
  readonly #revalidations = new Map<bigint, ((valid: boolean) => void)[]>();
  /** Local syncs forwarded, oldest first: answered by the leader's SYNCs in order. */
  readonly #syncs: (() => void)[] = [];
  /** Syncs the leader answered, waiting for the txns committed before them to be applied here. */
  readonly #syncBarriers: { zxid: bigint; done: () => void }[] = [];
  #lastCommittedSeen: bigint;
  #ended = false;
  /** The database's divergence the machine knows of (a reload or a SNAP makes a new one, or none). */
  #divergenceReported: Divergence | null;
  /** The snapshot written while the last SNAP was loaded, for the tree it was written for. */
  #transcoded: { zxid: bigint; tree: DataTree; transcoder: SnapshotTranscoder } | null = null;

  constructor(options: {
    host: RoleHost;
    storage: LearnerStorage;
    settings: RoleSettings;
    observer: boolean;
    events: RoleEvents;
    epochs: Epochs;
  }) {
    const { host, settings } = options;
    this.name = options.observer ? RoleName.observer : RoleName.follower;
    this.#host = host;
    this.#storage = options.storage;
    this.#events = options.events;
    this.#persist = new PersistQueue((error) => this.#fail(error));
    this.#lastCommittedSeen = host.db.lastProcessedZxid;
    this.zab = new LearnerZab({
      myId: settings.myId,
      observer: options.observer,
      configVersion: settings.quorum.version,
      tickMs: host.config.tickTime,
      initLimit: settings.initLimit,
      syncLimit: settings.syncLimit,
    }, {
      acceptedEpoch: options.epochs.acceptedEpoch,
      currentEpoch: options.epochs.currentEpoch,
      lastLoggedZxid: options.storage.store().lastLoggedZxid(),
      nowMs: host.clock.monoMs(),
      divergedAt: host.db.divergence?.zxid ?? null,
    });
    this.#divergenceReported = host.db.divergence;
  }

  get outstandingChanges(): number {
    return 0;
  }

  /** The connection to the leader is up. */
  attach(link: LeaderLink): void {
    if (this.#ended) {
      link.close();
      return;
    }
    this.#link = link;
    link.onMessage((message) => this.#receive(message));
    link.onClose((reason) => {
      if (this.#link === link) this.#link = null;
      this.zab.linkLost(reason);
      this.#run();
    });
    this.zab.connected(this.#host.clock.monoMs());
    this.#run();
  }

  /** Connecting to the leader failed (the peer retries while the machine lets it). */
  connectFailed(reason: string): void {
    this.zab.connectFailed(reason);
    this.#run();
  }

  #receive(message: FromLeader): void {
    const nowMs = this.#host.clock.monoMs();
    if (message.kind === "snapshot") {
      this.#loadSnapshot(message.snapshot);
      this.zab.receive(bareQuorumPacket(PacketType.SNAP, message.snapshot.zxid), nowMs);
    } else {
      const p = message.packet;
      if (p.type === PacketType.COMMIT || p.type === PacketType.INFORM) this.#lastCommittedSeen = p.zxid;
      this.zab.receive(p, nowMs);
    }
    this.#run();
  }

  /** The leader's database replaces ours (it is persisted by the installSnapshot effect next). */
  #loadSnapshot(snapshot: ReceivedSnapshot): void {
    this.#host.db.replace(snapshot.tree, snapshot.sessions, this.#host.clock.monoMs(), this.#host.clock.wallMs());
    this.#lastCommittedSeen = snapshot.zxid;
    const transcoder = snapshot.transcoder;
    this.#transcoded = transcoder === undefined ? null : { zxid: snapshot.zxid, tree: snapshot.tree, transcoder };
  }

  write(request: WriteRequest): string | null {
    this.#forward(request.sessionId, request.cxid, request.type, request.body, request.authIds);
    return null;
  }

  #forward(sessionId: bigint, cxid: number, type: number, body: Uint8Array, authIds: WriteRequest["authIds"]): void {
    this.zab.send(requestPacket({ sessionId, cxid, type, request: body, authinfo: authIds }));
    this.#run();
  }

  sync(sessionId: bigint, done: () => void): void {
    if (this.#syncs.length >= WAITERS_MAX) return;
    this.#syncs.push(done);
    this.#forward(sessionId, 0, OpCode.sync, new JuteWriter(4).ustring("/").bytes(), []);
  }

  revalidate(sessionId: bigint, timeoutMs: number, answer: (valid: boolean) => void): void {
    const waiting = this.#revalidations.get(sessionId);
    if (waiting !== undefined) {
      if (waiting.length < WAITERS_MAX) waiting.push(answer);
      return;
    }
    this.#revalidations.set(sessionId, [answer]);
    this.zab.send(revalidatePacket(sessionId, timeoutMs));
    this.#run();
  }

  touch(sessionId: bigint, timeoutMs: number): void {
    this.#touches.set(sessionId, timeoutMs);
  }

  tick(nowMs: number): void {
    this.zab.tick(nowMs);
    this.#run();
  }

  stop(reason: string): void {
    this.zab.stop(reason);
    this.#run();
  }

  settled(): Promise<void> {
    return this.#persist.idle();
  }

  /**
   * Applies the txns this learner logged but never saw committed (fastForwardDataBase): the
   * database then holds the whole log, which is what the next election and sync count on.
   */
  fastForward(): void {
    for (const txn of this.zab.unapplied()) {
      if (!txn.persisted) break;
      this.#host.applyCommitted(decodeTxn(txn.bytes), txn.bytes);
    }
  }

  #run(): void {
    const stopped = () => this.zab.phase === LearnerPhase.stopped;
    const stoppedBefore = stopped();
    for (const effect of this.zab.drain()) {
      // A machine that stopped during this batch (a divergence found applying) no longer speaks
      // for the sync: the currentEpoch and ACKs it had issued are void. Applies still run, so
      // that the tree keeps matching the log (a truncation may reload both next).
      if (!stoppedBefore && stopped() && (effect.kind === "currentEpoch" || effect.kind === "send")) continue;
      this.#execute(effect);
    }
  }

  #execute(effect: LearnerEffect): void {
    // The store is looked up when each operation runs: a TRUNC ahead in the queue replaces it.
    const store = () => this.#storage.store();
    switch (effect.kind) {
      case "send":
        return this.#link?.send(effect.packet);
      case "append":
        return this.#persist.run(() => store().append({ zxid: effect.zxid, bytes: effect.bytes }), () => this.#persisted());
      case "truncate":
        return this.#persist.run(() => this.#storage.truncateAndReload(effect.zxid), () => {
          // The tree was rebuilt from the log that is left: it may still part from the leader's.
          this.#reportDivergence();
          this.#persisted();
        }, { exclusive: true });
      case "installSnapshot": {
        const data = this.#snapshotToInstall(effect.zxid);
        return this.#persist.run(() => store().installSnapshot(effect.zxid, data), () => this.#persisted(), { exclusive: true });
      }
      case "acceptedEpoch":
        return this.#persist.run(() => store().writeAcceptedEpoch(effect.epoch), () => this.#persisted());
      case "currentEpoch":
        return this.#persist.run(() => store().writeCurrentEpoch(effect.epoch), () => this.#persisted());
      case "apply":
        return this.#apply(effect.bytes);
      case "leaderPacket":
        return this.#leaderPacket(effect.packet);
      case "established":
        return this.#events.established(effect.epoch);
      case "lost":
        this.#ended = true;
        this.#link?.close();
        return this.#events.lost(effect.reason);
      case "log":
        return this.#host.log(effect.line);
      case "snapshot":
      case "close":
        return;
    }
  }

  /**
   * The database as a snapshot: the one written while the SNAP was loaded when it is still of this
   * tree at this zxid (nothing applied since), else encoded now.
   */
  #snapshotToInstall(zxid: bigint): Uint8Array | SnapshotStream {
    const { tree, sessions } = this.#host.db;
    const transcoded = this.#transcoded;
    this.#transcoded = null;
    if (transcoded !== null && transcoded.tree === tree && transcoded.zxid === zxid && tree.lastProcessedZxid === zxid) {
      const stream = transcoded.transcoder.finish(liveSessions(sessions));
      if (stream !== null) return stream;
      this.#host.log(`the snapshot written during the SNAP no longer matches the tree (${tree.nodeCount} znodes); encoding it again`);
    }
    return encodeSnapshot(tree, sessions);
  }

  #persisted(): void {
    this.zab.persisted();
    this.#run();
  }

  #apply(bytes: Uint8Array): void {
    this.#host.applyCommitted(decodeTxn(bytes), bytes);
    this.#reportDivergence();
    const applied = this.#host.db.lastProcessedZxid;
    while (this.#syncBarriers.length > 0 && this.#syncBarriers[0]!.zxid <= applied) this.#syncBarriers.shift()!.done();
  }

  /** Tells the machine when the database's tree first parts from the digests the leader logged. */
  #reportDivergence(): void {
    const divergence = this.#host.db.divergence;
    if (divergence === null || divergence === this.#divergenceReported) return;
    this.#divergenceReported = divergence;
    this.zab.diverged(divergence.zxid, divergence.agreed);
    this.#run();
  }

  #leaderPacket(p: QuorumPacket): void {
    switch (p.type) {
      case PacketType.PING: {
        const touches = [...this.#touches].map(([sessionId, timeoutMs]) => ({ sessionId, timeoutMs }));
        this.#touches.clear();
        this.zab.send(pingReplyPacket(p.zxid, touches));
        return;
      }
      case PacketType.SYNC: {
        const done = this.#syncs.shift();
        if (done === undefined) return this.#host.log("SYNC from the leader without a pending sync");
        // Answered once every txn the leader committed before this SYNC is applied here.
        if (this.#host.db.lastProcessedZxid >= this.#lastCommittedSeen) done();
        else this.#syncBarriers.push({ zxid: this.#lastCommittedSeen, done });
        return;
      }
      case PacketType.REVALIDATE: {
        let answer;
        try {
          answer = readRevalidateAnswer(p);
        } catch (error) {
          if (!(error instanceof WireError)) throw error;
          return this.stop(`malformed REVALIDATE answer: ${error.message}`);
        }
        const waiting = this.#revalidations.get(answer.sessionId) ?? [];
        this.#revalidations.delete(answer.sessionId);
        for (const reply of waiting) reply(answer.valid);
        return;
      }
    }
  }

  #fail(error: unknown): void {
    this.#host.fatal(error);
    this.stop(`storage failed: ${(error as Error)?.message ?? error}`);
  }
}

