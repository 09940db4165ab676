// The edges of what the local stack's Pushpin carries (pushpin-settings.ts):
// request heads over Pushpin's stock 8 KiB reach the function, a 64 KiB
// publish reaches a subscriber, and a burst of 1,000 publishes in one batch
// reaches one subscriber whole, in order, with no skip in its count.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { getPublisher, wsMessage, type ChannelItem } from '../../src/index.js';
import { SequenceWatcher } from '../../src/publish/sequence.js';
import { publishMessage } from '../../functions/lib/room.js';
import { closeAll, rejectedHandshake, ROOT, StreamingResponse, uniqueName, waitFor, WsClient } from './support/e2e.js';

let stack: RunningStack;

before(async () => {
  stack = await startStack({ root: ROOT, redis: true });
});

after(async () => {
  closeAll();
  await stack?.stop();
});

/** A /subscribe socket that gets what is published to `channel` (probed until it does). */
async function subscriber(channel: string): Promise<WsClient> {
  const client = await WsClient.open(`${stack.wsUrl}/subscribe/${channel}`);
  for (let n = 0; !client.texts().some((t) => t.startsWith('probe-')); n++) {
    if (n > 50) throw new Error(`${channel}: no probe arrived`);
    await getPublisher().publish(channel, wsMessage(`probe-${n}`));
    await waitFor(() => client.messages.length > 0, 200, 'a probe').catch(() => undefined);
  }
  await waitFor(() => false, 200, 'late probes').catch(() => undefined);
  client.messages.length = 0;
  return client;
}

describe('the local stack at the proxy’s limits', () => {
  test('a 10 KB Last-Event-ID reaches the function, and its 400 reaches the client', async () => {
    const sse = await StreamingResponse.get(`${stack.httpUrl}/sse/${uniqueName('long-id')}`, 10_000, {
      'Last-Event-ID': 'x'.repeat(10_000),
    });
    try {
      assert.equal(sse.status, 400);
      assert.match(await sse.body(5_000), /is not a feed id/);
    } finally {
      sse.abort();
    }
  });

  // Condure 1.9.1 resets a request line over about 4 KiB whatever the buffer (measured: a
  // path of 4,068 characters is answered, 4,073 is not), so a head over 8 KiB takes a header too.
  test('a handshake with a 4,000-character room name and a 6 KB cookie reaches the chat function, and its 400 reaches the client', async () => {
    const answer = await rejectedHandshake(`${stack.wsUrl}/chat/${'r'.repeat(4_000)}`, 10_000, { Cookie: `c=${'k'.repeat(6_000)}` });
    assert.equal(answer.status, 400, JSON.stringify(answer).slice(0, 200));
    assert.match(answer.body, /room names/);
  });

  test('a 64 KiB message published to a channel reaches its subscriber whole', async () => {
    const channel = uniqueName('big-publish');
    const client = await subscriber(channel);
    try {
      const big = 'b'.repeat(64 * 1024 - 1) + '!';
      await getPublisher().publish(channel, wsMessage(big));
      await client.waitForMessages(1, 5_000);
      assert.equal(client.texts()[0], big);
    } finally {
      await client.close(1000);
    }
  });

  test('a burst of 1,000 messages of 200 B in one publishBatch reaches one subscriber whole and in order', async () => {
    const channel = uniqueName('burst');
    const client = await subscriber(channel);
    try {
      const texts = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(4, '0')}:${'p'.repeat(195)}`);
      const items: ChannelItem[] = texts.map((text) => ({ channel, formats: wsMessage(text) }));
      await getPublisher().publishBatch(items);
      await waitFor(
        () => client.messages.length >= texts.length,
        10_000,
        () => `1,000 messages (have ${client.messages.length})`,
      ).catch(() => undefined);
      await waitFor(() => false, 300, 'anything more').catch(() => undefined);
      assert.equal(client.messages.length, texts.length, `received ${client.messages.length} of ${texts.length}`);
      assert.deepEqual(client.texts(), texts);
    } finally {
      await client.close(1000);
    }
  });

  test('chat messages carry their publisher’s count: a burst of 1,000 to one chat client shows no skip', async () => {
    const room = uniqueName('burst-chat');
    const client = await WsClient.open(`${stack.wsUrl}/chat/${room}`);
    try {
      // Its own message back means the open's answer (and its subscription) has been handled.
      await client.send('ready');
      await waitFor(() => client.texts().some((t) => t.includes('"ready"')), 5_000, 'its own message');
      const marks = () =>
        client
          .texts()
          .map((t) => JSON.parse(t) as { type: string; text?: string; pub?: string; seq?: number })
          .filter((e) => e.type === 'message' && e.pub !== undefined);
      const before = marks().length;
      // 100 at a time: each message is appended to the room's feed first, and a thousand Lua appends
      // at once could outlast the feed's 1 s budget on a busy machine; the publishes still come in bursts.
      for (let start = 0; start < 1000; start += 100) {
        await Promise.all(
          Array.from({ length: 100 }, (_, i) => publishMessage(room, { nick: 'burst', text: `${start + i}:${'q'.repeat(150)}` })),
        );
      }
      await waitFor(
        () => marks().length >= before + 1000,
        10_000,
        () => `1,000 messages (have ${marks().length - before})`,
      );
      const watcher = new SequenceWatcher();
      for (const e of marks()) watcher.see(room, { pub: e.pub!, seq: e.seq! });
      assert.equal(watcher.missed, 0);
    } finally {
      await client.close(1000);
    }
  });
});
