import { type Context, Hono } from "hono";
import * as v from "valibot";
import { digestAuthIds } from "../../core/acl/digest.ts";
import { type ACL, type Client, CreateMode, MultiError, type Op, type OpResult, type Stat } from "../../core/client/mod.ts";
import { pathProblem } from "../../core/proto/path.ts";
import type { Id } from "../../core/proto/records.ts";
import type { ServerActions, ServerView } from "../../core/server/server_view.ts";
import type { HttpBindings } from "../http/serve.ts";
import { GatewayError, toGatewayError } from "./gateway_errors.ts";
import { CreateBody, MultiBody, SessionBody, SetAclBody, SetDataBody } from "./gateway_schemas.ts";
import { type Credential, GatewaySessions } from "./gateway_sessions.ts";
import { parsePosition, sseStream } from "./sse_stream.ts";
import { WatchJournal } from "./watch_journal.ts";

/** The gateway's limits. */
export interface GatewayOptions {
  /** Watch events kept for SSE resumption. */
  journalEvents: number;
  /** Largest JSON body (data travels inside it, so about jute.maxbuffer plus base64 overhead). */
  bodyMaxBytes: number;
  sessionsMax: number;
  watchersMax: number;
  heartbeatMs: number;
}

type Env = { Bindings: HttpBindings };
type Ctx = Context<Env>;

const PREFIX = "/api/v1";
const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** The running gateway: its routes and what must be closed with it. */
export interface Gateway {
  readonly app: Hono<Env>;
  readonly journal: WatchJournal;
  readonly sessions: GatewaySessions;
  close(): Promise<void>;
}

/**
 * The HTTP/JSON gateway: znode reads and writes, multi, sessions kept alive over HTTP, and
 * persistent/recursive watches as Server-Sent Events. Every operation runs as a client session
 * on an in-process connection (prep, ACL, log, apply, per-session FIFO: the client port's path);
 * Authorization (`digest user:password`, or HTTP Basic) is the session's addauth.
 *
 * @example app.route("/", createGateway(view, actions, options).app);
 */
export function createGateway(view: ServerView, actions: ServerActions, options: GatewayOptions): Gateway {
  const journal = new WatchJournal(view.tree, options.journalEvents);
  const sessions = new GatewaySessions(actions.acceptor, { sessionsMax: options.sessionsMax, anonymousMax: 256, anonymousIdleMs: 60_000 });
  const sweeper = setInterval(() => void sessions.sweep(performance.now()), 500);
  (sweeper as { unref?: () => void }).unref?.();
  let watchers = 0;
  const app = new Hono<Env>();
  app.onError((error, c) => fail(c, error));
  app.notFound((c) => fail(c, new GatewayError(404, { error: "NONODE", code: -101, message: `no such endpoint: ${c.req.method} ${c.req.path}` })));

  const clientFor = async (c: Ctx): Promise<Client> => {
    const credentials = credentialsOf(c.req.header("Authorization"));
    const token = c.req.header("Paddock-Session");
    if (token === undefined) return await sessions.anonymous(c.env.remoteAddress, credentials, performance.now());
    const session = sessions.use(token, performance.now());
    for (const credential of credentials) {
      const key = `${credential.scheme}:${credential.auth}`;
      if (session.credentials.has(key)) continue;
      session.credentials.add(key);
      await session.client.addAuth(credential.scheme, credential.auth);
    }
    return session.client;
  };

  app.get(`${PREFIX}/status`, (c) =>
    c.json({
      version: view.version,
      serverState: view.serverState(),
      zxid: hex(view.tree.lastZxid),
      gateway: { sessions: sessions.size, watchers, journalEvents: journal.size },
    }));

  app.get(`${PREFIX}/znodes`, (c) => readNode(c, "/"));
  app.get(`${PREFIX}/znodes/*`, (c) => readNode(c, znodePath(c)));
  const readNode = async (c: Ctx, path: string) => {
    const client = await clientFor(c);
    switch (c.req.query("view") ?? "data") {
      case "data": {
        const { data, stat } = await client.getData(path);
        return c.json({ path, ...dataJson(data), stat: statJson(stat) });
      }
      case "children": {
        const { children, stat } = await client.getChildren(path);
        return c.json({ path, children: [...children].sort(), stat: statJson(stat) });
      }
      case "stat": {
        const stat = await client.exists(path);
        if (stat === null) throw new GatewayError(404, { error: "NONODE", code: -101, message: `KeeperErrorCode = NoNode for ${path}`, path });
        return c.json({ path, stat: statJson(stat) });
      }
      case "acl": {
        const { acl, stat } = await client.getACL(path);
        return c.json({ path, acl, stat: statJson(stat) });
      }
      default:
        throw GatewayError.badArguments("view must be data, children, stat or acl");
    }
  };

  app.post(`${PREFIX}/znodes/*`, async (c) => {
    const path = znodePath(c);
    const body = await jsonBody(c, CreateBody, options.bodyMaxBytes);
    const client = await clientFor(c);
    const created = await client.create(path, bytesOf(body), {
      mode: CreateMode[body.mode],
      ...(body.acl === undefined ? {} : { acl: body.acl as ACL[] }),
      ...(body.ttlMs === undefined ? {} : { ttlMs: body.ttlMs }),
    });
    return c.json({ path: created.path, stat: statJson(created.stat) }, 201);
  });

  app.put(`${PREFIX}/znodes/*`, async (c) => {
    const path = znodePath(c);
    const client = await clientFor(c);
    if (c.req.query("view") === "acl") {
      const body = await jsonBody(c, SetAclBody, options.bodyMaxBytes);
      return c.json({ path, stat: statJson(await client.setACL(path, body.acl as ACL[], body.version)) });
    }
    const body = await jsonBody(c, SetDataBody, options.bodyMaxBytes);
    return c.json({ path, stat: statJson(await client.setData(path, bytesOf(body), body.version)) });
  });

  app.delete(`${PREFIX}/znodes/*`, async (c) => {
    const path = znodePath(c);
    const raw = c.req.query("version") ?? "-1";
    if (!/^-?\d{1,10}$/.test(raw)) throw GatewayError.badArguments(`version must be a whole number, got ${JSON.stringify(raw)}`);
    await (await clientFor(c)).delete(path, Number(raw));
    return c.json({ path, deleted: true });
  });

  app.post(`${PREFIX}/multi`, async (c) => {
    const body = await jsonBody(c, MultiBody, options.bodyMaxBytes);
    const ops: Op[] = body.ops.map((op) => {
      switch (op.op) {
        case "create":
          return { op: "create", path: op.path, data: bytesOf(op), acl: (op.acl as ACL[] | undefined) ?? OPEN, mode: CreateMode[op.mode], ttlMs: op.ttlMs ?? -1 };
        case "setData":
          return { op: "setData", path: op.path, data: bytesOf(op), version: op.version };
        default:
          return { op: op.op, path: op.path, version: op.version };
      }
    });
    const client = await clientFor(c);
    try {
      return c.json({ results: (await client.multi(ops)).map(resultJson) });
    } catch (error) {
      if (!(error instanceof MultiError)) throw error;
      const mapped = toGatewayError(error);
      return c.json({ ...mapped.body, failedIndex: error.failedIndex, results: error.results.map(resultJson) }, mapped.status as 400);
    }
  });

  app.post(`${PREFIX}/sessions`, async (c) => {
    const body = await jsonBody(c, SessionBody, options.bodyMaxBytes, true);
    const session = await sessions.create(c.env.remoteAddress, credentialsOf(c.req.header("Authorization")), body.timeoutMs, performance.now());
    return c.json({ token: session.token, sessionId: hex(session.sessionId), timeoutMs: session.timeoutMs }, 201);
  });
  app.get(`${PREFIX}/sessions`, (c) => {
    const now = performance.now();
    return c.json({
      sessions: sessions.list().map((s) => ({ sessionId: hex(s.sessionId), timeoutMs: s.timeoutMs, remoteAddress: s.remoteAddress, idleMs: Math.round(now - s.lastSeenMs) })),
    });
  });
  app.post(`${PREFIX}/sessions/:token/heartbeat`, (c) => {
    const session = sessions.use(c.req.param("token"), performance.now());
    return c.json({ sessionId: hex(session.sessionId), timeoutMs: session.timeoutMs, state: session.client.state });
  });
  app.delete(`${PREFIX}/sessions/:token`, async (c) => {
    if (!(await sessions.close(c.req.param("token")))) sessions.use(c.req.param("token"), performance.now());
    return c.json({ closed: true });
  });

  const watch = (c: Ctx, path: string) => {
    const problem = pathProblem(path);
    if (problem !== null) throw GatewayError.badArguments(problem);
    if (watchers >= options.watchersMax) throw GatewayError.badArguments(`too many watch streams (${options.watchersMax})`, 429);
    const resumeText = c.req.header("Last-Event-ID") ?? c.req.query("since");
    const from = resumeText === undefined ? null : parsePosition(resumeText);
    if (resumeText !== undefined && from === null) throw GatewayError.badArguments(`not an event id: ${JSON.stringify(resumeText)}`);
    const authIds = idsOf(c.env.remoteAddress, credentialsOf(c.req.header("Authorization")), view.config().superDigest);
    watchers++;
    c.env.keepOpen(c.req.raw);
    const stream = sseStream(journal, {
      path,
      recursive: c.req.query("recursive") === "true",
      authIds,
      from,
      maxBufferedBytes: 4 * 1024 * 1024,
      heartbeatMs: options.heartbeatMs,
      onClose: () => watchers--,
    });
    return new Response(stream, { headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" } });
  };
  app.get(`${PREFIX}/watch`, (c) => watch(c, "/"));
  app.get(`${PREFIX}/watch/*`, (c) => watch(c, znodePath(c, "/watch")));

  return {
    app,
    journal,
    sessions,
    close: async () => {
      clearInterval(sweeper);
      journal.close();
      await sessions.closeAll();
    },
  };
}

const OPEN: readonly ACL[] = [{ perms: 31, id: { scheme: "world", id: "anyone" } }];

function fail(c: Ctx, error: unknown): Response {
  const mapped = toGatewayError(error);
  return c.json(mapped.body, mapped.status as 400);
}

/** The znode path after the route prefix, percent-decoded; "" is the root. */
function znodePath(c: Ctx, route = "/znodes"): string {
  const raw = new URL(c.req.url).pathname.slice(PREFIX.length + route.length);
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    throw GatewayError.badArguments(`the path is not valid percent-encoding: ${raw}`);
  }
  if (path === "" || path === "/") return "/";
  const problem = pathProblem(path);
  if (problem !== null) throw GatewayError.badArguments(problem);
  return path;
}

/** Parses and validates a JSON body within a size limit; 400 for bad JSON or fields, 413 when too big. */
async function jsonBody<S extends v.GenericSchema>(c: Ctx, schema: S, maxBytes: number, optional = false): Promise<v.InferOutput<S>> {
  const declared = Number(c.req.header("Content-Length") ?? "0");
  if (declared > maxBytes) throw GatewayError.badArguments(`request body larger than ${maxBytes} bytes`, 413);
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length > maxBytes) throw GatewayError.badArguments(`request body larger than ${maxBytes} bytes`, 413);
  let json: unknown = {};
  if (bytes.length > 0 || !optional) {
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      throw GatewayError.badArguments(`the body is not JSON: ${(error as Error).message}`);
    }
  }
  const result = v.safeParse(schema, json);
  if (!result.success) {
    const issue = result.issues[0];
    const where = issue.path?.map((p: { key: unknown }) => String(p.key)).join(".") ?? "";
    throw GatewayError.badArguments(`${where === "" ? "body" : where}: ${issue.message}`);
  }
  return result.output;
}

/** Authorization: `digest user:password` (as ZooKeeper's AdminServer takes it) or HTTP Basic. */
export function credentialsOf(header: string | undefined): Credential[] {
  if (header === undefined || header.trim() === "") return [];
  const space = header.indexOf(" ");
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const rest = space < 0 ? "" : header.slice(space + 1).trim();
  if (scheme === "digest" && rest.includes(":")) return [{ scheme: "digest", auth: rest }];
  if (scheme === "basic") {
    let decoded = "";
    try {
      decoded = new TextDecoder().decode(Uint8Array.from(atob(rest), (ch) => ch.charCodeAt(0)));
    } catch {
      decoded = "";
    }
    if (decoded.includes(":")) return [{ scheme: "digest", auth: decoded }];
  }
  throw new GatewayError(401, { error: "AUTHFAILED", code: -115, message: "Authorization must be 'digest user:password' or HTTP Basic" });
}

function idsOf(remoteAddress: string, credentials: readonly Credential[], superDigest: string | null): Id[] {
  return [{ scheme: "ip", id: remoteAddress }, ...credentials.flatMap((c) => digestAuthIds(c.auth, superDigest))];
}

function bytesOf(body: { data?: string | null; dataBase64?: string }): Uint8Array | null {
  if (body.dataBase64 !== undefined) return Uint8Array.from(atob(body.dataBase64), (ch) => ch.charCodeAt(0));
  if (body.data === undefined || body.data === null) return null;
  return encoder.encode(body.data);
}

/** Data as base64 (always) plus `text` when it is valid UTF-8. */
function dataJson(data: Uint8Array | null): { data: string | null; text?: string } {
  if (data === null) return { data: null };
  let binary = "";
  for (let i = 0; i < data.length; i++) binary += String.fromCharCode(data[i]!);
  try {
    return { data: btoa(binary), text: decoder.decode(data) };
  } catch {
    return { data: btoa(binary) };
  }
}

function hex(value: bigint): string {
  return `0x${BigInt.asUintN(64, value).toString(16)}`;
}

/** A Stat that survives JSON: zxids and the owner as hex strings, times in ms. */
export function statJson(stat: Stat): Record<string, string | number> {
  return {
    czxid: hex(stat.czxid),
    mzxid: hex(stat.mzxid),
    ctime: Number(stat.ctime),
    mtime: Number(stat.mtime),
    version: stat.version,
    cversion: stat.cversion,
    aversion: stat.aversion,
    ephemeralOwner: hex(stat.ephemeralOwner),
    dataLength: stat.dataLength,
    numChildren: stat.numChildren,
    pzxid: hex(stat.pzxid),
  };
}

function resultJson(result: OpResult): Record<string, unknown> {
  switch (result.op) {
    case "create":
      return { op: "create", path: result.path, ...(result.stat === null ? {} : { stat: statJson(result.stat) }) };
    case "setData":
      return { op: "setData", stat: statJson(result.stat) };
    case "error":
      return { op: "error", code: result.code };
    default:
      return { op: result.op };
  }
}
