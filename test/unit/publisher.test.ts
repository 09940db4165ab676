// GripPublisher against a fake control endpoint (node:http on an ephemeral
// port): request bodies, Authorization, batching, several proxies, failures.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import * as jose from 'jose';
import { longPollResponse, httpStream, httpStreamClose, sseEvent, wsClose, wsMessage } from '../../src/publish/formats.js';
import { PublishError } from '../../src/publish/errors.js';
import { GripPublisher } from '../../src/publish/publisher.js';
import type { InvocationScope } from '../../src/publish/scope.js';

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: { items: Record<string, unknown>[] };
  /** The body's length in bytes. */
  readonly bytes: number;
}

interface ControlEndpoint {
  readonly port: number;
  readonly requests: Received[];
  /** A GRIP URL for this endpoint with the shared key. */
  readonly gripUrl: string;
  close(): Promise<void>;
}

const endpoints: ControlEndpoint[] = [];
after(() => Promise.all(endpoints.map((e) => e.close())));

async function controlEndpoint(status = 200): Promise<ControlEndpoint> {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'],
        bytes: Buffer.concat(chunks).length,
      });
      res
        .writeHead(status, { 'Content-Type': 'text/plain' })
        .end(status === 200 ? 'Published\n' : 'Internal Server Error: proxy on fire\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint: ControlEndpoint = {
    port,
    requests,
    gripUrl: `http://127.0.0.1:${port}?iss=pushpin&key=changeme`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  endpoints.push(endpoint);
  return endpoint;
}

async function publisherFor(endpoint: ControlEndpoint, batchSize?: number): Promise<GripPublisher> {
  return GripPublisher.fromEnv(
    { GRIP_URL: endpoint.gripUrl, GRIP_PREFIX: 'p-' },
    { retry: { attempts: 1 }, ...(batchSize !== undefined ? { batchSize } : {}) },
  );
}

/** The items of the only request the endpoint received. */
function onlyItems(endpoint: ControlEndpoint): Record<string, unknown>[] {
  assert.equal(endpoint.requests.length, 1);
  return endpoint.requests[0]!.body.items;
}

describe('GripPublisher.fromEnv against a control endpoint', () => {
  test('a ws text message: POST /publish/, JSON, prefixed channel', async () => {
    const endpoint = await controlEndpoint();
    const publisher = await publisherFor(endpoint);
    assert.equal(publisher.prefix, 'p-');
    assert.equal(publisher.proxyCount, 1);
    await publisher.publish('room', wsMessage('hello ✓'));
    const [request] = endpoint.requests;
    assert.equal(request!.method, 'POST');
    assert.equal(request!.path, '/publish/');
    assert.equal(request!.headers['content-type'], 'application/json');
    assert.deepEqual(onlyItems(endpoint), [{ channel: 'p-room', formats: { 'ws-message': { content: 'hello ✓' } } }]);
  });

  test('Authorization is a Bearer JWT with iss pushpin, verifiable with the key', async () => {
    const endpoint = await controlEndpoint();
    const publisher = await publisherFor(endpoint);
    await publisher.publish('room', wsMessage('x'));
    const authorization = endpoint.requests[0]!.headers.authorization ?? '';
    const match = /^Bearer (\S+)$/.exec(authorization);
    assert.ok(match, `Authorization: ${authorization}`);
    const { payload, protectedHeader } = await jose.jwtVerify(match[1]!, new TextEncoder().encode('changeme'), { issuer: 'pushpin' });
    assert.equal(protectedHeader.alg, 'HS256');
    assert.equal(payload.iss, 'pushpin');
    assert.ok(typeof payload.exp === 'number' && payload.exp > Date.now() / 1000);
    await assert.rejects(jose.jwtVerify(match[1]!, new TextEncoder().encode('not-the-key')));
  });

  test('ws binary: content-bin in base64', async () => {
    const endpoint = await controlEndpoint();
    await (await publisherFor(endpoint)).publish('bin', wsMessage(new Uint8Array([0xff, 0x00, 0x80, 0x0d])));
    assert.deepEqual(onlyItems(endpoint), [{ channel: 'p-bin', formats: { 'ws-message': { 'content-bin': '/wCADQ==' } } }]);
  });

  test('http-stream, http-response and ws-message in one item, with id, prev-id and meta', async () => {
    const endpoint = await controlEndpoint();
    await (await publisherFor(endpoint)).publish(
      'feed',
      [
        wsMessage('m'),
        httpStream('chunk\n'),
        longPollResponse('{"a":1}\n', { status: 200, headers: { 'Content-Type': 'application/json' } }),
      ],
      { id: 'id-2', prevId: 'id-1', meta: { sender: 'alice' } },
    );
    assert.deepEqual(onlyItems(endpoint), [
      {
        channel: 'p-feed',
        id: 'id-2',
        'prev-id': 'id-1',
        meta: { sender: 'alice' },
        formats: {
          'ws-message': { content: 'm' },
          'http-stream': { content: 'chunk\n' },
          'http-response': { code: '200', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}\n' },
        },
      },
    ]);
  });

  test('http-response without options; binary body; stream close; SSE', async () => {
    const endpoint = await controlEndpoint();
    const publisher = await publisherFor(endpoint);
    await publisher.publishBatch([
      { channel: 'a', formats: longPollResponse('plain') },
      { channel: 'b', formats: longPollResponse(new Uint8Array([1, 2])) },
      { channel: 'c', formats: httpStreamClose() },
      { channel: 'd', formats: sseEvent('line1\nline2', { event: 'msg', id: '7' }) },
    ]);
    assert.deepEqual(onlyItems(endpoint), [
      { channel: 'p-a', formats: { 'http-response': { body: 'plain' } } },
      { channel: 'p-b', formats: { 'http-response': { 'body-bin': 'AQI=' } } },
      { channel: 'p-c', formats: { 'http-stream': { action: 'close', content: '' } } },
      { channel: 'p-d', formats: { 'http-stream': { content: 'event: msg\nid: 7\ndata: line1\ndata: line2\n\n' } } },
    ]);
  });

  test('wsClose(1001): action close with the code; wsClose() is 1000', async () => {
    const endpoint = await controlEndpoint();
    const publisher = await publisherFor(endpoint);
    await Promise.all([publisher.publish('x', wsClose(1001)), publisher.publish('y', wsClose())]);
    assert.deepEqual(onlyItems(endpoint), [
      { channel: 'p-x', formats: { 'ws-message': { action: 'close', code: 1001 } } },
      { channel: 'p-y', formats: { 'ws-message': { action: 'close', code: 1000 } } },
    ]);
  });

  test('wsClose with a code that may not be sent is a TypeError', () => {
    for (const code of [0, 999, 1005, 1006, 1015, 5000]) assert.throws(() => wsClose(code), TypeError, `code ${code}`);
  });

  test('250 publishes in one tick with batchSize 100: exactly 3 control requests, items in order', async () => {
    const endpoint = await controlEndpoint();
    const publisher = await publisherFor(endpoint, 100);
    assert.equal(publisher.batchSize, 100);
    await Promise.all(Array.from({ length: 250 }, (_, i) => publisher.publish(`ch-${i}`, wsMessage(`m${i}`))));
    assert.equal(endpoint.requests.length, 3);
    assert.deepEqual(
      endpoint.requests.map((r) => r.body.items.length),
      [100, 100, 50],
    );
    const channels = endpoint.requests.flatMap((r) => r.body.items.map((item) => item.channel));
    assert.deepEqual(
      channels,
      Array.from({ length: 250 }, (_, i) => `p-ch-${i}`),
    );
    const contents = endpoint.requests.flatMap((r) =>
      r.body.items.map((item) => (item.formats as { 'ws-message': { content: string } })['ws-message'].content),
    );
    assert.deepEqual(
      contents,
      Array.from({ length: 250 }, (_, i) => `m${i}`),
    );
    assert.equal(publisher.idle, true);
  });

  test('publishes in different ticks are separate requests', async () => {
    const endpoint = await controlEndpoint();
    const publisher = await publisherFor(endpoint);
    await publisher.publish('a', wsMessage('1'));
    await publisher.publish('b', wsMessage('2'));
    assert.equal(endpoint.requests.length, 2);
  });

  test('two GRIP URLs (comma-separated): each proxy gets the request', async () => {
    const first = await controlEndpoint();
    const second = await controlEndpoint();
    const publisher = GripPublisher.fromEnv(
      { GRIP_URL: `${first.gripUrl}, ${second.gripUrl}`, GRIP_PREFIX: 'p-' },
      { retry: { attempts: 1 } },
    );
    assert.equal(publisher.proxyCount, 2);
    await publisher.publish('room', wsMessage('both'));
    for (const endpoint of [first, second]) {
      assert.deepEqual(onlyItems(endpoint), [{ channel: 'p-room', formats: { 'ws-message': { content: 'both' } } }]);
      assert.match(endpoint.requests[0]!.headers.authorization ?? '', /^Bearer /);
    }
  });

  test('a 500 answer: PublishError listing the proxy, its status and message, and the items', async () => {
    const endpoint = await controlEndpoint(500);
    const publisher = await publisherFor(endpoint);
    const error = await publisher.publish('room', wsMessage('lost'), { id: 'i1' }).then(
      () => assert.fail('publish resolved'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof PublishError, String(error));
    assert.equal(error.failures.length, 1);
    assert.deepEqual(error.failures[0], {
      publishUri: `http://127.0.0.1:${endpoint.port}/publish/`,
      status: 500,
      message: 'Internal Server Error: proxy on fire',
    });
    assert.equal(error.items.length, 1);
    assert.equal(error.items[0]!.channel, 'room');
    assert.equal(error.items[0]!.id, 'i1');
    assert.match(error.message, new RegExp(`1 item\\(s\\) failed on 1 proxy.*127\\.0\\.0\\.1:${endpoint.port}/publish/ 500`));
    assert.equal(endpoint.requests.length, 1); // attempts: 1
  });

  test('one proxy failing of two: the error names only that one; the other got the items', async () => {
    const good = await controlEndpoint();
    const bad = await controlEndpoint(500);
    const publisher = GripPublisher.fromEnv({ GRIP_URL: `${good.gripUrl} ${bad.gripUrl}` }, { retry: { attempts: 1 } });
    const error = await publisher.publish('room', wsMessage('x')).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof PublishError);
    assert.deepEqual(
      error.failures.map((f) => f.publishUri),
      [`http://127.0.0.1:${bad.port}/publish/`],
    );
    assert.equal(good.requests.length, 1);
  });

  test('flush() resolves after the sends complete', async () => {
    const endpoint = await controlEndpoint();
    const publisher = await publisherFor(endpoint);
    let settled = false;
    const publishing = publisher.publish('room', wsMessage('a')).then(() => (settled = true));
    void publisher.publish('room2', wsMessage('b'));
    assert.equal(publisher.idle, false);
    assert.equal(endpoint.requests.length, 0);
    await publisher.flush();
    assert.equal(endpoint.requests.length, 1);
    assert.equal(endpoint.requests[0]!.body.items.length, 2);
    await publishing;
    assert.equal(settled, true);
  });

  test('flush() with nothing published resolves at once', async () => {
    const endpoint = await controlEndpoint();
    await (await publisherFor(endpoint)).flush();
    assert.equal(endpoint.requests.length, 0);
  });

  test('flush() resolves after a failing send too, without throwing', async () => {
    const endpoint = await controlEndpoint(500);
    const publisher = await publisherFor(endpoint);
    const failed = publisher.publish('room', wsMessage('a')).catch((e: unknown) => e);
    await publisher.flush();
    assert.equal(endpoint.requests.length, 1);
    assert.ok((await failed) instanceof PublishError);
  });

  test('no GRIP_URL: publish rejects with a clear Error, nothing sent', async () => {
    const publisher = GripPublisher.fromEnv({});
    assert.equal(publisher.proxyCount, 0);
    await assert.rejects(publisher.publish('room', wsMessage('x')), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /no GRIP proxy configured: set GRIP_URL/);
      return true;
    });
  });

  test('bad items reject with TypeError before anything is sent', async () => {
    const endpoint = await controlEndpoint();
    const publisher = await publisherFor(endpoint);
    await assert.rejects(publisher.publish('', wsMessage('x')), TypeError);
    await assert.rejects(publisher.publish('room', []), TypeError);
    await publisher.flush();
    assert.equal(endpoint.requests.length, 0);
    await publisher.publishBatch([]);
    assert.equal(endpoint.requests.length, 0);
  });
});

describe('a publisher bound to an invocation scope (forInvocation)', () => {
  /** A scope as a handler hands it: a deadline, and the work it was given to wait for. */
  function scope(deadline: number | undefined): InvocationScope & { readonly waited: Promise<unknown>[] } {
    const waited: Promise<unknown>[] = [];
    return { deadline, waited, waitUntil: (work) => void waited.push(work) };
  }

  test('each publish through the view is handed to the scope, goes out through the same queue, and the root flushes it', async () => {
    const endpoint = await controlEndpoint();
    const root = await publisherFor(endpoint);
    const invocation = scope(Date.now() + 10_000);
    const view = root.forInvocation(invocation);
    assert.equal(view.prefix, root.prefix);
    assert.equal(view.proxyCount, 1);
    const published = view.publish('room', wsMessage('a'));
    void root.publish('room', wsMessage('b'));
    assert.deepEqual(invocation.waited, [published]);
    await root.flush();
    // Both in one control request: the view and the root share one queue.
    assert.deepEqual(
      onlyItems(endpoint).map((item) => (item.formats as { 'ws-message': { content: string } })['ws-message'].content),
      ['a', 'b'],
    );
  });

  test("the scope's deadline bounds the retries: one already past sends nothing and fails", async () => {
    const endpoint = await controlEndpoint();
    const view = (await publisherFor(endpoint)).forInvocation(scope(Date.now() - 1));
    await assert.rejects(view.publish('room', wsMessage('x')), (error: unknown) => {
      assert.ok(error instanceof PublishError);
      assert.equal(error.failures[0]!.message, 'no time left in the invocation');
      return true;
    });
    assert.equal(endpoint.requests.length, 0);
  });

  test('a failure is handed to the scope too, which can own it: nobody need await the publish', async () => {
    const endpoint = await controlEndpoint(500);
    const invocation = scope(undefined);
    void (await publisherFor(endpoint))
      .forInvocation(invocation)
      .publish('room', wsMessage('x'))
      .catch(() => {});
    assert.equal(invocation.waited.length, 1);
    await assert.rejects(invocation.waited[0]!, PublishError);
  });
});

describe('control requests split by bytes as well as by count', () => {
  const contents = (endpoint: ControlEndpoint) =>
    endpoint.requests.flatMap((r) => r.body.items.map((i) => (i.formats as { 'ws-message': { content: string } })['ws-message'].content));

  test('300 items of 4 KB (1.2 MB in all) go out in requests of at most maxRequestBytes, all of them, in order', async () => {
    const endpoint = await controlEndpoint();
    const publisher = await publisherFor(endpoint);
    const sent = Array.from({ length: 300 }, (_, i) => `${i}:`.padEnd(4_000, 'é')); // multi-byte: bytes, not characters, count
    await publisher.publishBatch(sent.map((text) => ({ channel: 'room', formats: wsMessage(text) })));
    assert.ok(endpoint.requests.length >= 2, `${endpoint.requests.length} request(s)`);
    for (const r of endpoint.requests) assert.ok(r.bytes <= publisher.maxRequestBytes, `a request of ${r.bytes} bytes`);
    assert.deepEqual(contents(endpoint), sent);
  });

  test('a request is filled up to the limit exactly, not one byte over', async () => {
    const endpoint = await controlEndpoint();
    const probe = JSON.stringify({ items: [{ formats: { 'ws-message': { content: '' } }, channel: 'p-room' }] }).length;
    // Two items whose request is exactly maxRequestBytes, then a third that must go in a request of its own.
    const max = 2 * (probe + 100) - 12 + 1; // frame once, one comma
    const publisher = GripPublisher.fromEnv(
      { GRIP_URL: endpoint.gripUrl, GRIP_PREFIX: 'p-' },
      { retry: { attempts: 1 }, maxRequestBytes: max },
    );
    const text = 'x'.repeat(100);
    await publisher.publishBatch([0, 1, 2].map(() => ({ channel: 'room', formats: wsMessage(text) })));
    assert.deepEqual(
      endpoint.requests.map((r) => [r.body.items.length, r.bytes]),
      [
        [2, max],
        [1, probe + 100],
      ],
    );
  });

  test('an item too large for any request fails alone, named in the PublishError; its batch-mates go out', async () => {
    const endpoint = await controlEndpoint();
    const publisher = GripPublisher.fromEnv({ GRIP_URL: endpoint.gripUrl }, { retry: { attempts: 1 }, maxRequestBytes: 10_000 });
    const big = { channel: 'big', formats: wsMessage('x'.repeat(10_000)) };
    const results = await Promise.allSettled([
      publisher.publish('room', wsMessage('before')),
      publisher.publishBatch([big, { channel: 'room', formats: wsMessage('mate') }]),
      publisher.publish('room', wsMessage('after')),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    const error = (results[1] as PromiseRejectedResult).reason as unknown;
    assert.ok(error instanceof PublishError);
    assert.deepEqual(error.items, [big]);
    assert.deepEqual(error.failures, []);
    assert.match(error.message, /item for channel "big" is \d+ bytes as JSON: over the 10000 bytes a control request may carry/);
    assert.deepEqual(contents(endpoint), ['before', 'mate', 'after']);
  });

  test('maxRequestBytes too small for any request is a RangeError', () => {
    assert.throws(() => new GripPublisher([], { maxRequestBytes: 12 }), RangeError);
  });
});
