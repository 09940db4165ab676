// grip-lambda/client against a scripted WebSocket: states, duplicates
// dropped, gaps fetched with /since and held messages put in order, sends
// queued and resent with their client ids until answered, reconnect rules.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RealtimeClient, isNewerId, type ClientOptions, type ServerMessage } from '../../src/client/client.js';
import { ScriptedSocket } from '../support/scripted-socket.js';

function client(options: Partial<ClientOptions> = {}) {
  ScriptedSocket.made = [];
  const got: (ServerMessage | string)[] = [];
  const states: string[] = [];
  const c = new RealtimeClient('ws://chat/room', {
    WebSocket: ScriptedSocket,
    minDelayMs: 1,
    maxDelayMs: 4,
    onMessage: (m) => got.push(m),
    onStateChange: (s) => states.push(s),
    ...options,
  });
  const socket = () => ScriptedSocket.made.at(-1)!;
  return { c, got, states, socket };
}

const texts = (got: readonly (ServerMessage | string)[]) => got.map((m) => (typeof m === 'string' ? m : (m.text ?? m.type)));
const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RealtimeClient', () => {
  test('ids compare as stream ids', () => {
    assert.ok(isNewerId('10-0', '9-5'));
    assert.ok(isNewerId('9-10', '9-9'));
    assert.ok(!isNewerId('9-9', '9-9'));
    assert.ok(isNewerId('1-0', undefined));
  });

  test('hands over messages once: repeats and older ids are dropped; text that is not JSON passes as text', () => {
    const { got, socket } = client();
    socket().open();
    socket().deliver({ type: 'message', text: 'a', id: '1-0', prevId: '0-0' });
    socket().deliver({ type: 'message', text: 'a', id: '1-0', prevId: '0-0' });
    socket().deliver({ type: 'message', text: 'b', id: '2-0', prevId: '1-0' });
    socket().deliver({ type: 'message', text: 'old', id: '0-5' });
    socket().deliver({ type: 'join', nick: 'x' });
    socket().deliver('not json');
    assert.deepEqual(texts(got), ['a', 'b', 'join', 'not json']);
  });

  test('a gap asks /since the last id; messages held meanwhile come after the replay, in order, once', () => {
    const { c, got, socket } = client();
    socket().open();
    socket().deliver({ type: 'message', text: 'm1', id: '1-0', prevId: '0-0' });
    socket().deliver({ type: 'message', text: 'm3', id: '3-0', prevId: '2-0' }); // m2 missed
    assert.deepEqual(socket().sent, ['/since 1-0']);
    socket().deliver({ type: 'message', text: 'm4', id: '4-0', prevId: '3-0' }); // live, during the sync
    socket().deliver({ type: 'message', text: 'm2', id: '2-0', prevId: '1-0' }); // the replay
    socket().deliver({ type: 'message', text: 'm3', id: '3-0', prevId: '2-0' });
    socket().deliver({ type: 'synced' });
    assert.deepEqual(texts(got), ['m1', 'm2', 'm3', 'm4']);
    assert.equal(c.lastId, '4-0');
    assert.deepEqual(socket().sent, ['/since 1-0']);
  });

  test('sends are queued while not connected and resent after a reconnect until a message carries their cid', async () => {
    const { c, socket, states } = client();
    const cid = c.send('early'); // before open: queued
    assert.equal(c.pending, 1);
    socket().open();
    assert.deepEqual(
      socket().sent.map((s) => JSON.parse(s)),
      [{ cid, text: 'early' }],
    );
    socket().deliver({ type: 'message', text: 'm1', id: '1-0', prevId: '0-0' });
    const second = c.send('lost in the drop');
    socket().drop();
    assert.equal(c.state, 'reconnecting');
    const third = c.send('typed while down');
    await tick();
    const next = socket();
    assert.match(next.url, /\?last-id=1-0$/);
    next.open();
    // The catch-up request first, then every unanswered send, with the same ids.
    assert.deepEqual(
      next.sent.map((s) => (s.startsWith('{') ? JSON.parse(s) : s)),
      ['/since 1-0', { cid, text: 'early' }, { cid: second, text: 'lost in the drop' }, { cid: third, text: 'typed while down' }],
    );
    next.deliver({ type: 'message', text: 'early', id: '2-0', prevId: '1-0', cid });
    next.deliver({ type: 'synced' });
    assert.equal(c.pending, 2);
    assert.deepEqual(states, ['open', 'reconnecting', 'open']);
  });

  test('no reconnect after 1000, 1008 or 4000-4999 from the server; reconnects after 1006 and 1011', async () => {
    for (const [code, again] of [
      [1000, false],
      [1008, false],
      [4001, false],
      [1006, true],
      [1011, true],
    ] as const) {
      const { c, socket } = client();
      socket().open();
      socket().drop(code);
      await tick();
      assert.equal(ScriptedSocket.made.length, again ? 2 : 1, `code ${code}`);
      assert.equal(c.state, again ? 'reconnecting' : 'closed', `code ${code}`);
      c.close();
    }
  });

  test('failed attempts back off, jittered, up to the cap; close() stops for good', async () => {
    const { c, socket } = client({ minDelayMs: 10, maxDelayMs: 40 });
    for (let i = 0; i < 4; i++) {
      const before = ScriptedSocket.made.length;
      socket().drop();
      await tick(60);
      assert.equal(ScriptedSocket.made.length, before + 1, `attempt ${i + 2}`);
    }
    c.close();
    socket().drop();
    await tick(60);
    assert.equal(c.state, 'closed');
    assert.throws(() => c.send('x'), /closed/);
  });

  test('silence past idleTimeoutMs counts as a drop', async () => {
    const { c, socket } = client({ idleTimeoutMs: 30 });
    socket().open();
    await tick(80);
    assert.ok(ScriptedSocket.made.length >= 2, 'a new socket after the silence');
    c.close();
  });

  test('without a WebSocket class there is a clear error', () => {
    const original = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = undefined;
    try {
      assert.throws(() => new RealtimeClient('ws://x'), /pass one as the WebSocket option/);
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = original;
    }
  });
});
