// grip-lambda/testing: events built for every front door reach a real
// websocket() handler and its answers read back; signing passes the same
// Grip-Sig check Pushpin's tokens do.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { websocket } from '../../src/index.js';
import {
  binaryEvent,
  closeEvent,
  lambdaContext,
  openEvent,
  readWebSocketResult,
  signGripSig,
  textEvent,
  webSocketRequest,
  type FrontDoorKind,
} from '../../src/testing/index.js';

const KINDS: readonly FrontDoorKind[] = ['http-api', 'rest-api', 'rest-api-text', 'function-url', 'alb', 'alb-multi-value'];
const KEY = 'test-sig-key';
const env = { GRIP_URL: `http://127.0.0.1:5561?iss=pushpin&key=${KEY}`, GRIP_VERIFY_ISS: 'pushpin' };

const chat = websocket(
  {
    onOpen(ctx) {
      ctx.meta.set('user', ctx.request.query.get('user') ?? 'anon');
      ctx.subscribe(`room-${ctx.request.params['room'] ?? 'none'}`);
    },
    onMessage(ctx, message) {
      if (message.type === 'text' && message.data === 'leave') {
        ctx.unsubscribe('room-lobby');
        ctx.close(4000, 'bye');
        return;
      }
      ctx.send(message.type === 'text' ? `${ctx.meta.get('user')}: ${message.data}` : message.data);
    },
  },
  { env },
);

const context = () => lambdaContext('chat', Date.now() + 10_000);

for (const frontDoor of KINDS) {
  describe(`front door ${frontDoor}`, () => {
    test('OPEN is accepted, with its subscription and meta change', async (t) => {
      t.mock.method(console, 'warn', () => {}); // REST API text bodies warn once
      const event = webSocketRequest({
        frontDoor,
        path: '/chat/lobby',
        pathParameters: { room: 'lobby' },
        query: 'user=ann',
        sign: { key: KEY },
      });
      const result = readWebSocketResult(await chat(event, context()));
      assert.equal(result.status, 200, result.text);
      assert.equal(result.accepted, true);
      assert.deepEqual(result.meta, { user: 'ann' });
      // The connection's own channel, which every opening answer subscribes (for toConnection), is kept apart.
      assert.equal(result.ownSubscribed.length, 1);
      assert.match(result.ownSubscribed[0] ?? '', /^\$c:\S+$/);
      assert.deepEqual(result.subscribed, [frontDoor.startsWith('alb') || frontDoor === 'function-url' ? 'room-none' : 'room-lobby']);
      assert.deepEqual(result.messages, []);
    });

    test('messages and meta on a later request; a close', async (t) => {
      t.mock.method(console, 'warn', () => {});
      const sign = { key: KEY };
      // A REST API without binaryMediaTypes mangles bytes that are not UTF-8, as on AWS: only UTF-8 ones there.
      const bytes = new Uint8Array(frontDoor === 'rest-api-text' ? [1, 2, 3] : [1, 2, 255]);
      const text = readWebSocketResult(
        await chat(
          webSocketRequest({ frontDoor, connectionId: 'c1', meta: { user: 'bob' }, events: [textEvent('hi'), binaryEvent(bytes)], sign }),
          context(),
        ),
      );
      assert.equal(text.status, 200, text.text);
      assert.equal(text.accepted, false, 'not an opening request');
      assert.deepEqual(text.messages, [
        { type: 'text', data: 'bob: hi' },
        { type: 'binary', data: bytes },
      ]);
      const leaving = await chat(webSocketRequest({ frontDoor, events: [textEvent('leave')], sign }), context());
      if (frontDoor === 'rest-api-text') {
        // A close code is two raw bytes that are not UTF-8: that REST API mangles them (see README).
        assert.throws(() => readWebSocketResult(leaving), /after the content of CLOSE/);
        return;
      }
      const leave = readWebSocketResult(leaving);
      assert.deepEqual(leave.unsubscribed, ['room-lobby']);
      assert.deepEqual(leave.close, { code: 4000, reason: 'bye' });
    });

    test('unsigned, or signed with another key: 401 with the reason', async () => {
      for (const sign of [undefined, { key: 'wrong' }]) {
        const result = readWebSocketResult(await chat(webSocketRequest({ frontDoor, ...(sign ? { sign } : {}) }), context()));
        assert.equal(result.status, 401);
        assert.match(result.text, /Grip-Sig|signature/i);
      }
    });
  });
}

test('the client closing: its code is echoed', async () => {
  const result = readWebSocketResult(await chat(webSocketRequest({ events: [closeEvent(1001, 'away')], sign: { key: KEY } }), context()));
  assert.equal(result.close?.code, 1001);
});

test('an expired Grip-Sig is refused', async () => {
  const expired = signGripSig(KEY, { expiresInSeconds: -10 });
  const result = readWebSocketResult(await chat(webSocketRequest({ events: [openEvent()], headers: { 'Grip-Sig': expired } }), context()));
  assert.equal(result.status, 401);
});

test('readWebSocketResult refuses what is not a result', () => {
  assert.throws(() => readWebSocketResult(undefined), /not a Lambda HTTP result/);
});
