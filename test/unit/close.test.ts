// Close codes: which may be sent, and CLOSE payloads both ways.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CloseCode,
  decodeClosePayload,
  encodeClosePayload,
  isSendableCloseCode,
  MAX_CLOSE_REASON_BYTES,
} from '../../src/protocol/close.js';

describe('isSendableCloseCode', () => {
  test('boundaries of the ranges RFC 6455 allows on the wire', () => {
    const cases: [number, boolean][] = [
      [0, false],
      [1, false],
      [999, false],
      [1000, true],
      [1001, true],
      [1002, true],
      [1003, true],
      [1004, false],
      [1005, false],
      [1006, false],
      [1007, true],
      [1008, true],
      [1011, true],
      [1014, true],
      [1015, false],
      [1016, false],
      [2000, false],
      [2999, false],
      [3000, true],
      [4000, true],
      [4999, true],
      [5000, false],
      [65535, false],
      [-1000, false],
    ];
    for (const [code, sendable] of cases) assert.equal(isSendableCloseCode(code), sendable, `code ${code}`);
  });

  test('non-integers are never sendable', () => {
    for (const code of [1000.5, 3000.1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      assert.equal(isSendableCloseCode(code), false, `code ${code}`);
    }
    assert.equal(isSendableCloseCode('1000' as unknown as number), false);
  });

  test('the named codes meant to be sent are sendable, the reported-only ones are not', () => {
    assert.equal(isSendableCloseCode(CloseCode.NORMAL), true);
    assert.equal(isSendableCloseCode(CloseCode.INTERNAL_ERROR), true);
    assert.equal(isSendableCloseCode(CloseCode.INVALID_PAYLOAD), true);
    assert.equal(isSendableCloseCode(CloseCode.NO_STATUS), false);
    assert.equal(isSendableCloseCode(CloseCode.ABNORMAL), false);
  });
});

describe('encodeClosePayload', () => {
  test('2-byte big-endian code then the UTF-8 reason', () => {
    assert.deepEqual([...encodeClosePayload(1000)], [0x03, 0xe8]);
    assert.deepEqual([...encodeClosePayload(4321, 'bye')], [0x10, 0xe1, 0x62, 0x79, 0x65]);
    assert.deepEqual([...encodeClosePayload(1001, 'é')], [0x03, 0xe9, 0xc3, 0xa9]);
  });

  test('TypeError for a code that may not be sent', () => {
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 1000.5, Number.NaN]) {
      assert.throws(() => encodeClosePayload(code), TypeError, `code ${code}`);
    }
  });

  test('a reason of 123 bytes fits; 124 bytes is a TypeError, counted in UTF-8 bytes', () => {
    assert.equal(encodeClosePayload(1000, 'a'.repeat(MAX_CLOSE_REASON_BYTES)).length, 125);
    assert.equal(MAX_CLOSE_REASON_BYTES, 123);
    assert.throws(() => encodeClosePayload(1000, 'a'.repeat(124)), TypeError);
    // 62 two-byte characters: 62 characters, but 124 bytes.
    assert.throws(() => encodeClosePayload(1000, 'é'.repeat(62)), /124 bytes/);
    assert.equal(encodeClosePayload(1000, 'é'.repeat(61)).length, 124);
  });
});

describe('decodeClosePayload', () => {
  test('no content, or content too short for a code, reads as 1005 with no reason', () => {
    assert.deepEqual(decodeClosePayload(undefined), { code: 1005, reason: '' });
    assert.deepEqual(decodeClosePayload(new Uint8Array(0)), { code: 1005, reason: '' });
    assert.deepEqual(decodeClosePayload(new Uint8Array([0x03])), { code: 1005, reason: '' });
  });

  test('reads the code and the UTF-8 reason', () => {
    assert.deepEqual(decodeClosePayload(new Uint8Array([0x03, 0xe9])), { code: 1001, reason: '' });
    assert.deepEqual(decodeClosePayload(Buffer.from([0x0f, 0xa0, ...Buffer.from('gone away ✓')])), {
      code: 4000,
      reason: 'gone away ✓',
    });
  });

  test('round-trips with encodeClosePayload', () => {
    for (const [code, reason] of [
      [1000, ''],
      [1011, 'internal error'],
      [4999, 'x'.repeat(123)],
    ] as const) {
      assert.deepEqual(decodeClosePayload(encodeClosePayload(code, reason)), { code, reason });
    }
  });

  test('reads the code from a view at an offset', () => {
    const backing = Buffer.from([0xaa, 0xbb, 0x03, 0xf3, 0x68, 0x69]);
    assert.deepEqual(decodeClosePayload(backing.subarray(2)), { code: 1011, reason: 'hi' });
  });
});
