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
        quorum_address: multipleAddresses(z.quorumAddresses),
        election_address: multipleAddresses(z.electionAddresses),
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

/**
 * ZooKeeper serializes a MultipleAddresses bean here (Jackson walks its getters), so `zabstate`
 * carries this object rather than a plain address.
 */
function multipleAddresses(addresses: readonly string[]): Record<string, JavaValue> {
  const port = (a: string) => Number(a.slice(a.lastIndexOf(":") + 1));
  const host = (a: string) => a.slice(0, a.lastIndexOf(":"));
  const first = addresses[0] ?? "";
  return {
    empty: addresses.length === 0,
    all_addresses: [...addresses],
    all_reachable_addresses: [...addresses],
    one: first,
    reachable_address: first,
    wildcard_addresses: addresses.map((a) => `0.0.0.0:${port(a)}`),
    all_ports: addresses.map(port),
    all_host_strings: addresses.map(host),
    all_reachable_addresses_or_all: [...addresses],
    reachable_or_one: first,
  };
}
