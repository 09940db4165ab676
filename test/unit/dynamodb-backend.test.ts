// Which store the environment selects: REDIS_URL, DYNAMODB_TABLE, both (an error naming both), neither.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FeedUnavailableError } from '../../src/feed/feed.js';
import { closeSharedFeed, getFeed } from '../../src/feed/shared.js';
import { freePort } from '../../src/local/free-port.js';
import { Presence } from '../../src/presence/presence.js';
import { closeSharedPresence, getPresence } from '../../src/presence/shared.js';
import { storeBackend } from '../../src/store/backend.js';
import { settingsFromEnv } from '../../src/store/dynamodb/api.js';
import { DynamoFeed } from '../../src/store/dynamodb/feed.js';
import { DynamoPresenceStore } from '../../src/store/dynamodb/presence.js';
import { DynamoSequences } from '../../src/store/dynamodb/sequences.js';
import { DynamoTable } from '../../src/store/dynamodb/table-client.js';

const AWS = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret' };

test('storeBackend: REDIS_URL selects Redis, DYNAMODB_TABLE DynamoDB, neither none', () => {
  assert.deepEqual(storeBackend({ REDIS_URL: 'redis://127.0.0.1:6379' }), { kind: 'redis', url: 'redis://127.0.0.1:6379' });
  assert.deepEqual(storeBackend({ DYNAMODB_TABLE: 'chat' }), { kind: 'dynamodb', table: 'chat' });
  assert.equal(storeBackend({}), undefined);
  assert.equal(storeBackend({ REDIS_URL: '', DYNAMODB_TABLE: '' }), undefined);
});

test('both set: an error at start naming both, the password left out; getFeed and getPresence fail with it', () => {
  const env = { REDIS_URL: 'redis://:hunter2@cache:6379', DYNAMODB_TABLE: 'chat', ...AWS };
  const both = /REDIS_URL and DYNAMODB_TABLE are both set \(REDIS_URL=redis:\/\/:\*\*\*@cache:6379, DYNAMODB_TABLE=chat\)/;
  assert.throws(() => storeBackend(env), both);
  assert.throws(
    () => storeBackend(env),
    (error: Error) => !error.message.includes('hunter2'),
  );
  assert.throws(() => getFeed(env), both);
  assert.throws(() => getPresence({}, env), both);
});

test('DYNAMODB_TABLE: getFeed gives the DynamoDB feed, one per table; getPresence a Presence on it', async () => {
  // Nothing listens there: the feed's first operation goes to that DynamoDB endpoint and fails as a feed's operations do.
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  const env = { DYNAMODB_TABLE: 'chat', ...AWS, AWS_ENDPOINT_URL_DYNAMODB: endpoint };
  try {
    const feed = getFeed(env);
    assert.ok(feed !== null);
    assert.equal(getFeed(env), feed);
    await assert.rejects(feed.lastId('room'), (error: Error) => {
      assert.ok(error instanceof FeedUnavailableError, String(error));
      assert.match(error.message, new RegExp(`DynamoDB unreachable at ${endpoint}`));
      return true;
    });
    assert.ok(getPresence({}, env) instanceof Presence);
  } finally {
    await closeSharedFeed();
    await closeSharedPresence();
  }
});

test('DynamoDB settings from the environment: the regional endpoint, or AWS_ENDPOINT_URL_DYNAMODB; what is missing is named', () => {
  assert.equal(settingsFromEnv('t', AWS).endpoint, 'https://dynamodb.eu-west-1.amazonaws.com');
  assert.equal(settingsFromEnv('t', { ...AWS, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' }).endpoint, 'http://127.0.0.1:8000');
  assert.equal(settingsFromEnv('t', { ...AWS, AWS_SESSION_TOKEN: 'tok' }).credentials.sessionToken, 'tok');
  assert.throws(() => settingsFromEnv('t', { ...AWS, AWS_REGION: undefined }), /DYNAMODB_TABLE=t needs AWS_REGION/);
  assert.throws(
    () => settingsFromEnv('t', { ...AWS, AWS_SECRET_ACCESS_KEY: undefined }),
    /needs credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
  );
  assert.throws(() => settingsFromEnv('t', { ...AWS, AWS_ENDPOINT_URL_DYNAMODB: 'not a url' }), /AWS_ENDPOINT_URL_DYNAMODB must be a URL/);
});

test('the stores budget: timeoutMs for a table named by a string; a DynamoTable keeps its own, and both at once are refused', () => {
  const settings = settingsFromEnv('chat', AWS);
  const table = new DynamoTable(settings, 2_000);
  assert.equal(new DynamoTable(settings).timeoutMs, 1_000, 'the default');
  for (const make of [
    () => new DynamoFeed(table, { timeoutMs: 3_000 }),
    () => new DynamoPresenceStore(table, { timeoutMs: 3_000 }),
    () => new DynamoSequences(table, { timeoutMs: 3_000 }),
  ]) {
    assert.throws(make, /timeoutMs is for a table named by a string; this DynamoTable has its own budget \(2000 ms\)/);
  }
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => new DynamoTable(settings, bad), /timeoutMs must be a positive number of ms/, String(bad));
  }
});

test('the feed refuses a budget of 5 s or more: a pending append would be taken for abandoned while it still writes', () => {
  const settings = settingsFromEnv('chat', AWS);
  assert.throws(() => new DynamoFeed(new DynamoTable(settings, 5_000)), /budget must be below 5000 ms, .* got 5000 ms/);
  assert.doesNotThrow(() => new DynamoFeed(new DynamoTable(settings, 4_999)));
});
