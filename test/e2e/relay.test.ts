// The fault test: functions/relay.ts driven in-process as Lambda's SQS
// poller would drive it (FIFO queue, batches of 10, failed records
// re-delivered with the rest of their group), publishing through a real
// Pushpin to real WebSocket chat clients, with a real Redis feed. In the
// middle of the burst the proxy goes down: publishes fail, records are
// reported failed and come back; clients are cut off and reconnect with
// ?last-id (then /since, see ChatClient) once the proxy is back. In the end
// every client has every record exactly once and in order. A second test
// puts poison records (not JSON, no channel, an invalid room) between good
// ones of one FIFO group: they are dropped, and the group goes on.
import type { Context } from 'aws-lambda';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { FEED_START } from '../../src/feed/feed.js';
import { RedisFeed } from '../../src/feed/redis-feed.js';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { sleep, until } from './support/e2e.js';
import type { RelayEvent } from '../../src/relay/records.js';
import type { RelayResult } from '../../src/relay/relay.js';
import { compareStreamIds, FifoQueue, lambdaContext } from '../support/relay-events.js';

let stack: RunningStack;
let relayHandler: (event: RelayEvent, context?: Context) => Promise<RelayResult>;
const clients: ChatClient[] = [];

// The relay logs each failed record's first failure; during the outage that
// is dozens of lines. Counted here, not printed; anything else still prints.
let relayErrorLogs = 0;
const consoleError = console.error;

before(async () => {
  console.error = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('[grip-lambda] relay:')) relayErrorLogs++;
    else consoleError(...args);
  };
  stack = await startStack({ root: process.cwd(), redis: true });
  // Loaded after the stack set GRIP_URL and REDIS_URL, as a Lambda container reads its environment.
  ({ handler: relayHandler } = await import('../../functions/relay.js'));
});

after(async () => {
  for (const client of clients) client.stop();
  await sleep(300); // the proxy reports the closes; the chat function publishes its leave notices
  await stack?.stop();
  console.error = consoleError;
});

interface ChatMessage {
  type: 'message';
  text: string;
  id: string;
}

/** What the chat function sends, as far as this client reads it. */
interface ChatEvent {
  type: string;
  text?: unknown;
  id?: unknown;
  prevId?: unknown;
}

/**
 * A chat client that stays in the room and misses nothing, following
 * functions/chat.ts's protocol: when its connection drops it retries every
 * 100 ms, resuming with ?last-id=<last id>; once welcomed, and whenever a
 * message's prevId is not its last id (a gap: the proxy can drop messages
 * for a client that is not keeping up), it sends `/since <last id>` and
 * skips messages past the gap until the answer (ending in `synced`) has
 * filled it; after a second of silence it asks too, for a gap at the very
 * end. Any message whose id is not newer than its last id is a repeat and
 * is dropped.
 */
class ChatClient {
  readonly seen: ChatMessage[] = [];
  lastId: string = FEED_START; // a new room: the first message follows FEED_START
  repeats = 0;
  gaps = 0;
  syncs = 0;
  connections = 0;
  welcomed = false;
  #ws: WebSocket | undefined;
  #stopped = false;
  #syncing = false;
  #newestSkipped: string | undefined;
  #lastEvent = Date.now();
  readonly #idle = setInterval(() => {
    if (this.welcomed && Date.now() - this.#lastEvent > 1_000) this.#ask();
  }, 250).unref();

  constructor(readonly room: string) {}

  start(): void {
    if (this.#stopped) return;
    const ws = new WebSocket(`${stack.wsUrl}/chat/${this.room}?last-id=${encodeURIComponent(this.lastId)}`);
    this.#ws = ws;
    ws.on('message', (data) => this.#receive(JSON.parse(String(data)) as ChatEvent));
    ws.on('error', () => undefined); // refused while the proxy is down: 'close' follows
    ws.on('close', () => {
      this.welcomed = false;
      this.#syncing = false;
      this.#newestSkipped = undefined;
      if (!this.#stopped) setTimeout(() => this.start(), 100);
    });
  }

  #receive(event: ChatEvent): void {
    this.#lastEvent = Date.now();
    if (event.type === 'welcome') {
      this.welcomed = true;
      this.connections++;
      this.#ask();
    } else if (event.type === 'message') {
      assert.ok(typeof event.id === 'string' && typeof event.text === 'string', 'chat messages carry an id');
      if (compareStreamIds(event.id, this.lastId) <= 0) {
        this.repeats++;
      } else if (event.prevId === this.lastId) {
        this.seen.push({ type: 'message', text: event.text, id: event.id });
        this.lastId = event.id;
      } else {
        this.gaps++;
        if (this.#newestSkipped === undefined || compareStreamIds(event.id, this.#newestSkipped) > 0) this.#newestSkipped = event.id;
        this.#ask();
      }
    } else if (event.type === 'synced') {
      this.#syncing = false;
      if (this.#newestSkipped !== undefined && compareStreamIds(this.#newestSkipped, this.lastId) > 0) this.#ask();
    }
  }

  #ask(): void {
    if (this.#syncing || !this.welcomed) return;
    this.#syncing = true;
    this.#newestSkipped = undefined;
    this.#lastEvent = Date.now();
    this.syncs++;
    this.#ws?.send(`/since ${this.lastId}`);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#idle);
    this.#ws?.terminate();
  }
}

const RECORDS = 300;
const CLIENTS = 3;

test('relay burst across a proxy outage: every client gets every record exactly once, in order', async (t) => {
  const room = `relay-${randomBytes(4).toString('hex')}`;
  for (let i = 0; i < CLIENTS; i++) {
    const client = new ChatClient(room);
    clients.push(client);
    client.start();
  }
  await until(
    () => clients.every((c) => c.welcomed),
    () => 'every client to be welcomed',
  );

  const queue = new FifoQueue(10);
  for (let seq = 0; seq < RECORDS; seq++) queue.send(JSON.stringify({ channel: room, message: `r${seq}` }), 'room-group');

  const stats = { invocations: 0, failedReports: 0, failedDuringOutage: 0, outageInvocations: 0 };
  let proxyDown = false;
  /** One Lambda invocation on the next batch; the queue applies its answer. */
  const invoke = async (): Promise<RelayResult> => {
    const batch = queue.receive()!;
    const result = await relayHandler(batch, lambdaContext(1_500));
    queue.settle(batch, result);
    stats.invocations++;
    stats.failedReports += result.batchItemFailures.length;
    if (proxyDown) {
      stats.outageInvocations++;
      stats.failedDuringOutage += result.batchItemFailures.length;
    }
    return result;
  };

  const started = Date.now();
  const overall = () => assert.ok(Date.now() - started < 60_000, `the burst is taking over 60 s (${JSON.stringify(stats)})`);

  // Phase 1: a third of the burst, with everyone connected.
  while (queue.size > RECORDS - 100) {
    overall();
    await invoke();
  }
  await until(
    () => clients.every((c) => c.seen.length >= 90),
    () => 'clients to receive the first records live',
  );

  // Phase 2: the proxy goes down in the middle of the burst; the relay keeps being invoked.
  const stopping = stack.stopProxy();
  await invoke(); // racing the shutdown: may go either way
  await stopping;
  proxyDown = true;
  const outageEnds = Date.now() + 2_500;
  while (Date.now() < outageEnds || stats.outageInvocations < 3) {
    overall();
    const result = await invoke();
    assert.equal(result.batchItemFailures.length, 10, 'with the proxy down, every record of the batch is reported failed');
  }
  await until(
    () => clients.every((c) => !c.welcomed),
    () => 'clients to notice the outage',
  );
  proxyDown = false;

  // Phase 3: the proxy is back; the rest of the burst, with failed records re-delivered first.
  await stack.startProxy();
  while (queue.size > 0) {
    overall();
    await invoke();
    await sleep(5);
  }

  await until(
    () => clients.every((c) => c.seen.length >= RECORDS),
    () => `every client to have ${RECORDS} records (have ${clients.map((c) => c.seen.length).join(', ')}; ${JSON.stringify(stats)})`,
    30_000,
  );
  await sleep(500); // a late repeat would arrive by now

  const expected = Array.from({ length: RECORDS }, (_, seq) => `r${seq}`);
  for (const [n, client] of clients.entries()) {
    assert.deepEqual(
      client.seen.map((m) => m.text),
      expected,
      `client ${n}: every record once, in order`,
    );
    assert.ok(client.connections >= 2, `client ${n} reconnected after the outage`);
  }
  assert.ok(stats.failedDuringOutage >= 30, `records were reported failed during the outage (${JSON.stringify(stats)})`);

  // The feed stored each record once, in order, although many were relayed more than once.
  const feed = new RedisFeed(stack.redisUrl!);
  try {
    const stored = await feed.after(room, FEED_START, 10_000);
    assert.deepEqual(
      stored.map((item) => (JSON.parse(item.data) as { text: string }).text),
      expected,
    );
    assert.deepEqual(
      clients[0]!.seen.map((m) => m.id),
      stored.map((item) => item.id),
      'clients saw the feed ids',
    );
  } finally {
    await feed.close();
  }
  t.diagnostic(
    `relay fault test: ${stats.invocations} invocations, ${stats.failedReports} record failures reported ` +
      `(${stats.failedDuringOutage} during the outage), connections per client ${clients.map((c) => c.connections).join('/')}, ` +
      `repeats dropped ${clients.map((c) => c.repeats).join('/')}, gaps seen ${clients.map((c) => c.gaps).join('/')}, ` +
      `/since sent ${clients.map((c) => c.syncs).join('/')}, ` +
      `${relayErrorLogs} relay error lines logged, ${Date.now() - started} ms`,
  );
});

test('poison records in a FIFO group are dropped; the good records after them are delivered, in order', async () => {
  const room = `poison-${randomBytes(4).toString('hex')}`;
  const client = new ChatClient(room);
  clients.push(client);
  client.start();
  await until(() => client.welcomed, 'the client to be welcomed');

  const queue = new FifoQueue(10);
  const poison = [
    'not json',
    JSON.stringify({ channel: room }), // no message
    JSON.stringify({ channel: 'no spaces in room names', message: 'x' }),
    JSON.stringify({ message: 'no channel' }),
  ];
  const good: string[] = [];
  for (let i = 0; i < 12; i++) {
    good.push(`g${i}`);
    queue.send(JSON.stringify({ channel: room, message: `g${i}` }), 'one-group');
    if (i % 3 === 0) queue.send(poison[i / 3]!, 'one-group');
  }
  const logsBefore = relayErrorLogs;
  let invocations = 0;
  // 16 records in batches of 10: two invocations when nothing is retried; a stuck group would keep coming back.
  while (queue.size > 0 && invocations < 6) {
    const batch = queue.receive()!;
    const result = await relayHandler(batch, lambdaContext(3_000));
    queue.settle(batch, result);
    invocations++;
  }
  assert.equal(queue.size, 0, `the group drained (after ${invocations} invocations)`);
  assert.equal(invocations, 2, 'no record was handed back for a retry');
  await until(
    () => client.seen.length >= good.length,
    () => `the ${good.length} good records (have ${JSON.stringify(client.seen.map((m) => m.text))})`,
  );
  assert.deepEqual(
    client.seen.map((m) => m.text),
    good,
  );
  assert.ok(relayErrorLogs - logsBefore >= poison.length, 'each dropped record was logged');
});
