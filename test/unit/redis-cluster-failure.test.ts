// What a Redis Cluster without replicas loses when a master dies, measured
// on clusters of this test's own (three masters, redis-server in cluster
// mode): how the stores answer while it is down, under each setting of
// cluster-require-full-coverage, and what it has when it comes back, with
// and without an append-only file.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FEED_START, FeedUnavailableError } from '../../src/feed/feed.js';
import { RedisFeed } from '../../src/feed/redis-feed.js';
import { startTestRedisCluster, type TestRedisCluster } from '../support/redis-cluster.js';
import { timed } from '../support/timed.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withCluster(options: Parameters<typeof startTestRedisCluster>[0], body: (cluster: TestRedisCluster) => Promise<void>) {
  const cluster = await startTestRedisCluster(options);
  try {
    await body(cluster);
  } finally {
    await cluster.close();
  }
}

async function eventually(what: string, condition: () => Promise<boolean>, ms = 15_000): Promise<number> {
  const started = performance.now();
  while (!(await condition())) {
    assert.ok(performance.now() - started < ms, `${what} within ${ms} ms`);
    await sleep(100);
  }
  return performance.now() - started;
}

describe('a master of three dies (no replicas)', () => {
  test('cluster-require-full-coverage no: only its slots fail, fast, before and after the others mark it failed; the rest answer', async (t) => {
    await withCluster({ requireFullCoverage: false, nodeTimeoutMs: 1000 }, async (cluster) => {
      const names = await cluster.namesOnEveryMaster('coverage-no');
      const feed = new RedisFeed(cluster.url);
      try {
        for (const name of names) await feed.append(name, 'before');
        await cluster.kill(1);
        const early = await timed(() => feed.append(names[1]!, 'lost'));
        const failedAfterMs = await eventually('the others mark it failed', () => cluster.markedFailed(1));
        const late = await timed(() => feed.after(names[1]!, FEED_START));
        for (const attempt of [early, late]) {
          assert.ok(attempt.error instanceof FeedUnavailableError, `FeedUnavailableError, not ${String(attempt.error)}`);
          assert.ok(attempt.ms < 1_500, `within the 1 s budget (${attempt.ms.toFixed(0)} ms)`);
        }
        for (const i of [0, 2]) {
          assert.equal((await feed.append(names[i]!, 'after')).duplicate, false, `master ${i} still takes appends`);
          assert.equal((await feed.after(names[i]!, FEED_START)).length, 2);
        }
        t.diagnostic(
          `dead slots failed in ${early.ms.toFixed(0)} ms (before it was marked failed) and ${late.ms.toFixed(0)} ms (after, ${failedAfterMs.toFixed(0)} ms later); the other masters answered throughout`,
        );
      } finally {
        await feed.close();
      }
    });
  });

  test("cluster-require-full-coverage yes (Redis's default): once the others mark it failed, every slot fails, within the budget, until it is back", async (t) => {
    await withCluster({ requireFullCoverage: true, nodeTimeoutMs: 1000 }, async (cluster) => {
      const names = await cluster.namesOnEveryMaster('coverage-yes');
      const feed = new RedisFeed(cluster.url);
      try {
        await cluster.kill(1);
        const downAfterMs = await eventually('a live master refuses too', async () => {
          const attempt = await timed(() => feed.append(names[0]!, 'x'));
          if (attempt.error === undefined) return false;
          assert.ok(attempt.error instanceof FeedUnavailableError, String(attempt.error));
          assert.match(attempt.error.message, /CLUSTERDOWN/);
          assert.ok(attempt.ms < 1_500, `within the budget (${attempt.ms.toFixed(0)} ms)`);
          return true;
        });
        await assert.rejects(feed.after(names[2]!, FEED_START), FeedUnavailableError);
        await cluster.start(1);
        const backAfterMs = await eventually('every master answers again', async () => {
          const attempts = await Promise.all(names.map((name) => timed(() => feed.append(name, 'back'))));
          return attempts.every((attempt) => attempt.error === undefined);
        });
        t.diagnostic(
          `every slot refused (CLUSTERDOWN) ${downAfterMs.toFixed(0)} ms after one master of three was killed (cluster-node-timeout 1000 ms); all answered again ${backAfterMs.toFixed(0)} ms after it was back`,
        );
      } finally {
        await feed.close();
      }
    });
  });

  test('with an append-only file (everysec), a master killed mid-burst comes back with every append it acknowledged', async (t) => {
    await withCluster({ appendOnly: true }, async (cluster) => {
      const [, name] = await cluster.namesOnEveryMaster('aof');
      const feed = new RedisFeed(cluster.url);
      try {
        const acknowledged: string[] = [];
        let failed = 0;
        const burst = (async () => {
          for (let i = 0; failed === 0 && i < 100_000; i++) {
            await feed.append(name!, `m${i}`).then(
              (result) => acknowledged.push(result.id),
              () => failed++,
            );
          }
        })();
        await eventually('appends under way', async () => acknowledged.length >= 200);
        await cluster.kill(1);
        await burst;
        await cluster.start(1);
        let kept: string[] | undefined;
        await eventually('the master answers again', async () => {
          kept = await feed.after(name!, FEED_START, 1_000_000).then(
            (items) => items.map((item) => item.id),
            () => undefined,
          );
          return kept !== undefined;
        });
        const missing = acknowledged.filter((id) => !kept!.includes(id));
        assert.deepEqual(missing, [], 'every acknowledged append is there');
        t.diagnostic(
          `${acknowledged.length} appends acknowledged before the kill; ${missing.length} missing after the restart (${kept!.length} kept)`,
        );
      } finally {
        await feed.close();
      }
    });
  });

  test('without persistence, a killed master comes back empty: its channels lose their history, idempotency keys and the chain of ids', async (t) => {
    await withCluster({ appendOnly: false }, async (cluster) => {
      const [kept, name] = await cluster.namesOnEveryMaster('no-persistence');
      const feed = new RedisFeed(cluster.url);
      try {
        for (let i = 0; i < 5; i++) await feed.append(name!, `m${i}`, { key: `k${i}` });
        await feed.append(kept!, 'on another master');
        const lastBefore = await feed.lastId(name!);
        await cluster.kill(1);
        await cluster.start(1);
        await eventually('the master answers again', async () => (await feed.lastId(name!).catch(() => undefined)) !== undefined);
        assert.equal(await feed.lastId(name!), FEED_START, 'its history is gone');
        const again = await feed.append(name!, 'm0 again', { key: 'k0' });
        assert.equal(again.duplicate, false, 'its idempotency keys are forgotten: a retry is stored again');
        assert.equal(again.prevId, FEED_START, 'the chain starts over: a client holding an older id sees a new start');
        assert.deepEqual(
          await feed.after(name!, lastBefore),
          [again].map(({ id }) => ({ id, data: 'm0 again' })),
        );
        assert.equal((await feed.after(kept!, FEED_START)).length, 1, 'the other masters keep theirs');
        t.diagnostic('without an append-only file (or a replica) the restarted master had none of its 5 items and 5 idempotency keys');
      } finally {
        await feed.close();
      }
    });
  });
});
