import type { Redis } from 'ioredis';
import { FEED_START, type AppendOptions, type AppendResult, type Feed, type FeedItem } from './feed.js';

export interface RedisFeedOptions {
  /** Key prefix for the streams and idempotency hashes; default "feed:". */
  readonly keyPrefix?: string;
  /** Approximate number of items kept per channel (XADD MAXLEN ~); default 10,000. */
  readonly maxLength?: number;
  /** Seconds an idempotency key is remembered; default one day. */
  readonly keyTtlSeconds?: number;
}

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

type StreamEntries = Array<[id: string, fields: string[]]>;

/** A feed kept in Redis Streams: one stream per channel, ids from XADD. */
export class RedisFeed implements Feed {
  readonly #connect: () => Promise<Redis>;
  #redis: Promise<Redis> | undefined;
  readonly #prefix: string;
  readonly #maxLength: number;
  readonly #keyTtl: number;

  /** `redis` is a client, or a URL connected to on first use (ioredis loads then, not with the module). */
  constructor(redis: Redis | string, options: RedisFeedOptions = {}) {
    this.#connect =
      typeof redis === 'string'
        ? async () => {
            const ioredis = await import('ioredis');
            // Bundled functions load ioredis from its own CommonJS file (build/esbuild-plugins.cjs), whose named exports Node may not see.
            const Redis = ioredis.Redis ?? ioredis.default.Redis;
            return new Redis(redis, { maxRetriesPerRequest: 2 });
          }
        : async () => redis;
    this.#prefix = options.keyPrefix ?? 'feed:';
    this.#maxLength = options.maxLength ?? 10_000;
    this.#keyTtl = options.keyTtlSeconds ?? 86_400;
  }

  #client(): Promise<Redis> {
    return (this.#redis ??= this.#connect().then((client) => {
      client.defineCommand('gripFeedAppend', { numberOfKeys: 2, lua: APPEND_SCRIPT });
      return client;
    }));
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

  async append(channel: string, data: string, options: AppendOptions = {}): Promise<AppendResult> {
    const redis = await this.#client();
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
  }

  async after(channel: string, lastId: string, limit = 1000): Promise<FeedItem[]> {
    const entries = (await (await this.#client()).xrange(this.#prefix + channel, `(${lastId}`, '+', 'COUNT', limit)) as StreamEntries;
    return entries.map(toItem);
  }

  async lastId(channel: string): Promise<string> {
    const entries = (await (await this.#client()).xrevrange(this.#prefix + channel, '+', '-', 'COUNT', 1)) as StreamEntries;
    return entries[0]?.[0] ?? FEED_START;
  }

  async close(): Promise<void> {
    const redis = this.#redis;
    this.#redis = undefined;
    if (redis !== undefined) await (await redis).quit();
  }
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
