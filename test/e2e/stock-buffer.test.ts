// The local stack with Pushpin's stock client_buffer_size (8192): the
// function is told the largest message that buffer carries at once
// (GRIP_MAX_MESSAGE_BYTES = 32,766), so a larger send is a RangeError in the
// function and the client gets a clean 1011 close instead of a stall; and a
// burst the proxy drops part of shows as a skip in the chat's counts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { SequenceWatcher } from '../../src/publish/sequence.js';
import { publishMessage } from '../../functions/lib/room.js';
import { closeAll, ROOT, uniqueName, waitFor, WsClient } from './support/e2e.js';

let stack: RunningStack;

before(async () => {
  stack = await startStack({ root: ROOT, clientBufferSize: 8192 });
});

after(async () => {
  closeAll();
  await stack?.stop();
});

describe("the local stack with Pushpin's stock buffer", () => {
  test('a message at the limit (32,766 bytes) is echoed at once', async () => {
    const client = await WsClient.open(`${stack.wsUrl}/echo`);
    try {
      const data = randomBytes(32_766);
      await client.send(data, true);
      await client.waitForMessages(1, 5_000);
      assert.ok(client.messages[0]!.data.equals(data));
    } finally {
      await client.close(1000);
    }
  });

  test('one byte over: the send is a RangeError in the function and the client gets a clean 1011 close, not a stall', async () => {
    const client = await WsClient.open(`${stack.wsUrl}/echo`);
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args.map(String).join(' '));
    try {
      await client.send(randomBytes(32_767), true);
      await waitFor(() => client.closeEvent !== undefined, 5_000, 'the close');
    } finally {
      console.error = original;
    }
    assert.deepEqual(client.closeEvent, { code: 1011, reason: 'internal error' });
    assert.deepEqual(client.errors, []);
    assert.equal(client.messages.length, 0);
    assert.ok(
      errors.some((e) =>
        /RangeError: connection \S+: a message of 32767 bytes is over the proxy's limit of 32766 bytes per message \(GRIP_MAX_MESSAGE_BYTES\)/.test(
          e,
        ),
      ),
      errors.join('\n'),
    );
  });

  test('a burst the proxy drops part of shows as a skip in the chat client’s counts, as many as were lost', async () => {
    const room = uniqueName('stock-burst');
    const client = await WsClient.open(`${stack.wsUrl}/chat/${room}`);
    try {
      await client.send('ready');
      await waitFor(() => client.texts().some((t) => t.includes('"ready"')), 5_000, 'its own message');
      type Marked = { type: string; text: string; pub?: string; seq?: number };
      const marks = () =>
        client
          .texts()
          .map((t) => JSON.parse(t) as Marked)
          .filter((e) => e.type === 'message' && e.pub !== undefined);
      // 1,000 × ~160 B in one control request: far over an 8 KiB buffer.
      await Promise.all(Array.from({ length: 1000 }, (_, i) => publishMessage(room, { nick: 'burst', text: `${i}:${'q'.repeat(150)}` })));
      await waitFor(() => false, 1_000, 'the burst to settle').catch(() => undefined);
      // One more, alone, so a drop at the end of the burst is followed by a mark.
      await publishMessage(room, { nick: 'burst', text: 'last' });
      await waitFor(() => marks().some((e) => e.text === 'last'), 5_000, 'the last message');
      const received = marks().filter((e) => e.text !== 'last' && e.text !== 'ready').length;
      const watcher = new SequenceWatcher();
      for (const e of marks()) watcher.see(room, { pub: e.pub!, seq: e.seq! });
      assert.ok(received < 1000, `Pushpin 1.36 with an 8 KiB buffer is expected to drop part of a 160 KB burst (received ${received})`);
      assert.equal(watcher.missed, 1000 - received, `received ${received} of 1000`);
    } finally {
      await client.close(1000);
    }
  });
});
