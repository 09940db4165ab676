// SHA-256 and HMAC-SHA256 (src/auth/sha256.ts) against node:crypto, at every
// length around the block and padding boundaries, and the FIPS 180-4 examples.
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { hmacSha256, sha256 } from '../../src/auth/sha256.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('sha256', () => {
  test('the FIPS 180-4 examples: "abc", the 448-bit message, and the empty one', () => {
    assert.equal(hex(sha256(Buffer.from('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(
      hex(sha256(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    assert.equal(hex(sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  test('every length from 0 to 300 bytes, and a million, as node:crypto hashes them', () => {
    for (let length = 0; length <= 300; length++) {
      const message = randomBytes(length);
      assert.equal(hex(sha256(message)), createHash('sha256').update(message).digest('hex'), `length ${length}`);
    }
    const million = Buffer.alloc(1_000_000, 0x61);
    assert.equal(hex(sha256(million)), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  test('a view into a larger buffer hashes only its own bytes', () => {
    const whole = randomBytes(200);
    const view = whole.subarray(37, 151);
    assert.equal(hex(sha256(view)), createHash('sha256').update(view).digest('hex'));
  });
});

describe('hmacSha256', () => {
  test('keys shorter than, equal to and longer than a block; messages of every length to 200 bytes, as node:crypto makes them', () => {
    for (const keyLength of [0, 1, 20, 32, 63, 64, 65, 131]) {
      const key = randomBytes(keyLength);
      const mac = hmacSha256(key);
      for (let length = 0; length <= 200; length++) {
        const message = randomBytes(length);
        assert.equal(hex(mac(message)), createHmac('sha256', key).update(message).digest('hex'), `key ${keyLength}, message ${length}`);
      }
    }
  });

  test('RFC 4231 test case 2, and one key used many times gives the same MAC each time', () => {
    const mac = hmacSha256(Buffer.from('Jefe'));
    const expected = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
    for (let i = 0; i < 3; i++) assert.equal(hex(mac(Buffer.from('what do ya want for nothing?'))), expected);
  });
});
