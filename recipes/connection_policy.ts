/**
 * The one place that decides when a recipe's ownership (a lock, a lease, leadership) is lost
 * because of the connection. Every recipe in this folder asks it; none reads client states itself.
 */
import type { Client, ConnectionState } from "../core/client/mod.ts";

/** How long a suspended (disconnected) session is still trusted. */
export interface ConnectionPolicyOptions {
  /**
   * Time a disconnected client may stay disconnected before ownership is considered lost.
   * Default: a sixth of the negotiated session timeout. Why: the client notices silence after 2/3
   * of the timeout, so the server may expire the session (and hand the lock to someone else) as
   * soon as 1/3 of the timeout after "disconnected"; half of that window is the safety margin.
   * 0 means "lost the moment the connection is suspended" (Curator's standard policy).
   */
  suspendedGraceMs?: number;
}

/** Why ownership ended. */
export const LossReason = {
  /** Disconnected for longer than the grace period. */
  suspended: "suspended",
  /** The session expired: every ephemeral node of ours is gone. */
  expired: "expired",
  /** The client was closed (or authentication failed). */
  closed: "closed",
} as const;

/** One of {@link LossReason}. */
export type LossReason = (typeof LossReason)[keyof typeof LossReason];

/** The error an ownership signal is aborted with. */
export class OwnershipLostError extends Error {
  override name = "OwnershipLostError";
  readonly reason: LossReason;
  constructor(reason: LossReason) {
    super(`ownership lost: session ${reason}`);
    this.reason = reason;
  }
}

/** A live observation of one client on behalf of one owned thing. */
export interface OwnershipWatch {
  /** Aborted (with an {@link OwnershipLostError}) when ownership must be considered lost. */
  readonly signal: AbortSignal;
  /** Stops observing; the signal is left as it is. */
  stop(): void;
}

const GRACE_FRACTION_OF_TIMEOUT = 1 / 6;
const TERMINAL_LOSS: Partial<Record<ConnectionState, LossReason>> = {
  expired: LossReason.expired,
  closed: LossReason.closed,
  authFailed: LossReason.closed,
};

/**
 * The grace period a policy grants a disconnected client, in ms.
 *
 * @example const ms = suspendedGraceMs(client, {}); // negotiated timeout / 6
 */
export function suspendedGraceMs(client: Client, opts: ConnectionPolicyOptions): number {
  if (opts.suspendedGraceMs !== undefined) return Math.max(0, opts.suspendedGraceMs);
  return Math.floor(client.negotiatedTimeoutMs * GRACE_FRACTION_OF_TIMEOUT);
}

/**
 * Starts watching the client for loss of ownership: "disconnected" for longer than the grace
 * period, or a final state (expired, closed). A reconnect within the grace period keeps ownership.
 *
 * @example
 * const watch = watchOwnership(client, { suspendedGraceMs: 500 });
 * watch.signal.addEventListener("abort", () => stopWriting());
 * // ... later
 * watch.stop();
 */
export function watchOwnership(client: Client, opts: ConnectionPolicyOptions = {}): OwnershipWatch {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const lose = (reason: LossReason) => {
    clearTimeout(timer);
    timer = undefined;
    unsubscribe();
    if (!controller.signal.aborted) controller.abort(new OwnershipLostError(reason));
  };
  const onState = (state: ConnectionState | "disconnected-now") => {
    const terminal = TERMINAL_LOSS[state as ConnectionState];
    if (terminal !== undefined) {
      lose(terminal);
    } else if (state === "disconnected" || state === "disconnected-now") {
      if (timer !== undefined) return;
      const graceMs = suspendedGraceMs(client, opts);
      if (graceMs === 0) lose(LossReason.suspended);
      else timer = setTimeout(() => lose(LossReason.suspended), graceMs);
    } else {
      clearTimeout(timer);
      timer = undefined;
    }
  };
  let unsubscribe: () => void = () => {};
  const status = client.state;
  if (status === "expired") lose(LossReason.expired);
  else if (status === "closed" || status === "authFailed") lose(LossReason.closed);
  else {
    unsubscribe = client.on("state", onState);
    if (status === "disconnected") onState("disconnected-now");
  }
  return {
    signal: controller.signal,
    stop: () => {
      clearTimeout(timer);
      timer = undefined;
      unsubscribe();
    },
  };
}
