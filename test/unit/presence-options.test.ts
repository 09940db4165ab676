// RedisPresence settings are checked when it is made: a leave bound the
// keep-alive refreshes cannot keep, or a PRESENCE_LEAVE_SECONDS that is not
// a number, is an error at init, not members silently dropping out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RedisPresence } from '../../src/presence/redis-presence.js';
import { getPresence } from '../../src/presence/shared.js';

test('leaveAfterSeconds must leave room for two refreshes and a margin', () => {
  assert.throws(() => new RedisPresence('redis://127.0.0.1:1', { leaveAfterSeconds: 44 }), /at least 2 × refreshSeconds \+ 5 \(45\)/);
  assert.throws(() => new RedisPresence('redis://127.0.0.1:1', { refreshSeconds: 30, leaveAfterSeconds: 60 }), /\(65\)/);
  assert.throws(() => new RedisPresence('redis://127.0.0.1:1', { refreshSeconds: 0 }), TypeError);
  new RedisPresence('redis://127.0.0.1:1', { leaveAfterSeconds: 45 }); // the shortest allowed; connects only on first use
  new RedisPresence('redis://127.0.0.1:1');
});

test('getPresence: null without REDIS_URL; PRESENCE_LEAVE_SECONDS that is not a whole number fails init, naming it', () => {
  assert.throws(
    () => getPresence({}, { REDIS_URL: 'redis://127.0.0.1:1', PRESENCE_LEAVE_SECONDS: '45s' }),
    /PRESENCE_LEAVE_SECONDS must be a whole number/,
  );
  assert.throws(() => getPresence({}, { REDIS_URL: 'redis://127.0.0.1:1', PRESENCE_LEAVE_SECONDS: '30' }), /at least/);
  assert.equal(getPresence({}, {}), null);
});

test('after close(), calls fail at once and open no new connection (a late request after its host shut down)', async () => {
  const presence = new RedisPresence('redis://127.0.0.1:1');
  await presence.close();
  const started = Date.now();
  await assert.rejects(presence.count('room'), /presence is closed/);
  await assert.rejects(presence.leave('conn-1'), /presence is closed/);
  assert.ok(Date.now() - started < 500);
  // Nothing is left reconnecting: this test's process exits (node --test would report it hanging).
});

test('Redis unreachable: once the connection has failed, calls fail at once, as the feed does, instead of each waiting out its timeout', async () => {
  const { freePort } = await import('../../src/local/stack.js');
  const port = await freePort(); // nothing listens there: a Redis that is down
  const errors: string[] = [];
  const consoleError = console.error;
  console.error = (...args: unknown[]) => void errors.push(String(args[0]));
  const presence = new RedisPresence(`redis://127.0.0.1:${port}`);
  try {
    presence.warm();
    const unreachable = `redis: 127.0.0.1:${port} unreachable`;
    for (let waited = 0; !errors.some((line) => line.includes(unreachable)); waited += 10) {
      assert.ok(waited < 5_000, 'the connection failure was reported');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await assert.rejects(presence.count('room'), /Redis unreachable/);
    await assert.rejects(presence.refresh('conn-1'), /Redis unreachable/);
  } finally {
    console.error = consoleError;
    await presence.close().catch(() => undefined);
  }
  assert.equal(
    errors.filter((line) => line.includes(`redis: 127.0.0.1:${port} unreachable`)).length,
    1,
    'said once, not at every reconnect',
  );
});
