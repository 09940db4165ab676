// routeMessages: messages to handlers by their `action` (or another key),
// the rest to the default route, or answered with an error when there is none.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeEvents } from '../../src/protocol/codec.js';
import type { WebSocketEvent } from '../../src/protocol/events.js';
import { WebSocketContext, type WebSocketMessage } from '../../src/websocket/context.js';
import { dispatch } from '../../src/websocket/handler.js';
import { routeMessages } from '../../src/websocket/router.js';

const text = (data: string): WebSocketEvent => ({ type: 'TEXT', content: Buffer.from(data) });

function context(events: readonly WebSocketEvent[]): WebSocketContext {
  const headers = new Map([
    ['content-type', 'application/websocket-events'],
    ['connection-id', 'c1'],
  ]);
  return new WebSocketContext('c1', { method: 'POST', path: '/ws', rawQuery: '', headers, params: {}, body: new Uint8Array(0) }, events);
}

/** The messages the answer sends to the client, as text. */
function sent(ctx: WebSocketContext): string[] {
  return decodeEvents(ctx.toResponse().body as Uint8Array)
    .filter((e) => e.type === 'TEXT' && Buffer.from(e.content!).toString().startsWith('m:'))
    .map((e) => Buffer.from(e.content!).toString().slice(2));
}

describe('routeMessages', () => {
  test('each message goes to the route its action names, with its parsed body; the rest to the default', async () => {
    const seen: string[] = [];
    const onMessage = routeMessages<{ join: { room: string }; leave: object }>(
      {
        join(_ctx, body) {
          seen.push(`join ${body.room} (${body.action})`);
        },
        leave() {
          seen.push('leave');
        },
      },
      {
        default(_ctx, message: WebSocketMessage) {
          seen.push(`default ${message.type === 'text' ? message.data : `${message.data.length} bytes`}`);
        },
      },
    );
    const ctx = context([
      text('{"action":"join","room":"lobby"}'),
      text('{"action":"leave"}'),
      text('{"action":"dance"}'),
      text('plain text'),
      text('{"action":'),
      text('["join"]'),
      { type: 'BINARY', content: new Uint8Array([1, 2]) },
    ]);
    await dispatch(ctx, { onMessage });
    assert.deepEqual(seen, [
      'join lobby (join)',
      'leave',
      'default {"action":"dance"}',
      'default plain text',
      'default {"action":',
      'default ["join"]',
      'default 2 bytes',
    ]);
  });

  test('another route key', async () => {
    const seen: unknown[] = [];
    const onMessage = routeMessages<{ ping: { n: number } }, 'op'>({ ping: (_ctx, body) => void seen.push(body) }, { key: 'op' });
    await dispatch(context([text('{"op":"ping","n":1}')]), { onMessage });
    assert.deepEqual(seen, [{ op: 'ping', n: 1 }]);
  });

  test('without a default route, a message no route takes is answered with an error naming why', async () => {
    const onMessage = routeMessages<{ join: object }>({ join() {} });
    const ctx = context([text('{"action":"dance"}'), text('hello'), text('{"action":"constructor"}'), text('{"action":"__proto__"}')]);
    await dispatch(ctx, { onMessage });
    assert.deepEqual(
      sent(ctx).map((m) => JSON.parse(m)),
      [
        { error: 'no route for action "dance"', action: 'dance' },
        { error: 'messages are JSON objects with a string "action"' },
        { error: 'no route for action "constructor"', action: 'constructor' },
        { error: 'no route for action "__proto__"', action: '__proto__' },
      ],
    );
  });

  test('a route that throws closes the connection with 1011, as any handler does', async () => {
    const onMessage = routeMessages<{ boom: object }>({
      boom() {
        throw new Error('boom');
      },
    });
    const ctx = context([text('{"action":"boom"}')]);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      await dispatch(ctx, { onMessage });
    } finally {
      console.error = original;
    }
    const events = decodeEvents(ctx.toResponse().body as Uint8Array);
    assert.equal(events.at(-1)?.type, 'CLOSE');
    assert.equal(Buffer.from(events.at(-1)!.content!).readUInt16BE(0), 1011);
    assert.equal(errors.length, 1);
  });
});

describe('dispatch', () => {
  test('callbacks run in order; one that returns a promise is waited for before the next', async () => {
    const seen: string[] = [];
    const ctx = context([text('a'), text('b')]);
    await dispatch(ctx, { onMessage: (_, m) => void seen.push(m.data as string) });
    assert.deepEqual(seen, ['a', 'b']);
    const later = context([text('a'), text('b'), text('c')]);
    const order: string[] = [];
    const pending = dispatch(later, {
      onMessage: (_, m) =>
        m.data === 'b'
          ? new Promise<void>((resolve) =>
              setTimeout(() => {
                order.push('b');
                resolve();
              }, 5),
            )
          : void order.push(m.data as string),
    });
    assert.ok(pending instanceof Promise);
    assert.deepEqual(order, ['a']);
    await pending;
    assert.deepEqual(order, ['a', 'b', 'c']);
  });

  test('a callback that throws at once or rejects later: logged with the stage, the connection closed with 1011', async (t) => {
    const errors = t.mock.method(console, 'error', () => {});
    const now = context([text('a')]);
    await dispatch(now, {
      onMessage: () => {
        throw new Error('at once');
      },
    });
    assert.equal(now.state, 'closed');
    const later = context([text('a'), text('b')]);
    await dispatch(later, { onMessage: async () => Promise.reject(new Error('later')) });
    assert.equal(later.state, 'closed');
    assert.equal(errors.mock.callCount(), 2);
    assert.match(String(errors.mock.calls[0]!.arguments[0]), /connection c1: error in onMessage: .*at once/);
    assert.match(String(errors.mock.calls[1]!.arguments[0]), /connection c1: error in onMessage: .*later/);
  });
});
