// The client contract against the real Apache ZooKeeper (Debian's 3.8).
import { defineClientContract } from "./client_contract.ts";
import { startZooKeeper, zookeeperSkipReason } from "./support/servers.ts";

defineClientContract({
  name: "zookeeper",
  skip: zookeeperSkipReason(),
  start: startZooKeeper,
});
