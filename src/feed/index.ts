// The package's types compile without the DOM lib (see globals.ts).
import '../globals.js';
// grip-lambda/feed: channel history in Redis Streams (needs ioredis, a dependency of this entry only).
export * from './feed.js';
export { RedisFeed, getFeed, closeSharedFeed, redisClientOptions, type RedisFeedOptions } from './redis-feed.js';
