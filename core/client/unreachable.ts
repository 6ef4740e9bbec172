import { ErrorCode, KeeperError } from "../proto/mod.ts";
import type { HostPort } from "./connect_string.ts";

/**
 * Every server of the connect string was tried and none answered: `ready()` rejects with this
 * (after one round, about a second when the servers refuse) instead of waiting silently. A
 * KeeperError with code ConnectionLoss, so retry policies treat it as transient; the client keeps
 * trying in the background.
 *
 * @example catch (e) { if (e instanceof ServerUnreachableError) console.error(e.message); } // "connection refused by 127.0.0.1:2181"
 */
export class ServerUnreachableError extends KeeperError {
  override name = "ServerUnreachableError";
  /** One reason per server tried, e.g. "connection refused by 127.0.0.1:2181". */
  readonly reasons: readonly string[];

  constructor(reasons: readonly string[]) {
    super(ErrorCode.CONNECTIONLOSS);
    this.reasons = reasons;
    this.message = reasons.join("; ");
  }
}

/** Why a connection attempt failed, in the words an operator searches for. */
const CAUSES: Record<string, string> = {
  ECONNREFUSED: "connection refused by",
  ECONNRESET: "connection reset by",
  EHOSTUNREACH: "no route to",
  ENETUNREACH: "network unreachable for",
  ENOTFOUND: "host not found:",
  EAI_AGAIN: "host name lookup failed for",
  ETIMEDOUT: "no answer from",
};

/**
 * One reason for a failed attempt at `host`.
 *
 * @example connectFailure({ host: "127.0.0.1", port: 2181 }, { code: "ECONNREFUSED" }) // "connection refused by 127.0.0.1:2181"
 */
export function connectFailure(host: HostPort, error: unknown): string {
  const address = `${host.host}:${host.port}`;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code in CAUSES) return `${CAUSES[code]} ${address}`;
  const message = error instanceof Error ? error.message : String(error);
  return `cannot connect to ${address}: ${message}`;
}
