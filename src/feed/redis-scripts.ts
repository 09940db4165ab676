import type { RedisScript } from '../redis/connection.js';
import { FEED_START } from './feed.js';

// KEYS: stream, idempotency hash, then (optional) the same two under the
// key format before hash tags (feed:CHANNEL, feed:keys:CHANNEL). A channel
// still under the old names is renamed to the new ones on its first use, so
// its history and ids carry over an upgrade. Only on a single Redis: in a
// cluster the old keys live in other slots (and no cluster ran the old format).
const ADOPT = `
local function adopt(new, old, kind)
  if redis.call('EXISTS', new) == 0 and redis.call('TYPE', old).ok == kind then redis.call('RENAME', old, new) end
end
if #KEYS == 4 then
  adopt(KEYS[1], KEYS[3], 'stream')
  adopt(KEYS[2], KEYS[4], 'hash')
end
`;

/**
 * Reads the last id and appends in one step, so ids and prev-ids form one
 * unbroken chain even with concurrent writers. With an idempotency key, a
 * repeat returns the first append's ids.
 * ARGV: data, key ('' for none), max length, key lifetime (s). Returns {id, prev, duplicate}.
 */
export const APPEND: RedisScript = {
  name: 'gripFeedAppend',
  lua: `${ADOPT}
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
return {id, prev, 0}`,
};

/** Deletes the item, and its idempotency key only if the key still names that item. ARGV: id, key ('' for none). */
export const RETRACT: RedisScript = {
  name: 'gripFeedRetract',
  lua: `${ADOPT}
redis.call('XDEL', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then
  local seen = redis.call('HGET', KEYS[2], ARGV[2])
  if seen and string.sub(seen, 1, #ARGV[1] + 1) == ARGV[1] .. ' ' then redis.call('HDEL', KEYS[2], ARGV[2]) end
end
return 1`,
};

/** Items after an id (exclusive), oldest first. ARGV: '(' .. id, count. */
export const AFTER: RedisScript = {
  name: 'gripFeedAfter',
  lua: `${ADOPT}
return redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])`,
};

/** The newest item's id, or false for an empty feed. */
export const LAST_ID: RedisScript = {
  name: 'gripFeedLastId',
  lua: `${ADOPT}
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last == 0 then return false end
return last[1][1]`,
};
