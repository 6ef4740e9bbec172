// The client contract against the real Apache ZooKeeper (Debian's 3.8).
import { defineClientContract } from "./client_contract.ts";
import { startZooKeeper, zookeeperAvailable } from "./support/servers.ts";

defineClientContract({
  name: "zookeeper",
  skip: zookeeperAvailable() ? false : "java or Debian's zookeeper.jar is missing",
  start: startZooKeeper,
});
