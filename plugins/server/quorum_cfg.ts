import type { RoleSettings } from "../../core/quorum/role_settings.ts";
import { type QuorumConfig, quorumConfigFromWire } from "../../core/zab/quorum_config.ts";
import { formatQuorumConfig, parseQuorumServer, type QuorumConfig as WireQuorumConfig } from "../../core/zab/wire/quorum_config.ts";
import { ConfigError } from "./zoo_cfg.ts";

/** An ensemble member's part of zoo.cfg (QuorumPeerConfig), read beside the standalone keys. */
export interface QuorumMemberConfig {
  readonly settings: RoleSettings;
  /** quorumListenOnAllIPs: bind the quorum and election ports on every address. */
  readonly listenOnAllIps: boolean;
  /** electionPortBindRetry: attempts to bind the election port before giving up (0: forever). */
  readonly electionPortBindRetry: number;
  /** cnxTimeout: ms a connection to another member may take. */
  readonly connectTimeoutMs: number;
  /**
   * commitLogCount (zookeeper.commitLogCount): committed txns kept in memory to sync a lagging
   * learner by DIFF; one further behind gets a SNAP. Undefined: Paddock's default window.
   */
  readonly commitLogCount: number | undefined;
  /**
   * readonlymode.enabled (a JVM system property for ZooKeeper, `-Dreadonlymode.enabled=true`;
   * a zoo.cfg key here): serve read-only clients while there is no quorum.
   */
  readonly readOnlyMode: boolean;
  /** The client port given on this member's own server line, if any (it wins over clientPort). */
  readonly clientAddress: { host: string; port: number } | null;
  /** What ZooKeeper would warn about and carry on with. */
  readonly warnings: readonly string[];
}

const INTEGER = /^\d+$/;

function integerKey(properties: ReadonlyMap<string, string>, key: string, fallback: number, min: number): number {
  const raw = properties.get(key);
  if (raw === undefined) return fallback;
  if (!INTEGER.test(raw) || Number(raw) < min) throw new ConfigError(`zoo.cfg: ${key}=${raw}: must be a whole number of at least ${min}`);
  return Number(raw);
}

function booleanKey(properties: ReadonlyMap<string, string>, key: string, fallback: boolean): boolean {
  const raw = properties.get(key);
  if (raw === undefined) return fallback;
  if (raw !== "true" && raw !== "false") throw new ConfigError(`zoo.cfg: ${key}=${raw}: must be true or false`);
  return raw === "true";
}

/**
 * Reads the ensemble part of zoo.cfg as ZooKeeper does: the `server.N` lines, `myid` from the
 * data dir, initLimit/syncLimit, peerType, quorumListenOnAllIPs, electionPortBindRetry,
 * standaloneEnabled, cnxTimeout, commitLogCount, readonlymode.enabled. Returns null for a standalone server: no server lines, or one
 * with standaloneEnabled (the default). Errors name the key, as ZooKeeper's ConfigException does.
 */
export function quorumFromZooCfg(
  properties: ReadonlyMap<string, string>,
  readMyid: () => string | null,
): QuorumMemberConfig | null {
  const wire: WireQuorumConfig = { servers: [], version: 0n };
  for (const [key, value] of properties) {
    if (key.startsWith("group.") || key.startsWith("weight.")) throw new ConfigError(`zoo.cfg: ${key}: hierarchical quorums are not supported`);
    if (!key.startsWith("server.")) continue;
    const id = key.slice("server.".length);
    if (!INTEGER.test(id)) throw new ConfigError(`zoo.cfg: ${key}: the server id must be a whole number`);
    let parsed;
    try {
      parsed = parseQuorumServer(BigInt(id), value);
    } catch (error) {
      throw new ConfigError(`zoo.cfg: ${key}=${value}: ${(error as Error).message}`);
    }
    wire.servers.push(parsed);
  }
  const standaloneEnabled = booleanKey(properties, "standaloneEnabled", true);
  if (wire.servers.length === 0 || (wire.servers.length === 1 && standaloneEnabled)) return null;
  if (properties.get("electionAlg") !== undefined && properties.get("electionAlg") !== "3") {
    throw new ConfigError(`zoo.cfg: electionAlg=${properties.get("electionAlg")}: only fast leader election (3) exists`);
  }
  let quorum: QuorumConfig;
  try {
    quorum = quorumConfigFromWire(wire);
  } catch (error) {
    throw new ConfigError(`zoo.cfg: ${(error as Error).message}`);
  }
  const myId = readMyIdFile(readMyid);
  const me = quorum.servers.get(myId);
  if (me === undefined) throw new ConfigError(`myid ${myId} has no server.${myId} line in zoo.cfg`);
  const warnings: string[] = [];
  const peerType = properties.get("peerType");
  if (peerType !== undefined && peerType !== "observer" && peerType !== "participant") {
    throw new ConfigError(`zoo.cfg: peerType=${peerType}: must be observer or participant`);
  }
  if (peerType !== undefined && peerType !== me.type) {
    warnings.push(`peerType=${peerType} does not match server.${myId} (${me.type}); the server line wins, as in ZooKeeper`);
  }
  return {
    settings: {
      myId,
      quorum,
      configText: formatQuorumConfig(wire),
      initLimit: integerKey(properties, "initLimit", 10, 1),
      syncLimit: integerKey(properties, "syncLimit", 5, 1),
    },
    listenOnAllIps: booleanKey(properties, "quorumListenOnAllIPs", false),
    electionPortBindRetry: integerKey(properties, "electionPortBindRetry", 3, 0),
    connectTimeoutMs: integerKey(properties, "cnxTimeout", 5000, 1),
    commitLogCount: properties.has("commitLogCount") ? integerKey(properties, "commitLogCount", 0, 1) : undefined,
    readOnlyMode: booleanKey(properties, "readonlymode.enabled", false),
    clientAddress: me.clientPort === null ? null : { host: me.clientHost ?? "0.0.0.0", port: me.clientPort },
    warnings,
  };
}

/** The myid file's first line: a whole number; it goes into the top byte of session ids, so 0..255. */
function readMyIdFile(readMyid: () => string | null): number {
  const text = readMyid();
  if (text === null) throw new ConfigError("myid file is missing from dataDir (an ensemble member needs one)");
  const trimmed = (text.split(/\r?\n/)[0] ?? "").trim();
  if (!INTEGER.test(trimmed)) throw new ConfigError(`myid file contains "${trimmed}", not a server id`);
  const id = Number(trimmed);
  if (id > 255) throw new ConfigError(`myid ${id} is out of range 0..255 (it is the top byte of session ids)`);
  return id;
}
