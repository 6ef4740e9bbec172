import type { QuorumServerView, QuorumView } from "../server/server_view.ts";
import { LearnerType, type QuorumServer } from "../zab/quorum_config.ts";
import type { QuorumPeer } from "./quorum_peer.ts";

function address(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

function clientAddress(server: QuorumServer, fallbackPort: number): string {
  return address(server.clientHost ?? "0.0.0.0", server.clientPort ?? fallbackPort);
}

/**
 * An ensemble member's quorum facts in the AdminServer's shapes (`lead`, `voting_view`,
 * `zabstate`, `obsr`, the quorum part of `conf`).
 */
export function quorumViewOf(peer: QuorumPeer): QuorumView {
  const settings = peer.settings;
  const config = peer.server.config;
  const me = settings.quorum.servers.get(settings.myId)!;
  return {
    leader: () => {
      const leaderId = peer.status.leaderId;
      const leader = leaderId === null ? undefined : settings.quorum.servers.get(leaderId);
      return { isLeader: leaderId === settings.myId && peer.server.serving, leaderId: leaderId ?? -1, leaderIp: leader?.host ?? "" };
    },
    votingView: () => {
      const view = new Map<number, QuorumServerView>();
      for (const server of settings.quorum.servers.values()) {
        if (server.type !== LearnerType.participant) continue;
        view.set(server.sid, {
          serverAddresses: [address(server.host, server.quorumPort)],
          electionAddresses: [address(server.host, server.electionPort)],
          clientAddress: clientAddress(server, config.clientPort),
          learnerType: "participant",
        });
      }
      return view;
    },
    zabState: () => ({
      myid: settings.myId,
      isLeader: peer.status.leaderId === settings.myId && peer.server.serving,
      quorumAddresses: [address(me.host, me.quorumPort)],
      electionAddresses: [address(me.host, me.electionPort)],
      clientAddress: clientAddress(me, config.clientPort),
      voting: me.type === LearnerType.participant,
      zabstate: peer.server.quorum?.zabState() ?? "election",
    }),
    observers: () => {
      const stats = peer.server.quorum?.leaderStats();
      return { syncedObservers: stats?.syncedObservers ?? 0, observers: [] };
    },
    // ZooKeeper's AdminServer `conf` is ZooKeeperServerConf alone, for members too.
    configExtras: () => ({}),
    proposalStats: () => {
      const stats = peer.server.quorum?.leaderStats();
      if (stats === null || stats === undefined) return undefined;
      return { lastBufferSize: stats?.lastProposalSize ?? -1, minBufferSize: stats?.minProposalSize ?? -1, maxBufferSize: stats?.maxProposalSize ?? -1 };
    },
    resetObserverStats: () => {},
  };
}
