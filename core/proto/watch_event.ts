/** Watch event types (Watcher.Event.EventType). */
export const EventType = {
  None: -1,
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
  DataWatchRemoved: 5,
  ChildWatchRemoved: 6,
  PersistentWatchRemoved: 7,
} as const;

export type EventType = (typeof EventType)[keyof typeof EventType];

/** Connection states carried in events (Watcher.Event.KeeperState). */
export const KeeperState = {
  Unknown: -1,
  Disconnected: 0,
  NoSyncConnected: 1,
  SyncConnected: 3,
  AuthFailed: 4,
  ConnectedReadOnly: 5,
  SaslAuthenticated: 6,
  Expired: -112,
  Closed: 7,
} as const;

export type KeeperState = (typeof KeeperState)[keyof typeof KeeperState];

/** Which watches removeWatches/checkWatches name (Watcher.WatcherType). */
export const WatcherType = {
  Children: 1,
  Data: 2,
  Any: 3,
  Persistent: 4,
  PersistentRecursive: 5,
} as const;

/** addWatch modes (AddWatchMode). */
export const AddWatchMode = {
  Persistent: 0,
  PersistentRecursive: 1,
} as const;
