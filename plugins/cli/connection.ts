import process from "node:process";
import * as v from "valibot";
import { type Client, createClient, ServerUnreachableError } from "../../mod.ts";
import { FlagKind, type FlagSpec } from "./argv.ts";
import { msFlag, parseWith, serverFlag } from "./schemas.ts";

/** Where and how a command connects. */
export interface ConnectionOptions {
  /** Connect string: `host:port[,host:port...][/chroot]`. */
  server: string;
  /** Requested session timeout; the server clamps it to its [min, max]. */
  sessionTimeoutMs: number;
  /** How long to wait for the first session before giving up. */
  connectTimeoutMs: number;
  /** Keep trying while no server answers (until connectTimeoutMs), instead of failing after one round. */
  wait: boolean;
}

/** The flags every recipe command accepts (`-server` is zkCli's spelling, `--server` works too). */
export const connectionFlags: FlagSpec = {
  server: FlagKind.value,
  "session-timeout": FlagKind.value,
  "connect-timeout": FlagKind.value,
  wait: FlagKind.boolean,
};

/** The help lines for {@link connectionFlags}, appended to every command's usage. */
export const connectionHelp = `Connection options:
  -server, --server HOST:PORT[,HOST:PORT...][/CHROOT]
                           servers to use (default $PADDOCK_SERVER or 127.0.0.1:2181)
  --session-timeout MS     requested session timeout (default 10000)
  --wait                   keep trying quietly while no server answers (a server still starting);
                           without it paddock says which server refused and exits 1 at once
  --connect-timeout MS     give up when no session is established within MS (default 15000)`;

const SERVER_DEFAULT = "127.0.0.1:2181";
const SESSION_TIMEOUT_DEFAULT_MS = "10000";
const CONNECT_TIMEOUT_DEFAULT_MS = "15000";

const schema = v.object({
  server: v.optional(serverFlag(), () => process.env.PADDOCK_SERVER || SERVER_DEFAULT),
  "session-timeout": v.optional(msFlag("--session-timeout"), SESSION_TIMEOUT_DEFAULT_MS),
  "connect-timeout": v.optional(msFlag("--connect-timeout"), CONNECT_TIMEOUT_DEFAULT_MS),
});

/**
 * Reads the connection flags out of parsed flags (other keys are ignored).
 *
 * @example const conn = connectionOptions(parseArgv(args, { ...connectionFlags }).flags);
 */
export function connectionOptions(flags: Record<string, string | true>): ConnectionOptions {
  const o = parseWith(schema, {
    server: flags.server,
    "session-timeout": flags["session-timeout"],
    "connect-timeout": flags["connect-timeout"],
  });
  return { server: o.server, sessionTimeoutMs: o["session-timeout"], connectTimeoutMs: o["connect-timeout"], wait: flags.wait === true };
}

/** No server answered: refused at once, or nothing within the connect timeout. */
export class ConnectTimeoutError extends Error {
  override name = "ConnectTimeoutError";
}

/**
 * Creates a client and waits for its session. When no server answers, the client is closed and
 * a {@link ConnectTimeoutError} says why: at once ("connection refused by 127.0.0.1:2181"), or
 * with `--wait` after the connect timeout.
 *
 * @example await using client = await openClient(conn);
 */
export async function openClient(conn: ConnectionOptions): Promise<Client> {
  const client = createClient(conn.server, { sessionTimeoutMs: conn.sessionTimeoutMs });
  try {
    await client.ready({ signal: AbortSignal.timeout(conn.connectTimeoutMs), wait: conn.wait });
  } catch (error) {
    await client.close().catch(() => undefined);
    if (error instanceof ServerUnreachableError) throw new ConnectTimeoutError(`${error.message} (--wait keeps trying)`);
    if ((error as Error)?.name === "TimeoutError" || (error as Error)?.name === "AbortError") {
      throw new ConnectTimeoutError(`no session with ${conn.server} within ${conn.connectTimeoutMs} ms`);
    }
    throw error;
  }
  return client;
}
