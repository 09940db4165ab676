import { storeConnection, type RedisClient, type RedisConnection } from '../redis/connection.js';
import { checkKeyPrefix, checkName, taggedKey } from '../redis/keys.js';
import { StoreUnavailableError } from '../store/unavailable.js';
import {
  ADMIT_USER_CONNECTION,
  COUNT,
  EXPIRE,
  JOIN,
  LEAVE,
  MEMBERS,
  REFRESH,
  RELEASE_USER_CONNECTION,
  RENEW_USER_CONNECTION,
} from './redis-scripts.js';
import { checkUserConnection, type PresenceMember, type PresenceStore } from './store.js';

export interface RedisPresenceStoreOptions {
  /**
   * Key prefix (without `{` or `}`); default "presence:". A room's keys are
   * `presence:{room}` (expiry times) and `presence:{room}:data`; a
   * connection's rooms, `presence:conn:{id}`.
   */
  readonly keyPrefix?: string;
  /** Longest an operation waits for Redis, in ms; default 1000. */
  readonly timeoutMs?: number;
}

/**
 * Presence in Redis: per room a sorted set of connections by expiry time
 * and a hash of their member data, both under the room's hash tag (one
 * script each, one slot); per connection the set of its rooms, under the
 * connection's tag. Steps that touch a room and a connection are two
 * commands, sent together: if only the first lands, the entry still
 * expires as a vanished member's would.
 */
export class RedisPresenceStore implements PresenceStore {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  #closed = false;

  /** `redis` as for RedisFeed: a URL (the process's one connection to it), a RedisConnection, or a client of your own. */
  constructor(redis: RedisClient | RedisConnection | string, options: RedisPresenceStoreOptions = {}) {
    this.#connection = storeConnection(redis, options.timeoutMs);
    this.#prefix = checkKeyPrefix(options.keyPrefix ?? 'presence:');
    for (const script of [
      JOIN,
      LEAVE,
      REFRESH,
      EXPIRE,
      MEMBERS,
      COUNT,
      ADMIT_USER_CONNECTION,
      RENEW_USER_CONNECTION,
      RELEASE_USER_CONNECTION,
    ]) {
      this.#connection.define(script);
    }
  }

  /** Connects now (at module load, so a cold start does it in Lambda's init phase). */
  warm(): void {
    this.#connection.warm();
  }

  #room(room: string): string[] {
    checkName('room', room);
    return [taggedKey(this.#prefix, room), taggedKey(this.#prefix, room, ':data')];
  }

  #rooms(connectionId: string): string {
    checkName('connection id', connectionId);
    return taggedKey(`${this.#prefix}conn:`, connectionId);
  }

  /** The user's connections: a sorted set by expiry time, one key (one slot). */
  #user(userId: string, connectionId?: string, max?: number): string[] {
    checkUserConnection(userId, connectionId, max);
    return [taggedKey(`${this.#prefix}user:`, userId)];
  }

  #run<T>(what: string, operation: (redis: RedisClient) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError(`presence ${what}: the store is closed`));
    return this.#connection.run(`presence ${what}`, operation);
  }

  async join(room: string, member: PresenceMember, lifetimeMs: number): Promise<boolean> {
    const keys = this.#room(room);
    const rooms = this.#rooms(member.connectionId);
    return this.#run('join', async (redis) => {
      // The connection's rooms outlive its entries, so a refresh can still find them.
      const [, added] = await Promise.all([
        redis
          .multi()
          .sadd(rooms, room)
          .pexpire(rooms, lifetimeMs * 2)
          .exec(),
        this.#connection.script<number>(redis, JOIN, keys, [member.connectionId, JSON.stringify(member), lifetimeMs]),
      ]);
      return added === 1;
    });
  }

  async leave(room: string, connectionId: string): Promise<PresenceMember | undefined> {
    const keys = this.#room(room);
    const rooms = this.#rooms(connectionId);
    return this.#run('leave', async (redis) => {
      const [json] = await Promise.all([
        this.#connection.script<string | null>(redis, LEAVE, keys, [connectionId]),
        redis.srem(rooms, room),
      ]);
      return json === null ? undefined : (JSON.parse(json) as PresenceMember);
    });
  }

  async rooms(connectionId: string): Promise<string[]> {
    const rooms = this.#rooms(connectionId);
    return this.#run('rooms', (redis) => redis.smembers(rooms));
  }

  async forget(connectionId: string): Promise<void> {
    const rooms = this.#rooms(connectionId);
    await this.#run('forget', (redis) => redis.del(rooms));
  }

  async refresh(connectionId: string, lifetimeMs: number): Promise<string[]> {
    const roomsKey = this.#rooms(connectionId);
    return this.#run('refresh', async (redis) => {
      const rooms = await redis.smembers(roomsKey);
      if (rooms.length === 0) return rooms;
      await Promise.all([
        redis.pexpire(roomsKey, lifetimeMs * 2),
        ...rooms.map((room) => this.#connection.script(redis, REFRESH, this.#room(room), [connectionId, lifetimeMs])),
      ]);
      return rooms;
    });
  }

  async expire(room: string): Promise<PresenceMember[]> {
    const keys = this.#room(room);
    return this.#run('expire', async (redis) => parseAll(await this.#connection.script<string[]>(redis, EXPIRE, keys, [])));
  }

  async members(room: string): Promise<PresenceMember[]> {
    const keys = this.#room(room);
    return this.#run('members', async (redis) => parseAll(await this.#connection.script<string[]>(redis, MEMBERS, keys, [])));
  }

  async count(room: string): Promise<number> {
    const keys = this.#room(room);
    return this.#run('count', (redis) => this.#connection.script<number>(redis, COUNT, keys, []));
  }

  async admitUserConnection(userId: string, connectionId: string, max: number, lifetimeMs: number): Promise<boolean> {
    const keys = this.#user(userId, connectionId, max);
    return this.#run(
      'user connection admit',
      async (redis) => (await this.#connection.script<number>(redis, ADMIT_USER_CONNECTION, keys, [connectionId, max, lifetimeMs])) === 1,
    );
  }

  async renewUserConnection(userId: string, connectionId: string, lifetimeMs: number): Promise<boolean> {
    const keys = this.#user(userId, connectionId);
    return this.#run(
      'user connection renew',
      async (redis) => (await this.#connection.script<number>(redis, RENEW_USER_CONNECTION, keys, [connectionId, lifetimeMs])) === 1,
    );
  }

  async releaseUserConnection(userId: string, connectionId: string): Promise<boolean> {
    const keys = this.#user(userId, connectionId);
    return this.#run(
      'user connection release',
      async (redis) => (await this.#connection.script<number>(redis, RELEASE_USER_CONNECTION, keys, [connectionId])) === 1,
    );
  }

  async countUserConnections(userId: string): Promise<number> {
    const keys = this.#user(userId);
    return this.#run('user connection count', (redis) => this.#connection.script<number>(redis, COUNT, keys, []));
  }

  /** Releases the connection (closed once no other user has it). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#connection.release();
  }
}

function parseAll(jsons: readonly string[]): PresenceMember[] {
  return jsons.map((json) => JSON.parse(json) as PresenceMember);
}
