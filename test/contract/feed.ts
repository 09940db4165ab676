// The feed store contract: what reliable streams, SSE resume, /since, the
// client's gap recovery, idempotent POST /publish and the relay rely on.
// A backend runs it by passing a factory: runFeedContract('redis', make).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FEED_START, isStreamId, type Feed } from '../../src/feed/feed.js';
import { compareFeedIds } from './ids.js';
import { type MakeName, randomName } from './names.js';

export interface FeedContractSettings {
  /** Items kept per channel (the backend may keep somewhat more). */
  readonly maxLength?: number;
  /** Seconds an idempotency key is remembered. */
  readonly keyTtlSeconds?: number;
}

/** Makes a feed store on the backend under test; each is closed by the test that made it. */
export type MakeFeed = (settings: FeedContractSettings) => Feed | Promise<Feed>;

async function withFeed(make: MakeFeed, settings: FeedContractSettings, body: (feed: Feed) => Promise<void>): Promise<void> {
  const feed = await make(settings);
  try {
    await body(feed);
  } finally {
    await feed.close();
  }
}

export function runFeedContract(backend: string, make: MakeFeed, makeName: MakeName = randomName): void {
  const channel = () => makeName('channel');
  describe(`feed store contract: ${backend}`, () => {
    test('an empty channel: last id FEED_START, nothing after it', () =>
      withFeed(make, {}, async (feed) => {
        const name = channel();
        assert.equal(await feed.lastId(name), FEED_START);
        assert.deepEqual(await feed.after(name, FEED_START), []);
      }));

    test('appends get increasing feed ids, each naming the one before; the last id is the newest', () =>
      withFeed(make, {}, async (feed) => {
        const name = channel();
        const results = [];
        for (const data of ['one', 'two', 'three']) results.push(await feed.append(name, data));
        let prev = FEED_START;
        for (const result of results) {
          assert.ok(isStreamId(result.id), `${result.id} has the form of a feed id`);
          assert.equal(result.prevId, prev);
          assert.equal(result.duplicate, false);
          assert.equal(compareFeedIds(result.id, prev), 1, `${result.id} after ${prev}`);
          prev = result.id;
        }
        assert.equal(await feed.lastId(name), prev);
      }));

    test('after an id: the items after it, oldest first, up to the limit; nothing after the newest', () =>
      withFeed(make, {}, async (feed) => {
        const name = channel();
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await feed.append(name, `m${i}`)).id);
        assert.deepEqual(
          await feed.after(name, FEED_START),
          ids.map((id, i) => ({ id, data: `m${i}` })),
        );
        assert.deepEqual(
          (await feed.after(name, ids[1]!)).map((item) => item.data),
          ['m2', 'm3', 'm4'],
        );
        assert.deepEqual(
          (await feed.after(name, ids[0]!, 2)).map((item) => item.data),
          ['m1', 'm2'],
        );
        assert.deepEqual(await feed.after(name, ids[4]!), []);
      }));

    test('data comes back as it went in: empty, non-ASCII, CRLF, 100 kB', () =>
      withFeed(make, {}, async (feed) => {
        const name = channel();
        const data = ['', 'héllo wörld ✓ 🎉', 'a\r\nb\u0000c', 'x'.repeat(100_000)];
        for (const item of data) await feed.append(name, item);
        assert.deepEqual(
          (await feed.after(name, FEED_START)).map((item) => item.data),
          data,
        );
      }));

    test('channels are apart: items and ids of one never show in another', () =>
      withFeed(make, {}, async (feed) => {
        const [a, b] = [channel(), channel()];
        await feed.append(a, 'in a');
        assert.deepEqual(await feed.after(b, FEED_START), []);
        assert.equal(await feed.lastId(b), FEED_START);
        assert.equal((await feed.append(b, 'in b')).prevId, FEED_START);
      }));

    test('concurrent appends: every id distinct, and one unbroken chain of prev-ids in id order', () =>
      withFeed(make, {}, async (feed) => {
        const name = channel();
        const results = await Promise.all(Array.from({ length: 40 }, (_, i) => feed.append(name, `c${i}`)));
        const sorted = [...results].sort((x, y) => compareFeedIds(x.id, y.id));
        assert.equal(new Set(results.map((r) => r.id)).size, results.length);
        let prev = FEED_START;
        for (const result of sorted) {
          assert.equal(result.prevId, prev);
          prev = result.id;
        }
        assert.equal((await feed.after(name, FEED_START, 100)).length, 40);
      }));

    test('an idempotency key: a repeat stores nothing and gets the first ids back; other keys and channels are apart', () =>
      withFeed(make, {}, async (feed) => {
        const [name, other] = [channel(), channel()];
        const first = await feed.append(name, 'once', { key: 'k1' });
        const again = await feed.append(name, 'once, resent', { key: 'k1' });
        assert.deepEqual(again, { id: first.id, prevId: first.prevId, duplicate: true });
        const second = await feed.append(name, 'another', { key: 'k2' });
        assert.equal(second.duplicate, false);
        assert.equal(second.prevId, first.id);
        assert.equal((await feed.append(other, 'same key elsewhere', { key: 'k1' })).duplicate, false);
        assert.deepEqual(
          (await feed.after(name, FEED_START)).map((item) => item.data),
          ['once', 'another'],
        );
      }));

    test('concurrent appends with one key: one item stored, every caller gets its ids', () =>
      withFeed(make, {}, async (feed) => {
        const name = channel();
        const results = await Promise.all(Array.from({ length: 10 }, () => feed.append(name, 'racing', { key: 'same' })));
        assert.equal(results.filter((r) => !r.duplicate).length, 1);
        assert.equal(new Set(results.map((r) => r.id)).size, 1);
        assert.equal((await feed.after(name, FEED_START)).length, 1);
      }));

    test('retract takes the item out and forgets its key, so a retry appends anew', async () => {
      await withFeed(make, {}, async (feed) => {
        assert.ok(feed.retract, 'this backend supports retract');
        const name = channel();
        const kept = await feed.append(name, 'kept');
        const failed = await feed.append(name, 'publish failed', { key: 'k' });
        await feed.retract(name, failed.id, { key: 'k' });
        assert.deepEqual(
          (await feed.after(name, FEED_START)).map((item) => item.data),
          ['kept'],
        );
        const retried = await feed.append(name, 'publish failed', { key: 'k' });
        assert.equal(retried.duplicate, false);
        assert.notEqual(retried.id, failed.id);
        assert.equal(compareFeedIds(retried.id, kept.id), 1);
      });
    });

    test("retract leaves a key alone that names another item (a retry's), and an item without a key", () =>
      withFeed(make, {}, async (feed) => {
        assert.ok(feed.retract, 'this backend supports retract');
        const name = channel();
        const first = await feed.append(name, 'first', { key: 'k' });
        await feed.retract(name, first.id, { key: 'k' });
        const retry = await feed.append(name, 'retry', { key: 'k' });
        await feed.retract(name, first.id, { key: 'k' }); // late, for the first attempt
        assert.equal((await feed.append(name, 'retry again', { key: 'k' })).id, retry.id, 'the key still names the retry');
        await feed.retract(name, retry.id);
        assert.deepEqual(await feed.after(name, FEED_START), []);
      }));

    test('retention: a channel keeps its newest items, about maxLength of them, and drops older ones', () =>
      withFeed(make, { maxLength: 10 }, async (feed) => {
        const name = channel();
        const ids: string[] = [];
        for (let i = 0; i < 400; i++) ids.push((await feed.append(name, `r${i}`)).id);
        const kept = await feed.after(name, FEED_START, 1000);
        assert.ok(kept.length >= 10, `at least maxLength kept (${kept.length})`);
        assert.ok(kept.length < 400, `older items dropped (${kept.length} of 400 kept)`);
        assert.deepEqual(
          kept.map((item) => item.id),
          ids.slice(ids.length - kept.length),
          'the newest, in order',
        );
        assert.equal(await feed.lastId(name), ids.at(-1));
        assert.equal((await feed.append(name, 'next')).prevId, ids.at(-1), 'the chain goes on');
      }));

    test('an idempotency key is forgotten after keyTtlSeconds', () =>
      withFeed(make, { keyTtlSeconds: 1 }, async (feed) => {
        const name = channel();
        const first = await feed.append(name, 'x', { key: 'k' });
        await new Promise((resolve) => setTimeout(resolve, 2_100));
        const later = await feed.append(name, 'x', { key: 'k' });
        assert.equal(later.duplicate, false);
        assert.notEqual(later.id, first.id);
      }));

    test('an empty channel name is refused with a clear error, before anything is written', () =>
      withFeed(make, {}, async (feed) => {
        await assert.rejects(feed.append('', 'x'), /channel must be a non-empty string/);
        await assert.rejects(feed.after('', FEED_START), /channel must be a non-empty string/);
        await assert.rejects(feed.lastId(''), /channel must be a non-empty string/);
      }));
  });
}
