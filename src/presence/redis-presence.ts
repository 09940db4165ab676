import type { RedisClient, RedisConnection } from '../redis/connection.js';
import { Presence, type PresenceOptions } from './presence.js';
import { RedisPresenceStore, type RedisPresenceStoreOptions } from './redis-store.js';

export interface RedisPresenceOptions extends PresenceOptions, RedisPresenceStoreOptions {}

/** Presence kept in Redis (RedisPresenceStore). */
export class RedisPresence extends Presence {
  readonly #store: RedisPresenceStore;

  /** `redis` is a URL (the process's one connection to it), a RedisConnection, or a client of your own (closed with it). */
  constructor(redis: RedisClient | RedisConnection | string, options: RedisPresenceOptions = {}) {
    const store = new RedisPresenceStore(redis, options);
    try {
      super(store, options);
    } catch (error) {
      void store.close(); // bad options: the connection retained for it is released
      throw error;
    }
    this.#store = store;
  }

  /** Connects now (at module load, so a cold start does it during Lambda's init); a failure is retried on first use. */
  warm(): void {
    this.#store.warm();
  }
}
