// The store contracts (test/contract) against a real redis-server of this
// test's own: the feed, presence and sequence stores every backend passes.
import { after, before } from 'node:test';
import { RedisFeed } from '../../src/feed/redis-feed.js';
import { RedisPresenceStore } from '../../src/presence/redis-store.js';
import { RedisSequences } from '../../src/publish/redis-sequences.js';
import { ChannelSequencer } from '../../src/publish/sequence.js';
import { runFeedContract } from '../contract/feed.js';
import { runPresenceContract } from '../contract/presence.js';
import { runSequenceContract } from '../contract/sequences.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';

let redis: TestRedis;

before(async () => {
  redis = await startTestRedis();
});

after(async () => {
  await redis?.close();
});

runFeedContract('Redis', (settings) => new RedisFeed(redis.url, settings));
runPresenceContract('Redis', () => new RedisPresenceStore(redis.url));
runSequenceContract('Redis', () => new RedisSequences(redis.url), {
  shared: true,
  close: (store) => (store as RedisSequences).close(),
});
runSequenceContract('memory (ChannelSequencer)', () => new ChannelSequencer(), { shared: false });
