// GRIP control messages: the `c:` TEXT payloads the proxy acts on.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CONTROL_PREFIX, encodeControlMessage, keepAliveMessage, MESSAGE_PREFIX } from '../../src/protocol/control.js';

describe('keepAliveMessage', () => {
  test('string content: text keep-alive with content', () => {
    assert.deepEqual(keepAliveMessage({ content: '{}', timeoutSeconds: 30 }), {
      type: 'keep-alive',
      'message-type': 'text',
      content: '{}',
      timeout: 30,
    });
  });

  test('no content: empty text content', () => {
    assert.deepEqual(keepAliveMessage({ timeoutSeconds: 20 }), { type: 'keep-alive', 'message-type': 'text', content: '', timeout: 20 });
  });

  test('bytes: binary keep-alive with content-bin in base64', () => {
    assert.deepEqual(keepAliveMessage({ content: new Uint8Array([0xff, 0x00, 0x80]), timeoutSeconds: 25 }), {
      type: 'keep-alive',
      'message-type': 'binary',
      'content-bin': '/wCA',
      timeout: 25,
    });
  });

  test('explicit type and mode are passed on', () => {
    assert.deepEqual(keepAliveMessage({ type: 'ping', timeoutSeconds: 15, mode: 'interval' }), {
      type: 'keep-alive',
      'message-type': 'ping',
      content: '',
      timeout: 15,
      mode: 'interval',
    });
    const pong = keepAliveMessage({ type: 'pong', content: new Uint8Array([1]), timeoutSeconds: 5, mode: 'idle' });
    assert.equal(pong.type === 'keep-alive' && pong['message-type'], 'pong');
    assert.equal(pong.type === 'keep-alive' && pong['content-bin'], 'AQ==');
    assert.equal(pong.type === 'keep-alive' && pong.mode, 'idle');
  });

  test('no mode key unless one is given', () => {
    assert.ok(!('mode' in keepAliveMessage({ timeoutSeconds: 10 })));
  });

  test('timeout 0 turns keep-alive off and is allowed', () => {
    assert.equal((keepAliveMessage({ timeoutSeconds: 0 }) as { timeout: number }).timeout, 0);
  });

  test('a timeoutSeconds that is not a whole number >= 0 is a TypeError', () => {
    for (const timeoutSeconds of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => keepAliveMessage({ timeoutSeconds }), TypeError, `timeoutSeconds ${timeoutSeconds}`);
    }
  });
});

describe('encodeControlMessage', () => {
  test('c: then the JSON', () => {
    const bytes = encodeControlMessage({ type: 'subscribe', channel: 'room' });
    assert.equal(Buffer.from(bytes).toString('utf8'), 'c:{"type":"subscribe","channel":"room"}');
  });

  test('non-ASCII channel names are UTF-8', () => {
    const bytes = encodeControlMessage({ type: 'unsubscribe', channel: 'café' });
    assert.equal(Buffer.from(bytes).toString('utf8'), 'c:{"type":"unsubscribe","channel":"café"}');
    assert.equal(bytes.length, 'c:{"type":"unsubscribe","channel":"café"}'.length + 1);
  });

  test('prefixes', () => {
    assert.equal(CONTROL_PREFIX.toString('latin1'), 'c:');
    assert.equal(MESSAGE_PREFIX.toString('latin1'), 'm:');
  });
});
