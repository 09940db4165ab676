// Redis goes down and comes back while real `ws` clients chat through the
// real Pushpin stack, an SSE client holds a reliable stream, and POST
// /publish is called. The test runs its own redis-server (with an
// append-only file, so history survives the restart as it would on a
// managed Redis) and stops and starts it. While it is down: no connection
// drops, no invocation waits for the function timeout, chat goes on live
// (without ids, the sender told so), publish answers 503 with Retry-After,
// the SSE stream stays open and gets live messages. Once it is back, with
// no restart of anything else: ids again, history replays, and the SSE
// streams are gap-free again once Pushpin has asked the function. Then
// RedisFeed alone: a Redis that stops answering (SIGSTOP) fails operations
// within the 1 s budget, and an append that failed is never stored later.
// With GRIP_E2E_STORE=dynamodb the same outage is a local DynamoDB
// (dynalite, its data on disk) stopped and started (test/e2e/dynamodb.test.ts).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FEED_START, FeedUnavailableError } from '../../src/feed/feed.js';
import { RedisFeed } from '../../src/feed/redis-feed.js';
import type { InvocationLog } from '../../src/local/function-host.js';
import { startService, waitForPort, type Service } from '../../src/local/processes.js';
import { freePort, startStack, type RunningStack } from '../../src/local/stack.js';
import { closeAll, ROOT, sleep, StreamingResponse, uniqueName, until, WsClient } from './support/e2e.js';
import { startLocalDynamoDB, type LocalDynamoDB } from '../../src/local/dynamodb.js';
import { E2E_STORE } from './support/store.js';
import { timed } from '../support/timed.js';

let stack: RunningStack;
let redis: Service | undefined;
let redisPort: number;
let redisDir: string;
let dynamodb: LocalDynamoDB | undefined;
const onRedis = { skip: E2E_STORE !== 'redis' && 'Redis only' };
const invocations: InvocationLog[] = [];
const feedLogs: string[] = [];
const consoleError = console.error;

/** Starts the store again (Redis, or the local DynamoDB with GRIP_E2E_STORE=dynamodb). */
function startRedis(): Promise<void> {
  if (dynamodb !== undefined) return dynamodb.resume();
  redis = startService(
    'redis-server',
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', redisDir],
    join(redisDir, 'redis.log'),
  );
  return waitForPort(redisPort, redis);
}

async function stopRedis(): Promise<void> {
  await dynamodb?.pause();
  await redis?.stop();
  redis = undefined;
}

before(async () => {
  // The Redis connection says once that Redis went away and once that it is back; counted here, not printed.
  console.error = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('[grip-lambda] redis:')) feedLogs.push(args[0]);
    else consoleError(...args);
  };
  redisPort = await freePort();
  redisDir = await mkdtemp(join(tmpdir(), 'grip-redis-'));
  if (E2E_STORE === 'dynamodb') dynamodb = await startLocalDynamoDB({ dir: redisDir });
  else await startRedis();
  stack = await startStack({
    root: ROOT,
    redis: false,
    env: dynamodb?.env ?? { REDIS_URL: `redis://127.0.0.1:${redisPort}` },
    onInvocation: (log) => invocations.push(log),
  });
});

after(async () => {
  closeAll();
  await sleep(300); // the proxy reports the closes; the chat function publishes its leave notices
  await stack?.stop();
  await stopRedis();
  await dynamodb?.stop();
  await rm(redisDir, { recursive: true, force: true });
  console.error = consoleError;
});

interface ChatEvent {
  type: string;
  text?: string;
  id?: string;
  prevId?: string;
}

const events = (client: WsClient): ChatEvent[] => client.texts().map((text) => JSON.parse(text) as ChatEvent);
const messages = (client: WsClient): ChatEvent[] => events(client).filter((e) => e.type === 'message');
const byText = (client: WsClient, text: string): ChatEvent | undefined => messages(client).find((m) => m.text === text);

async function joinRoom(room: string, lastId?: string): Promise<WsClient> {
  const client = await WsClient.open(`${stack.wsUrl}/chat/${room}${lastId === undefined ? '' : `?last-id=${encodeURIComponent(lastId)}`}`);
  await until(() => events(client).some((e) => e.type === 'welcome'), 'the welcome');
  return client;
}

/** Sends a chat message and waits until `sender` and `other` have it; returns how long the sender waited for its own copy. */
async function say(sender: WsClient, other: WsClient, text: string): Promise<number> {
  const started = performance.now();
  await sender.send(text);
  await until(
    () => byText(sender, text) !== undefined,
    () => `${text} back at its sender`,
  );
  const took = performance.now() - started;
  await until(
    () => byText(other, text) !== undefined,
    () => `${text} at the other client`,
  );
  return took;
}

/**
 * How many times the function has answered for an SSE stream: its first answer, then each time Pushpin asked
 * again (Grip-Link). Every answer of reliableStream's SSE hold starts with a `retry:` field.
 */
const answers = (stream: StreamingResponse): number => stream.text.match(/^retry: /gm)?.length ?? 0;

async function publish(room: string, message: string): Promise<{ status: number; retryAfter: string | null; body: string; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${stack.httpUrl}/publish/${room}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ message }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = await response.text();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body, ms: performance.now() - started };
}

test('Redis down: chat goes on live, publish answers 503 quickly, SSE holds; all recover by themselves when Redis is back', async (t) => {
  const room = uniqueName('outage');
  const alice = await joinRoom(room);
  const bob = await joinRoom(room);
  const sse = await StreamingResponse.get(`${stack.httpUrl}/sse/${room}`);
  assert.equal(sse.status, 200);

  // Redis up: messages carry ids, and reach the SSE stream.
  await say(alice, bob, 'before-1');
  await say(alice, bob, 'before-2');
  const lastStored = byText(bob, 'before-2')!.id;
  assert.ok(lastStored, 'with Redis up, messages carry feed ids');
  await sse.waitFor((s) => s.events().some((e) => e.data === 'before-2'), 10_000, 'before-2 on the SSE stream');

  // Redis down.
  await stopRedis();
  const downFrom = invocations.length;
  const chatMs: number[] = [];
  for (const text of ['down-1', 'down-2', 'down-3']) chatMs.push(await say(alice, bob, text));
  for (const text of ['down-1', 'down-2', 'down-3']) {
    assert.equal(byText(bob, text)!.id, undefined, `${text} is live only: no id`);
  }
  assert.ok(
    events(alice).some((e) => e.type === 'error' && /history is unavailable/.test(e.text ?? '')),
    'the sender is told its messages are not kept',
  );

  const published = await publish(room, 'down-publish');
  assert.equal(published.status, 503, published.body);
  assert.equal(published.retryAfter, '1');

  // A new SSE client, resuming from before-2, is held live at once instead of waiting on the feed.
  const lateSse = await StreamingResponse.get(`${stack.httpUrl}/sse/${room}`, 5_000, { 'Last-Event-ID': lastStored });
  assert.equal(lateSse.status, 200);

  // A client resuming meanwhile is told history is unavailable, and stays connected.
  const carol = await joinRoom(room, lastStored);
  await until(
    () => events(carol).some((e) => e.type === 'error' && /history is unavailable/.test(e.text ?? '')),
    'the resume to report history unavailable',
  );
  await say(alice, carol, 'down-4');

  // The SSE stream still holds, and live messages reach it (the first id-less one
  // makes Pushpin ask the function to fill a gap; see README, Delivery guarantees).
  await sse.waitFor((s) => s.events().some((e) => e.data === 'down-4'), 10_000, 'down-4 live on the SSE stream');
  assert.equal(sse.ended, false, 'the SSE stream is still open');
  await lateSse.waitFor(
    (s) => s.events().some((e) => e.data === 'down-4'),
    10_000,
    'down-4 live on the SSE stream opened while Redis was down',
  );

  const duringOutage = invocations.slice(downFrom);
  const slowest = Math.max(...duringOutage.map((i) => i.durationMs));
  assert.ok(
    duringOutage.every((i) => i.status < 500 || (i.functionName === 'publish' && i.status === 503)),
    JSON.stringify(duringOutage.map((i) => [i.functionName, i.status])),
  );
  // The function timeout is 10 s; a feed operation gives up within 1 s.
  assert.ok(slowest < 3_000, `no invocation waited for the function timeout (slowest ${slowest.toFixed(0)} ms)`);
  for (const client of [alice, bob, carol]) assert.equal(client.closeEvent, undefined, 'no connection dropped');

  // Redis back: nothing else restarted. Messages carry ids again once the feed has reconnected.
  const answeredWhileDown = [sse, lateSse].map(answers);
  await startRedis();
  const backAt = performance.now();
  let n = 0;
  let stored: ChatEvent | undefined;
  while (stored?.id === undefined) {
    assert.ok(performance.now() - backAt < 10_000, 'messages carry ids again within 10 s of Redis coming back');
    const text = `after-${n++}`;
    await say(alice, bob, text);
    stored = byText(bob, text);
  }
  const recoveredMs = performance.now() - backAt;

  // The SSE streams are held live only (no prev-id) since the function answered them with Redis down. Each is
  // gap-free again from the first time Pushpin asks after Redis is back (docs/delivery.md). Pushpin asks a
  // stream feedDownRetrySeconds (10 s) after that answer, a period in which the stream got messages putting
  // the ask off by another period; or sooner for its own reasons (it asks every stream of a channel once the
  // channel's subscription has settled, 1 s after its first subscriber). Until then a message can miss a
  // stream: one published while that ask is under way waits in Pushpin's queue, and the answer, which has no
  // last id to replay from (Pushpin sends none for a stream without a prev-id), starts the stream at the
  // newest stored id, after it. So the next message is published once both streams were answered since Redis
  // came back. (An answer Redis was still down for may count: its stream stays live only, and is not asked
  // again for another period, so the message reaches it live.)
  await Promise.all(
    [sse, lateSse].map((stream, i) =>
      stream.waitFor(
        (s) => answers(s) > answeredWhileDown[i]!,
        60_000,
        `Pushpin asking the function again for SSE stream ${i + 1} once Redis is back`,
      ),
    ),
  );
  const gapFreeMs = performance.now() - backAt;
  const republished = await publish(room, 'after-publish');
  assert.equal(republished.status, 202, republished.body);

  // History works again, and survived the outage: a client resuming after before-2 gets what was stored since.
  const dave = await joinRoom(room, lastStored);
  await until(() => messages(dave).some((m) => m.text === 'after-publish'), 'the replay up to after-publish');
  const replayed = messages(dave).map((m) => m.text);
  assert.deepEqual(
    replayed,
    [stored.text, 'after-publish'],
    'the replay holds what was stored after before-2, and nothing sent while Redis was down',
  );
  assert.equal(messages(dave)[0]!.prevId, lastStored, 'the chain of ids goes on from before the outage');
  for (const stream of [sse, lateSse])
    await stream.waitFor((s) => s.events().some((e) => e.data === 'after-publish'), 10_000, 'after-publish on the SSE streams');

  for (const client of [alice, bob, carol]) assert.equal(client.closeEvent, undefined, 'no connection dropped');
  if (E2E_STORE === 'redis')
    assert.equal(feedLogs.length, 2, `one log line when Redis went away, one when it came back (${JSON.stringify(feedLogs)})`);
  const sseDown = sse
    .events()
    .filter((e) => e.data.startsWith('down-'))
    .map((e) => e.data);
  t.diagnostic(
    `Redis outage: chat message back at its sender in ${chatMs.map((ms) => ms.toFixed(0)).join('/')} ms; ` +
      `publish 503 in ${published.ms.toFixed(0)} ms; slowest invocation ${slowest.toFixed(0)} ms; ` +
      `ids again ${recoveredMs.toFixed(0)} ms after Redis restarted (${n} message(s)); SSE streams gap-free again after ${gapFreeMs.toFixed(0)} ms; ` +
      `SSE got ${JSON.stringify(sseDown)} while down`,
  );
});

test(
  'RedisFeed: a Redis that stops answering fails each operation within the budget, then at once; it works again when Redis answers',
  onRedis,
  async (t) => {
    const feed = new RedisFeed(`redis://127.0.0.1:${redisPort}`, { timeoutMs: 1000 });
    const channel = uniqueName('hang');
    const pid = redis!.child.pid!;
    try {
      await feed.append(channel, 'up');
      process.kill(pid, 'SIGSTOP'); // the process is there, its socket accepts bytes, nothing answers
      const first = await timed(() => feed.append(channel, 'hung'));
      const second = await timed(() => feed.after(channel, FEED_START));
      const third = await timed(() => feed.lastId(channel));
      process.kill(pid, 'SIGCONT');
      for (const attempt of [first, second, third]) {
        assert.ok(attempt.error instanceof FeedUnavailableError, `FeedUnavailableError, not ${String(attempt.error)}`);
        // The budget is 1 s; the function timeout (10 s) is what the test tells it from.
        assert.ok(attempt.ms < 2_500, `failed within the budget (${attempt.ms.toFixed(0)} ms)`);
      }
      const back = performance.now();
      let items;
      while (items === undefined) {
        assert.ok(performance.now() - back < 10_000, 'the feed answers again within 10 s of Redis answering');
        items = await feed.after(channel, FEED_START).catch(() => sleep(50).then(() => undefined));
      }
      assert.equal(items[0]?.data, 'up');
      t.diagnostic(
        `Redis not answering: append failed in ${first.ms.toFixed(0)} ms, then ${second.ms.toFixed(0)} and ${third.ms.toFixed(0)} ms; answering again ${(performance.now() - back).toFixed(0)} ms after SIGCONT`,
      );
    } finally {
      process.kill(pid, 'SIGCONT');
      await feed.close();
    }
  },
);

test('RedisFeed: an append that failed while Redis was down is not stored once Redis is back', onRedis, async () => {
  const feed = new RedisFeed(`redis://127.0.0.1:${redisPort}`);
  const channel = uniqueName('lost');
  try {
    await feed.lastId(channel); // connected
    await stopRedis();
    await assert.rejects(feed.append(channel, 'told it failed'), FeedUnavailableError);
    await startRedis();
    let last: string | undefined;
    const back = Date.now();
    while (last === undefined) {
      assert.ok(Date.now() - back < 10_000, 'the feed answers again');
      last = await feed.lastId(channel).catch(() => sleep(50).then(() => undefined));
    }
    await sleep(500); // a queued command would have been sent on reconnect by now
    assert.deepEqual(await feed.after(channel, FEED_START), [], 'nothing stored behind the caller');
  } finally {
    await feed.close();
  }
});
