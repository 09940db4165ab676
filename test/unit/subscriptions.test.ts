// The subscription cap (GRIP_MAX_SUBSCRIPTIONS, Pushpin's
// connection_subscription_max): counted across requests in meta, the
// connection's own channel and its user's included, refused at the call.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readProxyLimits } from '../../src/websocket/limits.js';
import { open, SimConnection, text } from '../support/connection-sim.js';

describe('subscriptions per connection', () => {
  test("19 channels at open fit the default 20 with the connection's own; the 20th is a RangeError at the call", async () => {
    const errors: string[] = [];
    const conn = new SimConnection({
      onOpen(ctx) {
        for (let i = 1; i <= 19; i++) ctx.subscribe(`ch-${i}`);
        try {
          ctx.subscribe('ch-20');
        } catch (error) {
          errors.push((error as Error).message);
        }
        ctx.subscribe('ch-1'); // held already: takes no place
      },
    });
    const response = await conn.request([open()]);
    assert.equal(response.status, 200);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /past the proxy's 20 subscriptions per connection \(GRIP_MAX_SUBSCRIPTIONS/);
    assert.equal(response.body.split('"subscribe"').length - 1, 21, 'the own channel, 19, and ch-1 again');
  });

  test('counted across requests; an unsubscribe frees a place; a user takes one', async () => {
    const outcomes: string[] = [];
    const conn = new SimConnection(
      {
        onMessage(ctx, message) {
          const [op, name] = (message as { data: string }).data.split(' ');
          try {
            if (op === 'sub') ctx.subscribe(name!);
            else if (op === 'unsub') ctx.unsubscribe(name!);
            else ctx.setUser(name!);
            outcomes.push(`ok ${op} ${name}`);
          } catch (error) {
            outcomes.push(`${(error as Error).name} ${op} ${name}`);
          }
        },
      },
      'c1',
      readProxyLimits({ GRIP_MAX_SUBSCRIPTIONS: '4' }),
    );
    await conn.request([open()]);
    await conn.request([text('sub a'), text('sub b')]);
    await conn.request([text('sub c'), text('user u1'), text('unsub c'), text('user u1'), text('user u2'), text('sub d')]);
    assert.deepEqual(outcomes, [
      'ok sub a',
      'ok sub b',
      'ok sub c',
      'RangeError user u1',
      'ok unsub c',
      'ok user u1',
      'ok user u2',
      'RangeError sub d',
    ]);
  });

  test('GRIP_MAX_SUBSCRIPTIONS must be a whole number >= 1', () => {
    assert.equal(readProxyLimits({}).maxSubscriptions, 20);
    assert.equal(readProxyLimits({ GRIP_MAX_SUBSCRIPTIONS: '50' }).maxSubscriptions, 50);
    assert.throws(() => readProxyLimits({ GRIP_MAX_SUBSCRIPTIONS: '0' }), /GRIP_MAX_SUBSCRIPTIONS must be a whole number >= 1/);
  });
});
