// What ctx.send refuses (proxy limits) and where the limit comes from.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeEvents } from '../../src/protocol/codec.js';
import type { HttpRequest } from '../../src/lambda/types.js';
import { WebSocketContext } from '../../src/websocket/context.js';
import { DEFAULT_MAX_MESSAGE_BYTES, maxMessageBytesFor, MAX_RESPONSE_BYTES, readProxyLimits } from '../../src/websocket/limits.js';

const request: HttpRequest = {
  method: 'POST',
  path: '/echo',
  rawQuery: '',
  headers: new Map([
    ['content-type', 'application/websocket-events'],
    ['connection-id', 'c1'],
  ]),
  params: {},
  body: new Uint8Array(0),
};

const context = (maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) =>
  new WebSocketContext('c1', request, [{ type: 'TEXT', content: Buffer.from('hi') }], {
    limits: { maxMessageBytes, maxResponseBytes: MAX_RESPONSE_BYTES },
  });

const sentSizes = (ctx: WebSocketContext) =>
  decodeEvents(ctx.toResponse().body as Uint8Array)
    .filter((e) => e.type === 'TEXT' || e.type === 'BINARY')
    .map((e) => (e.content?.length ?? 0) - 2);

describe('proxy limits', () => {
  test('Pushpin 1.36: max(B, 16384) + 16384 bytes with the 2-byte prefix', () => {
    assert.equal(maxMessageBytesFor(8192), 32_766);
    assert.equal(maxMessageBytesFor(65_536), 81_918);
    assert.equal(maxMessageBytesFor(262_144), 278_526);
    assert.equal(DEFAULT_MAX_MESSAGE_BYTES, 32_766);
  });

  test('GRIP_MAX_MESSAGE_BYTES sets the limit; unset, the stock one; nonsense is an error naming it', () => {
    assert.equal(readProxyLimits({}).maxMessageBytes, 32_766);
    assert.equal(readProxyLimits({ GRIP_MAX_MESSAGE_BYTES: '278526' }).maxMessageBytes, 278_526);
    assert.equal(readProxyLimits({ GRIP_MAX_MESSAGE_BYTES: '5000000' }).maxMessageBytes, MAX_RESPONSE_BYTES, 'never more than a response');
    for (const bad of ['0', '-1', '12kb', '1.5', 'x']) {
      assert.throws(() => readProxyLimits({ GRIP_MAX_MESSAGE_BYTES: bad }), /GRIP_MAX_MESSAGE_BYTES must be a whole number/, bad);
    }
  });

  test('a message at the limit is sent; one byte over is a RangeError naming both sizes, and nothing is sent', () => {
    const ctx = context(1000);
    ctx.send('x'.repeat(1000));
    assert.throws(
      () => ctx.send('é'.repeat(501)),
      (error: unknown) => {
        assert.ok(error instanceof RangeError);
        assert.match(
          error.message,
          /a message of 1002 bytes is over the proxy's limit of 1000 bytes per message \(GRIP_MAX_MESSAGE_BYTES\)/,
        );
        return true;
      },
    );
    assert.throws(() => ctx.send(new Uint8Array(1001)), RangeError);
    assert.deepEqual(sentSizes(ctx), [1000]);
  });

  test('short ASCII (copied without counting its UTF-8 length) is held to the same limit', () => {
    const ctx = context(10);
    ctx.send('x'.repeat(10));
    assert.throws(() => ctx.send('y'.repeat(11)), /a message of 11 bytes is over the proxy's limit of 10 bytes per message/);
    assert.throws(() => ctx.send('é'.repeat(6)), /a message of 12 bytes is over/);
    ctx.send('é'.repeat(5));
    assert.deepEqual(sentSizes(ctx), [10, 10]);
  });

  test('sends that would take one response over the proxy’s 1,000,000 bytes: the one that would is a RangeError, the earlier ones stay', () => {
    const ctx = context(100_000);
    let sent = 0;
    let error: unknown;
    try {
      for (;;) {
        ctx.send(new Uint8Array(100_000));
        sent++;
      }
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof RangeError);
    assert.match((error as Error).message, /this response would be \d+ bytes, over the \d+ bytes the proxy reads from one response/);
    assert.equal(sent, 9);
    const body = ctx.toResponse().body as Uint8Array;
    assert.ok(body.length <= MAX_RESPONSE_BYTES, `${body.length} bytes`);
    assert.deepEqual(
      sentSizes(ctx),
      Array.from({ length: 9 }, () => 100_000),
    );
  });
});
