import type { RedisScript } from '../redis/connection.js';

// A room's keys share its hash tag: KEYS[1] the zset of connection → expiry
// time (ms), KEYS[2] the hash of connection → member JSON. Times are the
// server's, so containers with skewed clocks agree on what has expired.
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** ARGV: connection, member JSON, lifetime ms. Returns 1 for a new member, 0 for an update. */
export const JOIN: RedisScript = {
  name: 'gripPresenceJoin',
  lua: `${NOW}
local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return added`,
};

/** ARGV: connection. Returns the member JSON if it was there. */
export const LEAVE: RedisScript = {
  name: 'gripPresenceLeave',
  lua: `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return false end
local data = redis.call('HGET', KEYS[2], ARGV[1]) or '{}'
redis.call('HDEL', KEYS[2], ARGV[1])
return data`,
};

/**
 * ARGV: connection, lifetime ms. Pushes the member's expiry back if it is
 * still there: one whose time was up but that no one has removed yet comes
 * back (a member whose refreshes failed while Redis was away, say).
 */
export const REFRESH: RedisScript = {
  name: 'gripPresenceRefresh',
  lua: `${NOW}
return redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])`,
};

/** Removes the members whose time is up; returns them (JSON each). */
export const EXPIRE: RedisScript = {
  name: 'gripPresenceExpire',
  lua: `${NOW}
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {}
for _, id in ipairs(gone) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    out[#out + 1] = redis.call('HGET', KEYS[2], id) or '{}'
    redis.call('HDEL', KEYS[2], id)
  end
end
return out`,
};

/** The members whose time is not up (JSON each). */
export const MEMBERS: RedisScript = {
  name: 'gripPresenceMembers',
  lua: `${NOW}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
local out = {}
for _, id in ipairs(ids) do
  local json = redis.call('HGET', KEYS[2], id)
  if json then out[#out + 1] = json end
end
return out`,
};

/** How many members' time is not up. */
export const COUNT: RedisScript = {
  name: 'gripPresenceCount',
  lua: `${NOW}
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')`,
};

// A user's connections: KEYS[1] the zset of connection → expiry time (ms),
// under the user's hash tag. The key lives as long as its latest entry, so
// a user whose connections all vanished leaves nothing behind.
const KEEP_KEY = `if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[#ARGV]) then redis.call('PEXPIRE', KEYS[1], ARGV[#ARGV]) end`;

/** ARGV: connection, max, lifetime ms. Returns 1 when admitted (or already counted), 0 when the user has max. */
export const ADMIT_USER_CONNECTION: RedisScript = {
  name: 'gripUserConnectionAdmit',
  lua: `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
${KEEP_KEY}
return 1`,
};

/** ARGV: connection, lifetime ms. Puts the entry back if it is gone; returns 1 when it was there and unexpired. */
export const RENEW_USER_CONNECTION: RedisScript = {
  name: 'gripUserConnectionRenew',
  lua: `${NOW}
local exp = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
${KEEP_KEY}
if exp and tonumber(exp) > now then return 1 end
return 0`,
};

/** ARGV: connection. Returns 1 when it was there and unexpired. */
export const RELEASE_USER_CONNECTION: RedisScript = {
  name: 'gripUserConnectionRelease',
  lua: `${NOW}
local exp = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
if exp and tonumber(exp) > now then return 1 end
return 0`,
};
