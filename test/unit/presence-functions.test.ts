// Two functions using presence in one process, as the local stack hosts
// them (on Lambda each has a process of its own): each gets its own
// options, onChange included, and both share the process's one Redis
// connection. Before, the second function's getPresence got the first
// one's instance, and its announcements went to the first function's onChange.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { startFunctionHost, type RunningFunctionHost } from '../../src/local/function-host.js';
import type { Route } from '../../src/local/routes.js';
import type { PresenceChange } from '../../src/presence/store.js';
import { closeSharedPresence, getPresence } from '../../src/presence/shared.js';
import { websocket } from '../../src/websocket/handler.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';

let redis: TestRedis;
let host: RunningFunctionHost;
const announced: Record<'chat' | 'lobby', PresenceChange[]> = { chat: [], lobby: [] };

/** A function module as the stack loads it: getPresence at load, with its own onChange. */
function presenceFunction(name: 'chat' | 'lobby'): Route {
  return {
    kind: 'httpApi',
    functionName: name,
    method: 'POST',
    path: `/${name}`,
    timeoutSeconds: 5,
    load: async () => {
      const presence = getPresence({ onChange: (change) => void announced[name].push(change) }, { REDIS_URL: redis.url })!;
      return websocket(
        presence.handlers({
          onOpen: (ctx) => presence.enter(ctx, 'shared-room', { from: name }),
        }),
      );
    },
  };
}

before(async () => {
  redis = await startTestRedis();
  host = await startFunctionHost({ routes: [presenceFunction('chat'), presenceFunction('lobby')] });
});

after(async () => {
  await host?.close();
  await closeSharedPresence();
  await redis?.close();
});

async function open(path: string, connectionId: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${host.port}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/websocket-events', 'Connection-Id': connectionId },
    body: 'OPEN\r\n',
  });
  await response.arrayBuffer();
  return response.status;
}

test("two functions' presences: each announces its own changes, on one Redis connection", async (t) => {
  t.mock.method(console, 'warn', () => undefined); // no Grip-Sig key configured: said once per function
  assert.equal(await open('/chat', 'conn-chat'), 200);
  assert.equal(await open('/lobby', 'conn-lobby'), 200);
  assert.deepEqual(
    announced.chat.map((c) => [c.action, c.member.connectionId, c.member.data]),
    [['enter', 'conn-chat', { from: 'chat' }]],
  );
  assert.deepEqual(
    announced.lobby.map((c) => [c.action, c.member.connectionId, c.member.data]),
    [['enter', 'conn-lobby', { from: 'lobby' }]],
  );
  const observer = new Redis(redis.url);
  try {
    const list = (await observer.client('LIST')) as string;
    assert.equal(list.trim().split('\n').length, 2, 'the functions share one connection (the other line is this observer)');
  } finally {
    observer.disconnect();
  }
});

test('getPresence: the same options get the same instance, other options another', () => {
  const env = { REDIS_URL: redis.url };
  const onChange = () => undefined;
  const first = getPresence({ onChange }, env);
  assert.equal(getPresence({ onChange }, env), first);
  assert.notEqual(getPresence({ onChange: () => undefined }, env), first);
  assert.notEqual(getPresence({ onChange, keyPrefix: 'other:' }, env), first);
  assert.notEqual(getPresence({ onChange }, { ...env, PRESENCE_LEAVE_SECONDS: '90' }), first);
});
