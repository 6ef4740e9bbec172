import * as v from "valibot";
import { Perms } from "../../core/proto/acl_perms.ts";
import { type AdminCommand, type CommandResult, javaHex, ok } from "./command.ts";
import { RateLimiter } from "./rate_limiter.ts";

/** ZooKeeper's AuthRequest for snapshot, restore and shed: ALL on the root. */
const ROOT_ALL = { perms: Perms.ALL, path: "/" } as const;

/** Knobs of the data commands. */
export interface DataCommandOptions {
  /**
   * zookeeper.admin.rateLimiterIntervalInMS (default 300000). ZooKeeper 3.9 applies it to restore
   * in milliseconds but to snapshot in microseconds (a 300 ms default); so does Paddock.
   */
  rateLimiterIntervalMs: number;
  /** admin.snapshot.enabled / admin.restore.enabled (zookeeper.admin.*.enabled), default true. */
  snapshotEnabled: boolean;
  restoreEnabled: boolean;
}

const ShedRequest = v.object({
  percentage: v.pipe(v.number("percentage must be a number"), v.integer("percentage must be a whole number")),
});

/** `snapshot` (GET, streams a consistent snapshot), `restore` (POST, loads one), `shed` (POST). */
export function dataCommands(options: DataCommandOptions): AdminCommand[] {
  const snapshotLimiter = new RateLimiter(options.rateLimiterIntervalMs / 1000);
  const restoreLimiter = new RateLimiter(options.rateLimiterIntervalMs);
  return [
    {
      names: ["snapshot", "snap"],
      method: "GET",
      serverRequired: true,
      auth: ROOT_ALL,
      run: async ({ actions, params, nowMs }): Promise<CommandResult> => {
        if (!options.snapshotEnabled) return { status: 503, data: {} };
        if (!snapshotLimiter.allow(nowMs)) {
          actions.countAdmin("snapshot_rate_limited");
          return { status: 429, data: {} };
        }
        // Boolean.parseBoolean: only "true" (any case) is true; absent means stream.
        const streaming = !params.has("streaming") || params.get("streaming")!.toLowerCase() === "true";
        try {
          const { zxid, length, bytes } = await actions.takeSnapshot({ keepBytes: streaming });
          const headers = { last_zxid: `0x${javaHex(zxid)}`, snapshot_size: String(length) };
          return { status: 200, data: {}, headers, ...(streaming && bytes !== null ? { stream: bytes } : {}) };
        } catch (error) {
          actions.countAdmin("snapshot_error");
          return { status: 500, data: { error: `snapshot failed: ${(error as Error).message}` } };
        }
      },
    },
    {
      names: ["restore", "rest"],
      method: "POST",
      serverRequired: true,
      auth: ROOT_ALL,
      run: async ({ actions, body, nowMs }): Promise<CommandResult> => {
        if (!options.restoreEnabled) return { status: 503, data: {} };
        if (body === null || body.length === 0) return { status: 400, data: { error: "restore needs a snapshot as the request body" } };
        if (!restoreLimiter.allow(nowMs)) {
          actions.countAdmin("restore_rate_limited");
          return { status: 429, data: {} };
        }
        try {
          return ok({ last_zxid: await actions.restoreSnapshot(body) });
        } catch (error) {
          actions.countAdmin("restore_error");
          return { status: 400, data: { error: `not a snapshot Paddock can restore: ${(error as Error).message}` } };
        }
      },
    },
    {
      // ZooKeeper 3.10's ShedConnectionsCommand (ZOOKEEPER-5015); 3.9.3 does not have it.
      names: ["shed_connections", "shed"],
      method: "POST",
      serverRequired: true,
      auth: ROOT_ALL,
      run: ({ actions, body, random }) => {
        if (body === null || body.length === 0) return { status: 400, data: { error: "Request body is required" } };
        let json: unknown;
        try {
          json = JSON.parse(new TextDecoder().decode(body));
        } catch (error) {
          return { status: 400, data: { error: `Invalid JSON or failed to read request body: ${(error as Error).message}` } };
        }
        if (typeof json !== "object" || json === null || !("percentage" in json)) {
          return { status: 400, data: { error: "Missing required field: percentage" } };
        }
        const parsed = v.safeParse(ShedRequest, json);
        if (!parsed.success) return { status: 400, data: { error: parsed.issues[0].message } };
        const percentage = parsed.output.percentage;
        if (percentage < 0 || percentage > 100) return { status: 400, data: { error: "Percentage must be between 0 and 100" } };
        const shed = percentage === 0 ? 0 : actions.shedConnections(percentage, random);
        return ok({ connections_shed: shed, percentage_requested: percentage });
      },
    },
  ];
}
