import * as v from "valibot";
import { type Client, CreateMode, ErrorCode } from "../core/client/mod.ts";
import type { CacheEvent } from "./cache_base.ts";
import { ChildrenCache } from "./children_cache.ts";
import { Listeners, type StreamOptions } from "./listeners.ts";
import { ensureParents, isKeeperCode, RecipeLifecycle, type RecipeState } from "./recipe_state.ts";

/**
 * A service instance as Curator's JsonInstanceSerializer writes it, so Curator's ServiceDiscovery
 * and Paddock read each other's registrations. Unknown extra fields are kept.
 */
export const ServiceInstanceSchema = v.looseObject({
  name: v.string(),
  id: v.string(),
  address: v.nullable(v.string()),
  port: v.nullable(v.pipe(v.number(), v.integer())),
  sslPort: v.optional(v.nullable(v.pipe(v.number(), v.integer())), null),
  payload: v.optional(v.unknown(), null),
  registrationTimeUTC: v.number(),
  serviceType: v.optional(v.picklist(["DYNAMIC", "STATIC", "PERMANENT", "DYNAMIC_SEQUENTIAL"]), "DYNAMIC"),
  uriSpec: v.optional(v.unknown(), null),
  enabled: v.optional(v.boolean(), true),
});

/** One registered instance of a service. */
export type ServiceInstance = v.InferOutput<typeof ServiceInstanceSchema>;

/** What register() needs; the id defaults to a random UUID, the time to now. */
export interface ServiceInstanceInput {
  name: string;
  id?: string;
  address: string | null;
  port: number | null;
  sslPort?: number | null;
  payload?: unknown;
}

/** Picks one instance from the current list (stateful: round-robin keeps a cursor). */
export type ProviderStrategy = (instances: readonly ServiceInstance[]) => ServiceInstance | undefined;

/**
 * Each instance in turn (Curator's RoundRobinStrategy).
 *
 * @example const provider = registry.provider("api", { strategy: roundRobinStrategy() });
 */
export function roundRobinStrategy(): ProviderStrategy {
  let cursor = 0;
  return (instances) => (instances.length === 0 ? undefined : instances[cursor++ % instances.length]);
}

/**
 * A random instance each time (Curator's RandomStrategy); `random` is injectable for tests.
 *
 * @example const provider = registry.provider("api", { strategy: randomStrategy() });
 */
export function randomStrategy(random: () => number = Math.random): ProviderStrategy {
  return (instances) => (instances.length === 0 ? undefined : instances[Math.floor(random() * instances.length) % instances.length]);
}

/**
 * The same instance while it stays registered, then another from `inner` (Curator's StickyStrategy).
 *
 * @example const provider = registry.provider("api", { strategy: stickyStrategy(roundRobinStrategy()) });
 */
export function stickyStrategy(inner: ProviderStrategy = roundRobinStrategy()): ProviderStrategy {
  let stuck: string | undefined;
  return (instances) => {
    const kept = instances.find((i) => i.id === stuck);
    if (kept !== undefined) return kept;
    const picked = inner(instances);
    stuck = picked?.id;
    return picked;
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Parses a registration; undefined for bytes that are not a valid instance (skipped, not fatal). */
export function parseServiceInstance(bytes: Uint8Array): ServiceInstance | undefined {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
  const parsed = v.safeParse(ServiceInstanceSchema, json);
  return parsed.success ? parsed.output : undefined;
}

/** A change in a service's instances. */
export interface ServiceCacheEvent {
  type: "added" | "updated" | "removed";
  instance: ServiceInstance;
}

/**
 * The live instances of one service, kept by a {@link ChildrenCache} (Curator's ServiceCache).
 *
 * @example
 * await using cache = registry.serviceCache("api");
 * await cache.start();
 * cache.instances(); // sorted by id
 */
export class ServiceCache implements AsyncDisposable {
  readonly #cache: ChildrenCache;
  readonly #listeners = new Listeners<ServiceCacheEvent>();

  constructor(client: Client, servicePath: string) {
    this.#cache = new ChildrenCache(client, servicePath);
    this.#cache.on((e) => this.#onCacheEvent(e));
  }

  get state(): RecipeState {
    return this.#cache.state;
  }

  start(opts: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#cache.start(opts);
  }

  /** Valid instances, sorted by id. */
  instances(): ServiceInstance[] {
    const out: ServiceInstance[] = [];
    for (const node of this.#cache.children().values()) {
      const instance = parseServiceInstance(node.data);
      if (instance !== undefined) out.push(instance);
    }
    return out;
  }

  /** Resolves when every change the cache was told about is applied. */
  whenIdle(opts: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#cache.whenIdle(opts);
  }

  on(listener: (event: ServiceCacheEvent) => void): () => void {
    return this.#listeners.on(listener);
  }

  events(opts: StreamOptions = {}): AsyncIterableIterator<ServiceCacheEvent> {
    return this.#listeners.stream(opts);
  }

  async close(): Promise<void> {
    this.#listeners.end();
    await this.#cache.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #onCacheEvent(event: CacheEvent): void {
    if (event.type === "initialized") return;
    const instance = parseServiceInstance(event.data);
    if (instance !== undefined) this.#listeners.emit({ type: event.type, instance });
  }
}

/**
 * Picks instances of one service with a strategy over a {@link ServiceCache}
 * (Curator's ServiceProvider).
 *
 * @example
 * await using api = registry.provider("api", { strategy: stickyStrategy() });
 * await api.start();
 * const target = api.getInstance(); // undefined when none is registered
 */
export class ServiceProvider implements AsyncDisposable {
  readonly #cache: ServiceCache;
  readonly #strategy: ProviderStrategy;

  constructor(cache: ServiceCache, strategy: ProviderStrategy) {
    this.#cache = cache;
    this.#strategy = strategy;
  }

  start(opts: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#cache.start(opts);
  }

  getInstance(): ServiceInstance | undefined {
    return this.#strategy(this.#cache.instances());
  }

  getAllInstances(): ServiceInstance[] {
    return this.#cache.instances();
  }

  /** Resolves when the instance list has applied every change it was told about. */
  whenIdle(opts: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#cache.whenIdle(opts);
  }

  close(): Promise<void> {
    return this.#cache.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Options of a {@link ServiceRegistry}. */
export interface ServiceRegistryOptions {
  /** Where services live; default "/services". */
  basePath?: string;
  /** Clock for registrationTimeUTC; default Date.now. */
  now?: () => number;
}

/**
 * Service registration and discovery (Curator's ServiceDiscovery): each instance is an ephemeral
 * znode `<basePath>/<name>/<id>` holding Curator's ServiceInstance JSON, so it disappears with the
 * session that registered it; discovery reads them directly or through a cache and provider.
 *
 * @example
 * await using registry = new ServiceRegistry(client);
 * await registry.start();
 * await registry.register({ name: "api", address: "10.0.0.7", port: 8080 });
 * const all = await registry.queryForInstances("api");
 */
export class ServiceRegistry implements AsyncDisposable {
  readonly #client: Client;
  readonly #basePath: string;
  readonly #now: () => number;
  readonly #lifecycle = new RecipeLifecycle("ServiceRegistry");
  readonly #mine = new Map<string, ServiceInstance>();

  constructor(client: Client, opts: ServiceRegistryOptions = {}) {
    this.#client = client;
    this.#basePath = opts.basePath ?? "/services";
    this.#now = opts.now ?? Date.now;
  }

  get state(): RecipeState {
    return this.#lifecycle.state;
  }

  async start(): Promise<void> {
    this.#lifecycle.start();
    await ensureParents(this.#client, `${this.#basePath}/x`);
  }

  /** Registers an instance (ephemeral); returns it as stored. */
  async register(input: ServiceInstanceInput): Promise<ServiceInstance> {
    this.#lifecycle.assertStarted();
    const instance = v.parse(ServiceInstanceSchema, {
      name: input.name,
      id: input.id ?? crypto.randomUUID(),
      address: input.address,
      port: input.port,
      sslPort: input.sslPort ?? null,
      payload: input.payload ?? null,
      registrationTimeUTC: this.#now(),
      serviceType: "DYNAMIC",
      uriSpec: null,
      enabled: true,
    });
    const path = this.#instancePath(instance);
    await ensureParents(this.#client, path);
    await this.#client.create(path, encoder.encode(JSON.stringify(instance)), { mode: CreateMode.EPHEMERAL });
    this.#mine.set(path, instance);
    return instance;
  }

  /** Rewrites a registered instance's JSON (e.g. a new payload). */
  async update(instance: ServiceInstance): Promise<void> {
    this.#lifecycle.assertStarted();
    const path = this.#instancePath(instance);
    await this.#client.setData(path, encoder.encode(JSON.stringify(instance)));
    this.#mine.set(path, instance);
  }

  /** Removes an instance (a missing one is fine). */
  async unregister(instance: { name: string; id: string }): Promise<void> {
    this.#lifecycle.assertStarted();
    const path = this.#instancePath(instance);
    this.#mine.delete(path);
    try {
      await this.#client.delete(path);
    } catch (err) {
      if (!isKeeperCode(err, ErrorCode.NONODE)) throw err;
    }
  }

  /** Names of every registered service. */
  async queryForNames(): Promise<string[]> {
    this.#lifecycle.assertStarted();
    return (await this.#client.getChildren(this.#basePath)).children.sort();
  }

  /** Every valid instance of a service, sorted by id (invalid registrations are skipped). */
  async queryForInstances(name: string): Promise<ServiceInstance[]> {
    this.#lifecycle.assertStarted();
    let ids: string[];
    try {
      ids = (await this.#client.getChildren(`${this.#basePath}/${name}`)).children.sort();
    } catch (err) {
      if (isKeeperCode(err, ErrorCode.NONODE)) return [];
      throw err;
    }
    const out: ServiceInstance[] = [];
    for (const id of ids) {
      const instance = await this.queryForInstance(name, id);
      if (instance !== undefined) out.push(instance);
    }
    return out;
  }

  /** One instance, or undefined when missing or invalid. */
  async queryForInstance(name: string, id: string): Promise<ServiceInstance | undefined> {
    this.#lifecycle.assertStarted();
    try {
      return parseServiceInstance((await this.#client.getData(this.#instancePath({ name, id }))).data ?? new Uint8Array(0));
    } catch (err) {
      if (isKeeperCode(err, ErrorCode.NONODE)) return undefined;
      throw err;
    }
  }

  /** A (not yet started) watching cache of one service's instances. */
  serviceCache(name: string): ServiceCache {
    return new ServiceCache(this.#client, `${this.#basePath}/${name}`);
  }

  /** A (not yet started) provider for one service; default strategy round-robin. */
  provider(name: string, opts: { strategy?: ProviderStrategy } = {}): ServiceProvider {
    return new ServiceProvider(this.serviceCache(name), opts.strategy ?? roundRobinStrategy());
  }

  /** Unregisters what this registry registered. */
  async close(): Promise<void> {
    if (!this.#lifecycle.close()) return;
    for (const path of [...this.#mine.keys()]) {
      await this.#client.delete(path).catch(() => undefined);
    }
    this.#mine.clear();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #instancePath(instance: { name: string; id: string }): string {
    return `${this.#basePath}/${instance.name}/${instance.id}`;
  }
}
