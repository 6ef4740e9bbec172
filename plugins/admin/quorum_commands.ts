import type { JavaValue } from "../http/jackson_json.ts";
import { type AdminCommand, javaHex, ok } from "./command.ts";

/**
 * `lead`, `voting_view`, `zabstate`, `obsr`, `orst`: answered from the view's quorum part on an
 * ensemble member, and as ZooKeeper's standalone server answers them when there is none.
 */
export const quorumCommands: readonly AdminCommand[] = [
  {
    names: ["leader", "lead"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => {
      if (view.quorum === undefined) return ok({ error: "server is not initialized" });
      const l = view.quorum.leader();
      return ok({ is_leader: l.isLeader, leader_id: l.leaderId, leader_ip: l.leaderIp });
    },
  },
  {
    names: ["voting_view"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => {
      const config: Record<string, JavaValue> = {};
      for (const [id, s] of view.quorum?.votingView() ?? []) {
        config[String(id)] = {
          server_addresses: s.serverAddresses,
          election_addresses: s.electionAddresses,
          client_address: s.clientAddress,
          learner_type: s.learnerType,
        };
      }
      return ok({ current_config: config });
    },
  },
  {
    names: ["zabstate"],
    method: "GET",
    serverRequired: false,
    run: ({ view }) => {
      if (view.quorum === undefined) return ok({ voting: false, zabstate: "" });
      const z = view.quorum.zabState();
      const zxid = view.tree.lastZxid;
      return ok({
        myid: z.myid,
        is_leader: z.isLeader,
        quorum_address: z.quorumAddress,
        election_address: z.electionAddress,
        client_address: z.clientAddress,
        voting: z.voting,
        last_zxid: `0x${javaHex(zxid)}`,
        zab_epoch: Number(zxid >> 32n),
        zab_counter: Number(zxid & 0xffffffffn),
        zabstate: z.zabstate,
      });
    },
  },
  {
    names: ["observers", "obsr"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => {
      const o = view.quorum?.observers() ?? { syncedObservers: 0, observers: [] };
      return ok({ synced_observers: o.syncedObservers, observers: o.observers as JavaValue[] });
    },
  },
  {
    names: ["observer_connection_stat_reset", "orst"],
    method: "GET",
    serverRequired: true,
    run: ({ view }) => {
      view.quorum?.resetObserverStats();
      return ok();
    },
  },
];
