// grip-lambda/presence: who is in each room, on Redis (needs ioredis, a dependency of this entry only).
export {
  RedisPresence,
  getPresence,
  closeSharedPresence,
  type PresenceChange,
  type PresenceMember,
  type PresenceOptions,
} from './redis-presence.js';
