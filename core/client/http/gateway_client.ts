/**
 * A client for Paddock's HTTP/JSON gateway: fetch and streams only, so it runs in browsers as
 * well as on Node, Deno and Bun. Errors are KeeperErrors with ZooKeeper's codes, as with the
 * binary client; watches are async iterators that resume after a cut without losing events.
 */
import { KeeperError } from "../../proto/error_code.ts";
import { SseParser } from "./sse_parser.ts";

/** A znode's Stat as the gateway sends it: zxids and the owner as hex strings, times in ms. */
export interface GatewayStat {
  czxid: string;
  mzxid: string;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: string;
  dataLength: number;
  numChildren: number;
  pzxid: string;
}

/** getData's answer: base64 data (null for null data), its text when it is UTF-8, the Stat. */
export interface GatewayNode {
  path: string;
  data: string | null;
  text?: string;
  stat: GatewayStat;
}

/** An ACL entry. */
export interface GatewayAcl {
  perms: number;
  id: { scheme: string; id: string };
}

/** Data to write: text (UTF-8), bytes, or null. */
export type GatewayData = string | Uint8Array | null;

/** A create mode by ZooKeeper's name. */
export type GatewayCreateMode =
  | "PERSISTENT" | "EPHEMERAL" | "PERSISTENT_SEQUENTIAL" | "EPHEMERAL_SEQUENTIAL" | "CONTAINER" | "PERSISTENT_WITH_TTL"
  | "PERSISTENT_SEQUENTIAL_WITH_TTL";

/** One op of a multi. */
export type GatewayOp =
  | { op: "create"; path: string; data?: GatewayData; mode?: GatewayCreateMode; acl?: GatewayAcl[]; ttlMs?: number }
  | { op: "delete"; path: string; version?: number }
  | { op: "setData"; path: string; data?: GatewayData; version?: number }
  | { op: "check"; path: string; version?: number };

/** A watch event from the gateway's Server-Sent Events stream. */
export interface GatewayWatchEvent {
  /** NodeCreated, NodeDeleted, NodeDataChanged, NodeChildrenChanged; or "reset" when events were lost. */
  type: string;
  path: string;
  zxid: string;
  /** The event id: where a resumed stream continues. */
  id: string | undefined;
}

/** Options of {@link GatewayClient.watch}. */
export interface WatchOptions {
  /** Also watch every descendant. */
  recursive?: boolean;
  /** Ends the watch. */
  signal?: AbortSignal;
  /** Resume after this event id (from an earlier watch). */
  lastEventId?: string;
  /** Reopen a stream that sends nothing (not even a heartbeat) for this long. Default 45 s. */
  idleTimeoutMs?: number;
  /** Wait before reconnecting; default the server's `retry`, else 1 s. */
  reconnectDelayMs?: number;
  /** Unread events held before the watch fails. Default 10000. */
  capacity?: number;
}

/** A running watch: an async iterator of events, and when the gateway has it. */
export interface GatewayWatch extends AsyncIterableIterator<GatewayWatchEvent> {
  readonly ready: Promise<void>;
}

/** How the client talks to the gateway. */
export interface GatewayClientOptions {
  /** `digest user:password` credentials, sent as the Authorization header. */
  credentials?: string;
  /** Default: globalThis.fetch. */
  fetch?: typeof fetch;
  /** A request (headers included) taking longer fails with OPERATIONTIMEOUT. Default 10 s. */
  timeoutMs?: number;
  /** Attempts for reads answered 5xx or not at all (writes are never repeated). Default 3. */
  readAttempts?: number;
}

/** A gateway error: ZooKeeper's code plus the HTTP status. */
export class GatewayHttpError extends KeeperError {
  override name = "GatewayHttpError";
  constructor(code: number, readonly status: number, message: string, path?: string, readonly body?: unknown) {
    super(code, path);
    this.message = message;
  }
}

const CONNECTIONLOSS = -4;
const OPERATIONTIMEOUT = -7;
const SYSTEMERROR = -1;

/**
 * Talks to a Paddock gateway at `baseUrl` (e.g. `http://127.0.0.1:8080`).
 *
 * @example
 * const zk = new GatewayClient("http://127.0.0.1:8080", { credentials: "alice:secret" });
 * await zk.create("/jobs/job-", "payload", { mode: "PERSISTENT_SEQUENTIAL" });
 * for await (const event of zk.watch("/jobs", { recursive: true, signal })) console.log(event);
 */
export class GatewayClient {
  readonly #base: string;
  readonly #options: GatewayClientOptions;
  readonly #fetch: typeof fetch;
  /** The gateway session requests run in (set by a {@link GatewaySession}). */
  readonly sessionToken: string | undefined;

  constructor(baseUrl: string, options: GatewayClientOptions = {}, sessionToken?: string) {
    this.#base = baseUrl.replace(/\/+$/, "");
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.sessionToken = sessionToken;
  }

  getData(path: string): Promise<GatewayNode> {
    return this.#read(`/znodes${encodePath(path)}`);
  }

  async getChildren(path: string): Promise<{ path: string; children: string[]; stat: GatewayStat }> {
    return await this.#read(`/znodes${encodePath(path)}?view=children`);
  }

  /** The node's Stat, or null when it does not exist. */
  async exists(path: string): Promise<GatewayStat | null> {
    try {
      return (await this.#read<{ stat: GatewayStat }>(`/znodes${encodePath(path)}?view=stat`)).stat;
    } catch (error) {
      if (error instanceof KeeperError && error.code === -101) return null;
      throw error;
    }
  }

  getACL(path: string): Promise<{ path: string; acl: GatewayAcl[]; stat: GatewayStat }> {
    return this.#read(`/znodes${encodePath(path)}?view=acl`);
  }

  /** Creates a node; resolves to its actual path (sequential suffix included) and Stat. */
  create(path: string, data: GatewayData = null, opts: { mode?: GatewayCreateMode; acl?: GatewayAcl[]; ttlMs?: number } = {}): Promise<{ path: string; stat: GatewayStat }> {
    return this.#write("POST", `/znodes${encodePath(path)}`, { ...dataBody(data), ...opts });
  }

  async setData(path: string, data: GatewayData, version = -1): Promise<GatewayStat> {
    return (await this.#write<{ stat: GatewayStat }>("PUT", `/znodes${encodePath(path)}`, { ...dataBody(data), version })).stat;
  }

  async setACL(path: string, acl: GatewayAcl[], version = -1): Promise<GatewayStat> {
    return (await this.#write<{ stat: GatewayStat }>("PUT", `/znodes${encodePath(path)}?view=acl`, { acl, version })).stat;
  }

  async delete(path: string, version = -1): Promise<void> {
    await this.#write("DELETE", `/znodes${encodePath(path)}?version=${version}`, undefined);
  }

  /** All or nothing; a failure throws with every op's result in `body.results`. */
  async multi(ops: GatewayOp[]): Promise<unknown[]> {
    const body = ops.map((op) => ("data" in op ? { ...op, data: undefined, ...dataBody(op.data ?? null) } : op));
    return (await this.#write<{ results: unknown[] }>("POST", "/multi", { ops: body })).results;
  }

  /** Server facts: version, state, last zxid, gateway counts. */
  status(): Promise<{ version: string; serverState: string; zxid: string; gateway: Record<string, number> }> {
    return this.#read("/status");
  }

  /**
   * Opens a session whose ephemerals live while it heartbeats (every third of the timeout,
   * automatically). Close it to delete them at once.
   *
   * @example await using session = await zk.session({ timeoutMs: 10_000 });
   */
  async session(opts: { timeoutMs?: number } = {}): Promise<GatewaySession> {
    const created = await this.#write<{ token: string; sessionId: string; timeoutMs: number }>("POST", "/sessions", { timeoutMs: opts.timeoutMs ?? 30_000 });
    return new GatewaySession(this.#base, this.#options, created);
  }

  /**
   * A persistent (or recursive) watch as an async iterator; it subscribes at once, and `ready`
   * settles when the gateway has the subscription. A cut stream reconnects with the last event
   * id, so no event is lost; when the gateway can no longer replay, a `reset` event says so
   * (re-read what you watch). A stream silent past `idleTimeoutMs` (a proxy buffering it) is
   * reopened the same way. Leaving the loop or aborting the signal closes it.
   *
   * @example for await (const e of zk.watch("/services", { recursive: true, signal })) refresh(e.path);
   */
  watch(path: string, opts: WatchOptions = {}): GatewayWatch {
    const queue: GatewayWatchEvent[] = [];
    const capacity = opts.capacity ?? 10_000;
    let wake: (() => void) | null = null;
    let failure: unknown = null;
    let ended = false;
    const stop = new AbortController();
    const onAbort = () => stop.abort(opts.signal?.reason);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    let markReady!: () => void;
    let failReady!: (e: unknown) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    ready.catch(() => {});
    const push = (e: GatewayWatchEvent) => {
      if (queue.length >= capacity) {
        failure = new GatewayHttpError(-127, 0, `more than ${capacity} watch events unread`);
        stop.abort();
      } else queue.push(e);
      wake?.();
    };
    void this.#watchLoop(path, opts, stop.signal, push, markReady).then(
      () => {},
      (error) => {
        failure = error;
        failReady(error);
      },
    ).finally(() => {
      ended = true;
      opts.signal?.removeEventListener("abort", onAbort);
      wake?.();
    });
    const iterator: GatewayWatch = {
      ready,
      async next(): Promise<IteratorResult<GatewayWatchEvent>> {
        for (;;) {
          const e = queue.shift();
          if (e !== undefined) return { done: false, value: e };
          if (failure !== null && !stop.signal.aborted) throw failure;
          if (ended || stop.signal.aborted) {
            if (failure !== null && !opts.signal?.aborted) throw failure;
            return { done: true, value: undefined };
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
        }
      },
      return(): Promise<IteratorResult<GatewayWatchEvent>> {
        stop.abort();
        return Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  async #watchLoop(path: string, opts: WatchOptions, signal: AbortSignal, push: (e: GatewayWatchEvent) => void, markReady: () => void): Promise<void> {
    let lastEventId = opts.lastEventId;
    const idleMs = opts.idleTimeoutMs ?? 45_000;
    for (let attempt = 0; !signal.aborted; attempt++) {
      const parser = new SseParser((e) => {
        if (e.id !== undefined) lastEventId = e.id;
        if (e.event === "ready") {
          markReady();
          return;
        }
        const data = JSON.parse(e.data) as { path?: string; zxid?: string };
        if (e.event === "reset") markReady();
        push({ type: e.event === "reset" ? "reset" : e.event, path: data.path ?? path, zxid: data.zxid ?? "", id: e.id });
      });
      const local = new AbortController();
      const abort = () => local.abort();
      signal.addEventListener("abort", abort, { once: true });
      try {
        const headers: Record<string, string> = { ...this.#headers(), Accept: "text/event-stream" };
        if (lastEventId !== undefined) headers["Last-Event-ID"] = lastEventId;
        const url = `${this.#base}/api/v1/watch${path === "/" ? "" : encodePath(path)}${opts.recursive ? "?recursive=true" : ""}`;
        const response = await this.#fetchWithin(url, { headers, signal: local.signal }, local);
        if (!response.ok) throw await errorOf(response);
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const chunk = await readWithin(reader, idleMs, local);
          if (chunk === null) break;
          parser.push(chunk);
          attempt = 0;
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof GatewayHttpError && error.status >= 400 && error.status < 500) throw error;
      } finally {
        signal.removeEventListener("abort", abort);
        local.abort();
      }
      await sleep(Math.min(5_000, (opts.reconnectDelayMs ?? parser.retryMs ?? 1_000) * Math.max(1, attempt)), signal);
    }
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.#options.credentials !== undefined) headers.Authorization = `digest ${this.#options.credentials}`;
    if (this.sessionToken !== undefined) headers["Paddock-Session"] = this.sessionToken;
    return headers;
  }

  /** A fetch whose headers must arrive within the timeout (slow headers fail, not hang). */
  async #fetchWithin(url: string, init: RequestInit, controller = new AbortController()): Promise<Response> {
    const timeoutMs = this.#options.timeoutMs ?? 10_000;
    const timer = setTimeout(() => controller.abort(new GatewayHttpError(OPERATIONTIMEOUT, 0, `no answer from the gateway within ${timeoutMs} ms`)), timeoutMs);
    try {
      return await this.#fetch(url, { ...init, signal: init.signal ?? controller.signal });
    } catch (error) {
      if (controller.signal.reason instanceof GatewayHttpError) throw controller.signal.reason;
      throw new GatewayHttpError(CONNECTIONLOSS, 0, `gateway unreachable: ${(error as Error)?.message ?? error}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async #read<T>(route: string): Promise<T> {
    const attempts = this.#options.readAttempts ?? 3;
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await this.#request<T>("GET", route, undefined);
      } catch (error) {
        last = error;
        const retryable = error instanceof GatewayHttpError && (error.status === 0 || error.status >= 500) && error.code !== OPERATIONTIMEOUT;
        if (!retryable || attempt === attempts) throw error;
        await sleep(50 * 2 ** attempt, undefined);
      }
    }
    throw last;
  }

  #write<T>(method: string, route: string, body: unknown): Promise<T> {
    return this.#request<T>(method, route, body);
  }

  async #request<T>(method: string, route: string, body: unknown): Promise<T> {
    const headers = this.#headers();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await this.#fetchWithin(`${this.#base}/api/v1${route}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw await errorOf(response);
    try {
      return await response.json() as T;
    } catch (error) {
      throw new GatewayHttpError(CONNECTIONLOSS, response.status, `the gateway's answer was cut or is not JSON: ${(error as Error).message}`);
    }
  }
}

/** A gateway session: a client whose requests run in it, heartbeating until closed. */
export class GatewaySession extends GatewayClient implements AsyncDisposable {
  readonly sessionId: string;
  readonly timeoutMs: number;
  readonly #base: string;
  readonly #options: GatewayClientOptions;
  readonly #timer: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(base: string, options: GatewayClientOptions, created: { token: string; sessionId: string; timeoutMs: number }) {
    super(base, options, created.token);
    this.#base = base;
    this.#options = options;
    this.sessionId = created.sessionId;
    this.timeoutMs = created.timeoutMs;
    this.#timer = setInterval(() => void this.heartbeat().catch(() => {}), Math.max(100, Math.floor(created.timeoutMs / 3)));
  }

  /** Keeps the session alive (the automatic heartbeat calls this). */
  async heartbeat(): Promise<void> {
    const response = await (this.#options.fetch ?? fetch)(`${this.#base}/api/v1/sessions/${this.sessionToken}/heartbeat`, { method: "POST" });
    if (!response.ok) throw await errorOf(response);
    await response.body?.cancel();
  }

  /** Ends the session: its ephemerals are deleted now. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    const response = await (this.#options.fetch ?? fetch)(`${this.#base}/api/v1/sessions/${this.sessionToken}`, { method: "DELETE" });
    await response.body?.cancel();
  }

  /** Stops heartbeating without closing: the session then expires after its timeout. */
  abandon(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function encodePath(path: string): string {
  if (path === "/") return "";
  return path.split("/").map((segment) => encodeURIComponent(segment)).join("/");
}

function dataBody(data: GatewayData): { data?: string | null; dataBase64?: string } {
  if (data === null) return { data: null };
  if (typeof data === "string") return { data };
  let binary = "";
  for (let i = 0; i < data.length; i++) binary += String.fromCharCode(data[i]!);
  return { dataBase64: btoa(binary) };
}

async function errorOf(response: Response): Promise<GatewayHttpError> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { code?: number; message?: string; error?: string; path?: string };
    if (typeof body.code === "number") return new GatewayHttpError(body.code, response.status, body.message ?? body.error ?? text, body.path, body);
  } catch {
    // Not the gateway's JSON (a proxy's error page): fall through.
  }
  const code = response.status >= 500 ? CONNECTIONLOSS : SYSTEMERROR;
  return new GatewayHttpError(code, response.status, `HTTP ${response.status} from the gateway: ${text.slice(0, 200)}`);
}

async function readWithin(reader: ReadableStreamDefaultReader<string>, idleMs: number, controller: AbortController): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no bytes from the watch stream for ${idleMs} ms`));
    }, idleMs);
  });
  try {
    const { done, value } = await Promise.race([reader.read(), idle]);
    return done ? null : value;
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
