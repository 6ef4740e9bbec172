import type { ServerActions, ServerView } from "../../core/server/server_view.ts";
import type { JavaValue } from "../http/jackson_json.ts";

/** What a command runs against. */
export interface CommandContext {
  view: ServerView;
  actions: ServerActions;
  /** GET: query parameters (first value of each, as ZooKeeper's servlet takes them). */
  params: ReadonlyMap<string, string>;
  /** POST: the raw body (already bounded by the route). */
  body: Uint8Array | null;
  /** Milliseconds on a monotonic clock, for rate limits. */
  nowMs: number;
  random: () => number;
}

/** A command's answer: JSON fields (command and error are added), or bytes to stream. */
export interface CommandResult {
  status: number;
  data: Record<string, JavaValue>;
  headers?: Record<string, string>;
  /** Sent as application/octet-stream instead of JSON (the snapshot command). */
  stream?: Uint8Array;
}

/** The permission a command needs on a znode (ZooKeeper's AuthRequest). */
export interface AuthRequirement {
  perms: number;
  path: string;
}

/** One AdminServer command under all its names, as ZooKeeper registers it. */
export interface AdminCommand {
  /** The primary name first, then the aliases. */
  names: readonly string[];
  method: "GET" | "POST";
  /** False for commands that answer even when the server is not serving (envi, gtmk, mntr, ...). */
  serverRequired: boolean;
  auth?: AuthRequirement;
  run(ctx: CommandContext): CommandResult | Promise<CommandResult>;
}

/** A 200 answer with these fields. */
export function ok(data: Record<string, JavaValue> = {}): CommandResult {
  return { status: 200, data };
}

/** Java's Long.toHexString: two's complement for negatives. */
export function javaHex(value: bigint): string {
  return BigInt.asUintN(64, value).toString(16);
}
