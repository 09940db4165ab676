// The functions on a Redis Cluster, through the real Pushpin stack: a
// three-master cluster of this test's own (Debian redis-server in cluster
// mode, append-only files, cluster-require-full-coverage no), REDIS_URL
// naming the three masters. Chat history and resume, /who, SSE resume and
// idempotent POST /publish in rooms whose keys live on each of the three
// masters (checked on the master itself). Then one master is killed
// (SIGKILL) mid-run: its rooms go on live without history, POST /publish
// there answers 503 with Retry-After, every invocation answers within its
// bounds, the rooms on the other masters keep their history; once the
// master is back, with nothing else restarted, its rooms have ids again,
// and what it had stored before it was killed is there.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { InvocationLog } from '../../src/local/function-host.js';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { startTestRedisCluster, type TestRedisCluster } from '../support/redis-cluster.js';
import { closeAll, ROOT, sleep, StreamingResponse, uniqueName, until, WsClient } from './support/e2e.js';

let cluster: TestRedisCluster;
let stack: RunningStack;
const invocations: InvocationLog[] = [];
const redisLogs: string[] = [];
const consoleError = console.error;

before(async () => {
  // The connection's lines about nodes going and coming back: counted here, not printed.
  console.error = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('redis:')) redisLogs.push(args[0]);
    else consoleError(...args);
  };
  cluster = await startTestRedisCluster();
  stack = await startStack({ root: ROOT, redis: false, env: { REDIS_URL: cluster.url }, onInvocation: (log) => invocations.push(log) });
});

after(async () => {
  closeAll();
  await sleep(300); // the proxy reports the closes; the chat function publishes its leave notices
  await stack?.stop();
  await cluster?.close();
  console.error = consoleError;
});

interface ChatEvent {
  type: string;
  text?: string;
  id?: string;
  prevId?: string;
  nicks?: string[];
}

const events = (client: WsClient): ChatEvent[] => client.texts().map((text) => JSON.parse(text) as ChatEvent);
const messages = (client: WsClient): ChatEvent[] => events(client).filter((e) => e.type === 'message');
const byText = (client: WsClient, text: string): ChatEvent | undefined => messages(client).find((m) => m.text === text);

async function joinRoom(room: string, nick: string, lastId?: string): Promise<WsClient> {
  const query = `?nick=${nick}${lastId === undefined ? '' : `&last-id=${encodeURIComponent(lastId)}`}`;
  const client = await WsClient.open(`${stack.wsUrl}/chat/${room}${query}`);
  await until(() => events(client).some((e) => e.type === 'welcome'), `${nick}'s welcome`);
  return client;
}

/** Sends a chat message and waits until the sender and `other` have it; the copy `other` got. */
async function say(sender: WsClient, other: WsClient, text: string): Promise<ChatEvent> {
  await sender.send(text);
  await until(
    () => byText(sender, text) !== undefined && byText(other, text) !== undefined,
    () => `${text} at its sender and the other client`,
  );
  return byText(other, text)!;
}

async function who(client: WsClient): Promise<ChatEvent> {
  const before = events(client).filter((e) => e.type === 'who' || e.type === 'error').length;
  await client.send('/who');
  await until(() => events(client).filter((e) => e.type === 'who' || e.type === 'error').length > before, 'the answer to /who');
  return events(client).filter((e) => e.type === 'who' || e.type === 'error')[before]!;
}

async function publish(room: string, message: string, key?: string): Promise<{ status: number; retryAfter: string | null; body: string }> {
  const response = await fetch(`${stack.httpUrl}/publish/${room}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(key !== undefined ? { 'Idempotency-Key': key } : {}) },
    body: JSON.stringify({ message }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.text() };
}

/** The SSE events a client resuming after `lastId` gets, up to the one carrying `last`. */
async function resumedSse(room: string, lastId: string, last: string): Promise<string[]> {
  const sse = await StreamingResponse.get(`${stack.httpUrl}/sse/${room}`, 10_000, { 'Last-Event-ID': lastId });
  try {
    assert.equal(sse.status, 200);
    await sse.waitFor((s) => s.events().some((e) => e.data === last), 10_000, `${last} on the resumed SSE stream`);
    return sse.events().map((e) => e.data);
  } finally {
    sse.abort();
  }
}

/** How many keys of the room's slot node `index` itself holds (asked of that master, not through the cluster). */
async function keysOn(index: number, room: string): Promise<number> {
  const node = new Redis({ port: cluster.nodes[index]!.port, host: '127.0.0.1' });
  try {
    const slot = Number(await node.cluster('KEYSLOT', `{${room}}`));
    return Number(await node.cluster('COUNTKEYSINSLOT', slot));
  } finally {
    node.disconnect();
  }
}

test('chat history, /who, SSE resume and idempotent publish in rooms on each of the three masters', async () => {
  const rooms = await cluster.namesOnEveryMaster(uniqueName('room'));
  for (const [master, room] of rooms.entries()) {
    const alice = await joinRoom(room, 'alice');
    const bob = await joinRoom(room, 'bob');
    const first = await say(alice, bob, 'first');
    const second = await say(alice, bob, 'second');
    assert.ok(first.id !== undefined && second.prevId === first.id, `ids chained in ${room}`);

    assert.deepEqual((await who(bob)).nicks, ['alice', 'bob'], `/who in ${room}`);

    const carol = await joinRoom(room, 'carol', first.id);
    await until(() => byText(carol, 'second') !== undefined, 'the replay of second');
    assert.deepEqual(
      messages(carol).map((m) => m.text),
      ['second'],
      'a client resuming after first gets what it missed',
    );

    const key = uniqueName('key');
    const published = await publish(room, 'published', key);
    const again = await publish(room, 'published', key);
    assert.equal(published.status, 202, published.body);
    assert.equal(again.status, 202, again.body);
    assert.equal(JSON.parse(again.body).id, JSON.parse(published.body).id, 'a repeated Idempotency-Key gets the first id');
    await until(() => byText(bob, 'published') !== undefined, 'the publish in the room');

    assert.deepEqual(
      await resumedSse(room, first.id!, 'published'),
      ['second', 'published'],
      'SSE resumes from Last-Event-ID, the publish once',
    );
    // The room's feed, idempotency keys and presence, all under its {room} tag, are on that master alone.
    assert.ok((await keysOn(master, room)) >= 3, `${room}'s keys are on master ${master}`);
    for (const other of [0, 1, 2].filter((i) => i !== master)) assert.equal(await keysOn(other, room), 0);
  }
});

test('a master killed mid-run: its rooms live without history and publish 503 within bounds, the others untouched; all back when it returns', async (t) => {
  const rooms = await cluster.namesOnEveryMaster(uniqueName('kill'));
  const dead = 1;
  const [deadRoom, liveRoom] = [rooms[dead]!, rooms[0]!];
  const alice = await joinRoom(deadRoom, 'alice');
  const bob = await joinRoom(deadRoom, 'bob');
  const ann = await joinRoom(liveRoom, 'ann');
  const ben = await joinRoom(liveRoom, 'ben');
  const stored = [await say(alice, bob, 'before-1'), await say(alice, bob, 'before-2')];
  assert.ok(stored.every((m) => m.id !== undefined));

  await cluster.kill(dead);
  const killedAt = invocations.length;
  for (const text of ['down-1', 'down-2']) {
    const live = await say(alice, bob, text);
    assert.equal(live.id, undefined, `${text} is delivered live, without an id`);
  }
  assert.ok(
    events(alice).some((e) => e.type === 'error' && /history is unavailable/.test(e.text ?? '')),
    'the sender is told its messages are not kept',
  );
  const refused = await publish(deadRoom, 'refused', uniqueName('key'));
  assert.equal(refused.status, 503, refused.body);
  assert.equal(refused.retryAfter, '1');
  assert.equal((await who(bob)).type, 'error', '/who says presence is unavailable in the dead room');

  // The other masters' rooms keep their history meanwhile.
  const kept = await say(ann, ben, 'while-1-is-down');
  assert.ok(kept.id !== undefined, 'a room on a live master keeps ids');
  assert.equal((await publish(liveRoom, 'published-while-down')).status, 202);
  assert.deepEqual((await who(ben)).nicks, ['ann', 'ben']);

  const duringOutage = invocations.slice(killedAt);
  const slowest = Math.max(...duringOutage.map((i) => i.durationMs));
  assert.ok(
    duringOutage.every((i) => i.status < 500 || (i.functionName === 'publish' && i.status === 503)),
    JSON.stringify(duringOutage.map((i) => [i.functionName, i.status])),
  );
  // A store operation gives up within 1 s; the function timeout is 10 s.
  assert.ok(slowest < 3_000, `no invocation waited for the function timeout (slowest ${slowest.toFixed(0)} ms)`);
  for (const client of [alice, bob, ann, ben]) assert.equal(client.closeEvent, undefined, 'no connection dropped');

  // The master comes back (with its append-only file); nothing else restarts.
  const restartedAt = performance.now();
  await cluster.start(dead);
  let n = 0;
  let back: ChatEvent | undefined;
  while (back?.id === undefined) {
    assert.ok(performance.now() - restartedAt < 15_000, 'ids again within 15 s of the master coming back');
    back = await say(alice, bob, `after-${n++}`);
  }
  const recoveredMs = performance.now() - restartedAt;
  assert.equal(back.prevId, stored[1]!.id, 'the chain goes on from before the kill: what was stored then is kept');
  assert.equal((await publish(deadRoom, 'published-after')).status, 202);
  const dave = await joinRoom(deadRoom, 'dave', stored[0]!.id);
  await until(() => byText(dave, 'published-after') !== undefined, 'the replay up to published-after');
  assert.deepEqual(
    messages(dave).map((m) => m.text),
    ['before-2', back.text, 'published-after'],
    'the history: what was stored before the kill and after the return; nothing sent while the master was down',
  );
  const nodeLines = redisLogs.filter((line) => line.includes(`127.0.0.1:${cluster.nodes[dead]!.port}`));
  assert.ok(
    nodeLines.some((line) => /unreachable/.test(line)) && nodeLines.some((line) => /reachable again/.test(line)),
    JSON.stringify(redisLogs),
  );
  t.diagnostic(
    `master ${dead} killed: slowest invocation ${slowest.toFixed(0)} ms while down; ids again ${recoveredMs.toFixed(0)} ms after it restarted ` +
      `(${n} message(s)); lost from history: the ${2} messages sent while it was down (delivered live); kept: everything it had stored`,
  );
});
