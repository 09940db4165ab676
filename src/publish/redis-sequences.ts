import { storeConnection, type RedisClient, type RedisConnection, type RedisScript } from '../redis/connection.js';
import { checkKeyPrefix, checkName, taggedKey } from '../redis/keys.js';
import { StoreUnavailableError } from '../store/unavailable.js';
import type { SequenceMark, SequenceStore } from './sequence.js';

export interface RedisSequencesOptions {
  /** Key prefix (without `{` or `}`); default "seq:". A channel's counter is `seq:{channel}`. */
  readonly keyPrefix?: string;
  /** Seconds a channel's numbering outlives its last message; then it starts again under a new `pub`. Default one day. */
  readonly idleSeconds?: number;
  /** Longest an operation waits for Redis, in ms; default 1000. */
  readonly timeoutMs?: number;
}

/**
 * KEYS: the channel's counter hash. ARGV: the pub a new numbering gets, its lifetime (s).
 * Returns {pub, seq}: the numbering's pub, and the next number in it.
 */
const NEXT: RedisScript = {
  name: 'gripSequenceNext',
  lua: `
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local pub = redis.call('HGET', KEYS[1], 'pub')
if seq == 1 or not pub then
  pub = ARGV[1]
  redis.call('HSET', KEYS[1], 'pub', pub)
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {pub, seq}`,
};

/**
 * Sequence numbers kept in Redis: one numbering per channel for every
 * container, so a client follows one `pub` per channel however many
 * containers publish. Marks come back in the order they were asked for on
 * one connection; messages from different containers may still reach a
 * client out of order, which SequenceWatcher allows for.
 */
export class RedisSequences implements SequenceStore {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  readonly #idleSeconds: number;
  #closed = false;

  /** `redis` as for RedisFeed: a URL (the process's one connection to it), a RedisConnection, or a client of your own. */
  constructor(redis: RedisClient | RedisConnection | string, options: RedisSequencesOptions = {}) {
    this.#connection = storeConnection(redis, options.timeoutMs);
    this.#prefix = checkKeyPrefix(options.keyPrefix ?? 'seq:');
    this.#idleSeconds = options.idleSeconds ?? 86_400;
    if (!Number.isInteger(this.#idleSeconds) || this.#idleSeconds < 1) {
      throw new TypeError(`idleSeconds must be a whole number of seconds >= 1, got ${this.#idleSeconds}`);
    }
    this.#connection.define(NEXT);
  }

  async next(channel: string): Promise<SequenceMark> {
    checkName('channel', channel);
    if (this.#closed) throw new StoreUnavailableError('sequence next: the sequence store is closed');
    const key = taggedKey(this.#prefix, channel);
    const [pub, seq] = await this.#connection.run('sequence next', (redis) =>
      this.#connection.script<[string, number]>(redis, NEXT, [key], [newPub(), this.#idleSeconds]),
    );
    return { pub, seq };
  }

  /** Releases the connection (closed once no other user has it). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#connection.release();
  }
}

/** 48 random bits, as 8 base64url characters: tells one numbering of a channel from the one before it. */
function newPub(): string {
  const bytes = Buffer.alloc(6);
  bytes.writeUIntBE(Math.floor(Math.random() * 2 ** 48), 0, 6);
  return bytes.toString('base64url');
}
