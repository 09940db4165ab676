// The Lambda HTTP pipeline under websocket() and http(): settings read once
// (one GRIP_PREFIX for subscribe, hold, Grip-Last and publish), pending
// publishes owned and awaited by their own invocation, and a failed publish
// nobody awaited logged, never an unhandled rejection.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { GripPublisher, getPublisher, holdStream, http, respond, websocket, wsMessage } from '../../src/index.js';
import { parseGripLast } from '../../src/http/reliable.js';
import { freePort } from '../../src/local/stack.js';
import {
  asLambdaEvent,
  ev,
  fixtureByFile,
  loadEvent,
  readResult,
  resultEvents,
  setHeader,
  summarize,
  wsEvent,
} from '../support/lambda-events.js';
import { lambdaContext } from '../support/relay-events.js';

interface ControlEndpoint {
  readonly url: string;
  /** The channels of every item received, in order. */
  readonly channels: string[];
  close(): Promise<void>;
}

const servers: ControlEndpoint[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

/** A control API that answers 200 after `delayMs`, recording the channels published to. */
async function controlEndpoint(delayMs = 0): Promise<ControlEndpoint> {
  const channels: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items: { channel: string }[] };
      setTimeout(() => {
        channels.push(...body.items.map((i) => i.channel));
        res.writeHead(200).end('Published\n');
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint: ControlEndpoint = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    channels,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(endpoint);
  return endpoint;
}

const HTTP_FIXTURE = 'api-gateway-http.json';

describe('one GRIP_PREFIX per handler, from its options', () => {
  test('websocket(h, { env }) subscribes and publishes under the same prefix', async () => {
    const control = await controlEndpoint();
    const handler = websocket(
      {
        onOpen: (ctx) => ctx.subscribe('room'),
        onMessage: () => getPublisher().publish('room', wsMessage('hi')),
      },
      { env: { GRIP_URL: control.url, GRIP_PREFIX: 'a-' } },
    );
    const event = wsEvent(fixtureByFile(HTTP_FIXTURE), [ev('OPEN'), ev('TEXT', 'x')]);
    const events = summarize(resultEvents(await handler(asLambdaEvent(event), lambdaContext(5_000))));
    assert.ok(
      events.some(([type, content]) => type === 'TEXT' && content === 'c:{"type":"subscribe","channel":"a-room"}'),
      JSON.stringify(events),
    );
    assert.deepEqual(control.channels, ['a-room']);
  });

  test('http(h, { env }): the hold, Grip-Last and the publish use the same prefix', async () => {
    const control = await controlEndpoint();
    const handler = http(
      async (req) => {
        if (req.headers.has('grip-last'))
          return respond(200, Object.fromEntries(parseGripLast(req.headers.get('grip-last'), req.channelPrefix)));
        await getPublisher().publish('room', wsMessage('hi'));
        return holdStream({ channels: 'room' });
      },
      { env: { GRIP_URL: control.url, GRIP_PREFIX: 'a-' } },
    );
    const held = readResult(await handler(asLambdaEvent(loadEvent(HTTP_FIXTURE)), lambdaContext(5_000)));
    assert.equal(held.headers.get('grip-channel'), 'a-room');
    assert.deepEqual(control.channels, ['a-room']);
    const recovery = setHeader(loadEvent(HTTP_FIXTURE), 'Grip-Last', 'a-room; last-id=7, room; last-id=9');
    const answer = readResult(await handler(asLambdaEvent(recovery), lambdaContext(5_000)));
    assert.deepEqual(JSON.parse(answer.body.toString('utf8')), { room: '7' });
  });

  test('a publisher given in the options is what the handler publishes through (req.publisher, getPublisher()); one whose prefix is not GRIP_PREFIX is refused', async () => {
    const control = await controlEndpoint(200);
    const publisher = GripPublisher.fromEnv({ GRIP_URL: control.url, GRIP_PREFIX: 'b-' });
    let seen: GripPublisher | undefined;
    const handler = http(
      (req) => {
        seen = getPublisher();
        assert.equal(req.publisher, seen, 'one publisher per invocation, however it is reached');
        void seen.publish('room', wsMessage('x'));
        return respond(200, 'ok');
      },
      { env: { GRIP_PREFIX: 'b-' }, publisher },
    );
    await handler(asLambdaEvent(loadEvent(HTTP_FIXTURE)));
    assert.equal(seen?.prefix, 'b-');
    // It went out through the given publisher (its control URL), and the invocation waited for it.
    assert.deepEqual(control.channels, ['b-room']);
    assert.ok(publisher.idle);
    assert.throws(() => http(() => respond(200, 'ok'), { env: { GRIP_PREFIX: 'c-' }, publisher }), {
      name: 'TypeError',
      message: /the publisher's prefix "b-" is not GRIP_PREFIX "c-"/,
    });
  });

  test('outside a handler, getPublisher() is the one publisher for process.env; inside one reading process.env, that one bound to the invocation', async () => {
    const outside = getPublisher();
    assert.equal(getPublisher(), outside);
    let inside: GripPublisher | undefined;
    await http((req) => {
      inside = req.publisher;
      return respond(200, 'ok');
    })(asLambdaEvent(loadEvent(HTTP_FIXTURE)));
    assert.ok(inside !== undefined && inside !== outside);
    assert.equal(inside.prefix, outside.prefix);
    assert.equal(inside.proxyCount, outside.proxyCount);
  });
});

describe('ctx.publisher and req.publisher', () => {
  test('ctx.publisher in websocket(): a publish not awaited goes out under the prefix before the handler answers', async () => {
    const control = await controlEndpoint(200);
    const handler = websocket(
      { onMessage: (ctx, message) => void ctx.publisher.publish('room', wsMessage(String(message.data))) },
      { env: { GRIP_URL: control.url, GRIP_PREFIX: 'w-' } },
    );
    const event = wsEvent(fixtureByFile(HTTP_FIXTURE), [ev('OPEN'), ev('TEXT', 'hello')]);
    const result = readResult(await handler(asLambdaEvent(event), lambdaContext(5_000)));
    assert.equal(result.status, 200);
    assert.deepEqual(control.channels, ['w-room']);
  });

  test('a GRIP_URL that is not a URL fails when the handler is made, not at its first publish', () => {
    assert.throws(() => http(() => respond(200, 'ok'), { env: { GRIP_URL: '://broken' } }), /GRIP_URL is not a valid URL/);
  });
});

describe('an invocation owns its pending publishes', () => {
  test('a publish not awaited is sent before the handler returns', async () => {
    const control = await controlEndpoint(200);
    const handler = http(
      () => {
        void getPublisher().publish('room', wsMessage('later'));
        return respond(202, 'accepted');
      },
      { env: { GRIP_URL: control.url } },
    );
    const result = readResult(await handler(asLambdaEvent(loadEvent(HTTP_FIXTURE)), lambdaContext(5_000)));
    assert.equal(result.status, 202);
    assert.deepEqual(control.channels, ['room']);
  });

  test('an item too large fails at once, but the invocation still waits for its batch-mates to be sent', async () => {
    const control = await controlEndpoint(200);
    const publisher = GripPublisher.fromEnv({ GRIP_URL: control.url }, { maxRequestBytes: 1_000 });
    const handler = http(
      () => {
        void getPublisher().publishBatch([
          { channel: 'big', formats: wsMessage('x'.repeat(1_000)) },
          { channel: 'room', formats: wsMessage('mate') },
        ]);
        return respond(202, 'accepted');
      },
      { publisher },
    );
    await handler(asLambdaEvent(loadEvent(HTTP_FIXTURE)), lambdaContext(5_000));
    assert.deepEqual(control.channels, ['room']);
  });

  test('concurrent invocations in one process do not wait for each other', async () => {
    const slow = await controlEndpoint(1_500);
    const fast = await controlEndpoint();
    const publishing = (url: string) =>
      http(
        async () => {
          await getPublisher().publish('room', wsMessage('x'));
          return respond(200, 'ok');
        },
        { env: { GRIP_URL: url } },
      );
    const slowHandler = publishing(slow.url);
    const fastHandler = publishing(fast.url);
    let slowDone = false;
    const slowRun = slowHandler(asLambdaEvent(loadEvent(HTTP_FIXTURE)), lambdaContext(5_000)).then(() => (slowDone = true));
    // The fast invocation also publishes many times while the slow one's request is out.
    const fastResults = [];
    for (let i = 0; i < 5; i++) fastResults.push(await fastHandler(asLambdaEvent(loadEvent(HTTP_FIXTURE)), lambdaContext(5_000)));
    assert.equal(slowDone, false, 'the fast invocations returned while the slow one still waited for its proxy');
    assert.deepEqual(fast.channels.length, 5);
    await slowRun;
    assert.deepEqual(slow.channels, ['room']);
  });

  test('a failed publish nobody awaited: the client gets its answer, the error is logged, the process lives (--unhandled-rejections=strict)', async () => {
    const port = await freePort(); // nothing listens there: every attempt is refused
    const child = spawnSync(
      process.execPath,
      ['--unhandled-rejections=strict', '--import', 'tsx', fileURLToPath(new URL('../support/unawaited-publish.ts', import.meta.url))],
      { env: { ...process.env, GRIP_URL: `http://127.0.0.1:${port}` }, encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(child.status, 0, `exit ${child.status}, stderr: ${child.stderr}`);
    assert.deepEqual(child.stdout.trim().split('\n'), ['http 202 accepted', 'websocket 200', 'alive']);
    const logged = child.stderr.split('\n').filter((line) => line.includes('[grip-lambda] publishing 1 item(s) failed'));
    assert.equal(logged.length, 2, child.stderr);
  });
});
