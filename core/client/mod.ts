/**
 * The Paddock client: a ZooKeeper client for Node, Deno and Bun that works against Apache
 * ZooKeeper and Paddock alike.
 *
 * @example
 * import { createClient, CreateMode } from "./core/client/mod.ts";
 * await using client = createClient("127.0.0.1:2181");
 * await client.ready();
 * await client.create("/hello", "world", { mode: CreateMode.EPHEMERAL });
 */
export {
  BadPathError,
  Client,
  createClient,
  type ClientOptions,
  type PersistentWatch,
  type WatchIterator,
  type WatchIteratorOptions,
} from "./client.ts";
export { Acls } from "./acls.ts";
export { MultiError, type Op, type OpResult, type ReadOp, type ReadResult } from "./multi.ts";
export { isTransientError, retry, type RetryOptions } from "./retry.ts";
export { ServerUnreachableError } from "./unreachable.ts";
export { Transaction, type CreateOptions } from "./transaction.ts";
export { parseConnectString, type ConnectString, type HostPort } from "./connect_string.ts";
export {
  ConnectionState,
  type AclResult,
  type ChildrenResult,
  type ClientInfo,
  type ClientStatus,
  type CreateResult,
  type Data,
  type DataResult,
  type WatchedEvent,
  type Watcher,
  type WatchOptions,
} from "./types.ts";
export type { Transport, TransportConnection } from "../io/transport.ts";
export { nodeTransport } from "../io/node_transport.ts";
export {
  type ACL,
  AddWatchMode,
  CreateMode,
  ErrorCode,
  type Id,
  KeeperError,
  Perms,
  WatcherType,
} from "../proto/mod.ts";
export { EventType, KeeperState } from "./event_names.ts";
export type { Stat } from "./stat.ts";
export { raceAbort } from "./race_abort.ts";
export * from "./http/mod.ts";
