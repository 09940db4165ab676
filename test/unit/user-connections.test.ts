// withClientAuth's connectionsPerUser over simulated proxy requests (meta
// carried from one request to the next as Pushpin does), counted in a real
// Presence on a redis-server of this test's own: refusals before user code,
// places freed by closes and by opens that never completed, renewal by
// later requests, the keep-alive interval it asks for, a store that does
// not answer (admit or refuse), and the settings refused when the handler is made.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import type { LogEntry } from '../../src/observe/logger.js';
import { adoptLogger } from '../../src/observe/current.js';
import type { PresenceChange } from '../../src/presence/store.js';
import { RedisPresence } from '../../src/presence/redis-presence.js';
import { withClientAuth } from '../../src/websocket/client-auth.js';
import type { WebSocketHandlers } from '../../src/websocket/handler.js';
import type { ConnectionsPerUserOptions } from '../../src/websocket/user-connections.js';
import { open, SimConnection, text } from '../support/connection-sim.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';

const logged: { level: string; entry: LogEntry }[] = [];
adoptLogger({
  debug: (entry) => logged.push({ level: 'debug', entry }),
  info: (entry) => logged.push({ level: 'info', entry }),
  warn: (entry) => logged.push({ level: 'warn', entry }),
  error: (entry) => logged.push({ level: 'error', entry }),
});

const secret = randomBytes(32);
const nowS = () => Math.floor(Date.now() / 1000);
const token = (sub: string) => new SignJWT({ sub, exp: nowS() + 3600 }).setProtectedHeader({ alg: 'HS256' }).sign(secret);
const newUser = () => `user-${randomUUID()}`;
const closeEvent = (code = 1000) => ({ type: 'CLOSE' as const, content: Buffer.from([code >> 8, code & 0xff]) });

let redis: TestRedis;
let presence: RedisPresence;
const changes: PresenceChange[] = [];

before(async () => {
  redis = await startTestRedis();
  presence = new RedisPresence(redis.url, { onChange: (change) => void changes.push(change), timeoutMs: 300 });
});

after(async () => {
  await presence?.close();
  await redis?.close();
});

function limited(handlers: WebSocketHandlers, options: Partial<ConnectionsPerUserOptions> = {}): WebSocketHandlers {
  return withClientAuth(handlers, { secret, connectionsPerUser: { max: 2, presence, ...options } });
}

async function openAs(handlers: WebSocketHandlers, user: string) {
  const connection = new SimConnection(handlers);
  const response = await connection.request([open()], { authorization: `Bearer ${await token(user)}` });
  return { connection, response };
}

describe('connections per user at the handshake', () => {
  test('the third connection of a user: 429 with a short reason, before user code runs; it takes no place; other users are apart', async () => {
    let opened = 0;
    const handlers = limited({ onOpen: () => void opened++ });
    const [ann, bob] = [newUser(), newUser()];
    assert.equal((await openAs(handlers, ann)).response.status, 200);
    assert.equal((await openAs(handlers, ann)).response.status, 200);
    const third = await openAs(handlers, ann);
    assert.equal(third.response.status, 429);
    assert.equal(third.response.body, 'too many connections for this user (at most 2)\n');
    assert.equal(opened, 2, 'user code ran for the admitted ones only');
    assert.equal(await presence.countUserConnections(ann), 2);
    assert.equal((await openAs(handlers, bob)).response.status, 200);
    assert.deepEqual(changes, [], 'never announced as presence');
  });

  test('a token refused, or a route channel refused (403), takes no place', async () => {
    const handlers = withClientAuth({}, { secret, channel: () => 'lobby', connectionsPerUser: { max: 1, presence } });
    const ann = newUser();
    const forbidden = await new SignJWT({ sub: ann, exp: nowS() + 60, capability: { other: ['subscribe'] } })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(secret);
    assert.equal((await new SimConnection(handlers).request([open()], { authorization: `Bearer ${forbidden}` })).status, 403);
    assert.equal((await new SimConnection(handlers).request([open()])).status, 401);
    assert.equal(await presence.countUserConnections(ann), 0);
    assert.equal((await openAs(handlers, ann)).response.status, 200);
  });

  test("an open the function's own code rejects, closes or fails in frees its place at once", async () => {
    const ann = newUser();
    const outcomes = ['reject', 'close', 'throw'];
    const handlers = withClientAuth(
      {
        onOpen(ctx) {
          const outcome = outcomes.shift();
          if (outcome === 'reject') ctx.reject(400, 'no\n');
          if (outcome === 'close') ctx.close(4000, 'no');
          if (outcome === 'throw') throw new Error('a bug in onOpen');
        },
      },
      { secret, connectionsPerUser: { max: 1, presence } },
    );
    assert.equal((await openAs(handlers, ann)).response.status, 400);
    assert.equal((await openAs(handlers, ann)).response.closeCode, 4000);
    assert.equal((await openAs(handlers, ann)).response.closeCode, 1011);
    assert.equal(await presence.countUserConnections(ann), 0);
    assert.equal((await openAs(handlers, ann)).response.status, 200, 'the one place is free');
  });
});

describe('connections per user while connected', () => {
  test('a close, clean or not, frees the place; the user code of onClose runs first', async () => {
    const ann = newUser();
    const closed: number[] = [];
    const handlers = limited({ onClose: async (_ctx, close) => void closed.push(close.code ?? 0) });
    const a = await openAs(handlers, ann);
    const b = await openAs(handlers, ann);
    assert.equal((await openAs(handlers, ann)).response.status, 429);
    await a.connection.request([closeEvent(1000)]);
    assert.equal(await presence.countUserConnections(ann), 1);
    await b.connection.request([{ type: 'DISCONNECT' }]);
    assert.equal(await presence.countUserConnections(ann), 0);
    assert.equal(closed.length, 2);
    assert.equal((await openAs(handlers, ann)).response.status, 200);
  });

  test('the open asks for keep-alives every refreshSeconds at most (user code asking for fewer is overruled), which renew the entry', async () => {
    const ann = newUser();
    const handlers = limited({ onOpen: (ctx) => ctx.setKeepAliveInterval(300) });
    const { connection, response } = await openAs(handlers, ann);
    assert.equal(response.headers['Keep-Alive-Interval'], String(presence.refreshSeconds));
    const mark = connection.meta.get('grip-uconn');
    assert.match(mark ?? '', new RegExp(`^\\d+ ${ann}$`));
    // A request soon after writes nothing; one after half the refresh interval renews the entry (here: puts back one gone).
    await presence.releaseUserConnection(ann, connection.id);
    await connection.request([]);
    assert.equal(await presence.countUserConnections(ann), 0, 'not yet due');
    connection.meta.set('grip-uconn', `${Date.now() - presence.refreshSeconds * 1000} ${ann}`);
    const keepAlive = await connection.request([]);
    assert.equal(await presence.countUserConnections(ann), 1, 'renewed by a keep-alive request');
    assert.equal(keepAlive.status, 200);
    assert.notEqual(connection.meta.get('grip-uconn'), mark);
  });

  test('messages reach the function as usual', async () => {
    const handlers = limited({ onMessage: (ctx, message) => ctx.send(`echo ${message.type === 'text' ? message.data : ''}`) });
    const { connection } = await openAs(handlers, newUser());
    assert.deepEqual((await connection.request([text('hi')])).texts, ['echo hi']);
  });
});

/** Resolves once the presence's connection to the restarted server answers again. */
async function storeAnswering(): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await presence.countUserConnections('probe');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('connections per user with the store down', () => {
  test("whenStoreDown 'admit' (the default): admitted with an error logged, and counted from its first request once the store is back", async () => {
    const ann = newUser();
    const handlers = limited({});
    await redis.stop();
    let admitted;
    try {
      logged.length = 0;
      admitted = await openAs(handlers, ann);
      assert.equal(admitted.response.status, 200);
      assert.equal(admitted.connection.meta.get('grip-uconn'), `0 ${ann}`);
      const line = logged.find((l) => String(l.entry.message).startsWith('connections per user'));
      assert.equal(line?.level, 'error');
      assert.match(String(line?.entry.message), /^connections per user: admission of connection \S+ failed: /);
      const refusing = limited({}, { whenStoreDown: 'refuse' });
      const refused = await openAs(refusing, ann);
      assert.equal(refused.response.status, 503);
      assert.equal(refused.response.body, 'connection count unavailable, try again\n');
      assert.equal(refused.response.headers['Retry-After'], '5');
    } finally {
      await redis.start();
    }
    await storeAnswering();
    await admitted.connection.request([]);
    assert.equal(await presence.countUserConnections(ann), 1, 'counted once the store answers');
  });
});

describe('connectionsPerUser settings, refused when the handler is made', () => {
  test('no presence (getPresence() without a store), a bad max, an unknown whenStoreDown', () => {
    assert.throws(
      () => withClientAuth({}, { secret, connectionsPerUser: { max: 2, presence: null } }),
      /connectionsPerUser needs a store to count connections in: pass presence: getPresence\(\) with REDIS_URL or DYNAMODB_TABLE set/,
    );
    for (const max of [0, 1.5, Number.NaN]) {
      assert.throws(() => withClientAuth({}, { secret, connectionsPerUser: { max, presence } }), /max must be a whole number >= 1/);
    }
    assert.throws(
      () => withClientAuth({}, { secret, connectionsPerUser: { max: 2, presence, whenStoreDown: 'maybe' as 'admit' } }),
      /whenStoreDown must be "admit" or "refuse"/,
    );
  });
});
