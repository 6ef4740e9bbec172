import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A value in zoo.cfg. */
export type CfgValue = string | number | boolean;

/** What goes into a generated zoo.cfg. */
export interface ZooCfgOptions {
  clientPort: number;
  /** Default 200 ms: short ticks keep session-expiry tests fast. */
  tickTimeMs?: number;
  /**
   * Extra keys. Keys spelled as Java system properties (`zookeeper.extendedTypesEnabled`,
   * `zookeeper.DigestAuthenticationProvider.superDigest`) are written to zoo.cfg without
   * the `zookeeper.` prefix, exactly how ZooKeeper admins put them there, and are also
   * returned as {@link ZooCfg.javaSystemProperties} because some are read by ZooKeeper
   * before (or instead of) the file.
   */
  extra?: Record<string, CfgValue>;
  /** Reuse this directory (e.g. to restart on the same dataDir); default: a new temp dir. */
  dir?: string;
}

/** A zoo.cfg on disk and what was put in it. */
export interface ZooCfg {
  dir: string;
  path: string;
  dataDir: string;
  clientPort: number;
  tickTimeMs: number;
  /** `-Dkey=value` material for the Java server. */
  javaSystemProperties: Record<string, string>;
}

const SYSTEM_PROPERTY_PREFIX = "zookeeper.";

/**
 * Writes `<dir>/zoo.cfg` and creates `<dir>/data`. Both servers start from this same file.
 *
 * @example const cfg = writeZooCfg({ clientPort: 2181, extra: { "zookeeper.extendedTypesEnabled": true } });
 */
export function writeZooCfg(opts: ZooCfgOptions): ZooCfg {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "paddock-test-"));
  const dataDir = join(dir, "data");
  mkdirSync(dataDir, { recursive: true });
  const tickTimeMs = opts.tickTimeMs ?? 200;
  const lines = [
    `tickTime=${tickTimeMs}`,
    `clientPort=${opts.clientPort}`,
    "clientPortAddress=127.0.0.1",
    `dataDir=${dataDir}`,
    "4lw.commands.whitelist=*",
    "admin.enableServer=false",
  ];
  const javaSystemProperties: Record<string, string> = {};
  for (const [key, value] of Object.entries(opts.extra ?? {})) {
    if (key.startsWith(SYSTEM_PROPERTY_PREFIX)) {
      javaSystemProperties[key] = String(value);
      lines.push(`${key.slice(SYSTEM_PROPERTY_PREFIX.length)}=${value}`);
    } else {
      // ZooKeeper reads `znode.container.*` only as system properties of that exact name.
      if (key.startsWith("znode.")) javaSystemProperties[key] = String(value);
      lines.push(`${key}=${value}`);
    }
  }
  const path = join(dir, "zoo.cfg");
  writeFileSync(path, lines.join("\n") + "\n");
  return { dir, path, dataDir, clientPort: opts.clientPort, tickTimeMs, javaSystemProperties };
}
