import type { ConnectionView, ServerView } from "../../core/server/server_view.ts";
import { JavaDouble, type JavaValue } from "../http/jackson_json.ts";
import { type AdminCommand, ok } from "./command.ts";
import { monitorValues } from "./info_commands.ts";

/** `srvr`, `stat`, `mntr`, `cons`, `crst`, `srst`. */
export const statsCommands: readonly AdminCommand[] = [
  {
    names: ["server_stats", "srvr"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => ok(serverStats(view)),
  },
  {
    names: ["stats", "stat"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => ok({ ...serverStats(view), connections: view.connections().map((c) => connectionInfo(c, true)), secure_connections: [] }),
  },
  {
    names: ["monitor", "mntr"],
    method: "GET",
    serverRequired: false,
    run: ({ view }) => ok(monitorValues(view.monitorText())),
  },
  {
    names: ["connections", "cons"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => ok({ connections: view.connections().map((c) => connectionInfo(c, false)), secure_connections: [] }),
  },
  {
    names: ["connection_stat_reset", "crst"],
    method: "GET",
    serverRequired: true,
    run: ({ actions }) => {
      actions.resetConnectionStats();
      return ok();
    },
  },
  {
    names: ["stat_reset", "srst"],
    method: "GET",
    serverRequired: true,
    run: ({ actions }) => {
      actions.resetStats();
      return ok();
    },
  },
];

/** SrvrCommand: version, read_only, ServerStats, client_response, node_count (+ leader's proposal_stats). */
function serverStats(view: ServerView): Record<string, JavaValue> {
  const s = view.stats();
  const dirs = view.dirSizes();
  const responses = { last_buffer_size: s.lastResponseBytes, min_buffer_size: s.minResponseBytes, max_buffer_size: s.maxResponseBytes };
  const proposals = view.quorum?.proposalStats?.();
  return {
    version: view.version,
    read_only: false,
    server_stats: {
      packets_sent: s.packetsSent,
      packets_received: s.packetsReceived,
      fsync_threshold_exceed_count: s.fsyncThresholdExceedCount,
      client_response_stats: responses,
      provider_null: false,
      data_dir_size: dirs.dataDirBytes,
      log_dir_size: dirs.dataLogDirBytes,
      last_processed_zxid: s.lastProcessedZxid,
      server_state: view.serverState(),
      outstanding_requests: s.outstandingRequests,
      avg_latency: new JavaDouble(s.avgLatencyMs),
      max_latency: s.maxLatencyMs,
      min_latency: s.minLatencyMs,
      num_alive_client_connections: view.connections().length,
      uptime: s.uptimeMs,
      auth_failed_count: s.authFailedCount,
      non_mtlsremote_conn_count: 0,
      non_mtlslocal_conn_count: 0,
    },
    client_response: responses,
    ...(proposals === undefined
      ? {}
      : {
        proposal_stats: {
          last_buffer_size: proposals.lastBufferSize,
          min_buffer_size: proposals.minBufferSize,
          max_buffer_size: proposals.maxBufferSize,
        },
      }),
    node_count: s.nodeCount,
  };
}

/** ServerCnxn.getConnectionInfo(brief). */
function connectionInfo(c: ConnectionView, brief: boolean): Record<string, JavaValue> {
  const info: Record<string, JavaValue> = {
    remote_socket_address: `${c.remoteAddress}:${c.remotePort}`,
    interest_ops: c.interestOps,
    outstanding_requests: c.outstandingRequests,
    packets_received: c.packetsReceived,
    packets_sent: c.packetsSent,
  };
  if (brief) return info;
  return {
    ...info,
    session_id: c.sessionId,
    last_operation: c.lastOperation,
    established: c.establishedWallMs,
    session_timeout: c.sessionTimeoutMs,
    last_cxid: c.lastCxid,
    last_zxid: c.lastZxid,
    last_response_time: c.lastResponseMs,
    last_latency: c.lastLatencyMs,
    min_latency: c.minLatencyMs,
    avg_latency: c.avgLatencyMs,
    max_latency: c.maxLatencyMs,
  };
}
