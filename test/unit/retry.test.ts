// GripPublisher's retries against local HTTP endpoints: what is retried and
// what is not, what a final failure carries, per-proxy retries, the
// invocation deadline, and coalescing of a burst into batches.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { PublisherClient } from '@fanoutio/grip';
import { runInvocation } from '../../src/lambda/invocation.js';
import { wsMessage } from '../../src/publish/formats.js';
import { PublishError } from '../../src/publish/errors.js';
import type { PublisherOptions } from '../../src/publish/options.js';
import { GripPublisher } from '../../src/publish/publisher.js';
import { lambdaContext } from '../support/relay-events.js';

interface Endpoint {
  readonly url: string;
  readonly publishUri: string;
  /** Items of each request received, in arrival order. */
  readonly requests: { channel: string; formats: Record<string, { content?: string }> }[][];
  close(): Promise<void>;
}

const open: Endpoint[] = [];
after(() => Promise.all(open.map((e) => e.close())));

/**
 * A control endpoint answering request n (0-based) with `status(n)`; `null`
 * never answers (the request hangs until the client gives up).
 */
async function endpoint(status: (n: number) => number | null = () => 200): Promise<Endpoint> {
  const requests: Endpoint['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = requests.length;
      requests.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items: Endpoint['requests'][number] }).items);
      const code = status(n);
      if (code === null) return; // hang
      res.writeHead(code, { 'Content-Type': 'text/plain' }).end(code < 300 ? 'Published\n' : `status ${code}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const e: Endpoint = {
    url,
    publishUri: `${url}/publish/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  open.push(e);
  return e;
}

/** A URL where nothing listens: connections are refused. */
async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A publisher over the given control URLs, counting fetch calls per publish URI. */
function publisher(urls: readonly string[], options: PublisherOptions = {}): { publisher: GripPublisher; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const counting: typeof fetch = (input, init) => {
    const key = String(input);
    calls.set(key, (calls.get(key) ?? 0) + 1);
    return fetch(input, init);
  };
  return {
    publisher: new GripPublisher(
      urls.map((url) => new PublisherClient({ control_uri: url })),
      { retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20, maxRetryMs: 10_000 }, ...options, fetch: counting },
    ),
    calls,
  };
}

async function publishError(promise: Promise<unknown>): Promise<PublishError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PublishError, `expected a PublishError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the publish to fail');
}

describe('GripPublisher retries', () => {
  test('retries a refused connection, up to `attempts`, then fails with no status', async () => {
    const url = await refusedUrl();
    const { publisher: p, calls } = publisher([url]);
    const error = await publishError(p.publish('room', wsMessage('hi')));
    assert.equal(calls.get(`${url}/publish/`), 4);
    assert.equal(error.failures.length, 1);
    assert.equal(error.failures[0]!.publishUri, `${url}/publish/`);
    assert.equal(error.failures[0]!.status, undefined);
  });

  test('retries a timeout (a proxy that never answers), each attempt bounded by timeoutMs', async () => {
    const hanging = await endpoint(() => null);
    const { publisher: p } = publisher([hanging.url], { timeoutMs: 100, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 10 } });
    const started = Date.now();
    const error = await publishError(p.publish('room', wsMessage('hi')));
    assert.equal(hanging.requests.length, 3);
    assert.equal(error.failures[0]!.status, undefined);
    assert.match(error.failures[0]!.message, /timeout|abort/i);
    assert.ok(Date.now() - started < 3_000);
  });

  for (const status of [500, 502, 503, 429]) {
    test(`retries ${status} and succeeds when the proxy recovers`, async () => {
      const e = await endpoint((n) => (n < 2 ? status : 200));
      const { publisher: p } = publisher([e.url]);
      await p.publish('room', wsMessage('hi'));
      assert.equal(e.requests.length, 3);
      assert.deepEqual(e.requests[2], e.requests[0]);
    });
  }

  for (const status of [400, 401, 403, 404, 413]) {
    test(`does not retry ${status}`, async () => {
      const e = await endpoint(() => status);
      const { publisher: p } = publisher([e.url]);
      const error = await publishError(p.publish('room', wsMessage('hi')));
      assert.equal(e.requests.length, 1);
      assert.equal(error.failures[0]!.status, status);
      assert.equal(error.failures[0]!.message, `status ${status}`);
    });
  }

  test('a full failure carries the items and the failing proxy (publishUri, status)', async () => {
    const e = await endpoint(() => 503);
    const { publisher: p } = publisher([e.url], { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    const error = await publishError(
      p.publishBatch([
        { channel: 'a', formats: wsMessage('one'), id: '1-0', prevId: '0-0' },
        { channel: 'b', formats: wsMessage('two') },
      ]),
    );
    assert.deepEqual(
      error.items.map((i) => [i.channel, i.id]),
      [
        ['a', '1-0'],
        ['b', undefined],
      ],
    );
    assert.deepEqual(error.failures, [{ publishUri: e.publishUri, status: 503, message: 'status 503' }]);
    assert.match(error.message, /publishing 2 item\(s\) failed on 1 proxy/);
    assert.equal(e.requests.length, 2);
  });

  test('two proxies, one failing once: the good proxy gets the batch exactly once', async () => {
    const good = await endpoint();
    const flaky = await endpoint((n) => (n === 0 ? 500 : 200));
    const { publisher: p } = publisher([good.url, flaky.url]);
    await Promise.all([p.publish('room', wsMessage('one')), p.publish('room', wsMessage('two'))]);
    assert.equal(good.requests.length, 1);
    assert.equal(flaky.requests.length, 2);
    assert.deepEqual(good.requests[0], flaky.requests[1]);
    assert.deepEqual(
      good.requests[0]!.map((i) => i.formats['ws-message']?.content),
      ['one', 'two'],
    );
  });

  test('two proxies, one down for good: the failure names only that proxy; the other got the batch once', async () => {
    const good = await endpoint();
    const down = await refusedUrl();
    const { publisher: p } = publisher([good.url, down], { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    const error = await publishError(p.publish('room', wsMessage('x')));
    assert.deepEqual(
      error.failures.map((f) => [f.publishUri, f.status]),
      [[`${down}/publish/`, undefined]],
    );
    assert.equal(good.requests.length, 1);
  });

  test('retries stop at the invocation deadline', async () => {
    const e = await endpoint(() => 500);
    const { publisher: p } = publisher([e.url], {
      retry: { attempts: 1_000, baseDelayMs: 20, maxDelayMs: 60, maxRetryMs: 60_000 },
    });
    const started = Date.now();
    const error = await publishError(runInvocation(lambdaContext(600), p, (scoped) => scoped.publish('room', wsMessage('x'))));
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3_000, `rejected after ${elapsed} ms`);
    assert.ok(e.requests.length > 1, 'retried before the deadline');
    assert.ok(e.requests.length < 1_000, 'stopped well before running out of attempts');
    assert.equal(error.failures[0]!.status, 500);
  });

  test('a proxy that never answers does not outlive the invocation, whatever timeoutMs says', async () => {
    const hanging = await endpoint(() => null);
    const { publisher: p } = publisher([hanging.url], { timeoutMs: 30_000, retry: { attempts: 5, baseDelayMs: 5, maxDelayMs: 10 } });
    const started = Date.now();
    const error = await publishError(runInvocation(lambdaContext(600), p, (scoped) => scoped.publish('room', wsMessage('x'))));
    assert.ok(Date.now() - started < 3_000);
    assert.equal(error.failures[0]!.status, undefined);
  });

  test('outside an invocation, maxRetryMs bounds the retries', async () => {
    const e = await endpoint(() => 503);
    const { publisher: p } = publisher([e.url], { retry: { attempts: 1_000, baseDelayMs: 10, maxDelayMs: 30, maxRetryMs: 300 } });
    const started = Date.now();
    await publishError(p.publish('room', wsMessage('x')));
    assert.ok(Date.now() - started < 3_000);
    assert.ok(e.requests.length > 1 && e.requests.length < 1_000);
  });

  test('a burst of 1,000 publishes in one tick, batchSize 100: exactly 10 control requests per proxy, in order', async () => {
    const a = await endpoint();
    const b = await endpoint();
    const { publisher: p } = publisher([a.url, b.url], { batchSize: 100 });
    const done: Promise<void>[] = [];
    for (let i = 0; i < 1_000; i++) done.push(p.publish(`room-${i % 7}`, wsMessage(`m${i}`)));
    await Promise.all(done);
    for (const e of [a, b]) {
      assert.equal(e.requests.length, 10);
      assert.ok(e.requests.every((r) => r.length === 100));
      assert.deepEqual(
        e.requests.flat().map((i) => i.formats['ws-message']?.content),
        Array.from({ length: 1_000 }, (_, i) => `m${i}`),
      );
    }
    assert.ok(p.idle);
  });

  test('a failed batch fails only its own publishes; later batches still go out', async () => {
    const e = await endpoint((n) => (n === 0 ? 400 : 200));
    const { publisher: p } = publisher([e.url], { batchSize: 2 });
    const results = await Promise.allSettled([0, 1, 2, 3].map((i) => p.publish('room', wsMessage(`m${i}`))));
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected', 'fulfilled', 'fulfilled'],
    );
    assert.equal(e.requests.length, 2);
  });
});
