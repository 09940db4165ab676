// The package's types compile without the DOM lib (see globals.ts).
import '../globals.js';
// grip-lambda/feed: channel history in Redis Streams (needs ioredis, a dependency of this entry only).
export * from './feed.js';
export { RedisFeed, redisClientOptions, type RedisFeedOptions } from './redis-feed.js';
export { getFeed, closeSharedFeed } from './shared.js';
export { RedisConnection, sharedRedis, type RedisScript } from '../redis/connection.js';
export { RedisSequences, type RedisSequencesOptions } from '../publish/redis-sequences.js';
export { StoreUnavailableError } from '../store/unavailable.js';
