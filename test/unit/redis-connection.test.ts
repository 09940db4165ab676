// The one Redis connection the feed, presence and sequence stores share,
// against a real redis-server of this test's own: one client per process
// per URL however many stores, functions and requests use it; bounded
// failures while Redis is stopped or not answering, one log line each way,
// recovery by itself, nothing sent late; error replies kept as they are.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { FEED_START, FeedUnavailableError } from '../../src/feed/feed.js';
import { RedisFeed } from '../../src/feed/redis-feed.js';
import { closeSharedFeed, getFeed } from '../../src/feed/shared.js';
import { RedisPresence } from '../../src/presence/redis-presence.js';
import { closeSharedPresence, getPresence } from '../../src/presence/shared.js';
import { RedisSequences } from '../../src/publish/redis-sequences.js';
import { redisClientOptions } from '../../src/redis/client-options.js';
import { RedisConnection, sharedRedis } from '../../src/redis/connection.js';
import { StoreUnavailableError } from '../../src/store/unavailable.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { timed } from '../support/timed.js';

let redis: TestRedis;
/** A plain client of the test's, to look at the server from outside. */
let observer: Redis;

before(async () => {
  redis = await startTestRedis();
  observer = new Redis(redis.url);
});

after(async () => {
  observer?.disconnect();
  await redis?.close();
});

/** The clients connected to the server, other than the observer. */
async function clients(): Promise<number> {
  const list = (await observer.client('LIST')) as string;
  return list.trim().split('\n').length - 1;
}

/** Collects the connection's log lines while `body` runs. */
async function withLog(body: (lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  const consoleError = console.error;
  console.error = (...args: unknown[]) => void lines.push(String(args[0]));
  try {
    await body(lines);
  } finally {
    console.error = consoleError;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, attempt: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    assert.ok(Date.now() - started < ms, what);
    await sleep(50);
  }
}

describe('one connection per process per URL', () => {
  test('the feed, two presences, sequences and 200 concurrent operations share one client', async () => {
    const env = { REDIS_URL: redis.url };
    const before = await clients();
    const feed = getFeed(env)!;
    const chat = getPresence({ onChange: () => undefined }, env)!;
    const lobby = getPresence({ onChange: () => undefined }, env)!;
    const sequences = new RedisSequences(redis.url);
    const ownFeed = new RedisFeed(redis.url);
    try {
      await Promise.all([
        ...Array.from({ length: 100 }, (_, i) => feed.append('shared', `m${i}`)),
        ...Array.from({ length: 50 }, () => chat.count('room')),
        ...Array.from({ length: 25 }, () => lobby.count('room')),
        ...Array.from({ length: 25 }, () => sequences.next('shared')),
        ownFeed.lastId('shared'),
      ]);
      assert.equal(await clients(), before + 1);
      assert.equal(getFeed(env), feed, 'getFeed: the same feed for the same URL');
    } finally {
      await ownFeed.close();
      await sequences.close();
      assert.equal(await clients(), before + 1, 'still open while others use it');
      await closeSharedFeed();
      await closeSharedPresence();
    }
    await until('the last user closed the connection', async () => ((await clients()) === before ? true : undefined));
    assert.equal(getFeed({}), null, 'no feed without REDIS_URL');
  });

  test('released by every user, it closes: later operations fail at once; the next user gets a new connection', async () => {
    const connection = sharedRedis(redis.url);
    const feed = new RedisFeed(redis.url);
    assert.equal(await feed.lastId('released'), FEED_START);
    await connection.release();
    await feed.close();
    await assert.rejects(feed.lastId('released'), FeedUnavailableError);
    await assert.rejects(
      connection.run('late', (client) => client.ping()),
      (error: unknown) => error instanceof StoreUnavailableError && /closed/.test(error.message),
    );
    const again = new RedisFeed(redis.url);
    try {
      assert.equal(await again.lastId('released'), FEED_START);
    } finally {
      await again.close();
    }
  });

  test('a client of your own is used as it is, and closed with the store', async () => {
    const client = new Redis(redis.url, redisClientOptions(1000));
    const feed = new RedisFeed(client);
    assert.equal((await feed.append('own-client', 'x')).prevId, FEED_START);
    await feed.close();
    await until('the client closed', async () => (client.status === 'end' ? true : undefined));
  });

  test("a Redis error reply about the command itself is passed on as it is, not as the store's unavailability", async () => {
    const connection = new RedisConnection(redis.url).retain();
    try {
      const failure = await timed(() => connection.run('bad command', (client) => client.call('NO-SUCH-COMMAND')));
      assert.equal((failure.error as Error).name, 'ReplyError');
      assert.ok(!(failure.error instanceof StoreUnavailableError));
      await observer.set('a-string', 'x');
      const feed = new RedisFeed(connection, { keyPrefix: 'wrong-type:' });
      await observer.set('wrong-type:{a-string}', 'not a stream');
      await assert.rejects(feed.append('a-string', 'x'), (error: unknown) => (error as Error).name === 'ReplyError');
      await feed.close();
    } finally {
      await connection.release();
    }
  });

  test('a key prefix with a hash tag of its own is refused', () => {
    assert.throws(() => new RedisFeed(redis.url, { keyPrefix: 'feed:{all}:' }), /without \{ or \}/);
  });
});

describe('Redis outages', () => {
  test('stopped: operations fail within the budget, then at once; one line each way; back by itself; a failed append is never stored later', async () => {
    await withLog(async (lines) => {
      const connection = new RedisConnection(redis.url).retain();
      const feed = new RedisFeed(connection);
      const presence = new RedisPresence(connection);
      try {
        assert.equal(await feed.lastId('outage'), FEED_START);
        await redis.stop();
        const first = await timed(() => feed.append('outage', 'told it failed'));
        assert.ok(first.error instanceof FeedUnavailableError, String(first.error));
        assert.ok(first.ms < 2_500, `within the budget (${first.ms.toFixed(0)} ms)`);
        await until('the outage noticed', async () => (lines.some((line) => line.includes('unreachable')) ? true : undefined));
        for (const operation of [() => feed.after('outage', FEED_START), () => presence.count('room'), () => presence.refresh('c1')]) {
          const later = await timed(operation);
          assert.ok(later.error instanceof StoreUnavailableError, String(later.error));
          assert.ok(later.ms < 200, `at once while known down (${later.ms.toFixed(0)} ms)`);
        }
        await redis.start();
        await until('the feed answers again', () => feed.lastId('outage'));
        await sleep(300); // a queued command would have been sent on reconnect by now
        assert.deepEqual(await feed.after('outage', FEED_START), [], 'nothing stored behind the caller');
        assert.equal(await presence.count('room'), 0);
        const said = lines.filter((line) => line.startsWith('[grip-lambda] redis:'));
        assert.equal(said.length, 2, JSON.stringify(said));
        assert.match(said[0]!, new RegExp(`127\\.0\\.0\\.1:${redis.port} unreachable`));
        assert.match(said[1]!, /reachable again/);
      } finally {
        await feed.close();
        await presence.close();
        await connection.release();
      }
    });
  });

  test('not answering (SIGSTOP): each operation fails within its budget; answering again, it works', async () => {
    const feed = new RedisFeed(redis.url, { timeoutMs: 500 });
    const sequences = new RedisSequences(redis.url, { timeoutMs: 500 });
    const pid = redis.service!.child.pid!;
    try {
      await feed.append('hang', 'up');
      process.kill(pid, 'SIGSTOP');
      const attempts = [
        await timed(() => feed.append('hang', 'hung')),
        await timed(() => feed.lastId('hang')),
        await timed(() => sequences.next('hang')),
      ];
      process.kill(pid, 'SIGCONT');
      for (const attempt of attempts) {
        assert.ok(attempt.error instanceof StoreUnavailableError, String(attempt.error));
        assert.ok(attempt.ms < 1_500, `within the 500 ms budget (${attempt.ms.toFixed(0)} ms)`);
      }
      const items = await until('the feed answers again', () => feed.after('hang', FEED_START));
      assert.equal(items[0]?.data, 'up');
    } finally {
      process.kill(pid, 'SIGCONT');
      await feed.close();
      await sequences.close();
    }
  });
});
