// GRIP_PREFIX given in handler options (test/e2e/fixtures/prefixed), through a
// real Pushpin: the WebSocket subscription, the stream hold and getPublisher()
// all use it, so what one function publishes reaches what the others hold.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { closeAll, StreamingResponse, uniqueName, WsClient } from './support/e2e.js';

let stack: RunningStack;

before(async () => {
  stack = await startStack({ root: fileURLToPath(new URL('fixtures/prefixed/', import.meta.url)) });
});

after(async () => {
  closeAll();
  await stack?.stop();
});

/** Publishes `text` to `channel` through the control API itself, no prefix added. */
async function publishRaw(channel: string, text: string): Promise<void> {
  const response = await fetch(`${stack.controlUrl}/publish/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ items: [{ channel, formats: { 'ws-message': { content: text }, 'http-stream': { content: `${text}\n` } } }] }),
  });
  assert.equal(response.status, 200, await response.text());
}

test('websocket() and http() made with { env: { GRIP_PREFIX } }: subscribe, hold and getPublisher() agree on the prefix', async () => {
  const room = uniqueName('room');
  const ws = await WsClient.open(`${stack.wsUrl}/subscribe/${room}`);
  const stream = await StreamingResponse.get(`${stack.httpUrl}/stream/${room}`);
  assert.equal(stream.status, 200);
  // Both hold `a-${room}`: published there by hand, it arrives; under the bare name, it does not.
  await publishRaw(room, 'unprefixed');
  await publishRaw(`a-${room}`, 'prefixed');
  await ws.waitForMessages(1, 10_000);
  await stream.waitFor((s) => s.lines().length >= 1, 10_000, 'the prefixed line');
  // And what getPublisher() publishes inside a function made with the same options arrives too.
  const published = await fetch(`${stack.httpUrl}/publish/${room}`, { method: 'POST', body: 'from the function' });
  assert.equal(published.status, 202, await published.text());
  await ws.waitForMessages(2, 10_000);
  await stream.waitFor((s) => s.lines().length >= 2, 10_000, 'the published line');
  assert.deepEqual(ws.texts(), ['prefixed', 'from the function']);
  assert.deepEqual(stream.lines(), ['prefixed', 'from the function']);
});
