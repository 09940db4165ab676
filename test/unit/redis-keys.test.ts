// Where the Redis stores keep a channel: every key of it under the hash tag
// {channel} (one Redis Cluster slot), and a feed written under the key
// names used before hash tags carried over on its first use, ids and
// idempotency keys included, so an upgrade loses no history.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { FEED_START } from '../../src/feed/feed.js';
import { RedisFeed } from '../../src/feed/redis-feed.js';
import { RedisPresenceStore } from '../../src/presence/redis-store.js';
import { RedisSequences } from '../../src/publish/redis-sequences.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';

let redis: TestRedis;
let observer: Redis;

before(async () => {
  redis = await startTestRedis();
  observer = new Redis(redis.url);
});

after(async () => {
  observer?.disconnect();
  await redis?.close();
});

test('every key of a channel, room or connection carries its hash tag', async () => {
  const feed = new RedisFeed(redis.url);
  const presence = new RedisPresenceStore(redis.url);
  const sequences = new RedisSequences(redis.url);
  try {
    await feed.append('tagged', 'x', { key: 'k' });
    await presence.join('tagged', { connectionId: 'c-1' }, 60_000);
    await sequences.next('tagged');
    assert.deepEqual((await observer.keys('*')).sort(), [
      'feed:{tagged}',
      'feed:{tagged}:keys',
      'presence:conn:{c-1}',
      'presence:{tagged}',
      'presence:{tagged}:data',
      'seq:{tagged}',
    ]);
  } finally {
    await feed.close();
    await presence.close();
    await sequences.close();
    await observer.flushall();
  }
});

test('a feed under the earlier key names is carried over on first use: items, ids, idempotency keys', async () => {
  const oldId = (await observer.xadd('feed:old-room', '*', 'd', 'before the upgrade')) as string;
  await observer.hset('feed:keys:old-room', 'k-old', `${oldId} ${FEED_START}`);
  const untouched = (await observer.xadd('feed:read-first', '*', 'd', 'read before any append')) as string;
  const feed = new RedisFeed(redis.url);
  try {
    assert.deepEqual(await feed.after('read-first', FEED_START), [{ id: untouched, data: 'read before any append' }]);
    const repeat = await feed.append('old-room', 'resent', { key: 'k-old' });
    assert.deepEqual(repeat, { id: oldId, prevId: FEED_START, duplicate: true }, 'the idempotency key carried over');
    const next = await feed.append('old-room', 'after the upgrade');
    assert.equal(next.prevId, oldId, 'the chain of ids goes on');
    assert.deepEqual(
      (await feed.after('old-room', FEED_START)).map((item) => item.data),
      ['before the upgrade', 'after the upgrade'],
    );
    assert.equal(await observer.exists('feed:old-room', 'feed:keys:old-room', 'feed:read-first'), 0, 'the old names are gone');
  } finally {
    await feed.close();
  }
});

test('an old name holding another type (channel "room"\'s idempotency hash, named like channel "keys:room"\'s stream) is adopted only as that type', async () => {
  await observer.hset('feed:keys:room', 'k', '1-0 0-0');
  const feed = new RedisFeed(redis.url);
  try {
    assert.equal(await feed.lastId('keys:room'), FEED_START);
    assert.equal(await observer.type('feed:keys:room'), 'hash', 'not taken as the stream of "keys:room"');
    assert.deepEqual(await feed.append('room', 'x', { key: 'k' }), { id: '1-0', prevId: FEED_START, duplicate: true });
    assert.equal(await observer.type('feed:{room}:keys'), 'hash');
  } finally {
    await feed.close();
  }
});
