// The store contracts (test/contract) against a real three-master Redis
// Cluster of this test's own, with REDIS_URL naming the masters
// comma-separated, and the names the suites use drawn in turn from each
// master's slots, so they reach all three by construction. Then the
// cluster connection itself: one ioredis Cluster per process per node set
// (one client connection to each master), scripts in one slot, and the
// URL list's bad forms refused with a clear error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { Feed } from '../../src/feed/feed.js';
import { RedisFeed } from '../../src/feed/redis-feed.js';
import { RedisPresenceStore } from '../../src/presence/redis-store.js';
import type { PresenceStore } from '../../src/presence/store.js';
import { RedisSequences } from '../../src/publish/redis-sequences.js';
import type { SequenceStore } from '../../src/publish/sequence.js';
import { sharedRedis } from '../../src/redis/connection.js';
import { parseRedisUrl } from '../../src/redis/urls.js';
import { runFeedContract } from '../contract/feed.js';
import type { MakeName, NameKind } from '../contract/names.js';
import { runPresenceContract } from '../contract/presence.js';
import { runSequenceContract } from '../contract/sequences.js';
import { startTestRedisCluster, type TestRedisCluster } from '../support/redis-cluster.js';

let cluster: TestRedisCluster;

/** Per suite and kind, names whose keys live on node 0, 1, 2, 0, ... in turn; filled once the cluster is up. */
const pools = new Map<string, string[]>();
const SUITE_KINDS: [string, NameKind][] = [
  ['feed', 'channel'],
  ['presence', 'room'],
  ['presence', 'connection'],
  ['presence', 'user'],
  ['sequences', 'channel'],
];

before(async () => {
  cluster = await startTestRedisCluster();
  for (const [suite, kind] of SUITE_KINDS) pools.set(`${suite}/${kind}`, await cluster.namesInTurn(`${suite}-${kind}`, 40));
});

/** The suite's names, taken in turn from each master, so every suite reaches all three masters whatever its tests do. */
const inTurn =
  (suite: string): MakeName =>
  (kind) => {
    const name = pools.get(`${suite}/${kind}`)?.shift();
    if (name === undefined) throw new Error(`no ${kind} name left for the ${suite} suite: raise the pool size in before()`);
    return name;
  };

after(async () => {
  await cluster?.close();
});

/** Every channel, room and connection id the contract suites used, to check where their keys live. */
const names = { channels: new Set<string>(), rooms: new Set<string>(), connections: new Set<string>() };

/** The store as made, with the names it is asked about noted on the way (its behaviour unchanged). */
function noting<T extends object>(store: T, note: (method: string, args: unknown[]) => void): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        note(String(property), args);
        return (value as (...args: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const noteChannel = (_method: string, args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0] !== '') names.channels.add(args[0]);
};

runFeedContract('Redis Cluster (3 masters)', (settings) => noting<Feed>(new RedisFeed(cluster.url, settings), noteChannel), inTurn('feed'));
runPresenceContract(
  'Redis Cluster (3 masters)',
  () =>
    noting<PresenceStore>(new RedisPresenceStore(cluster.url), (method, args) => {
      const [first, second] = args;
      if (['join', 'leave', 'expire', 'members', 'count'].includes(method) && typeof first === 'string' && first !== '')
        names.rooms.add(first);
      if (['rooms', 'forget', 'refresh'].includes(method) && typeof first === 'string') names.connections.add(first);
      if (method === 'leave' && typeof second === 'string') names.connections.add(second);
      const member = method === 'join' ? (second as { connectionId?: unknown } | undefined) : undefined;
      if (typeof member?.connectionId === 'string' && member.connectionId !== '') names.connections.add(member.connectionId);
    }),
  inTurn('presence'),
);
runSequenceContract('Redis Cluster (3 masters)', () => noting<SequenceStore>(new RedisSequences(cluster.url), noteChannel), {
  shared: true,
  close: (store) => (store as RedisSequences).close(),
  makeName: inTurn('sequences'),
});

describe('the contract suites ran on every master', () => {
  test('their channels, rooms and connections hash (CLUSTER KEYSLOT of the {name} tag) to slots of all three masters', async () => {
    for (const [kind, set] of Object.entries(names)) {
      assert.ok(set.size >= 10, `the suites used ${kind} (${set.size})`);
      const owners = new Set(await Promise.all([...set].map((name) => cluster.ownerOf(`{${name}}`))));
      assert.deepEqual([...owners].sort(), [0, 1, 2], `${kind} on every master`);
    }
  });
});

describe('one cluster connection per process per node set', () => {
  /** Client connections each master sees, other than the test's observers. */
  async function clientsPerMaster(observers: readonly Redis[]): Promise<number[]> {
    return Promise.all(
      observers.map(async (observer) => {
        const list = (await observer.client('LIST')) as string;
        return list.trim().split('\n').length - 1;
      }),
    );
  }

  test('the same masters named in any order share one connection: one client connection to each master, however many stores and operations', async () => {
    const observers = cluster.nodes.map(({ port }) => new Redis({ port, host: '127.0.0.1' }));
    const [a, b, c] = cluster.url.split(',');
    const reordered = `${c},${a},${b}`;
    const feed = new RedisFeed(cluster.url);
    const presence = new RedisPresenceStore(reordered);
    const sequences = new RedisSequences(` ${b} , ${c},${a}`);
    try {
      const before = await clientsPerMaster(observers);
      const [one, same] = [sharedRedis(reordered), sharedRedis(cluster.url)];
      assert.equal(one, same, 'one connection object');
      await Promise.all([one.release(), same.release()]);
      const spread = await cluster.namesOnEveryMaster('shared');
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => {
          const name = spread[i % 3]!;
          if (i % 3 === 0) return feed.append(name, `m${i}`);
          if (i % 3 === 1) return presence.join(name, { connectionId: `c${i}` }, 60_000);
          return sequences.next(name);
        }),
      );
      const during = await clientsPerMaster(observers);
      assert.deepEqual(
        during.map((count, i) => count - before[i]!),
        [1, 1, 1],
        `one more client connection on each master (before ${before}, during ${during})`,
      );
    } finally {
      await Promise.all([feed.close(), presence.close(), sequences.close()]);
      for (const observer of observers) observer.disconnect();
    }
  });

  test('a script names keys of one slot: a channel under the old key format is not read in a cluster (no CROSSSLOT)', async () => {
    const [name] = await cluster.namesOnEveryMaster('old-format');
    const feed = new RedisFeed(cluster.url);
    try {
      assert.equal((await feed.append(name!, 'x')).prevId, '0-0');
      assert.equal((await feed.after(name!, '0-0')).length, 1);
    } finally {
      await feed.close();
    }
  });
});

describe('REDIS_URL naming a cluster', () => {
  test('several URLs, comma-separated, are the nodes of one cluster; bare HOST:PORT entries take the first entry’s scheme and credentials', () => {
    const target = parseRedisUrl('rediss://user:p%40ss@h1:7000, h2:7001,rediss://user:p%40ss@[::1]:7002');
    assert.equal(target.kind, 'cluster');
    assert.ok(target.kind === 'cluster');
    assert.deepEqual(target.nodes, [
      { host: 'h1', port: 7000 },
      { host: 'h2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    assert.deepEqual(target.settings, { username: 'user', password: 'p@ss', tls: true, query: {} });
    assert.doesNotMatch(target.where, /p@ss|p%40ss/, 'no password in log lines');
    assert.equal(parseRedisUrl('redis://h1:7000').kind, 'single');
    const one = parseRedisUrl('redis://a:1,redis://b:2');
    const other = parseRedisUrl('redis://b:2,redis://a:1/0');
    assert.ok(one.kind === 'cluster' && other.kind === 'cluster');
    assert.equal(one.key, other.key, 'the same nodes in another order are the same cluster');
  });

  test('a list that does not name a cluster clearly is refused at once, naming the entry and the problem', () => {
    const refused: [string, RegExp][] = [
      ['redis://a:1,,redis://b:2', /has an empty entry; the form is redis:\/\/HOST:PORT,redis:\/\/HOST:PORT/],
      ['redis://a:1,', /has an empty entry/],
      ['a:1,b:2', /the first entry must be a redis:\/\/ or rediss:\/\/ URL/],
      ['redis://a:1,http://b:2', /entry 2 has scheme http:, not redis: or rediss:/],
      ['redis://a:1,rediss://b:2', /entry 2 \(b:2\) differs from the first in scheme or credentials/],
      ['redis://u:x@a:1,redis://u:y@b:2', /entry 2 \(b:2\) differs from the first in scheme or credentials/],
      ['redis://a:1/2,redis://b:2/2', /entry 1 names database 2; a cluster has database 0 only/],
      ['redis://a:1?family=6,redis://b:2', /entry 2 \(b:2\) has other options \(query\) than the first/],
      ['redis://:pa,ss@a:1', /is not a URL; .*a comma inside a password is written %2C/],
    ];
    for (const [url, message] of refused) {
      assert.throws(() => parseRedisUrl(url), message, url);
      assert.throws(() => new RedisFeed(url), message, `RedisFeed(${url})`);
    }
    assert.throws(
      () => parseRedisUrl('redis://:secret@a:1,,redis://:secret@b:2'),
      (error: Error) => !error.message.includes('secret'),
      'no password in the message',
    );
  });
});
