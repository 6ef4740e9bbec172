// Helpers for the client tests: a transport the test can cut and block, and bounded waits.
import { nodeTransport } from "../core/io/node_transport.ts";
import type { Transport, TransportConnection } from "../core/io/transport.ts";
import type { Client, ConnectionState, WatchedEvent } from "../core/client/mod.ts";

/**
 * node:net with a hand on the wire: `cut()` drops every open connection (as a network failure
 * would), `blocked` refuses new ones, `attempts` records which servers were tried.
 *
 * @example const t = new CuttableTransport(); createClient(cs, { transport: t }); t.cut();
 */
export class CuttableTransport implements Transport {
  readonly attempts: string[] = [];
  blocked = false;
  readonly #open = new Set<TransportConnection>();

  async connect(host: string, port: number, signal?: AbortSignal): Promise<TransportConnection> {
    if (this.attempts.length < 10_000) this.attempts.push(`${host}:${port}`);
    if (this.blocked) throw new Error("blocked by test");
    const conn = await nodeTransport.connect(host, port, signal);
    this.#open.add(conn);
    return conn;
  }

  cut(): void {
    for (const conn of this.#open) conn.close();
    this.#open.clear();
  }
}

/** Polls until `check` is true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Records a client's state changes. */
export function recordStates(client: Client): ConnectionState[] {
  const states: ConnectionState[] = [];
  client.on("state", (s) => states.push(s));
  return states;
}

/** A one-shot watcher that records what it was told, and a promise for its first event. */
export function eventRecorder(): { watcher: (e: WatchedEvent) => void; events: WatchedEvent[]; first: Promise<WatchedEvent> } {
  const events: WatchedEvent[] = [];
  let resolveFirst!: (e: WatchedEvent) => void;
  const first = new Promise<WatchedEvent>((r) => (resolveFirst = r));
  return {
    events,
    first,
    watcher: (e) => {
      events.push(e);
      resolveFirst(e);
    },
  };
}

/** Rejects when the promise does not settle within `ms` (the timer is cleared either way). */
export async function within<T>(what: string, promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
