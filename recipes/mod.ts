/**
 * Paddock's coordination recipes, built on the public client API only. Each file can also be
 * imported on its own (`recipes/lock.ts`, `recipes/leader_latch.ts`, ...).
 *
 * @example
 * import { createClient } from "../core/client/mod.ts";
 * import { Mutex, LeaderLatch } from "./recipes/mod.ts";
 * await using client = createClient("127.0.0.1:2181");
 * await using mutex = new Mutex(client, "/locks/orders");
 * await using lease = await mutex.acquire({ signal: AbortSignal.timeout(5000) });
 */

// ---- locks, leases and elections (sorted-sequence recipes) ----
export {
  type ConnectionPolicyOptions,
  LossReason,
  OwnershipLostError,
  type OwnershipWatch,
  suspendedGraceMs,
  watchOwnership,
} from "./connection_policy.ts";
export { type AcquireOptions, type Lease, Mutex, MUTEX_LOCK_NAME, type MutexOptions } from "./lock.ts";
export { type LockSide, READ_LOCK_NAME, readDriver, ReadWriteLock, type ReadWriteLockOptions, WRITE_LOCK_NAME } from "./read_write_lock.ts";
export { Semaphore, SemaphoreLayout, type SemaphoreOptions } from "./semaphore.ts";
export { LATCH_NAME, LeaderLatch, type LeaderLatchEvents, type LeaderLatchOptions } from "./leader_latch.ts";
export { LeaderSelector, type LeaderSelectorOptions } from "./leader_selector.ts";
export { electionParticipants, type Leadership, type Participant } from "./leader_participants.ts";
export {
  PROTECTED_PREFIX,
  type SequenceDecision,
  type SequenceDriver,
  type SequenceNode,
  sequenceKey,
  sortBySequence,
  standardDriver,
} from "./sorted_sequence.ts";

// ---- data recipes: caches, queues, barriers, counters, membership, discovery, config ----
export { RecipeLifecycle, RecipeState } from "./recipe_state.ts";
export { type StreamOptions } from "./listeners.ts";
export { type CacheChange, type CacheEvent, type CacheInitialized, type CachedNode, type CacheOptions } from "./cache_base.ts";
export { NodeCache } from "./node_cache.ts";
export { ChildrenCache } from "./children_cache.ts";
export { TreeCache, type TreeCacheOptions } from "./tree_cache.ts";
export { PersistentCache } from "./persistent_cache.ts";
export { DistributedQueue, type QueueItem, type TakeOptions } from "./queue.ts";
export { PriorityQueue } from "./priority_queue.ts";
export { DelayQueue, type DelayQueueOptions } from "./delay_queue.ts";
export { Barrier } from "./barrier.ts";
export { DoubleBarrier, type DoubleBarrierOptions } from "./double_barrier.ts";
export { AtomicLong, type AtomicLongOptions, type AtomicValue, LONG_CODEC, OPTIMISTIC_RETRY_DEFAULTS } from "./atomic_long.ts";
export { INT_CODEC, SharedCounter, type SharedCounterOptions, type VersionedValue } from "./shared_counter.ts";
export { GroupMember, type GroupMemberOptions } from "./group_member.ts";
export {
  parseServiceInstance,
  type ProviderStrategy,
  randomStrategy,
  roundRobinStrategy,
  ServiceCache,
  type ServiceCacheEvent,
  type ServiceInstance,
  type ServiceInstanceInput,
  ServiceInstanceSchema,
  ServiceProvider,
  ServiceRegistry,
  type ServiceRegistryOptions,
  stickyStrategy,
} from "./service_registry.ts";
export { ConfigError, type ConfigUpdate, ConfigWatcher } from "./config_watcher.ts";
