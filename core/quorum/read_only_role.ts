import { LogLevel } from "../log_level.ts";
import { SessionTracker } from "../session/session_tracker.ts";
import { type LocalSessions, type RoleHost, RoleName, type ServerRole } from "../server/server_role.ts";

/**
 * What an ensemble member without a quorum serves with `readonlymode.enabled` (ZooKeeper's
 * ReadOnlyZooKeeperServer): reads from its last state, to clients that asked to be allowed a
 * read-only server, on sessions of its own that are never logged and end with it. Every state
 * change (writes, sync, check, multi) is refused by the connection layer with NOTREADONLY; a
 * client's global session cannot be re-attached here (that needs the leader), so such a client
 * moves on to another server.
 */
export class ReadOnlyRole implements ServerRole {
  readonly name = RoleName.readOnly;
  readonly outstandingChanges = 0;
  readonly readOnly: LocalSessions;
  readonly #host: RoleHost;
  readonly #sessions: SessionTracker;
  readonly #onExpired: (sessionId: bigint) => void;

  constructor(host: RoleHost, onExpired: (sessionId: bigint) => void) {
    this.#host = host;
    this.#onExpired = onExpired;
    // Ids from the same generator as the member's own (server id in the top byte, a fresh time base).
    this.#sessions = new SessionTracker({ tickMs: host.config.tickTime, serverId: host.config.serverId, nowMs: host.clock.wallMs() });
    this.readOnly = {
      create: (timeoutMs) => {
        const sessionId = this.#sessions.newSessionId();
        this.#sessions.add(sessionId, timeoutMs, host.clock.monoMs());
        return sessionId;
      },
      has: (sessionId) => this.#sessions.get(sessionId) !== undefined,
      close: (sessionId) => this.#sessions.remove(sessionId),
    };
  }

  write(): string | null {
    throw new Error("read-only server: writes are refused before they reach the role");
  }

  sync(_sessionId: bigint, done: () => void): void {
    done();
  }

  revalidate(sessionId: bigint, timeoutMs: number, answer: (valid: boolean) => void): void {
    const session = this.#sessions.get(sessionId);
    if (session !== undefined) session.timeoutMs = timeoutMs;
    answer(session !== undefined && this.#sessions.touch(sessionId, this.#host.clock.monoMs()));
  }

  touch(sessionId: bigint): void {
    this.#sessions.touch(sessionId, this.#host.clock.monoMs());
  }

  tick(nowMs: number): void {
    for (const session of this.#sessions.expired(nowMs)) {
      this.#sessions.remove(session.sessionId);
      this.#host.log(`expiring read-only session 0x${session.sessionId.toString(16)}, timeout of ${session.timeoutMs}ms exceeded`, LogLevel.info);
      this.#onExpired(session.sessionId);
    }
  }
}
