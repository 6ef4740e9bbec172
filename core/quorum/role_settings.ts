import type { QuorumConfig } from "../zab/quorum_config.ts";

/** What every role of an ensemble member is configured with (zoo.cfg's quorum part). */
export interface RoleSettings {
  readonly myId: number;
  readonly quorum: QuorumConfig;
  /** The config as ZooKeeper prints it (NEWLEADER, notifications, /zookeeper/config). */
  readonly configText: string;
  /** Ticks a learner may take to connect and sync. */
  readonly initLimit: number;
  /** Ticks a learner may fall behind once synced. */
  readonly syncLimit: number;
}
