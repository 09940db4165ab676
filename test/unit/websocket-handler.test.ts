// websocket() dispatching to user code: callbacks in order, rejection,
// failures in each callback, GRIP_PREFIX, and the low-level pair.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createGate } from '../../src/lambda/gate.js';
import { readWebSocketContext, webSocketResult, websocket } from '../../src/websocket/handler.js';
import { call, quiet } from '../support/websocket-calls.js';
import { asLambdaEvent, closeContent, ev, FIXTURE, readResult, resultEvents, summarize, wsEvent } from '../support/lambda-events.js';

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

describe('dispatch to user code', () => {
  const fixture = FIXTURE.httpApi; // HTTP API

  test('onOpen, onMessage for each message, onClose with the close, in order', async (t) => {
    quiet(t);
    const seen: string[] = [];
    const handler = websocket(
      {
        onOpen: (ctx) => void seen.push(`open ${ctx.id}`),
        onMessage: (_ctx, m) => void seen.push(`${m.type} ${m.type === 'text' ? m.data : latin1(m.data)}`),
        onClose: (_ctx, close) => void seen.push(`close ${close.code} ${close.reason} ${close.clean}`),
      },
      { env: {} },
    );
    const result = await call(
      handler,
      wsEvent(fixture, [ev('OPEN'), ev('TEXT', 'a'), ev('BINARY', new Uint8Array([0xff])), ev('CLOSE', closeContent(4000, 'done'))]),
    );
    assert.equal(result.status, 200);
    assert.deepEqual(summarize(resultEvents(result.raw)), [
      ['OPEN', null],
      ['CLOSE', '\x0f\xa0'],
    ]);
    assert.deepEqual(seen, [`open ${fixture.connectionId}`, 'text a', 'binary \xff', 'close 4000 done true']);
  });

  test('onRequest: before the messages of every later request, and of one with no message (a keep-alive); not with onOpen', async (t) => {
    quiet(t);
    const seen: string[] = [];
    const handler = websocket(
      {
        onOpen: () => void seen.push('open'),
        onRequest: (ctx) => void seen.push(`request ${ctx.isOpening}`),
        onMessage: (_ctx, m) => void seen.push(`message ${m.type === 'text' ? m.data : ''}`),
      },
      { env: {} },
    );
    await call(handler, wsEvent(fixture, [ev('OPEN'), ev('TEXT', 'a')]));
    await call(handler, wsEvent(fixture, [ev('TEXT', 'b'), ev('TEXT', 'c')]));
    await call(handler, wsEvent(fixture, []));
    assert.deepEqual(seen, ['open', 'message a', 'request false', 'message b', 'message c', 'request false']);
  });

  test('onRequest without onOpen: it runs for the opening request too, which it can reject', async (t) => {
    quiet(t);
    const seen: boolean[] = [];
    const handler = websocket(
      {
        onRequest: (ctx) => {
          seen.push(ctx.isOpening);
          if (ctx.isOpening && ctx.request.query.get('token') !== 'ok') ctx.reject(401, 'no token');
        },
      },
      { env: {} },
    );
    const refused = await call(handler, wsEvent(fixture, [ev('OPEN')]));
    assert.equal(refused.status, 401);
    const later = await call(handler, wsEvent(fixture, [ev('TEXT', 'x')]));
    assert.equal(later.status, 200);
    assert.deepEqual(seen, [true, false]);
  });

  test('onOpen rejecting: the status and body, and no onMessage', async (t) => {
    quiet(t);
    const calls: string[] = [];
    const handler = websocket(
      {
        onOpen: (ctx) => ctx.reject(403, 'not you'),
        onMessage: () => void calls.push('message'),
      },
      { env: {} },
    );
    const result = await call(handler, wsEvent(fixture, [ev('OPEN'), ev('TEXT', 'x')]));
    assert.equal(result.status, 403);
    assert.equal(result.body.toString('utf8'), 'not you');
    assert.deepEqual(calls, []);
  });

  test('invalid UTF-8 in TEXT: closed with 1007, a warning, onMessage not called for it', async (t) => {
    const warn = quiet(t);
    const calls: string[] = [];
    const handler = websocket({ onMessage: (_ctx, m) => void calls.push(m.type) }, { env: {} });
    const result = await call(handler, wsEvent(fixture, [ev('TEXT', new Uint8Array([0xc3, 0x28]))]));
    assert.equal(result.status, 200);
    assert.deepEqual(summarize(resultEvents(result.raw)), [['CLOSE', '\x03\xefinvalid UTF-8']]);
    assert.deepEqual(calls, []);
    assert.ok(warn.mock.calls.some((c) => /closed with 1007/.test(String(c.arguments[0]))));
  });

  test('onMessage throwing: 200 with CLOSE 1011, and console.error names the connection', async (t) => {
    quiet(t);
    const error = t.mock.method(console, 'error', () => {});
    const handler = websocket(
      {
        onMessage: () => {
          throw new Error('boom');
        },
      },
      { env: {} },
    );
    const result = await call(handler, wsEvent(fixture, [ev('TEXT', 'hi'), ev('TEXT', 'never handled')]));
    assert.equal(result.status, 200);
    assert.deepEqual(summarize(resultEvents(result.raw)), [['CLOSE', '\x03\xf3internal error']]);
    assert.equal(error.mock.callCount(), 1);
    const logged = String(error.mock.calls[0]!.arguments[0]);
    assert.ok(logged.includes(fixture.connectionId), logged);
    assert.match(logged, /onMessage/);
    assert.match(logged, /boom/);
  });

  test('onMessage rejecting asynchronously, with a non-Error: CLOSE 1011', async (t) => {
    quiet(t);
    const error = t.mock.method(console, 'error', () => {});
    const handler = websocket(
      {
        onMessage: async (ctx) => {
          ctx.send('partial');
          await new Promise((resolve) => setTimeout(resolve, 1));
          throw 'a string'; // eslint-disable-line no-throw-literal
        },
      },
      { env: {} },
    );
    const result = await call(handler, wsEvent(fixture, [ev('TEXT', 'hi')]));
    assert.equal(result.status, 200);
    assert.deepEqual(summarize(resultEvents(result.raw)), [
      ['TEXT', 'm:partial'],
      ['CLOSE', '\x03\xf3internal error'],
    ]);
    assert.match(String(error.mock.calls[0]!.arguments[0]), /a string/);
  });

  test('onOpen throwing: OPEN then CLOSE 1011', async (t) => {
    quiet(t);
    const error = t.mock.method(console, 'error', () => {});
    const handler = websocket(
      {
        onOpen: () => {
          throw new TypeError('bad open');
        },
      },
      { env: {} },
    );
    const result = await call(handler, wsEvent(fixture, [ev('OPEN')]));
    assert.equal(result.status, 200);
    assert.equal(result.headers.get('sec-websocket-extensions'), 'grip');
    assert.deepEqual(summarize(resultEvents(result.raw)), [
      ['OPEN', null],
      ['CLOSE', '\x03\xf3internal error'],
    ]);
    const logged = String(error.mock.calls[0]!.arguments[0]);
    assert.ok(logged.includes(fixture.connectionId));
    assert.match(logged, /onOpen/);
  });

  test('onClose throwing: CLOSE 1011 instead of the echo', async (t) => {
    quiet(t);
    const error = t.mock.method(console, 'error', () => {});
    const handler = websocket(
      {
        onClose: () => {
          throw new Error('cleanup failed');
        },
      },
      { env: {} },
    );
    const result = await call(handler, wsEvent(fixture, [ev('CLOSE', closeContent(1000))]));
    assert.deepEqual(summarize(resultEvents(result.raw)), [['CLOSE', '\x03\xf3internal error']]);
    assert.match(String(error.mock.calls[0]!.arguments[0]), /onClose/);
  });

  test('onClose throwing after DISCONNECT: nothing sent', async (t) => {
    quiet(t);
    t.mock.method(console, 'error', () => {});
    const handler = websocket(
      {
        onClose: () => {
          throw new Error('cleanup failed');
        },
      },
      { env: {} },
    );
    const result = await call(handler, wsEvent(fixture, [ev('DISCONNECT')]));
    assert.equal(result.status, 200);
    assert.deepEqual(resultEvents(result.raw), []);
  });

  test('GRIP_PREFIX is applied to subscriptions', async (t) => {
    quiet(t);
    const handler = websocket({ onOpen: (ctx) => ctx.subscribe('room') }, { env: { GRIP_PREFIX: 'p-' } });
    const result = await call(handler, wsEvent(fixture, [ev('OPEN')]));
    assert.deepEqual(summarize(resultEvents(result.raw)), [
      ['OPEN', null],
      ['TEXT', 'c:{"type":"subscribe","channel":"p-room"}'],
    ]);
  });

  test('readWebSocketContext and webSocketResult, driven by hand', async (t) => {
    quiet(t);
    const gate = createGate({ env: {} });
    const event = wsEvent(FIXTURE.albMultiValue, [ev('OPEN'), ev('TEXT', 'x')]);
    const ctx = await readWebSocketContext(asLambdaEvent(event), gate);
    assert.equal(ctx.id, FIXTURE.albMultiValue.connectionId);
    assert.deepEqual(ctx.recv(), { type: 'text', data: 'x' });
    ctx.send('y');
    const result = readResult(webSocketResult(ctx, asLambdaEvent(event)));
    assert.ok(result.raw.multiValueHeaders !== undefined);
    assert.deepEqual(summarize(resultEvents(result.raw)), [
      ['OPEN', null],
      ['TEXT', 'm:y'],
    ]);
  });
});
