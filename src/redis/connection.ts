import type { Cluster, Redis } from 'ioredis';
import { StoreUnavailableError } from '../store/unavailable.js';
import { redisClientOptions, redisClusterOptions } from './client-options.js';
import { parseRedisUrl, type RedisTarget } from './urls.js';
import { log } from '../observe/current.js';

/** A client the stores run commands on: one Redis server, or a Redis Cluster (every script's keys in one slot). */
export type RedisClient = Redis | Cluster;

/** A Lua script run by name (EVALSHA, with EVAL when Redis does not have it yet). */
export interface RedisScript {
  readonly name: string;
  readonly lua: string;
}

/** Redis error replies that mean "not now" (loading, failover, out of memory...), not a bad command. */
const TRANSIENT_REPLY = /^(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|OOM|NOREPLICAS)\b/;

/** The default budget of one operation, in ms. */
export const DEFAULT_TIMEOUT_MS = 1000;

/**
 * One Redis client and how the stores use it: every operation answers or
 * fails with StoreUnavailableError within its budget; while Redis is known
 * to be down (a reconnect attempt failed) operations fail at once; after an
 * outage the client reconnects by itself, and nothing that failed is ever
 * sent later (see redisClientOptions). Its users retain it and release it
 * when done; the last release closes it.
 */
export class RedisConnection {
  readonly timeoutMs: number;
  /** Whether this is a Redis Cluster: a script may then name keys of one slot only. */
  readonly isCluster: boolean;
  /** Where Redis is, for log lines (no credentials). */
  readonly #where: string;
  readonly #connect: () => Promise<RedisClient>;
  #client: Promise<RedisClient> | undefined;
  /** Cluster nodes known to be unreachable, so each is logged once going and once back. */
  readonly #downNodes = new Set<string>();
  readonly #scripts = new Map<string, RedisScript>();
  /** The last connection error since the client was last ready: Redis is down, fail at once. */
  #down: Error | undefined;
  /** The callers' one wait for a connection in progress: true once ready, false on a failed attempt. */
  #readyWait: Promise<boolean> | undefined;
  #users = 0;
  #closed = false;
  readonly #onClose: (() => void) | undefined;

  /**
   * `redis` is a URL, connected to on first use (ioredis loads then, not
   * with the module) with `redisClientOptions(timeoutMs)`; several URLs,
   * comma-separated, name the nodes of a Redis Cluster, connected to as
   * one ioredis `Cluster` with `redisClusterOptions(timeoutMs)` (see
   * parseRedisUrl for the form). Or a client of your own (a `Redis` or a
   * `Cluster`), which keeps its options (give it those options too, or
   * commands it queues while disconnected may run after they timed out
   * here) and is closed with this connection.
   * @throws TypeError for a URL list that does not name a cluster clearly.
   */
  constructor(redis: RedisClient | string, options: { readonly timeoutMs?: number; readonly onClose?: () => void } = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#onClose = options.onClose;
    if (typeof redis === 'string') {
      const target = parseRedisUrl(redis);
      this.isCluster = target.kind === 'cluster';
      this.#where = target.where;
      this.#connect = () => connectTo(target, this.timeoutMs);
    } else {
      this.isCluster = redis.isCluster;
      this.#where = redis.isCluster
        ? 'Redis Cluster'
        : `${(redis as Redis).options.host ?? 'localhost'}:${(redis as Redis).options.port ?? 6379}`;
      this.#connect = async () => redis;
    }
  }

  /** Counts one more user: the connection stays open until each has released it. */
  retain(): this {
    this.#users++;
    return this;
  }

  /** One user is done with the connection; the last one closes it. */
  async release(): Promise<void> {
    this.#users = Math.max(0, this.#users - 1);
    if (this.#users === 0) await this.close();
  }

  /** Makes `script` callable by name on the client (now, or when it is made). */
  define(script: RedisScript): void {
    if (this.#scripts.has(script.name)) return;
    this.#scripts.set(script.name, script);
    this.#client?.then((client) => client.defineCommand(script.name, { lua: script.lua })).catch(() => undefined);
  }

  /**
   * Starts loading ioredis and connecting now, without waiting: call it at
   * module load, so a cold start does that in Lambda's init phase rather
   * than in the first request. A failure here is retried on first use.
   */
  warm(): void {
    this.#made().catch(() => undefined);
  }

  /**
   * Runs one operation on a ready client within `timeoutMs`. Connection
   * trouble (and Redis replies that mean "not now") become
   * StoreUnavailableError; a reply about the command itself stays as it is.
   */
  async run<T>(what: string, operation: (redis: RedisClient) => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError(`${what}: the Redis connection is closed`);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`${what}: Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const attempt = (async () => {
      const redis = await this.#made();
      if (redis.status !== 'ready') await this.#ready(redis, what);
      return operation(redis);
    })();
    attempt.catch(() => undefined); // when the deadline wins, the late failure has no one to tell
    try {
      return await Promise.race([attempt, expired]);
    } catch (error) {
      throw unavailable(what, error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs a script defined with `define` (call it inside `run`); scripts take any number of keys. */
  script<T>(redis: RedisClient, script: RedisScript, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
    const command = (redis as unknown as Record<string, (...args: (string | number)[]) => Promise<T>>)[script.name];
    if (command === undefined) throw new TypeError(`no Redis script named ${script.name}: define it first`);
    return command.call(redis, keys.length, ...keys, ...args);
  }

  /** Closes the client (once made); later operations fail at once, and nothing reconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose?.();
    const pending = this.#client;
    this.#client = undefined;
    const client = await pending?.catch(() => undefined);
    // QUIT needs an answer: to a Redis that is down, just drop the connection (and its reconnecting).
    if (client?.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client?.disconnect();
  }

  #made(): Promise<RedisClient> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('the Redis connection is closed'));
    this.#client ??= this.#connect().then(
      (client) => {
        for (const script of this.#scripts.values()) client.defineCommand(script.name, { lua: script.lua });
        // One line when Redis goes away and one when it is back, not one per reconnect attempt.
        client.on('error', (error: Error) => {
          if (client.status === 'ready') return; // a command's own error: its caller has it
          if (this.#down === undefined) {
            log('error', `redis: ${this.#where} unreachable (${error.message}); feed and presence fail until it is back`);
          }
          this.#down = error;
        });
        client.on('ready', () => {
          if (this.#down !== undefined) log('error', `redis: ${this.#where} reachable again`);
          this.#down = undefined;
        });
        if (client.isCluster) this.#watchNodes(client as Cluster);
        if (this.#closed) client.disconnect(); // closed while ioredis loaded
        return client;
      },
      (error: unknown) => {
        this.#client = undefined; // ioredis failed to load: tried again on next use
        throw error;
      },
    );
    return this.#client;
  }

  /**
   * Waits for a connection in progress (run's deadline bounds the wait);
   * fails at once while Redis is known to be down. Callers share one wait,
   * not a pair of listeners each.
   */
  async #ready(redis: RedisClient, what: string): Promise<void> {
    const down = () =>
      new StoreUnavailableError(`${what}: Redis unreachable (${this.#down?.message ?? redis.status})`, { cause: this.#down });
    if (this.#down !== undefined || redis.status === 'end') throw down();
    if (redis.status === 'wait') redis.connect().catch(() => undefined); // a lazyConnect client of the caller's: failures arrive as 'error'
    this.#readyWait ??= new Promise<boolean>((resolve) => {
      const done = (ready: boolean) => {
        redis.off('ready', onReady);
        redis.off('error', onError);
        this.#readyWait = undefined;
        resolve(ready);
      };
      const onReady = () => done(true);
      const onError = () => done(false);
      redis.on('ready', onReady);
      redis.on('error', onError);
    });
    if (!(await this.#readyWait)) throw down();
  }

  /**
   * One line when a cluster node goes away and one when it is back: while
   * a master is away, the channels in its slots fail (and the rest work).
   */
  #watchNodes(cluster: Cluster): void {
    cluster.on('node error', (error: Error, node: string | undefined) => {
      if (node === undefined || this.#downNodes.has(node) || cluster.status !== 'ready') return;
      this.#downNodes.add(node);
      log('error', `redis: cluster node ${node} unreachable (${error.message}); channels in its slots fail until it is back`);
    });
    cluster.on('+node', (redis: Redis) => {
      const node = `${redis.options.host}:${redis.options.port}`;
      redis.once('ready', () => {
        if (this.#downNodes.delete(node)) log('error', `redis: cluster node ${node} reachable again`);
      });
    });
  }
}

/** A client for the target: ioredis loads now (on first use), not with the module. */
async function connectTo(target: RedisTarget, timeoutMs: number): Promise<RedisClient> {
  const ioredis = await import('ioredis');
  // Bundled functions load ioredis from its own CommonJS file (build/esbuild-plugins.cjs), whose named exports Node may not see.
  if (target.kind === 'single') {
    const Client = ioredis.Redis ?? ioredis.default.Redis;
    return new Client(target.url, redisClientOptions(timeoutMs));
  }
  const ClusterClient = ioredis.Cluster ?? (ioredis.default as unknown as { Cluster: typeof Cluster }).Cluster;
  const { username, password, tls, query } = target.settings;
  const options = redisClusterOptions(timeoutMs, {
    ...query,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(tls ? { tls: {} } : {}),
  });
  // With TLS, nodes keep their host names (not resolved to addresses), so each certificate is checked against its name.
  if (tls) options.dnsLookup = (address, callback) => callback(null, address);
  return new ClusterClient([...target.nodes], options);
}

/** Connection trouble as StoreUnavailableError; a Redis error reply about the command itself stays as it is. */
function unavailable(what: string, error: unknown): unknown {
  if (error instanceof StoreUnavailableError) return error;
  const message = (error as Error)?.message ?? String(error);
  if ((error as Error)?.name === 'ReplyError' && !TRANSIENT_REPLY.test(message)) return error;
  return new StoreUnavailableError(`${what}: ${message}`, { cause: error });
}

/** The process's connections made from URLs, one per URL and budget. */
const shared = new Map<string, RedisConnection>();

/**
 * The process's connection to `url`, retained for the caller: one per URL
 * however many functions, feeds, presences and requests use it (on Lambda,
 * one per warm container); for a cluster's URL list, one per set of nodes
 * in any order (one connection to each master). A budget other than the
 * default gets a connection of its own, since the client's timeouts are
 * made from it. Release it when done.
 * @throws TypeError for a URL list that does not name a cluster clearly.
 */
export function sharedRedis(url: string, timeoutMs = DEFAULT_TIMEOUT_MS): RedisConnection {
  const target = parseRedisUrl(url);
  const key = `${timeoutMs} ${target.kind === 'cluster' ? target.key : url}`;
  let connection = shared.get(key);
  if (connection === undefined) {
    const made: RedisConnection = new RedisConnection(url, {
      timeoutMs,
      onClose: () => {
        if (shared.get(key) === made) shared.delete(key);
      },
    });
    connection = made;
    shared.set(key, connection);
  }
  return connection.retain();
}

/**
 * A store's connection, retained for it: for a URL the process's one
 * (sharedRedis), a RedisConnection as given, or a client of the caller's
 * own wrapped with the store's budget (closed with the store; give it
 * `redisClientOptions(ms)`, or commands it queues while disconnected may run
 * after they timed out here).
 */
export function storeConnection(redis: RedisClient | RedisConnection | string, timeoutMs = DEFAULT_TIMEOUT_MS): RedisConnection {
  if (typeof redis === 'string') return sharedRedis(redis, timeoutMs);
  if (redis instanceof RedisConnection) return redis.retain();
  return new RedisConnection(redis, { timeoutMs }).retain();
}
