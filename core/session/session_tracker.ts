/** One client session as the server tracks it. */
export interface Session {
  readonly sessionId: bigint;
  timeoutMs: number;
  /** Expiry deadline in ms of the server's monotonic clock, rounded up to a tick boundary. */
  expiresAtMs: number;
  /** Set once a closeSession txn is prepared: no more writes are accepted. */
  closing: boolean;
}

/**
 * Sessions and their expiry, in tick-sized buckets as ZooKeeper's ExpiryQueue: a session touched
 * at time t expires at the first tick boundary after t + timeout, so one sweep per tick finds
 * every expired session without a timer per session. Pure: time is passed in.
 */
export class SessionTracker {
  readonly #sessions = new Map<bigint, Session>();
  readonly #buckets = new Map<number, Set<bigint>>();
  readonly #tickMs: number;
  #nextSessionId: bigint;

  constructor({ tickMs, serverId, nowMs }: { tickMs: number; serverId: number; nowMs: number }) {
    this.#tickMs = tickMs;
    // As ZooKeeper: the server id in the top byte, wall-clock ms in the middle, so ids stay
    // unique across restarts and servers.
    let first = (BigInt(Math.floor(nowMs)) << 24n) & ((1n << 56n) - 1n);
    first = BigInt.asIntN(64, first | (BigInt(serverId) << 56n));
    this.#nextSessionId = first === -0x8000000000000000n ? first + 1n : first;
  }

  get size(): number {
    return this.#sessions.size;
  }

  get(sessionId: bigint): Session | undefined {
    return this.#sessions.get(sessionId);
  }

  all(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  newSessionId(): bigint {
    return this.#nextSessionId++;
  }

  /** Starts tracking (on createSession apply, or on recovery). */
  add(sessionId: bigint, timeoutMs: number, nowMs: number): Session {
    const existing = this.#sessions.get(sessionId);
    if (existing !== undefined) {
      existing.timeoutMs = timeoutMs;
      this.touch(sessionId, nowMs);
      return existing;
    }
    const session: Session = { sessionId, timeoutMs, expiresAtMs: 0, closing: false };
    this.#sessions.set(sessionId, session);
    this.touch(sessionId, nowMs);
    // A recovered id must never be handed out again.
    if (sessionId >= this.#nextSessionId && sessionId >> 56n === this.#nextSessionId >> 56n) {
      this.#nextSessionId = sessionId + 1n;
    }
    return session;
  }

  #roundUp(ms: number): number {
    return (Math.floor(ms / this.#tickMs) + 1) * this.#tickMs;
  }

  /** Pushes the session's expiry out (any packet from its client does this). */
  touch(sessionId: bigint, nowMs: number): boolean {
    const session = this.#sessions.get(sessionId);
    if (session === undefined || session.closing) return false;
    const expiresAtMs = this.#roundUp(nowMs + session.timeoutMs);
    if (expiresAtMs === session.expiresAtMs) return true;
    this.#buckets.get(session.expiresAtMs)?.delete(sessionId);
    session.expiresAtMs = expiresAtMs;
    let bucket = this.#buckets.get(expiresAtMs);
    if (bucket === undefined) this.#buckets.set(expiresAtMs, (bucket = new Set()));
    bucket.add(sessionId);
    return true;
  }

  remove(sessionId: bigint): void {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return;
    this.#buckets.get(session.expiresAtMs)?.delete(sessionId);
    this.#sessions.delete(sessionId);
  }

  /** Replaces every session with another tracker's (an admin restore); each gets a full timeout. */
  adopt(other: SessionTracker, nowMs: number): void {
    for (const id of [...this.#sessions.keys()]) this.remove(id);
    for (const session of other.all()) this.add(session.sessionId, session.timeoutMs, nowMs);
  }

  /** Sessions whose deadline has passed; they are marked closing and not returned again. */
  expired(nowMs: number): Session[] {
    const due: Session[] = [];
    for (const [deadline, ids] of this.#buckets) {
      if (deadline > nowMs) continue;
      for (const id of ids) {
        const session = this.#sessions.get(id);
        if (session !== undefined && !session.closing) {
          session.closing = true;
          due.push(session);
        }
      }
      this.#buckets.delete(deadline);
    }
    return due;
  }
}
