// Targeted sends without a proxy: the channels every connection is
// subscribed to (its own at open, its user's after setUser), what
// toConnection / toUser publish, and the reserved names user code may not use.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeEvents } from '../../src/protocol/codec.js';
import type { WebSocketEvent } from '../../src/protocol/events.js';
import { GripPublisher } from '../../src/publish/publisher.js';
import { WebSocketContext } from '../../src/websocket/context.js';

function context(events: readonly WebSocketEvent[], meta: Record<string, string> = {}, prefix = ''): WebSocketContext {
  const headers = new Map<string, string>([
    ['content-type', 'application/websocket-events'],
    ['connection-id', 'conn-1'],
    ...Object.entries(meta).map(([name, value]): [string, string] => [`meta-${name}`, value]),
  ]);
  return new WebSocketContext(
    'conn-1',
    { method: 'POST', path: '/ws', rawQuery: '', headers, params: {}, body: new Uint8Array(0) },
    events,
    { prefix },
  );
}

/** The control messages of an answer, parsed. */
function controls(ctx: WebSocketContext): unknown[] {
  const body = ctx.toResponse().body as Uint8Array;
  return decodeEvents(body)
    .filter((e) => e.type === 'TEXT' && Buffer.from(e.content!).toString('utf8').startsWith('c:'))
    .map((e) => JSON.parse(Buffer.from(e.content!).toString('utf8').slice(2)));
}

/** A publisher whose control requests are recorded, not sent. */
function recordingPublisher(prefix = ''): { publisher: GripPublisher; items: () => unknown[] } {
  const bodies: string[] = [];
  const publisher = GripPublisher.fromEnv(
    { GRIP_URL: 'http://127.0.0.1:1?iss=pushpin&key=k', GRIP_PREFIX: prefix },
    {
      retry: { attempts: 1 },
      fetch: (async (_url: string, init: RequestInit) => {
        bodies.push(String(init.body));
        return new Response('Published\n');
      }) as typeof fetch,
    },
  );
  return { publisher, items: () => bodies.flatMap((b) => (JSON.parse(b) as { items: unknown[] }).items) };
}

describe('the library’s own channels', () => {
  test('an opening answer subscribes the connection to its own channel, under GRIP_PREFIX', () => {
    assert.deepEqual(controls(context([{ type: 'OPEN' }])), [{ type: 'subscribe', channel: '$c:conn-1' }]);
    assert.deepEqual(controls(context([{ type: 'OPEN' }], {}, 'app.')), [{ type: 'subscribe', channel: 'app.$c:conn-1' }]);
    // Later requests do not subscribe again.
    assert.deepEqual(controls(context([{ type: 'TEXT', content: Buffer.from('hi') }])), []);
  });

  test('setUser subscribes the user channel and keeps the id in meta; another user leaves the first', () => {
    const ctx = context([{ type: 'TEXT', content: Buffer.from('hi') }]);
    ctx.setUser('alice');
    assert.equal(ctx.user, 'alice');
    assert.deepEqual(controls(ctx), [
      { type: 'set-meta', name: 'grip-user', value: 'alice' },
      { type: 'subscribe', channel: '$u:alice' },
    ]);
    const later = context([{ type: 'TEXT', content: Buffer.from('hi') }], { 'grip-user': 'alice' });
    assert.equal(later.user, 'alice');
    later.setUser('alice'); // the same user: nothing to do
    later.setUser('bob');
    assert.deepEqual(controls(later), [
      { type: 'set-meta', name: 'grip-user', value: 'bob' },
      { type: 'unsubscribe', channel: '$u:alice' },
      { type: 'subscribe', channel: '$u:bob' },
    ]);
  });

  test('a user id that cannot be one is a TypeError, and changes nothing', () => {
    const ctx = context([{ type: 'OPEN' }]);
    for (const bad of ['', 'has space', 'é', 'x'.repeat(129), 'a\nb'])
      assert.throws(() => ctx.setUser(bad), TypeError, JSON.stringify(bad));
    assert.equal(ctx.user, undefined);
  });

  test('user code cannot subscribe to, or publish on, the reserved names', async () => {
    const ctx = context([{ type: 'OPEN' }]);
    assert.throws(() => ctx.subscribe('$c:someone-else'), /reserved|library's own/);
    assert.throws(() => ctx.unsubscribe('$u:alice'), TypeError);
    const { publisher, items } = recordingPublisher();
    await assert.rejects(publisher.publish('$c:conn-1', []), TypeError);
    await assert.rejects(publisher.publishBatch([{ channel: '$u:alice', formats: [] }]), TypeError);
    // The one way onto those channels is a target: no method of the publisher skips the check.
    const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(publisher)).filter((name) => name !== 'constructor');
    assert.deepEqual(
      methods.filter((name) => /publish/i.test(name)),
      ['publish', 'publishBatch'],
    );
    assert.deepEqual(items(), []);
  });
});

describe('toConnection and toUser', () => {
  test('send publishes a ws-message on the connection’s / user’s channel, prefixed', async () => {
    const { publisher, items } = recordingPublisher('app.');
    await publisher.toConnection('conn-1').send('hello');
    await publisher.toUser('alice').send(new Uint8Array([1, 2]));
    assert.deepEqual(items(), [
      { channel: 'app.$c:conn-1', formats: { 'ws-message': { content: 'hello' } } },
      { channel: 'app.$u:alice', formats: { 'ws-message': { 'content-bin': 'AQI=' } } },
    ]);
  });

  test('close publishes a close with its code and reason; a code that may not be sent is a TypeError', async () => {
    const { publisher, items } = recordingPublisher();
    await publisher.toConnection('conn-1').close(4001, 'kicked');
    await publisher.toUser('alice').close();
    assert.deepEqual(items(), [
      { channel: '$c:conn-1', formats: { 'ws-message': { action: 'close', code: 4001, reason: 'kicked' } } },
      { channel: '$u:alice', formats: { 'ws-message': { action: 'close', code: 1000 } } },
    ]);
    await assert.rejects(publisher.toConnection('conn-1').close(1006), TypeError);
    await assert.rejects(publisher.toConnection('conn-1').close(4000, 'x'.repeat(124)), TypeError);
    assert.equal(items().length, 2);
  });

  test('ids that cannot be a connection or user are TypeErrors', () => {
    const { publisher } = recordingPublisher();
    assert.throws(() => publisher.toConnection(''), TypeError);
    assert.throws(() => publisher.toUser('two words'), TypeError);
  });
});
