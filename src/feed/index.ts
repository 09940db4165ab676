// The package's types compile without the DOM lib (see globals.ts).
import '../globals.js';
// grip-lambda/feed: channel history in Redis Streams (needs ioredis, a dependency of this entry only) or in DynamoDB.
export * from './feed.js';
export { RedisFeed, redisClientOptions, type RedisFeedOptions } from './redis-feed.js';
export { getFeed, closeSharedFeed } from './shared.js';
export { RedisConnection, sharedRedis, type RedisClient, type RedisScript } from '../redis/connection.js';
export { redisClusterOptions } from '../redis/client-options.js';
export { RedisSequences, type RedisSequencesOptions } from '../publish/redis-sequences.js';
export { StoreUnavailableError } from '../store/unavailable.js';
export { DynamoFeed, type DynamoFeedOptions } from '../store/dynamodb/feed.js';
export { DynamoSequences, type DynamoSequencesOptions } from '../store/dynamodb/sequences.js';
export { DynamoTable } from '../store/dynamodb/table-client.js';
export { settingsFromEnv as dynamoSettingsFromEnv, type DynamoDBSettings } from '../store/dynamodb/api.js';
export { storeBackend, type StoreBackend, type StoreEnv } from '../store/backend.js';
