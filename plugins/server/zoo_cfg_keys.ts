/**
 * zoo.cfg keys ZooKeeper 3.9.3 reads (QuorumPeerConfig, and the `zookeeper.*` system properties
 * zoo.cfg may set without their prefix) that a standalone Paddock does not use: cluster membership,
 * TLS, SASL/Kerberos, the AdminServer, JVM-side tuning. A zoo.cfg shared with ZooKeeper may carry
 * them, so they are reported as ignored, never as unknown.
 */
export const ZOOKEEPER_KEYS_IGNORED: readonly string[] = [
  // Ensemble features Paddock does not have
  "syncEnabled", "dynamicConfigFile", "quorum.cnxn.threads.size", "observerMasterPort", "connectToLearnerMasterLimit",
  "localSessionsEnabled", "localSessionsUpgradingEnabled", "multiAddress.enabled", "multiAddress.reachabilityCheckEnabled",
  "multiAddress.reachabilityCheckTimeoutMs", "oraclePath", "leaderServes", "quorumCnxnTimeoutMs",
  "forceSnapshotSync", "version",
  // TLS and authentication
  "secureClientPort", "secureClientPortAddress", "portUnification", "sslQuorum", "sslQuorumReloadCertFiles",
  "serverCnxnFactory", "client.portUnification", "client.certReload", "sessionRequireClientSASLAuth",
  "allowSaslFailedClients", "enforce.auth.enabled", "enforce.auth.schemes", "superUser", "skipACL",
  "DigestAuthenticationProvider.digestAlg", "DigestAuthenticationProvider.enabled", "SASLAuthenticationProvider.superPassword",
  "X509AuthenticationProvider.superUser", "IPAuthenticationProvider.usexforwardedfor", "ensembleAuthName",
  "kerberos.canonicalizeHostNames", "kerberos.removeHostFromPrincipal", "kerberos.removeRealmFromPrincipal",
  "sasl.serverconfig", "security.auth_to_local", "requireKerberosConfig", "kinit", "letAnySaslUserDoX",
  // AdminServer options Paddock does not have
  "admin.httpVersion", "admin.forceHttps", "admin.needClientAuth", "admin.portUnification",
  // Server tuning without a Paddock counterpart
  "clientPortListenBacklog", "maxCnxns", "snapSizeLimitInKb", "txnLogSizeLimitInKb",
  "flushDelay", "maxWriteQueuePollTime", "maxBatchSize", "snapshotSizeFactor", "digest.enabled",
  "closeSessionTxn.enabled", "snapshot.trust.empty", "snapshot.compression.method", "datadir.autocreate", "db.autocreate",
  "watchManagerName", "watcherCleanIntervalInSeconds", "watcherCleanThreadsNum", "watcherCleanThreshold",
  "maxInProcessingDeadWatchers", "bitHashCacheSize", "nio.numSelectorThreads", "nio.numWorkerThreads",
  "nio.directBufferBytes", "nio.sessionlessCnxnTimeout", "nio.shutdownTimeout", "commitProcessor.numWorkerThreads",
  "commitProcessor.maxReadBatchSize", "commitProcessor.maxCommitBatchSize", "commitProcessor.shutdownTimeout",
  "request_throttle_max_requests", "request_throttle_stall_time", "request_throttle_drop_stale",
  "request_stale_connection_check", "request_stale_latency_check", "request_throttler.shutdownTimeout",
  "throttled_op_wait_time", "largeRequestMaxBytes", "largeRequestThreshold", "maxResponseCacheSize",
  "maxGetChildrenResponseCacheSize", "intBufferStartingSizeBytes", "tcpKeepAlive", "clientTcpKeepAlive",
  "connection_throttle_tokens", "connection_throttle_fill_time", "connection_throttle_fill_count",
  "connection_throttle_freeze_time", "connection_throttle_drop_increase", "connection_throttle_drop_decrease",
  "connection_throttle_decrease_ratio", "connection_throttle_weight_enabled", "connection_throttle_global_session_weight",
  "connection_throttle_local_session_weight", "connection_throttle_renew_session_weight",
  "netty.advancedFlowControl.enabled", "netty.server.outstandingHandshake.limit",
  "netty.server.earlyDropSecureConnectionHandshakes", "serializeLastProcessedZxid.enabled", "emulate353TTLNodes",
  "enableEagerACLCheck", "znode.container.maxNeverUsedIntervalMs", "messageTracker.BufferSize", "messageTracker.Enabled",
  "pathStats.enabled", "pathStats.sampleRate", "pathStats.slotCapacity", "pathStats.slotDuration", "pathStats.maxDepth",
  "pathStats.initialDelay", "pathStats.delay", "pathStats.topPathMax", "fips-mode", "audit.enable", "audit.impl.class",
];

/** Key families ZooKeeper reads by prefix (`ssl.keyStore.location`, ...). */
export const ZOOKEEPER_PREFIXES_IGNORED: readonly string[] = ["ssl.", "authProvider.", "admin.", "metricsProvider."];

/**
 * Keys read beside the standalone ones: an ensemble member's (quorum_cfg.ts) and the HTTP side's
 * (http_config.ts, which exports its own list). Neither unknown nor ignored.
 */
export const ENSEMBLE_KEYS: readonly string[] = [
  "initLimit", "syncLimit", "electionAlg", "peerType", "standaloneEnabled", "quorumListenOnAllIPs", "cnxTimeout",
  "electionPortBindRetry", "commitLogCount", "readonlymode.enabled",
];
export const ENSEMBLE_PREFIXES: readonly string[] = ["server.", "group.", "weight."];

/** True when ZooKeeper knows the key and Paddock standalone does nothing with it. */
export function isIgnoredZooKeeperKey(key: string): boolean {
  return ZOOKEEPER_KEYS_IGNORED.includes(key) || ZOOKEEPER_PREFIXES_IGNORED.some((p) => key.startsWith(p));
}

/**
 * The known key closest to a misspelt one (edit distance, case-insensitive), if it is close
 * enough to be a likely typo.
 *
 * @example nearestKey("clientPortt", ["clientPort", "tickTime"]) // "clientPort"
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

/** Levenshtein distance, two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
