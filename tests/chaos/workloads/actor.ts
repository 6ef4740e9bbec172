import type { SeededRandom } from "../../support/seeded_random.ts";
import { ChaosClientError, type ChaosClientLibrary, type ChaosSession, HARNESS_TIMEOUT, SessionState } from "../clients/chaos_client.ts";
import type { HistoryOp, OpResult } from "../../history/history.ts";
import type { HistoryRecorder, Invocation } from "../recorder.ts";

/** What every workload actor gets. */
export interface ActorContext {
  /** Unique per actor: the history's `process`. */
  process: number;
  /** Short label for values this actor writes (unique per actor), e.g. "j3". */
  label: string;
  library: ChaosClientLibrary;
  connectString: string;
  sessionTimeoutMs: number;
  /** The longest the harness waits for one answer before calling it unknown. */
  opTimeoutMs: number;
  recorder: HistoryRecorder;
  random: SeededRandom;
  /** Aborted when the workload phase ends. */
  signal: AbortSignal;
}

const OPEN_RETRY_MS = 250;
const BACKOFF_MS = 1_000;

/**
 * An actor's current session: opened on demand (retrying while the ensemble has no quorum),
 * replaced when it expires or the actor abandons it. Knows when the connection was last lost,
 * which the lock workload needs to stop believing it holds a lock.
 */
export class ActorSession {
  readonly #context: ActorContext;
  #session: ChaosSession | undefined;
  #unsubscribe: (() => void) | undefined;
  #lostListeners = new Set<() => void>();
  #reconnectWaiters = new Set<() => void>();
  #connected = false;
  #expired = false;
  /** Sessions opened so far. */
  opened = 0;

  constructor(context: ActorContext) {
    this.#context = context;
  }

  /** The live session, opening one if needed; undefined when the actor was stopped meanwhile. */
  async get(): Promise<ChaosSession | undefined> {
    if (this.#session !== undefined && !this.#expired) return this.#session;
    await this.abandon();
    const { library, connectString, sessionTimeoutMs, signal } = this.#context;
    // Bounded by the stop signal: the workload phase has a fixed length.
    while (!signal.aborted) {
      try {
        const session = await library.open(connectString, sessionTimeoutMs);
        this.#attach(session);
        this.opened++;
        return session;
      } catch {
        await sleep(OPEN_RETRY_MS, signal);
      }
    }
    return undefined;
  }

  /** Calls back once, at the next loss of connection (or at once if none is open). */
  onLost(listener: () => void): () => void {
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  /** Closes the session (its ephemerals go with it); the next get() opens another. */
  async abandon(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    this.#expired = false;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#connected = false;
    this.#fireLost();
    this.#fireReconnected();
    if (session !== undefined) await withTimeout(session.close(), this.#context.opTimeoutMs).catch(() => undefined);
  }

  /**
   * Notes an error: a lost session must be replaced; after a lost connection the actor waits
   * (up to a second) for the client to reconnect, as an application would, instead of
   * piling up operations whose outcome cannot be known.
   */
  async noteError(err: unknown): Promise<void> {
    if (!(err instanceof ChaosClientError)) return;
    if (err.code === "SESSIONEXPIRED" || err.code === "SESSIONMOVED") this.#expired = true;
    if (this.#connected || this.#expired) return;
    const reconnected = new AbortController();
    this.#reconnectWaiters.add(() => reconnected.abort());
    await sleep(BACKOFF_MS, AbortSignal.any([reconnected.signal, this.#context.signal]));
  }

  #attach(session: ChaosSession): void {
    this.#session = session;
    this.#connected = true;
    this.#unsubscribe = session.onState((state) => {
      this.#connected = state === SessionState.connected;
      if (state === SessionState.expired || state === SessionState.closed) this.#expired = true;
      if (state !== SessionState.connected) this.#fireLost();
      else this.#fireReconnected();
    });
  }

  #fireReconnected(): void {
    const waiters = [...this.#reconnectWaiters];
    this.#reconnectWaiters.clear();
    for (const waiter of waiters) waiter();
  }

  #fireLost(): void {
    const listeners = [...this.#lostListeners];
    this.#lostListeners.clear();
    for (const listener of listeners) listener();
  }
}

/**
 * The actor loop: `step` runs with the actor's session, one at a time with a random pause
 * between, until the phase ends; then the session is closed. Resolves with the sessions opened.
 */
export async function runActorLoop(
  context: ActorContext,
  pauseMsMax: number,
  step: (zk: ChaosSession, session: ActorSession) => Promise<void>,
): Promise<number> {
  const session = new ActorSession(context);
  // Bounded by the phase: the signal ends it.
  while (!context.signal.aborted) {
    const zk = await session.get();
    if (zk === undefined) break;
    await step(zk, session);
    await sleep(context.random.int(pauseMsMax), context.signal);
  }
  await session.abandon();
  return session.opened;
}

/**
 * Records one operation around `call`: ok with the result it returns (and the session's last
 * zxid), or the error, sorted by the recorder; after an error the session backs off.
 */
export async function recordCall(
  context: ActorContext,
  session: ActorSession,
  zk: ChaosSession,
  invocation: Omit<Invocation, "process" | "session">,
  call: (op: HistoryOp) => Promise<OpResult | undefined>,
): Promise<OpResult | undefined> {
  const op = context.recorder.invoke({ ...invocation, process: context.process, session: zk.sessionId });
  try {
    const result = await call(op);
    if (result !== undefined) context.recorder.ok(op, result, zk.lastZxid());
    return result;
  } catch (err) {
    context.recorder.error(op, err);
    await session.noteError(err);
    return undefined;
  }
}

/**
 * The call's answer, or a {@link HARNESS_TIMEOUT} error after `timeoutMs` (the call itself goes on;
 * its outcome is then unknown).
 */
export function withTimeout<T>(call: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ChaosClientError(HARNESS_TIMEOUT, `no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}

/** Sleeps, waking early when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
