// withRateLimit over simulated proxy requests, on a clock of its own: the
// bucket carried in meta from one request to the next, refusals reported as
// one error event per request, and a connection flooding for
// closeAfterSeconds closed with 1008.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_RATE_LIMIT, withRateLimit } from '../../src/websocket/rate-limit.js';
import { open, SimConnection, text } from '../support/connection-sim.js';

function limited(options: { messagesPerSecond?: number; burst?: number; closeAfterSeconds?: number } = {}) {
  let clock = 1_000_000;
  const received: string[] = [];
  const conn = new SimConnection(
    withRateLimit(
      {
        onMessage(ctx, message) {
          received.push((message as { data: string }).data);
          ctx.send(`echo ${(message as { data: string }).data}`);
        },
      },
      { ...options, now: () => clock },
    ),
  );
  return { conn, received, advance: (ms: number) => void (clock += ms) };
}

const burstOf = (n: number, from = 0) => Array.from({ length: n }, (_, i) => text(`m${from + i}`));

describe('messages per second per connection', () => {
  test('a burst over the limit: the first `burst` pass, the rest are refused with one error event saying how many', async () => {
    const { conn, received } = limited({ messagesPerSecond: 10, burst: 20 });
    await conn.request([open()]);
    const response = await conn.request(burstOf(50));
    assert.equal(received.length, 20);
    assert.equal(response.closeCode, undefined);
    const errors = response.texts.filter((t) => t.startsWith('{')).map((t) => JSON.parse(t));
    assert.deepEqual(
      errors.map((e) => [e.type, e.code, e.refused]),
      [['error', 'rate_limited', 30]],
    );
  });

  test('the bucket refills at the rate, across requests (kept in meta)', async () => {
    const { conn, received, advance } = limited({ messagesPerSecond: 10, burst: 20 });
    await conn.request([open()]);
    await conn.request(burstOf(20));
    advance(500); // 5 tokens back
    await conn.request(burstOf(10, 20));
    assert.equal(received.length, 25);
    advance(10_000);
    await conn.request(burstOf(20, 30));
    assert.equal(received.length, 45);
  });

  test('accepted messages after refused ones: the refusal is reported first, in order', async () => {
    const { conn, advance } = limited({ messagesPerSecond: 1, burst: 1 });
    await conn.request([open()]);
    await conn.request([text('a')]);
    const response = await conn.request([text('b')]);
    assert.deepEqual(JSON.parse(response.texts[0]!).refused, 1);
    advance(1000);
    const later = await conn.request([text('c')]);
    assert.deepEqual(later.texts, ['echo c']);
  });

  test('still flooding after closeAfterSeconds: closed with 1008; a pause that refills half the bucket forgives', async () => {
    const { conn, advance } = limited({ messagesPerSecond: 10, burst: 20, closeAfterSeconds: 2 });
    await conn.request([open()]);
    for (let i = 0; i < 4; i++) {
      const response = await conn.request(burstOf(40));
      assert.equal(response.closeCode, undefined, `request ${i} is not closed yet`);
      advance(500);
    }
    const last = await conn.request(burstOf(40));
    assert.equal(last.closeCode, 1008);

    const calm = limited({ messagesPerSecond: 10, burst: 20, closeAfterSeconds: 2 });
    await calm.conn.request([open()]);
    for (let i = 0; i < 5; i++) {
      const response = await calm.conn.request(burstOf(40));
      assert.equal(response.closeCode, undefined);
      calm.advance(1500); // 15 tokens back: at least half the bucket
    }
  });

  test('the defaults: bursts of 20, 10 messages a second, closed 10 s after the first refusal (DEFAULT_RATE_LIMIT)', async () => {
    assert.deepEqual(DEFAULT_RATE_LIMIT, { messagesPerSecond: 10, burst: 20, closeAfterSeconds: 10 });
    const { conn, received, advance } = limited();
    await conn.request([open()]);
    assert.equal((await conn.request(burstOf(40))).closeCode, undefined);
    assert.equal(received.length, 20);
    for (let i = 1; i < 20; i++) {
      advance(500); // 5 tokens back: under half the bucket, still flooding
      const response = await conn.request(burstOf(40, 40 * i));
      assert.equal(response.closeCode, undefined, `${i * 0.5} s into the flood`);
    }
    assert.equal(received.length, 20 + 19 * 5);
    advance(500);
    assert.equal((await conn.request(burstOf(40, 800))).closeCode, 1008);
  });

  test('settings must be positive numbers', () => {
    assert.throws(() => withRateLimit({}, { messagesPerSecond: 0 }), /messagesPerSecond must be a number > 0/);
  });
});
