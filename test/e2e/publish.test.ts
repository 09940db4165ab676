// The publish path through a real Pushpin (and Redis): control requests split
// by bytes under the control API's body limit; POST /publish/{channel}
// refusing what cannot be published before storing anything, answering
// proxy refusals with a 4xx, and storing and publishing once per
// Idempotency-Key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PUSHPIN_MAX_CONTROL_BODY_BYTES, GripPublisher, wsMessage } from '../../src/index.js';
import { readGripSettings } from '../../src/config.js';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { closeAll, ROOT, uniqueName, WsClient } from './support/e2e.js';

let stack: RunningStack;

before(async () => {
  stack = await startStack({ root: ROOT, redis: true });
});

after(async () => {
  closeAll();
  await stack?.stop();
});

/** A control request body of exactly `bytes` bytes: one item for `channel`. */
function bodyOf(bytes: number, channel: string): string {
  const head = `{"items":[{"channel":"${channel}","formats":{"ws-message":{"content":"`;
  const tail = '"}}}]}';
  return head + 'a'.repeat(bytes - head.length - tail.length) + tail;
}

describe('control requests under the proxy body limit', () => {
  test(`Pushpin's control API takes a body of ${PUSHPIN_MAX_CONTROL_BODY_BYTES} bytes and refuses one byte more (the publisher's default limit)`, async () => {
    const post = (bytes: number) =>
      fetch(`${stack.controlUrl}/publish/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: bodyOf(bytes, uniqueName('limit')) });
    const taken = await post(PUSHPIN_MAX_CONTROL_BODY_BYTES);
    assert.equal(taken.status, 200, await taken.text());
    const refused = await post(PUSHPIN_MAX_CONTROL_BODY_BYTES + 1);
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /Request body too large/);
  });

  // Pushpin 1.36 drops published messages for a connection whose buffer is
  // full, so one subscriber cannot take a burst of 1.2 MB (measured with the
  // local stack's settings: 18 of 300 arrived at one WebSocket, 210 of 300 at
  // one HTTP stream; 5 × 4 KB to each of 60 lost some too). Each item goes to
  // a subscriber of its own: what is tested is that all 300 are accepted by
  // the control API, in requests under its limit, and delivered.
  test('publishBatch of 300 items of 4 KB (1.2 MB, over the body limit in one request): every one reaches its subscriber', async () => {
    const channels = Array.from({ length: 300 }, () => uniqueName('batch'));
    // Opened 20 at a time: Pushpin refuses some handshakes (502) when hundreds arrive at once.
    const subscribers: WsClient[] = [];
    for (let i = 0; i < channels.length; i += 20) {
      subscribers.push(...(await Promise.all(channels.slice(i, i + 20).map((channel) => WsClient.open(`${stack.wsUrl}/subscribe/${channel}`)))));
    }
    const publisher = new GripPublisher(readGripSettings({ GRIP_URL: stack.gripUrl }).clients);
    // Every subscription is in place once its probe arrives.
    await publisher.publishBatch(channels.map((channel) => ({ channel, formats: wsMessage('probe') })));
    await Promise.all(subscribers.map((s) => s.waitForMessages(1, 10_000)));
    const sent = channels.map((channel, i) => ({ channel, text: `${i}:`.padEnd(4_096, 'x') }));
    await publisher.publishBatch(sent.map(({ channel, text }) => ({ channel, formats: wsMessage(text) })));
    await Promise.all(subscribers.map((s) => s.waitForMessages(2, 15_000)));
    assert.deepEqual(
      subscribers.map((s) => s.texts().slice(1)),
      sent.map((m) => [m.text]),
    );
  });
});
