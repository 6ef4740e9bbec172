import { inProcessTransport } from "../../core/io/in_process_transport.ts";
import type { Acceptor } from "../../core/io/socket.ts";
import { type Client, createClient, KeeperError } from "../../core/client/mod.ts";
import { GatewayError } from "./gateway_errors.ts";

/** Credentials an HTTP request brought (Authorization header). */
export interface Credential {
  scheme: string;
  auth: string;
}

/** A ZooKeeper session an HTTP client holds: its ephemerals live while it heartbeats. */
export interface GatewaySession {
  readonly token: string;
  readonly client: Client;
  readonly sessionId: bigint;
  readonly timeoutMs: number;
  readonly remoteAddress: string;
  /** Credentials already added (addauth is kept for the session's life: never add one twice). */
  readonly credentials: Set<string>;
  lastSeenMs: number;
}

interface Pooled {
  client: Client;
  lastUsedMs: number;
}

/** Limits of the gateway's sessions. */
export interface GatewaySessionLimits {
  sessionsMax: number;
  anonymousMax: number;
  anonymousIdleMs: number;
}

/**
 * The gateway's ZooKeeper sessions. Each is a real client session on an in-process connection
 * (the client port's request path, with the HTTP peer's address): named sessions an HTTP client
 * created and keeps alive with requests or heartbeats, closed (ephemerals deleted) after a
 * timeout of silence; and a small pool of sessions for one-off requests, one per address and
 * credential, closed when idle.
 */
export class GatewaySessions {
  readonly #acceptor: Acceptor;
  readonly #limits: GatewaySessionLimits;
  readonly #sessions = new Map<string, GatewaySession>();
  readonly #pool = new Map<string, Pooled>();
  #nextPort = 1;

  constructor(acceptor: Acceptor, limits: GatewaySessionLimits) {
    this.#acceptor = acceptor;
    this.#limits = limits;
  }

  get size(): number {
    return this.#sessions.size;
  }

  list(): GatewaySession[] {
    return [...this.#sessions.values()];
  }

  #client(remoteAddress: string, credentials: readonly Credential[], timeoutMs: number): Client {
    const peer = { remoteAddress, remotePort: this.#nextPort++ % 65536 };
    return createClient("in-process:1", {
      sessionTimeoutMs: timeoutMs,
      transport: inProcessTransport(this.#acceptor, () => peer),
      auth: credentials,
      shuffleHosts: false,
      reconnectDelayMaxMs: 50,
    });
  }

  /** Creates a named session; resolves once the server has established it. */
  async create(remoteAddress: string, credentials: readonly Credential[], timeoutMs: number, nowMs: number): Promise<GatewaySession> {
    if (this.#sessions.size >= this.#limits.sessionsMax) {
      throw GatewayError.badArguments(`too many gateway sessions (${this.#limits.sessionsMax})`, 429);
    }
    const client = this.#client(remoteAddress, credentials, timeoutMs);
    await ready(client);
    const token = randomToken();
    const session: GatewaySession = {
      token,
      client,
      sessionId: client.sessionId,
      timeoutMs: client.negotiatedTimeoutMs,
      remoteAddress,
      credentials: new Set(credentials.map((c) => `${c.scheme}:${c.auth}`)),
      lastSeenMs: nowMs,
    };
    this.#sessions.set(token, session);
    return session;
  }

  /** The session a request names, touched; throws SESSIONEXPIRED (410) for an unknown token. */
  use(token: string, nowMs: number): GatewaySession {
    const session = this.#sessions.get(token);
    if (session === undefined) {
      throw new GatewayError(410, { error: "SESSIONEXPIRED", code: -112, message: "no such gateway session (expired or closed)" });
    }
    session.lastSeenMs = nowMs;
    return session;
  }

  async close(token: string): Promise<boolean> {
    const session = this.#sessions.get(token);
    if (session === undefined) return false;
    this.#sessions.delete(token);
    await session.client.close();
    return true;
  }

  /** A pooled session for one-off requests from this address with these credentials. */
  async anonymous(remoteAddress: string, credentials: readonly Credential[], nowMs: number): Promise<Client> {
    const key = `${remoteAddress}|${credentials.map((c) => `${c.scheme}:${c.auth}`).join("|")}`;
    const pooled = this.#pool.get(key);
    if (pooled !== undefined && !isDead(pooled.client)) {
      pooled.lastUsedMs = nowMs;
      return pooled.client;
    }
    if (pooled !== undefined) this.#pool.delete(key);
    if (this.#pool.size >= this.#limits.anonymousMax) await this.#evictOldest();
    const client = this.#client(remoteAddress, credentials, 30_000);
    this.#pool.set(key, { client, lastUsedMs: nowMs });
    try {
      await ready(client);
    } catch (error) {
      this.#pool.delete(key);
      throw error;
    }
    return client;
  }

  async #evictOldest(): Promise<void> {
    let oldest: [string, Pooled] | undefined;
    for (const entry of this.#pool) if (oldest === undefined || entry[1].lastUsedMs < oldest[1].lastUsedMs) oldest = entry;
    if (oldest === undefined) return;
    this.#pool.delete(oldest[0]);
    await oldest[1].client.close().catch(() => {});
  }

  /** Closes named sessions silent for longer than their timeout, and idle pooled ones. */
  async sweep(nowMs: number): Promise<void> {
    for (const [token, session] of [...this.#sessions]) {
      if (nowMs - session.lastSeenMs > session.timeoutMs || isDead(session.client)) await this.close(token);
    }
    for (const [key, pooled] of [...this.#pool]) {
      if (nowMs - pooled.lastUsedMs <= this.#limits.anonymousIdleMs && !isDead(pooled.client)) continue;
      this.#pool.delete(key);
      await pooled.client.close().catch(() => {});
    }
  }

  async closeAll(): Promise<void> {
    const clients = [...this.#sessions.values()].map((s) => s.client).concat([...this.#pool.values()].map((p) => p.client));
    this.#sessions.clear();
    this.#pool.clear();
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
  }
}

/** How long opening a gateway session may take before the request fails. */
const READY_TIMEOUT_MS = 10_000;

/**
 * Waits for the in-process session; a server that refuses it (not serving, restoring, or the
 * peer's address over maxClientCnxns) is a 503 ConnectionLoss, not a hang.
 */
async function ready(client: Client): Promise<void> {
  try {
    await client.ready({ signal: AbortSignal.timeout(READY_TIMEOUT_MS) });
  } catch (error) {
    await client.close().catch(() => {});
    if (error instanceof KeeperError) throw error;
    throw new GatewayError(503, {
      error: "CONNECTIONLOSS",
      code: -4,
      message: `the server did not accept a session within ${READY_TIMEOUT_MS} ms (not serving, restoring, or maxClientCnxns reached for this address)`,
    });
  }
}

function isDead(client: Client): boolean {
  return client.state === "expired" || client.state === "closed" || client.state === "authFailed";
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}
