// DynamoDB's faults as the stores meet them, against a local dynalite of
// the test's own: a missing table or one with other keys (an error naming
// the table and what is wrong, at first use), keys and items over
// DynamoDB's limits (refused before anything is written), DynamoDB
// stopped, hanging or throttling (StoreUnavailableError within the
// budget), and recovery once it is back.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { FEED_START, FeedUnavailableError } from '../../src/feed/feed.js';
import { freePort } from '../../src/local/free-port.js';
import { LOCAL_AWS_ENV, startLocalDynamoDB, type LocalDynamoDB } from '../../src/local/dynamodb.js';
import { DynamoDBApi } from '../../src/store/dynamodb/api.js';
import { DynamoFeed } from '../../src/store/dynamodb/feed.js';
import { DynamoPresenceStore } from '../../src/store/dynamodb/presence.js';
import { DynamoTable } from '../../src/store/dynamodb/table-client.js';
import { StoreUnavailableError } from '../../src/store/unavailable.js';

let dynamodb: LocalDynamoDB;

const settings = (table: string, endpoint = dynamodb.endpoint) => ({
  table,
  region: LOCAL_AWS_ENV.AWS_REGION,
  endpoint,
  credentials: { accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY },
});

/** How long `promise` took to settle, and how. */
async function timed<T>(promise: Promise<T>): Promise<{ ms: number; error: unknown; value: T | undefined }> {
  const start = Date.now();
  try {
    const value = await promise;
    return { ms: Date.now() - start, error: undefined, value };
  } catch (error) {
    return { ms: Date.now() - start, error, value: undefined };
  }
}

async function itemCount(table: string): Promise<number> {
  const out = await new DynamoDBApi(settings(table)).call<{ Count: number }>('Scan', { TableName: table, Select: 'COUNT' });
  return out.Count;
}

before(async () => {
  dynamodb = await startLocalDynamoDB({ table: 'faults' });
});

after(async () => {
  await dynamodb?.stop();
});

test('a table that does not exist: the first use fails at once, naming the table and what is wrong', async () => {
  const feed = new DynamoFeed(new DynamoTable(settings('no-such-table')));
  const { error, ms } = await timed(feed.append('room', 'hello'));
  assert.match((error as Error).message, /DynamoDB table "no-such-table" \(region us-east-1, http:\/\/127\.0\.0\.1:\d+\) does not exist/);
  assert.ok(!(error instanceof StoreUnavailableError), 'a configuration error, not an outage to wait out');
  assert.ok(ms < 1000, `answered in ${ms} ms`);
  await assert.rejects(feed.after('room', FEED_START), /does not exist/);
  const presence = new DynamoPresenceStore(new DynamoTable(settings('no-such-table')));
  await assert.rejects(presence.count('room'), /"no-such-table" .*does not exist/);
});

test('a table with other keys: the first use fails naming the table, its key schema and the one needed', async () => {
  await new DynamoDBApi(settings('other-keys')).call('CreateTable', {
    TableName: 'other-keys',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const feed = new DynamoFeed(new DynamoTable(settings('other-keys')));
  const wrong = /DynamoDB table "other-keys" .* has key schema id \(HASH, S\); the stores need pk \(HASH, S\) \+ sk \(RANGE, S\)/;
  await assert.rejects(feed.after('room', FEED_START), wrong);
  await assert.rejects(feed.append('room', 'x'), wrong);
  await assert.rejects(new DynamoPresenceStore(new DynamoTable(settings('other-keys'))).members('room'), wrong);
});

test("keys and items over DynamoDB's limits are refused with a clear error before anything is written", async () => {
  const feed = new DynamoFeed(new DynamoTable(settings('faults')));
  const presence = new DynamoPresenceStore(new DynamoTable(settings('faults')));
  const before = await itemCount('faults');
  await assert.rejects(
    feed.append('c'.repeat(2100), 'x'),
    /channel is 2100 bytes in UTF-8; on DynamoDB it may be at most 2045 .*partition key, at most 2048 bytes/,
  );
  // Multi-byte characters count as their UTF-8 bytes.
  await assert.rejects(feed.append('é'.repeat(1100), 'x'), /channel is 2200 bytes/);
  await assert.rejects(feed.append('room', 'x', { key: 'k'.repeat(1025) }), /idempotency key is 1025 bytes .* at most 1024 .*sort key/);
  await assert.rejects(feed.append('room', 'x'.repeat(410_000)), /the item would be \d+ bytes; a DynamoDB item holds at most 409600/);
  await assert.rejects(presence.join('r'.repeat(1023), { connectionId: 'c1' }, 60_000), /room is 1023 bytes .* at most 1022/);
  await assert.rejects(presence.join('room', { connectionId: 'c1', data: 'x'.repeat(410_000) }, 60_000), /at most 409600/);
  assert.equal(await itemCount('faults'), before, 'nothing was written');
  // Just under the limits goes through.
  const big = await feed.append('room', 'x'.repeat(400_000));
  assert.equal((await feed.after('room', big.prevId))[0]?.data.length, 400_000);
});

test('DynamoDB stopped: operations fail with StoreUnavailableError within the budget; the same feed recovers by itself once it is back', async () => {
  const feed = new DynamoFeed(new DynamoTable(settings('faults')));
  const presence = new DynamoPresenceStore(new DynamoTable(settings('faults')));
  const first = await feed.append('outage', 'before');
  await dynamodb.pause();
  try {
    // All four at once, each timed from its start and all awaited together: a failed check leaves none unhandled.
    const results = await Promise.all([
      timed<unknown>(feed.append('outage', 'during')),
      timed<unknown>(feed.after('outage', FEED_START)),
      timed<unknown>(feed.lastId('outage')),
      timed<unknown>(presence.count('room')),
    ]);
    for (const { error, ms } of results) {
      assert.ok(error instanceof StoreUnavailableError, `unavailable, not ${String(error)}`);
      assert.match((error as Error).message, /DynamoDB unreachable at http:\/\/127\.0\.0\.1:\d+/);
      // The budget is 1 s; the margin is for timers firing late on a busy machine, not for a retry past it.
      assert.ok(ms <= 1500, `answered in ${ms} ms`);
    }
    assert.ok((await timed(feed.append('outage', 'during'))).error instanceof FeedUnavailableError);
  } finally {
    await dynamodb.resume();
  }
  const next = await feed.append('outage', 'after');
  assert.equal(next.prevId, first.id, 'the append that failed left nothing behind');
  assert.deepEqual(
    (await feed.after('outage', FEED_START)).map((item) => item.data),
    ['before', 'after'],
  );
});

test('DynamoDB that accepts connections and never answers: StoreUnavailableError at the budget, not a hang', async () => {
  const sockets = new Set<Socket>();
  const silent = createTcpServer((socket) => sockets.add(socket));
  const port = await freePort();
  await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
  try {
    const feed = new DynamoFeed(new DynamoTable(settings('faults', `http://127.0.0.1:${port}`), 300));
    const { error, ms } = await timed(feed.append('room', 'x'));
    assert.ok(error instanceof FeedUnavailableError);
    assert.match((error as Error).message, /did not answer within 300 ms/);
    assert.ok(ms >= 250 && ms < 1000, `answered in ${ms} ms`);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('throttling: retried within the budget (answered when it passes), else StoreUnavailableError', async () => {
  let throttleNext = 0;
  let requests = 0;
  const throttler: Server = createHttpServer((request, response) => {
    requests++;
    request.resume();
    request.on('end', () => {
      if (throttleNext === -1 || throttleNext-- > 0) {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(
          JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'Rate exceeded' }),
        );
      } else {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ Items: [], Count: 0 }));
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => throttler.listen(port, '127.0.0.1', resolve));
  try {
    const feed = new DynamoFeed(new DynamoTable(settings('faults', `http://127.0.0.1:${port}`)));
    throttleNext = 2;
    assert.equal(await feed.lastId('room'), FEED_START);
    assert.equal(requests, 3, 'two throttled, the third answered');
    throttleNext = -1;
    const { error, ms } = await timed(feed.lastId('room'));
    assert.ok(error instanceof FeedUnavailableError);
    assert.match((error as Error).message, /DynamoDB is busy \(ProvisionedThroughputExceededException: Rate exceeded\)/);
    assert.ok(ms <= 1000, `answered in ${ms} ms`);
  } finally {
    throttler.closeAllConnections();
    await new Promise((resolve) => throttler.close(resolve));
  }
});
