// grip-lambda/presence: who is in each room, on Redis (needs ioredis, a dependency of this entry only) or in DynamoDB.
export { Presence, type PresenceOptions } from './presence.js';
export { presenceHandlers } from './handlers.js';
export type { PresenceChange, PresenceMember, PresenceStore } from './store.js';
export { RedisPresence, type RedisPresenceOptions } from './redis-presence.js';
export { RedisPresenceStore, type RedisPresenceStoreOptions } from './redis-store.js';
export { getPresence, closeSharedPresence, type PresenceEnv } from './shared.js';
export { StoreUnavailableError } from '../store/unavailable.js';
export { DynamoPresenceStore, type DynamoPresenceStoreOptions } from '../store/dynamodb/presence.js';
