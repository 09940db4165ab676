// WebSocket echo through a real Pushpin (WebSocket-over-HTTP to the function
// host): handshake, TEXT and BINARY frames byte-exact, close codes echoed
// back with a clean close handshake, and order kept over many messages.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { closeAll, ROOT, WsClient } from './support/e2e.js';

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
      assert.deepEqual(
        client.messages.map((m) => ({ isBinary: m.isBinary, text: m.data.toString('utf8') })),
        [{ isBinary: false, text }],
      );
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
      await client.waitForMessages(sent.length, 10_000);
      const expected = sent;
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

  // Pushpin 1.36 holds a message from the function that is over max(B, 16384) + 16384
  // bytes (B: client_buffer_size) until more traffic follows; the local stack's B
  // (pushpin-settings.ts) carries every message a client may send (200,000 bytes) at once.
  for (const size of [64 * 1024, 100 * 1024, 199_000]) {
    test(`a ${size}-byte BINARY message on its own goes client → function → client at once, byte-exact`, async () => {
      const client = await WsClient.open(echoUrl());
      try {
        const large = randomBytes(size);
        await client.send(large, true);
        await client.waitForMessages(1, 5_000);
        assert.equal(client.messages[0]!.isBinary, true);
        assert.ok(client.messages[0]!.data.equals(large), 'byte-exact');
        // And the connection is not stalled behind it: a short message comes straight back.
        await client.send('after');
        await client.waitForMessages(2, 5_000);
        assert.equal(client.messages[1]!.data.toString('utf8'), 'after');
      } finally {
        await client.close(1000);
      }
      assert.deepEqual(client.errors, []);
    });
  }

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
