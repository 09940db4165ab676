// WebSocket echo through a real Pushpin (WebSocket-over-HTTP to the function
// host): handshake, TEXT and BINARY frames byte-exact, close codes echoed
// back with a clean close handshake, and order kept over many messages.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { closeAll, pushpinBefore, pushpinVersion, ROOT, waitFor, WsClient } from './support/e2e.js';

let stack: RunningStack;

before(async () => {
  stack = await startStack({ root: ROOT });
});

after(async () => {
  closeAll();
  await stack?.stop();
});

const echoUrl = () => `${stack.wsUrl}/echo`;

describe('WebSocket echo through Pushpin', () => {
  test('the handshake is accepted', async () => {
    const client = await WsClient.open(echoUrl());
    try {
      assert.equal(client.ws.readyState, client.ws.OPEN);
    } finally {
      await client.close(1000);
    }
    assert.deepEqual(client.errors, []);
  });

  test('a TEXT message comes back as the same TEXT message', async () => {
    const client = await WsClient.open(echoUrl());
    try {
      const text = 'hello, wörld ✓ 😀';
      await client.send(text);
      await client.waitForMessages(1, 10_000);
      assert.deepEqual(client.messages.map((m) => ({ isBinary: m.isBinary, text: m.data.toString('utf8') })), [{ isBinary: false, text }]);
    } finally {
      await client.close(1000);
    }
  });

  test('BINARY messages come back byte-exact: all 256 byte values, invalid UTF-8, ~100 KB of random bytes', async () => {
    const client = await WsClient.open(echoUrl());
    try {
      const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const invalidUtf8 = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0x00, 0x80]);
      const large = randomBytes(100 * 1024);
      const sent = [allBytes, invalidUtf8, large];
      for (const data of sent) await client.send(data, true);
      // Pushpin 1.36 holds back the end of a large message until the origin
      // sends something more (see the next test): nudge it with short messages
      // until the large one is through. Each nudge is echoed after it.
      const nudge = Buffer.from([0x00, 0xff]);
      let nudges = 0;
      const deadline = Date.now() + 20_000;
      while (client.messages.length < sent.length) {
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${sent.length} echoes (have ${client.messages.length})`);
        const before = client.messages.length;
        await waitFor(() => client.messages.length >= sent.length, 500, 'the echoes').catch(() => undefined);
        if (client.messages.length < sent.length && client.messages.length === before) {
          await client.send(nudge, true);
          nudges++;
        }
      }
      await client.waitForMessages(sent.length + nudges, 10_000);
      const expected = [...sent, ...Array.from({ length: nudges }, () => nudge)];
      assert.equal(client.messages.length, expected.length);
      client.messages.forEach((message, i) => {
        assert.equal(message.isBinary, true, `message ${i} is BINARY`);
        assert.equal(message.data.length, expected[i]!.length, `message ${i} has ${expected[i]!.length} bytes`);
        assert.ok(message.data.equals(expected[i]!), `message ${i} is byte-exact`);
      });
    } finally {
      await client.close(1000);
    }
    assert.deepEqual(client.errors, []);
  });

  test(
    'a ~100 KB BINARY message on its own comes back without waiting for more traffic',
    // Seen with Debian's Pushpin 1.36, on WebSocket-over-HTTP routes only (a
    // plain WebSocket origin passes 100 KiB): a message of ~32 KiB or more
    // stops part-way to the client and resumes only when more traffic
    // follows. In 1.36's source, the proxy session writes to the client while
    // it has write credits and resumes on frames-written events only, not
    // when credits come back; 1.38 resumes on credits too (fastly/pushpin
    // 527c2b4f, "use writeBytesAvailable for flow control when proxying").
    // Not yet run here against 1.38, which Debian does not ship.
    pushpinBefore(1, 38) ? { todo: `Pushpin ${pushpinVersion()} holds back the end of a WebSocket message over ~16-32 KiB until more traffic follows (likely fixed in Pushpin 1.38)` } : {},
    async () => {
      const client = await WsClient.open(echoUrl());
      try {
        const large = randomBytes(100 * 1024);
        await client.send(large, true);
        await client.waitForMessages(1, 5_000);
        assert.equal(client.messages[0]!.isBinary, true);
        assert.ok(client.messages[0]!.data.equals(large), 'byte-exact');
      } finally {
        await client.close(1000);
      }
    },
  );

  for (const code of [4001, 1000, 1001]) {
    test(`a close with code ${code} from the client is answered with code ${code}, cleanly`, async () => {
      const client = await WsClient.open(echoUrl());
      // A round trip first, so the close is not racing the open.
      await client.send('before close');
      await client.waitForMessages(1, 10_000);
      const closed = await client.close(code, 'bye');
      assert.equal(closed.code, code);
      assert.deepEqual(client.errors, [], 'no error event (no protocol error) on the client');
    });
  }

  test('200 sequential TEXT messages come back in order, each once', async () => {
    const client = await WsClient.open(echoUrl());
    try {
      const sent = Array.from({ length: 200 }, (_, i) => `message ${i}`);
      for (const text of sent) await client.send(text);
      await client.waitForMessages(sent.length, 30_000);
      // One more round trip: anything sent twice would have arrived before its answer.
      await client.send('last');
      await client.waitForMessages(sent.length + 1, 10_000);
      assert.deepEqual(client.texts(), [...sent, 'last']);
    } finally {
      await client.close(1000);
    }
    assert.deepEqual(client.errors, []);
  });
});
