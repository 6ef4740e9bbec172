import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ServerActions, ServerView } from "../../core/server/server_view.ts";
import type { HttpBindings } from "../http/serve.ts";
import { jacksonJson, type JavaValue } from "../http/jackson_json.ts";
import { adminAuth } from "./admin_auth.ts";
import type { AdminCommand, CommandResult } from "./command.ts";
import { dataCommands, type DataCommandOptions } from "./data_commands.ts";
import { infoCommands } from "./info_commands.ts";
import { quorumCommands } from "./quorum_commands.ts";
import { sessionCommands } from "./session_commands.ts";
import { statsCommands } from "./stats_commands.ts";

/** How the AdminServer is mounted and limited. */
export interface AdminOptions extends DataCommandOptions {
  /** admin.commandURL, default "/commands". */
  commandUrl: string;
  /** Largest snapshot `restore` accepts, in bytes. */
  restoreMaxBytes: number;
  random?: () => number;
}

/** Bodies of the other POST commands (shed's JSON) are small. */
const SMALL_BODY_MAX_BYTES = 64 * 1024;

/**
 * ZooKeeper 3.9's AdminServer on hono: every command under each of its names at
 * `<commandURL>/<name>`, JSON shaped as Jackson writes it, the `command`/`error` fields, GET and
 * POST as ZooKeeper takes them, auth for snapshot/restore/shed, and the command list at
 * `<commandURL>`.
 *
 * @example app.route("/", adminRoutes(view, actions, { commandUrl: "/commands", ... }));
 */
export function adminRoutes(view: ServerView, actions: ServerActions, options: AdminOptions): Hono<{ Bindings: HttpBindings }> {
  const commands = [...infoCommands, ...statsCommands, ...sessionCommands, ...quorumCommands, ...dataCommands(options)];
  const byName = new Map<string, AdminCommand>();
  for (const command of commands) for (const name of command.names) byName.set(name, command);
  const base = options.commandUrl.replace(/\/+$/, "");
  const app = new Hono<{ Bindings: HttpBindings }>();
  const links = commandLinks(base, commands);
  app.on(["GET", "POST"], [base, `${base}/`], (c) => c.html(links));
  app.use(`${base}/*`, (c, next) => {
    const name = c.req.path.slice(base.length + 1);
    const max = byName.get(name)?.names[0] === "restore" ? options.restoreMaxBytes : SMALL_BODY_MAX_BYTES;
    return bodyLimit({
      maxSize: max,
      onError: (c) => json(c.req.path.slice(base.length + 1), { status: 413, data: { error: `request body larger than ${max} bytes` } }),
    })(c, next);
  });
  app.all(`${base}/*`, async (c) => {
    const name = decodeURIComponent(c.req.path.slice(base.length + 1));
    const command = byName.get(name);
    if (command === undefined) return json(name, { status: 200, data: { error: `Unknown command: ${name}` } });
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    if (method !== "GET" && method !== "POST") {
      return json(name, { status: 405, data: { error: `${name} is a ${command.method} command` } }, { Allow: command.method });
    }
    if (command.auth !== undefined) {
      const refusal = adminAuth(view, c.req.header("Authorization") ?? null, c.env.remoteAddress, command.auth);
      if (refusal !== null) return json(name, { status: refusal.status, data: { error: refusal.error } });
    }
    if (method !== command.method) {
      return json(command.names[0]!, { status: 405, data: { error: `${name} is a ${command.method} command` } }, { Allow: command.method });
    }
    const params = new Map<string, string>();
    for (const [key, values] of Object.entries(c.req.queries())) if (values[0] !== undefined) params.set(key, values[0]);
    const body = method === "POST" ? new Uint8Array(await c.req.arrayBuffer()) : null;
    const result = await command.run({
      view,
      actions,
      params,
      body,
      nowMs: performance.now(),
      random: options.random ?? Math.random,
    });
    return respond(command.names[0]!, result);
  });
  return app;
}

function respond(primaryName: string, result: CommandResult): Response {
  if (result.stream === undefined) return json(primaryName, result, result.headers);
  return new Response(result.stream as Uint8Array<ArrayBuffer>, {
    status: result.status,
    headers: { ...result.headers, "Content-Type": "application/octet-stream", "Content-Length": String(result.stream.length) },
  });
}

/** CommandResponse.toMap(): the data, then `command`, then `error` (kept where the data put it). */
function json(command: string, result: CommandResult, headers: Record<string, string> = {}): Response {
  const body: Record<string, JavaValue> = { ...result.data, command };
  if (!("error" in result.data)) body.error = null;
  return new Response(jacksonJson(body), { status: result.status, headers: { ...headers, "Content-Type": "application/json" } });
}

function commandLinks(base: string, commands: readonly AdminCommand[]): string {
  const names = commands.map((c) => c.names[0]!).sort();
  return names.map((name) => `<a href="${base}/${name}">${name}</a>\n<br/>\n`).join("");
}
