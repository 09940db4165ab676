import { storeConnection, type RedisClient, type RedisConnection } from '../redis/connection.js';
import { checkKeyPrefix, checkName, taggedKey } from '../redis/keys.js';
import { StoreUnavailableError } from '../store/unavailable.js';
import { FEED_START, FeedUnavailableError, type AppendOptions, type AppendResult, type Feed, type FeedItem } from './feed.js';
import { AFTER, APPEND, LAST_ID, RETRACT } from './redis-scripts.js';

export { redisClientOptions } from '../redis/client-options.js';

export interface RedisFeedOptions {
  /** Key prefix (without `{` or `}`); default "feed:". A channel's keys are `feed:{channel}` and `feed:{channel}:keys`. */
  readonly keyPrefix?: string;
  /** Approximate number of items kept per channel (XADD MAXLEN ~); default 10,000. */
  readonly maxLength?: number;
  /** Seconds an idempotency key is remembered; default one day. */
  readonly keyTtlSeconds?: number;
  /**
   * Longest an operation waits for Redis, in ms, before it fails with
   * FeedUnavailableError; default 1000. While Redis is known to be down
   * (a reconnect attempt failed), operations fail at once.
   */
  readonly timeoutMs?: number;
}

/**
 * A feed kept in Redis Streams: one stream per channel, ids from XADD.
 * Every operation answers or fails with FeedUnavailableError within
 * `timeoutMs`; after an outage the connection recovers by itself.
 */
export class RedisFeed implements Feed {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  readonly #maxLength: number;
  readonly #keyTtl: number;
  #closed = false;

  /**
   * `redis` is a URL (the process's one connection to it, see sharedRedis),
   * a RedisConnection (retained, and released on close), or a client of
   * your own (closed with the feed; give it `redisClientOptions(ms)`, or
   * commands it queues while disconnected may run after they timed out here).
   */
  constructor(redis: RedisClient | RedisConnection | string, options: RedisFeedOptions = {}) {
    this.#connection = storeConnection(redis, options.timeoutMs);
    this.#prefix = checkKeyPrefix(options.keyPrefix ?? 'feed:');
    this.#maxLength = options.maxLength ?? 10_000;
    this.#keyTtl = options.keyTtlSeconds ?? 86_400;
    for (const script of [APPEND, RETRACT, AFTER, LAST_ID]) this.#connection.define(script);
  }

  /** Connects now (at module load, so a cold start does it in Lambda's init phase); a failure is retried on first use. */
  warm(): void {
    this.#connection.warm();
  }

  /**
   * The channel's keys: its stream and idempotency hash, then, on a single
   * Redis, the same under the format before hash tags (see redis-scripts.ts).
   * In a cluster those old keys live in other slots, and a script may name
   * keys of one slot only.
   */
  #keys(channel: string): string[] {
    checkName('channel', channel);
    const keys = [taggedKey(this.#prefix, channel), taggedKey(this.#prefix, channel, ':keys')];
    if (this.#connection.isCluster) return keys;
    return [...keys, this.#prefix + channel, `${this.#prefix}keys:${channel}`];
  }

  /** Runs one operation; connection trouble becomes FeedUnavailableError. */
  async #run<T>(what: string, operation: (redis: RedisClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new FeedUnavailableError(`feed ${what}: the feed is closed`);
    try {
      return await this.#connection.run(`feed ${what}`, operation);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw new FeedUnavailableError(error.message, { cause: error.cause ?? error });
      throw error;
    }
  }

  async append(channel: string, data: string, options: AppendOptions = {}): Promise<AppendResult> {
    const keys = this.#keys(channel);
    return this.#run('append', async (redis) => {
      const [id, prevId, duplicate] = await this.#connection.script<[string, string, number]>(redis, APPEND, keys, [
        data,
        options.key ?? '',
        this.#maxLength,
        this.#keyTtl,
      ]);
      return { id, prevId, duplicate: duplicate === 1 };
    });
  }

  async retract(channel: string, id: string, options: AppendOptions = {}): Promise<void> {
    const keys = this.#keys(channel);
    return this.#run('retract', async (redis) => {
      await this.#connection.script(redis, RETRACT, keys, [id, options.key ?? '']);
    });
  }

  async after(channel: string, lastId: string, limit = 1000): Promise<FeedItem[]> {
    const keys = this.#keys(channel);
    return this.#run('read', async (redis) => {
      const entries = await this.#connection.script<Array<[string, string[]]>>(redis, AFTER, keys, [`(${lastId}`, limit]);
      return entries.map(toItem);
    });
  }

  async lastId(channel: string): Promise<string> {
    const keys = this.#keys(channel);
    return this.#run('read', async (redis) => (await this.#connection.script<string | null>(redis, LAST_ID, keys, [])) ?? FEED_START);
  }

  /** Releases the connection (closed once no other user has it); later operations fail at once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#connection.release();
  }
}

function toItem([id, fields]: [string, string[]]): FeedItem {
  const at = fields.indexOf('d');
  return { id, data: at >= 0 ? (fields[at + 1] ?? '') : '' };
}
