import type { Redis, RedisOptions } from 'ioredis';
import { FEED_START, FeedUnavailableError, type AppendOptions, type AppendResult, type Feed, type FeedItem } from './feed.js';

export interface RedisFeedOptions {
  /** Key prefix for the streams and idempotency hashes; default "feed:". */
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

/** How long to wait between reconnect attempts at most: Redis coming back is noticed within this (plus up to 100 ms). */
const MAX_RECONNECT_DELAY_MS = 500;

/**
 * ioredis settings for a feed that fails fast and recovers by itself (read
 * from ioredis 6's Redis.js and event_handler.js). By default ioredis keeps
 * commands while disconnected and sends them on reconnect, even those whose
 * `commandTimeout` already rejected them: a message its sender was told had
 * failed would be stored later. So nothing is queued or resent, and every
 * wait is bounded by `timeoutMs`.
 */
export function redisClientOptions(timeoutMs: number): RedisOptions {
  return {
    // A command issued while not connected fails at once instead of waiting in the offline queue.
    enableOfflineQueue: false,
    // Commands in flight when the connection drops fail at once (default: after 20 reconnects)...
    maxRetriesPerRequest: 0,
    // ...and are never sent again on the next connection.
    autoResendUnfulfilledCommands: false,
    // A command with no answer fails after the budget...
    commandTimeout: timeoutMs,
    // ...and a socket that answers nothing for that long is dropped, so the next commands fail at once instead of each waiting.
    socketTimeout: timeoutMs,
    // A connect attempt to a host that drops packets (no RST) gives up after the budget.
    connectTimeout: timeoutMs,
    // Reconnect forever, soon: 50, 100, 200, 400, then every 500 ms (plus jitter against a thundering herd).
    retryStrategy: (times) => Math.min(50 * 2 ** (times - 1), MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 100),
  };
}

/** Redis error replies that mean "not now" (loading, failover, out of memory...), not a bad command. */
const TRANSIENT_REPLY = /^(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|OOM|NOREPLICAS)\b/;

// Reads the last id and appends in one step, so ids and prev-ids form one
// unbroken chain even with concurrent writers. With an idempotency key, a
// repeat returns the first append's ids.
const APPEND_SCRIPT = `
if ARGV[2] ~= '' then
  local seen = redis.call('HGET', KEYS[2], ARGV[2])
  if seen then
    local sep = string.find(seen, ' ', 1, true)
    return {string.sub(seen, 1, sep - 1), string.sub(seen, sep + 1), 1}
  end
end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prev = '${FEED_START}'
if #last > 0 then prev = last[1][1] end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'd', ARGV[1])
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[2], id .. ' ' .. prev)
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
return {id, prev, 0}
`;

// Deletes the item, and its idempotency key only if the key still names that item.
const RETRACT_SCRIPT = `
redis.call('XDEL', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then
  local seen = redis.call('HGET', KEYS[2], ARGV[2])
  if seen and string.sub(seen, 1, #ARGV[1] + 1) == ARGV[1] .. ' ' then redis.call('HDEL', KEYS[2], ARGV[2]) end
end
return 1
`;

type StreamEntries = Array<[id: string, fields: string[]]>;

/**
 * A feed kept in Redis Streams: one stream per channel, ids from XADD.
 * Every operation answers or fails with FeedUnavailableError within
 * `timeoutMs`; after an outage the client reconnects by itself.
 */
export class RedisFeed implements Feed {
  readonly #connect: () => Promise<Redis>;
  #redis: Promise<Redis> | undefined;
  readonly #prefix: string;
  readonly #maxLength: number;
  readonly #keyTtl: number;
  readonly #timeoutMs: number;
  /** The last connection error since the client was last ready: Redis is down, fail at once. */
  #down: Error | undefined;

  /**
   * `redis` is a URL, connected to on first use (ioredis loads then, not
   * with the module) with `redisClientOptions`; or a client of your own,
   * which keeps its options (give it `redisClientOptions(ms)` too, or
   * commands it queues while disconnected may run after they timed out here).
   */
  constructor(redis: Redis | string, options: RedisFeedOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 1000;
    this.#connect =
      typeof redis === 'string'
        ? async () => {
            const ioredis = await import('ioredis');
            // Bundled functions load ioredis from its own CommonJS file (build/esbuild-plugins.cjs), whose named exports Node may not see.
            const Redis = ioredis.Redis ?? ioredis.default.Redis;
            return new Redis(redis, redisClientOptions(this.#timeoutMs));
          }
        : async () => redis;
    this.#prefix = options.keyPrefix ?? 'feed:';
    this.#maxLength = options.maxLength ?? 10_000;
    this.#keyTtl = options.keyTtlSeconds ?? 86_400;
  }

  #client(): Promise<Redis> {
    return (this.#redis ??= this.#connect().then((client) => {
      client.defineCommand('gripFeedAppend', { numberOfKeys: 2, lua: APPEND_SCRIPT });
      client.defineCommand('gripFeedRetract', { numberOfKeys: 2, lua: RETRACT_SCRIPT });
      // One line when Redis goes away and one when it is back, not one per reconnect attempt.
      client.on('error', (error: Error) => {
        if (client.status === 'ready') return; // a command's own error: its caller has it
        if (this.#down === undefined)
          console.error(`[grip-lambda] feed: Redis unreachable (${error.message}); feed operations fail until it is back`);
        this.#down = error;
      });
      client.on('ready', () => {
        if (this.#down !== undefined) console.error('[grip-lambda] feed: Redis reachable again');
        this.#down = undefined;
      });
      return client;
    }));
  }

  /** Runs one operation on a ready client within the time budget; connection trouble becomes FeedUnavailableError. */
  async #run<T>(what: string, operation: (redis: Redis) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new FeedUnavailableError(`feed ${what}: Redis did not answer within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    const attempt = (async () => {
      const redis = await this.#client();
      if (redis.status !== 'ready') await this.#ready(redis, what, deadline);
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

  /** Waits (until `deadline`) for a connection in progress; fails at once while Redis is known to be down. */
  #ready(redis: Redis, what: string, deadline: number): Promise<void> {
    const down = () =>
      new FeedUnavailableError(`feed ${what}: Redis is unreachable (${this.#down?.message ?? redis.status})`, { cause: this.#down });
    if (this.#down !== undefined || redis.status === 'end') return Promise.reject(down());
    if (redis.status === 'wait') redis.connect().catch(() => undefined); // a lazyConnect client of the caller's: failures arrive as 'error'
    return new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        redis.off('ready', onReady);
        redis.off('error', onError);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onReady = () => done();
      const onError = () => done(down());
      const timer = setTimeout(() => done(down()), Math.max(0, deadline - Date.now()));
      redis.on('ready', onReady);
      redis.on('error', onError);
    });
  }

  /**
   * Starts loading ioredis and connecting now, without waiting: call it at
   * module load, so a cold start does that in Lambda's init phase rather
   * than in the first request. A failure here is retried on first use.
   */
  warm(): void {
    this.#client().catch(() => {
      this.#redis = undefined;
    });
  }

  append(channel: string, data: string, options: AppendOptions = {}): Promise<AppendResult> {
    return this.#run('append', async (redis) => {
      const run = (redis as unknown as Record<string, (...args: unknown[]) => Promise<[string, string, number]>>)['gripFeedAppend']!;
      const [id, prevId, duplicate] = await run.call(
        redis,
        this.#prefix + channel,
        `${this.#prefix}keys:${channel}`,
        data,
        options.key ?? '',
        this.#maxLength,
        this.#keyTtl,
      );
      return { id, prevId, duplicate: duplicate === 1 };
    });
  }

  retract(channel: string, id: string, options: AppendOptions = {}): Promise<void> {
    return this.#run('retract', async (redis) => {
      const run = (redis as unknown as Record<string, (...args: unknown[]) => Promise<number>>)['gripFeedRetract']!;
      await run.call(redis, this.#prefix + channel, `${this.#prefix}keys:${channel}`, id, options.key ?? '');
    });
  }

  after(channel: string, lastId: string, limit = 1000): Promise<FeedItem[]> {
    return this.#run('read', async (redis) => {
      const entries = (await redis.xrange(this.#prefix + channel, `(${lastId}`, '+', 'COUNT', limit)) as StreamEntries;
      return entries.map(toItem);
    });
  }

  lastId(channel: string): Promise<string> {
    return this.#run('read', async (redis) => {
      const entries = (await redis.xrevrange(this.#prefix + channel, '+', '-', 'COUNT', 1)) as StreamEntries;
      return entries[0]?.[0] ?? FEED_START;
    });
  }

  async close(): Promise<void> {
    const pending = this.#redis;
    this.#redis = undefined;
    if (pending === undefined) return;
    const redis = await pending;
    // QUIT needs a connection; without one (Redis down) there is nothing to say goodbye to.
    if (redis.status === 'ready') await redis.quit();
    else redis.disconnect();
  }
}

/** Connection trouble as FeedUnavailableError; a Redis error reply about the command itself stays as it is. */
function unavailable(what: string, error: unknown): unknown {
  if (error instanceof FeedUnavailableError) return error;
  const message = (error as Error)?.message ?? String(error);
  if ((error as Error)?.name === 'ReplyError' && !TRANSIENT_REPLY.test(message)) return error;
  return new FeedUnavailableError(`feed ${what}: ${message}`, { cause: error });
}

function toItem([id, fields]: [string, string[]]): FeedItem {
  const at = fields.indexOf('d');
  return { id, data: at >= 0 ? (fields[at + 1] ?? '') : '' };
}

let shared: RedisFeed | null | undefined;

/**
 * The container's feed when REDIS_URL is set, else null. Made on the first
 * call, and connecting from then on (`warm`): call it at module load, so a
 * cold start connects in Lambda's init phase, not in the first request.
 */
export function getFeed(env: { readonly REDIS_URL?: string | undefined } = process.env): RedisFeed | null {
  if (shared === undefined) {
    shared = env.REDIS_URL ? new RedisFeed(env.REDIS_URL) : null;
    shared?.warm();
  }
  return shared;
}

/** Closes the shared feed's connection (for hosts that outlive their Redis, like the local stack). */
export async function closeSharedFeed(): Promise<void> {
  const feed = shared;
  shared = undefined;
  await feed?.close().catch(() => undefined);
}
