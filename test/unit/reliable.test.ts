// Reliable streams without a proxy: parseGripLast, and reliableStream's
// answers (first request, the proxy's recovery request, SSE resume) against
// an in-memory feed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FEED_START, FeedUnavailableError, type AppendOptions, type AppendResult, type Feed, type FeedItem } from '../../src/feed/feed.js';
import type { IncomingRequest } from '../../src/http/handler.js';
import { parseGripLast, reliableStream } from '../../src/http/reliable.js';
import { RequestError } from '../../src/errors.js';
import { formatSseEvent } from '../../src/publish/formats.js';
import { GripPublisher } from '../../src/publish/publisher.js';
import { compareStreamIds } from '../support/relay-events.js';

/** A Feed in memory, with ids shaped like Redis stream ids. */
class MemoryFeed implements Feed {
  readonly #items = new Map<string, FeedItem[]>();
  readonly #keys = new Map<string, AppendResult>();
  #ms = 1_700_000_000_000;
  afterCalls: { channel: string; lastId: string; limit: number | undefined }[] = [];

  async append(channel: string, data: string, options: AppendOptions = {}): Promise<AppendResult> {
    const key = options.key === undefined ? undefined : `${channel}\n${options.key}`;
    const seen = key === undefined ? undefined : this.#keys.get(key);
    if (seen !== undefined) return { ...seen, duplicate: true };
    const list = this.#items.get(channel) ?? [];
    this.#items.set(channel, list);
    const prevId = list.at(-1)?.id ?? FEED_START;
    // Two items in the same millisecond, then a new one: sequence numbers are compared numerically.
    const id = list.length % 3 === 2 ? `${this.#ms}-${list.length}` : `${++this.#ms}-0`;
    list.push({ id, data });
    const result = { id, prevId, duplicate: false };
    if (key !== undefined) this.#keys.set(key, result);
    return result;
  }

  async after(channel: string, lastId: string, limit?: number): Promise<FeedItem[]> {
    this.afterCalls.push({ channel, lastId, limit });
    return (this.#items.get(channel) ?? []).filter((item) => compareStreamIds(item.id, lastId) > 0).slice(0, limit ?? 1000);
  }

  async lastId(channel: string): Promise<string> {
    return this.#items.get(channel)?.at(-1)?.id ?? FEED_START;
  }

  async close(): Promise<void> {}
}

function request(headers: Record<string, string> = {}, channelPrefix = ''): IncomingRequest {
  return {
    method: 'GET',
    path: '/stream/room',
    rawQuery: '',
    headers: new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
    params: {},
    body: new Uint8Array(),
    query: new URLSearchParams(),
    channelPrefix,
    publisher: GripPublisher.fromEnv({ GRIP_PREFIX: channelPrefix }),
    text: () => '',
    json: () => null,
  };
}

const lineOf = (item: FeedItem) => `${item.data}\n`;

async function feedWith(channel: string, ...data: string[]): Promise<{ feed: MemoryFeed; ids: string[] }> {
  const feed = new MemoryFeed();
  const ids: string[] = [];
  for (const d of data) ids.push((await feed.append(channel, d)).id);
  return { feed, ids };
}

describe('parseGripLast', () => {
  test('one channel', () => {
    assert.deepEqual([...parseGripLast('room; last-id=1700000000000-0')], [['room', '1700000000000-0']]);
  });

  test('several channels, with and without spaces', () => {
    const parsed = parseGripLast('a; last-id=1-0, b;last-id=2-5 ,c ; last-id = 3-1');
    assert.deepEqual(Object.fromEntries(parsed), { a: '1-0', b: '2-5', c: '3-1' });
  });

  test('strips the channel prefix and skips channels without it', () => {
    const parsed = parseGripLast('app-room; last-id=5-0, other-room; last-id=6-0, app-room.sse; last-id=7-0', 'app-');
    assert.deepEqual(Object.fromEntries(parsed), { room: '5-0', 'room.sse': '7-0' });
  });

  test('unquotes quoted ids', () => {
    assert.equal(parseGripLast('room; last-id="42-7"').get('room'), '42-7');
  });

  test('other parameters are ignored; last-id is found among them', () => {
    assert.deepEqual(Object.fromEntries(parseGripLast('room; foo=bar; last-id=9-9; x')), { room: '9-9' });
  });

  test('absent or garbage header: nothing, and no throw', () => {
    assert.equal(parseGripLast(undefined).size, 0);
    assert.equal(parseGripLast('').size, 0);
    for (const garbage of [',,,', ';;;', 'room', 'room; last-id', 'room; =5-0', '; last-id=1-0', 'room; lastid=1-0', '\u0000\uffff']) {
      assert.equal(parseGripLast(garbage).size, 0, JSON.stringify(garbage));
    }
  });

  test('values are passed on as given (reliableStream checks them)', () => {
    assert.equal(parseGripLast('room; last-id=not-an-id').get('room'), 'not-an-id');
  });
});

describe('reliableStream', () => {
  test("first request: empty body, holds with prev-id = the feed's last id and a Grip-Link back", async () => {
    const { feed, ids } = await feedWith('room', 'one', 'two');
    const hold = await reliableStream({
      request: request(),
      feed,
      feedChannel: 'room',
      channel: 'room',
      nextLink: '/stream/room',
      render: lineOf,
    });
    const response = hold.toResponse('');
    assert.equal(response.status, 200);
    assert.equal(response.body, '');
    assert.equal(response.headers['Grip-Hold'], 'stream');
    assert.equal(response.headers['Grip-Channel'], `room; prev-id=${ids[1]}`);
    assert.equal(response.headers['Grip-Link'], '</stream/room>; rel=next; timeout=120');
    assert.equal(feed.afterCalls.length, 0, 'nothing to replay on a first request');
  });

  test('first request on an empty feed holds with prev-id = FEED_START', async () => {
    const hold = await reliableStream({
      request: request(),
      feed: new MemoryFeed(),
      feedChannel: 'room',
      channel: 'room',
      nextLink: '/stream/room',
      nextLinkTimeoutSeconds: 30,
      render: lineOf,
    });
    const headers = hold.toResponse('').headers;
    assert.equal(headers['Grip-Channel'], `room; prev-id=${FEED_START}`);
    assert.equal(headers['Grip-Link'], '</stream/room>; rel=next; timeout=30');
  });

  test('recovery request (Grip-Last) replays the items after last-id and holds with prev-id = newest id', async () => {
    const { feed, ids } = await feedWith('room', 'one', 'two', 'three', 'four');
    const hold = await reliableStream({
      request: request({ 'Grip-Last': `room; last-id=${ids[1]}` }),
      feed,
      feedChannel: 'room',
      channel: 'room',
      nextLink: '/stream/room',
      render: lineOf,
    });
    const response = hold.toResponse('');
    assert.equal(response.body, 'three\nfour\n');
    assert.equal(response.headers['Grip-Channel'], `room; prev-id=${ids[3]}`);
    assert.equal(response.headers['Grip-Link'], '</stream/room>; rel=next; timeout=120');
    assert.deepEqual(feed.afterCalls, [{ channel: 'room', lastId: ids[1], limit: 1000 }]);
  });

  test('recovery with nothing missed: empty body, prev-id stays the last id', async () => {
    const { feed, ids } = await feedWith('room', 'one', 'two');
    const hold = await reliableStream({
      request: request({ 'Grip-Last': `room; last-id=${ids[1]}` }),
      feed,
      feedChannel: 'room',
      channel: 'room',
      nextLink: '/stream/room',
      render: lineOf,
    });
    const response = hold.toResponse('');
    assert.equal(response.body, '');
    assert.equal(response.headers['Grip-Channel'], `room; prev-id=${ids[1]}`);
  });

  test('recovery with the channel prefix: Grip-Last names the prefixed channel', async () => {
    const { feed, ids } = await feedWith('room', 'one', 'two', 'three');
    const hold = await reliableStream({
      // The proxy also lists channels of other apps sharing it: ignored.
      request: request({ 'Grip-Last': `other-room; last-id=${FEED_START}, app-room; last-id=${ids[0]}` }, 'app-'),
      feed,
      feedChannel: 'room',
      channel: 'room',
      nextLink: '/stream/room',
      render: lineOf,
    });
    const response = hold.toResponse('app-');
    assert.equal(response.body, 'two\nthree\n');
    assert.equal(response.headers['Grip-Channel'], `app-room; prev-id=${ids[2]}`);
  });

  test('feed channel and GRIP channel may differ (SSE channel of a room)', async () => {
    const { feed, ids } = await feedWith('room', 'one', 'two');
    const hold = await reliableStream({
      request: request({ 'Grip-Last': `room.sse; last-id=${ids[0]}` }),
      feed,
      feedChannel: 'room',
      channel: 'room.sse',
      nextLink: '/sse/room',
      render: (item) => formatSseEvent(item.data, { event: 'message', id: item.id }),
      format: 'sse',
    });
    const response = hold.toResponse('');
    assert.equal(response.body, `retry: 2000\n\nevent: message\nid: ${ids[1]}\ndata: two\n\n`);
    assert.equal(response.headers['Grip-Channel'], `room.sse; prev-id=${ids[1]}`);
    assert.equal(response.headers['Content-Type'], 'text/event-stream');
  });

  test("SSE uses the client's Last-Event-ID when there is no Grip-Last", async () => {
    const { feed, ids } = await feedWith('room', 'one', 'two', 'three');
    const hold = await reliableStream({
      request: request({ 'Last-Event-ID': ids[0]! }),
      feed,
      feedChannel: 'room',
      channel: 'room.sse',
      nextLink: '/sse/room',
      render: (item) => formatSseEvent(item.data, { event: 'message', id: item.id }),
      clientLastId: ids[0]!,
      format: 'sse',
    });
    const response = hold.toResponse('');
    assert.equal(
      response.body,
      `retry: 2000\n\nevent: message\nid: ${ids[1]}\ndata: two\n\nevent: message\nid: ${ids[2]}\ndata: three\n\n`,
    );
    assert.equal(response.headers['Grip-Channel'], `room.sse; prev-id=${ids[2]}`);
    assert.equal(response.headers['Grip-Link'], '</sse/room>; rel=next; timeout=120');
    assert.equal(response.headers['Grip-Keep-Alive'], ':\\n\\n; format=cstring; timeout=20');
  });

  test("Grip-Last wins over the client's last id", async () => {
    const { feed, ids } = await feedWith('room', 'one', 'two', 'three');
    const hold = await reliableStream({
      request: request({ 'Grip-Last': `room.sse; last-id=${ids[1]}` }),
      feed,
      feedChannel: 'room',
      channel: 'room.sse',
      nextLink: '/sse/room',
      render: (item) => formatSseEvent(item.data, { id: item.id }),
      clientLastId: ids[0]!,
      format: 'sse',
    });
    assert.equal(hold.toResponse('').body, `retry: 2000\n\nid: ${ids[2]}\ndata: three\n\n`);
  });

  test('a Grip-Last for another channel is not a resume point', async () => {
    const { feed, ids } = await feedWith('room', 'one', 'two');
    const hold = await reliableStream({
      request: request({ 'Grip-Last': `elsewhere; last-id=${ids[0]}` }),
      feed,
      feedChannel: 'room',
      channel: 'room',
      nextLink: '/stream/room',
      render: lineOf,
    });
    const response = hold.toResponse('');
    assert.equal(response.body, '');
    assert.equal(response.headers['Grip-Channel'], `room; prev-id=${ids[1]}`);
  });

  for (const [what, headers, clientLastId] of [
    ['Grip-Last', { 'Grip-Last': 'room; last-id=abc' }, undefined],
    ['Grip-Last with a Redis range character', { 'Grip-Last': 'room; last-id=(5-0' }, undefined],
    ['Grip-Last with "+"', { 'Grip-Last': 'room; last-id=+' }, undefined],
    ['client last id', {}, '5-0 OR 1=1'],
    ['empty client last id', {}, ''],
  ] as const) {
    test(`a bad last id (${what}) is a RequestError 400, and the feed is not read`, async () => {
      const { feed } = await feedWith('room', 'one');
      await assert.rejects(
        reliableStream({
          request: request(headers),
          feed,
          feedChannel: 'room',
          channel: 'room',
          nextLink: '/stream/room',
          render: lineOf,
          ...(clientLastId !== undefined ? { clientLastId } : {}),
        }),
        (error: unknown) => error instanceof RequestError && error.status === 400 && /not a feed id/.test(error.reason),
      );
      assert.equal(feed.afterCalls.length, 0);
    });
  }

  test('replays at most 1000 items; prev-id is the last one sent, so the proxy asks again for the rest', async () => {
    const feed = new MemoryFeed();
    const ids: string[] = [];
    for (let i = 0; i < 1005; i++) ids.push((await feed.append('room', `m${i}`)).id);
    const hold = await reliableStream({
      request: request({ 'Grip-Last': `room; last-id=${FEED_START}` }),
      feed,
      feedChannel: 'room',
      channel: 'room',
      nextLink: '/stream/room',
      render: lineOf,
    });
    const response = hold.toResponse('');
    const lines = String(response.body).split('\n').filter(Boolean);
    assert.equal(lines.length, 1000);
    assert.equal(lines[999], 'm999');
    assert.equal(response.headers['Grip-Channel'], `room; prev-id=${ids[999]}`);
  });

  describe('with the feed down', () => {
    /** A feed whose every read fails as RedisFeed does with Redis down. */
    const down = (error: Error = new FeedUnavailableError('feed read: Redis is unreachable')): Feed => ({
      append: () => Promise.reject(error),
      after: () => Promise.reject(error),
      lastId: () => Promise.reject(error),
      close: async () => undefined,
    });
    const cases: [string, Record<string, string>, boolean][] = [
      ['first request', {}, false],
      ['recovery request (Grip-Last)', { 'Grip-Last': 'room; last-id=1700000000000-0' }, false],
      ['SSE resume (Last-Event-ID)', {}, true],
    ];
    for (const [what, headers, sse] of cases) {
      test(`${what}: holds live, without prev-id or replay, and asks again after 10 s`, async () => {
        const hold = await reliableStream({
          request: request(headers),
          feed: down(),
          feedChannel: 'room',
          channel: 'room',
          nextLink: '/stream/room',
          render: lineOf,
          ...(sse ? { clientLastId: '1700000000000-0', format: 'sse' as const } : {}),
        });
        const response = hold.toResponse('');
        assert.equal(response.status, 200);
        assert.equal(response.headers['Grip-Hold'], 'stream');
        assert.equal(response.headers['Grip-Channel'], 'room', 'no prev-id: Pushpin delivers id-less items instead of asking for a gap');
        assert.equal(response.headers['Grip-Link'], '</stream/room>; rel=next; timeout=10');
        if (!sse) assert.equal(response.body, '');
      });
    }

    test('feedDownRetrySeconds sets how soon the proxy asks again', async () => {
      const hold = await reliableStream({
        request: request(),
        feed: down(),
        feedChannel: 'room',
        channel: 'room',
        nextLink: '/s',
        render: lineOf,
        feedDownRetrySeconds: 3,
      });
      assert.equal(hold.toResponse('').headers['Grip-Link'], '</s>; rel=next; timeout=3');
    });

    test('any other feed error is not taken for an outage: it is thrown', async () => {
      await assert.rejects(
        reliableStream({
          request: request(),
          feed: down(new Error('WRONGTYPE')),
          feedChannel: 'room',
          channel: 'room',
          nextLink: '/s',
          render: lineOf,
        }),
        /WRONGTYPE/,
      );
    });
  });
});
