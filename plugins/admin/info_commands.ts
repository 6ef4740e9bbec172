import { JavaDouble, type JavaValue } from "../http/jackson_json.ts";
import { parseProperties } from "../server/zoo_cfg.ts";
import { type AdminCommand, javaHex, ok } from "./command.ts";

/** ZooTrace's default text trace mask (CLIENT_REQUEST | CLIENT_PING | ... = 306), as ZooKeeper starts with. */
let traceMask = 306n;

/** `conf`, `envi`, `sysp`, `icfg`, `isro`, `gtmk`, `stmk`, `ruok`, `dirs`, `hash`, `last_snapshot`. */
export const infoCommands: readonly AdminCommand[] = [
  {
    names: ["configuration", "conf", "config"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => {
      const c = view.config();
      // ZooKeeper keeps its files under version-2 of the configured directories.
      return ok({
        client_port: c.clientPort,
        data_dir: `${c.dataDir}/version-2`,
        data_log_dir: `${c.dataLogDir}/version-2`,
        tick_time: c.tickTime,
        max_client_cnxns: c.maxClientCnxns,
        min_session_timeout: c.minSessionTimeout,
        max_session_timeout: c.maxSessionTimeout,
        server_id: c.serverId,
        client_port_listen_backlog: -1,
        ...(view.quorum?.configExtras() as Record<string, JavaValue> | undefined),
      });
    },
  },
  {
    names: ["environment", "env", "envi"],
    method: "GET",
    serverRequired: false,
    run: ({ view }) => ok(Object.fromEntries([["zookeeper.version", view.version], ...view.environment()])),
  },
  {
    names: ["system_properties", "sysp"],
    method: "GET",
    serverRequired: false,
    run: ({ view }) => ok(systemProperties(view.environment(), view.initialConfig())),
  },
  {
    names: ["initial_configuration", "icfg"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => ok({ initial_configuration: view.initialConfig() }),
  },
  {
    names: ["is_read_only", "isro"],
    method: "GET",
    serverRequired: true,
    // ZooKeeper: the server is a ReadOnlyZooKeeperServer (a member serving read-only clients).
    run: ({ view }) => ok({ read_only: view.serverState() === "read-only" }),
  },
  {
    names: ["get_trace_mask", "gtmk"],
    method: "GET",
    serverRequired: false,
    run: () => ok({ tracemask: traceMask }),
  },
  {
    names: ["set_trace_mask", "stmk"],
    method: "GET",
    serverRequired: false,
    run: ({ params }) => {
      const raw = params.get("traceMask");
      if (raw === undefined) return ok({ error: "setTraceMask requires long traceMask argument" });
      if (!/^[+-]?\d{1,19}$/.test(raw) || BigInt.asIntN(64, BigInt(raw)) !== BigInt(raw)) {
        return ok({ error: `setTraceMask requires long traceMask argument, got ${raw}` });
      }
      traceMask = BigInt(raw);
      return ok({ tracemask: traceMask });
    },
  },
  {
    names: ["ruok"],
    method: "GET",
    serverRequired: true,
    run: () => ok(),
  },
  {
    names: ["dirs"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => {
      const sizes = view.dirSizes();
      return ok({ datadir_size: sizes.dataDirBytes, logdir_size: sizes.dataLogDirBytes });
    },
  },
  {
    // DataTree.getDigestLog: the tree's digest after every 128th zxid, the last 1024.
    names: ["hash"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => ok({ digests: view.digestLog().map((d) => ({ zxid: d.zxid, digest: d.digest, digest_version: d.digestVersion })) }),
  },
  {
    names: ["last_snapshot", "lsnp"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => {
      const last = view.lastSnapshot();
      // SnapshotInfo's timestamp is the file's modification time in seconds.
      return ok({ zxid: javaHex(last?.zxid ?? -1n), timestamp: last === null ? -1 : Math.floor(last.wallMs / 1000) });
    },
  },
];

/**
 * `sysp`: Paddock has no JVM, so it lists what plays that part (the runtime facts `envi` shows)
 * plus zoo.cfg's keys as the `zookeeper.*` properties ZooKeeper turns them into; sorted by key.
 */
function systemProperties(environment: readonly (readonly [string, string])[], zooCfg: string): Record<string, JavaValue> {
  const entries = new Map<string, string>(environment.map(([k, v]) => [k, v]));
  for (const [key, value] of parseProperties(zooCfg)) entries.set(`zookeeper.${key}`, value);
  const sorted = [...entries.keys()].sort();
  return Object.fromEntries(sorted.map((k) => [k, entries.get(k)!]));
}

/** Parses `mntr` text into JSON values: longs stay exact, decimals become doubles. */
export function monitorValues(text: string): Record<string, JavaValue> {
  const out: Record<string, JavaValue> = {};
  for (const line of text.split("\n")) {
    const tab = line.indexOf("\t");
    if (!line.startsWith("zk_") || tab < 0) continue;
    const key = line.slice(3, tab);
    const raw = line.slice(tab + 1);
    if (key === "version" || key === "server_state") out[key] = raw;
    else if (/^-?\d+$/.test(raw)) out[key] = BigInt(raw);
    else if (/^-?\d+\.\d+(E-?\d+)?$/.test(raw)) out[key] = new JavaDouble(Number(raw));
    else out[key] = raw;
  }
  return out;
}
