import type { Redis } from 'ioredis';
import type { WebSocketContext } from '../websocket/context.js';
import type { WebSocketHandlers } from '../websocket/handler.js';

/** One connection in a room: who it is, and what it entered with. */
export interface PresenceMember {
  readonly connectionId: string;
  /** `ctx.user` when the connection had one (`ctx.setUser`). */
  readonly userId?: string;
  readonly data?: unknown;
}

/** A change to a room's members, for `onChange` to announce. */
export interface PresenceChange {
  readonly action: 'enter' | 'update' | 'leave';
  readonly room: string;
  readonly member: PresenceMember;
  /** For a leave: false when the member went away without closing (its entry expired). */
  readonly clean?: boolean;
}

export interface PresenceOptions {
  /** Key prefix; default "presence:". */
  readonly keyPrefix?: string;
  /**
   * Seconds within which a member that vanished without a close (a proxy
   * restart sends no DISCONNECT) is gone from `members()` and `count()` and
   * its leave announced; default 60. At least 2 × `refreshSeconds` + 5.
   */
  readonly leaveAfterSeconds?: number;
  /**
   * Seconds between the keep-alive requests that refresh a quiet member
   * (the proxy's Keep-Alive-Interval); default 20, Pushpin's shortest.
   */
  readonly refreshSeconds?: number;
  /** Announces a change (e.g. publishes it to the room); awaited, errors are logged. */
  readonly onChange?: (change: PresenceChange) => void | Promise<void>;
}

/** Meta listing nothing but the fact that the connection is in some room, so keep-alives know to refresh it. */
const PRESENCE_META = 'grip-presence';

// Server time, so containers with skewed clocks agree on what has expired.
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS: room zset, room hash, connection's room set. ARGV: connection, member JSON, lifetime ms, room.
// Returns 1 for a new member, 0 for an update.
const ENTER = `${NOW}
local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[3]) * 2)
return added`;

// KEYS: room zset, room hash. Removes the members whose time is up; returns them (JSON each).
const SWEEP = `${NOW}
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {}
for _, id in ipairs(gone) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    out[#out + 1] = redis.call('HGET', KEYS[2], id) or '{}'
    redis.call('HDEL', KEYS[2], id)
  end
end
return out`;

// KEYS: room zset, room hash. ARGV: connection. Returns the member JSON if it was there.
const LEAVE = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return false end
local data = redis.call('HGET', KEYS[2], ARGV[1]) or '{}'
redis.call('HDEL', KEYS[2], ARGV[1])
return data`;

// KEYS: room zset. ARGV: connection, lifetime ms. Pushes the member's time back if it is still there.
const REFRESH = `${NOW}
return redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])`;

type Scripts = {
  presenceEnter(
    zset: string,
    hash: string,
    rooms: string,
    connection: string,
    json: string,
    lifetimeMs: number,
    room: string,
  ): Promise<number>;
  presenceSweep(zset: string, hash: string): Promise<string[]>;
  presenceLeave(zset: string, hash: string, connection: string): Promise<string | null>;
  presenceRefresh(zset: string, connection: string, lifetimeMs: number): Promise<number>;
};

/**
 * Who is in each room, on Redis. A member is a connection: it enters a room
 * (with data, e.g. a nickname), may update its data, and leaves when it
 * closes or, if it vanishes without a close, when its entry expires. The
 * proxy's keep-alive requests refresh quiet members (see `handlers`).
 */
export class RedisPresence {
  readonly #connect: () => Promise<Redis>;
  #redis: Promise<Redis & Scripts> | undefined;
  readonly #prefix: string;
  readonly #refreshSeconds: number;
  readonly #lifetimeMs: number;
  readonly #onChange: PresenceOptions['onChange'];
  #closed = false;
  /** The connection failed and has not been ready since: Redis is down, so commands fail at once. */
  #down = false;

  /** `redis` is a client, or a URL connected to on first use. */
  constructor(redis: Redis | string, options: PresenceOptions = {}) {
    this.#connect =
      typeof redis === 'string'
        ? async () => {
            const ioredis = await import('ioredis');
            const Redis = ioredis.Redis ?? ioredis.default.Redis;
            // Every command answers or fails within a second, so Redis down never holds a request for
            // the function's timeout. A command that timed out may still run later: harmless here, since
            // a late enter or refresh only keeps an entry that expires as a vanished member's would.
            return new Redis(redis, { maxRetriesPerRequest: 1, commandTimeout: 1000, connectTimeout: 1000 });
          }
        : async () => redis;
    this.#prefix = options.keyPrefix ?? 'presence:';
    this.#refreshSeconds = options.refreshSeconds ?? 20;
    const leaveAfter = options.leaveAfterSeconds ?? 60;
    if (!Number.isInteger(this.#refreshSeconds) || this.#refreshSeconds < 1) {
      throw new TypeError(`refreshSeconds must be a whole number of seconds >= 1, got ${this.#refreshSeconds}`);
    }
    if (!Number.isFinite(leaveAfter) || leaveAfter < 2 * this.#refreshSeconds + 5) {
      throw new TypeError(`leaveAfterSeconds must be at least 2 × refreshSeconds + 5 (${2 * this.#refreshSeconds + 5}), got ${leaveAfter}`);
    }
    // An entry lives `leaveAfter - refresh` seconds past its last refresh; it is
    // noticed gone by the next refresh of anyone in the room, at most `refresh` later.
    this.#lifetimeMs = (leaveAfter - this.#refreshSeconds) * 1000;
    this.#onChange = options.onChange;
  }

  #client(): Promise<Redis & Scripts> {
    // Closed for good: a late request (one still running when its host shut down) must not open a new connection.
    if (this.#closed) return Promise.reject(new Error('presence is closed'));
    return (this.#redis ??= this.#connect().then((client) => {
      // One line when Redis goes away, not ioredis's "Unhandled error event" at every reconnect attempt.
      client.on('error', (error: Error) => {
        if (!this.#down) console.error(`[grip-lambda] presence: Redis unreachable (${error.message})`);
        this.#down = true;
      });
      client.on('ready', () => {
        this.#down = false;
      });
      client.defineCommand('presenceEnter', { numberOfKeys: 3, lua: ENTER });
      client.defineCommand('presenceSweep', { numberOfKeys: 2, lua: SWEEP });
      client.defineCommand('presenceLeave', { numberOfKeys: 2, lua: LEAVE });
      client.defineCommand('presenceRefresh', { numberOfKeys: 1, lua: REFRESH });
      return client as Redis & Scripts;
    })).catch((error: unknown) => {
      this.#redis = undefined;
      throw error;
    });
  }

  /** Connects now (at module load, so a cold start does it during Lambda's init); a failure is retried on first use. */
  warm(): void {
    this.#client().catch(() => undefined);
  }

  /**
   * The client, unless Redis is known to be down: then a failure at once,
   * as the feed fails, rather than each command waiting out its timeout
   * (a second per request of every member while Redis is away). A Redis
   * that stops answering without closing is still bounded by that timeout.
   */
  async #usable(): Promise<Redis & Scripts> {
    const redis = await this.#client();
    if (this.#down) throw new Error('Redis unreachable');
    return redis;
  }

  #zset = (room: string) => `${this.#prefix}room:${room}`;
  #hash = (room: string) => `${this.#prefix}data:${room}`;
  #rooms = (connectionId: string) => `${this.#prefix}conn:${connectionId}`;

  /**
   * Puts the connection in `room` with `data` (JSON-serialisable), or
   * updates its data if it is there; announces `enter` or `update`. Also
   * asks the proxy for keep-alive requests, which refresh the entry.
   */
  async enter(ctx: WebSocketContext, room: string, data?: unknown): Promise<void> {
    checkRoom(room);
    const member: PresenceMember = {
      connectionId: ctx.id,
      ...(ctx.user !== undefined ? { userId: ctx.user } : {}),
      ...(data !== undefined ? { data } : {}),
    };
    const redis = await this.#usable();
    const added = await redis.presenceEnter(
      this.#zset(room),
      this.#hash(room),
      this.#rooms(ctx.id),
      ctx.id,
      JSON.stringify(member),
      this.#lifetimeMs,
      room,
    );
    if (ctx.state === 'open') {
      ctx.meta.set(PRESENCE_META, '1');
      ctx.setKeepAliveInterval(this.#refreshSeconds);
    }
    await this.#announce({ action: added === 1 ? 'enter' : 'update', room, member });
  }

  /** `enter` again with new data: announced as an update. */
  update(ctx: WebSocketContext, room: string, data?: unknown): Promise<void> {
    return this.enter(ctx, room, data);
  }

  /** Takes the connection out of `room`, or of every room it is in; announces each leave. */
  async leave(connectionId: string, room?: string): Promise<void> {
    const redis = await this.#usable();
    const rooms = room !== undefined ? [room] : await redis.smembers(this.#rooms(connectionId));
    for (const name of rooms) {
      const json = await redis.presenceLeave(this.#zset(name), this.#hash(name), connectionId);
      if (room !== undefined) await redis.srem(this.#rooms(connectionId), name);
      if (json !== null) await this.#announce({ action: 'leave', room: name, member: JSON.parse(json) as PresenceMember, clean: true });
    }
    if (room === undefined) await redis.del(this.#rooms(connectionId));
  }

  /**
   * Keeps the connection's entries alive (every request of a member does,
   * keep-alives included), and clears out anyone in those rooms whose time is up.
   */
  async refresh(connectionId: string): Promise<void> {
    const redis = await this.#usable();
    const rooms = await redis.smembers(this.#rooms(connectionId));
    if (rooms.length === 0) return;
    await redis.pexpire(this.#rooms(connectionId), this.#lifetimeMs * 2);
    for (const room of rooms) {
      await redis.presenceRefresh(this.#zset(room), connectionId, this.#lifetimeMs);
      await this.#sweep(room);
    }
  }

  /** The room's members now, oldest entry first is not promised. */
  async members(room: string): Promise<PresenceMember[]> {
    checkRoom(room);
    await this.#sweep(room);
    const redis = await this.#usable();
    const all = await redis.hvals(this.#hash(room));
    return all.map((json) => JSON.parse(json) as PresenceMember);
  }

  /** How many connections are in the room now. */
  async count(room: string): Promise<number> {
    checkRoom(room);
    await this.#sweep(room);
    return (await this.#usable()).zcard(this.#zset(room));
  }

  /**
   * Wraps a function's handlers: every request of a member refreshes it
   * (the keep-alive requests the proxy makes while the client is quiet
   * too), and a close (clean or not) leaves every room.
   */
  handlers(handlers: WebSocketHandlers): WebSocketHandlers {
    return {
      ...handlers,
      // Presence failing (Redis down) must not close the connection: logged, and the
      // entry is refreshed by the next request or expires as a vanished member's would.
      onRequest: async (ctx) => {
        if (ctx.meta.get(PRESENCE_META) !== undefined)
          await this.refresh(ctx.id).catch((error: unknown) => logFailure('refresh', ctx.id, error));
        await handlers.onRequest?.(ctx);
      },
      onClose: async (ctx, close) => {
        try {
          await handlers.onClose?.(ctx, close);
        } finally {
          if (ctx.meta.get(PRESENCE_META) !== undefined)
            await this.leave(ctx.id).catch((error: unknown) => logFailure('leave', ctx.id, error));
        }
      },
    };
  }

  /** Closes the connection; later calls fail instead of connecting again. */
  async close(): Promise<void> {
    this.#closed = true;
    const redis = this.#redis;
    this.#redis = undefined;
    if (redis === undefined) return;
    const client = await redis.catch(() => undefined);
    // QUIT needs an answer: to a Redis that is down, just drop the connection (and its reconnecting).
    if (client?.status === 'ready') await client.quit();
    else client?.disconnect();
  }

  async #sweep(room: string): Promise<void> {
    const gone = await (await this.#usable()).presenceSweep(this.#zset(room), this.#hash(room));
    for (const json of gone) await this.#announce({ action: 'leave', room, member: JSON.parse(json) as PresenceMember, clean: false });
  }

  async #announce(change: PresenceChange): Promise<void> {
    if (this.#onChange === undefined) return;
    try {
      await this.#onChange(change);
    } catch (error) {
      console.error(
        `[grip-lambda] presence: announcing ${change.action} of ${change.member.connectionId} in ${change.room} failed: ${(error as Error).message}`,
      );
    }
  }
}

function logFailure(what: string, connectionId: string, error: unknown): void {
  console.error(`[grip-lambda] presence: ${what} of connection ${connectionId} failed: ${(error as Error).message}`);
}

function checkRoom(room: string): void {
  if (typeof room !== 'string' || room.length === 0) throw new TypeError('room must be a non-empty string');
}

let shared: RedisPresence | null | undefined;

/**
 * The container's presence when REDIS_URL is set, else null; made (and
 * connecting) on the first call, so call it at module load. Its options are
 * those of that first call; PRESENCE_LEAVE_SECONDS sets `leaveAfterSeconds`.
 */
export function getPresence(
  options: Omit<PresenceOptions, 'leaveAfterSeconds'> = {},
  env: { readonly REDIS_URL?: string | undefined; readonly PRESENCE_LEAVE_SECONDS?: string | undefined } = process.env,
): RedisPresence | null {
  if (shared === undefined) {
    const leave = env.PRESENCE_LEAVE_SECONDS;
    if (leave !== undefined && leave !== '' && !/^\d+$/.test(leave)) {
      throw new Error(`PRESENCE_LEAVE_SECONDS must be a whole number of seconds, got ${JSON.stringify(leave)}`);
    }
    shared = env.REDIS_URL
      ? new RedisPresence(env.REDIS_URL, { ...options, ...(leave ? { leaveAfterSeconds: Number(leave) } : {}) })
      : null;
    shared?.warm();
  }
  return shared;
}

/** Closes the shared presence's connection (for hosts that outlive their Redis, like the local stack). */
export async function closeSharedPresence(): Promise<void> {
  const presence = shared;
  shared = undefined;
  await presence?.close().catch(() => undefined);
}
