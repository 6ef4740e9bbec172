import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./runtime.ts";

/** The ZooKeeper releases the tests can run as the oracle. */
export const ZooKeeperVersion = { v393: "3.9.3", v380: "3.8.0" } as const;
/** One of {@link ZooKeeperVersion}. */
export type ZooKeeperVersion = (typeof ZooKeeperVersion)[keyof typeof ZooKeeperVersion];

/** Where scripts/fetch_zookeeper_oracle.sh puts 3.9.3 (PADDOCK_ORACLE_DIR overrides the parent). */
export const ORACLE_DIR: string = process.env.PADDOCK_ORACLE_DIR ?? join(REPO_ROOT, ".oracle");

/** Debian bookworm's ZooKeeper 3.8.0 jar; its manifest Class-Path names the dependency jars. */
const BOOKWORM_JAR = "/usr/share/java/zookeeper.jar";
/** The AdminServer needs the servlet API (libservlet-api-java), which no manifest names. */
const SERVLET_API_JAR = "/usr/share/java/servlet-api.jar";

/**
 * The release the tests compare against: 3.9.3 unless PADDOCK_ORACLE names another
 * (`PADDOCK_ORACLE=3.8.0 npm test` runs the suite against Debian bookworm's 3.8.0).
 */
export const ORACLE_VERSION: ZooKeeperVersion = oracleFromEnv(process.env.PADDOCK_ORACLE);

function oracleFromEnv(value: string | undefined): ZooKeeperVersion {
  if (value === undefined || value === "") return ZooKeeperVersion.v393;
  const known = Object.values(ZooKeeperVersion) as string[];
  if (!known.includes(value)) throw new Error(`PADDOCK_ORACLE=${value}: expected one of ${known.join(", ")}`);
  return value as ZooKeeperVersion;
}

/**
 * The jars of one ZooKeeper release, first on the classpath. 3.9.3 comes from Debian trixie and
 * runs on bookworm's dependency jars: its own manifest names them in /usr/share/java. The jute
 * jar goes first: the manifest's Class-Path (searched right after the jar that names it) lists
 * bookworm's 3.8 zookeeper-jute.jar, whose ConnectRequest lacks 3.9's setReadOnly.
 */
export function zookeeperJars(version: ZooKeeperVersion = ORACLE_VERSION): string[] {
  if (version === ZooKeeperVersion.v380) return [BOOKWORM_JAR];
  const dir = join(ORACLE_DIR, `zookeeper-${version}`);
  // The jute jar goes first: zookeeper-3.9.3.jar's manifest Class-Path names bookworm's 3.8.0
  // zookeeper-jute.jar, and Java searches a manifest's entries right after the jar naming them, so
  // 3.8.0's records (ConnectRequest without 3.9's constructor) would otherwise shadow 3.9.3's.
  return [join(dir, `zookeeper-jute-${version}.jar`), join(dir, `zookeeper-${version}.jar`)];
}

/** The classpath that runs a server or a client of that release (AdminServer included). */
export function zookeeperClasspath(version: ZooKeeperVersion = ORACLE_VERSION): string {
  const jars = zookeeperJars(version);
  if (existsSync(SERVLET_API_JAR)) jars.push(SERVLET_API_JAR);
  return jars.join(":");
}

/**
 * Why a release cannot run here, or null when it can: its jars and bookworm's dependency jars
 * (which 3.9.3's manifest points at) must both be installed.
 */
export function zookeeperMissing(version: ZooKeeperVersion = ORACLE_VERSION): string | null {
  if (!existsSync(BOOKWORM_JAR)) return `${BOOKWORM_JAR} missing (apt-get install zookeeper)`;
  for (const jar of zookeeperJars(version)) {
    if (!existsSync(jar)) return `${jar} missing (bash scripts/fetch_zookeeper_oracle.sh)`;
  }
  return null;
}
