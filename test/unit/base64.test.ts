// Base64 for Lambda bodies (src/lambda/base64.ts): the short-input loop
// against Buffer, which is the reference, at every length on both sides of
// the cut-over, and for text that is not canonical base64.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { decodeBase64, encodeBase64, SHORT_BASE64_BYTES, SHORT_BASE64_TEXT } from '../../src/lambda/base64.js';

describe('encodeBase64', () => {
  test('every length from 0 to past the cut-over encodes as Buffer does', () => {
    for (let length = 0; length <= SHORT_BASE64_BYTES + 8; length++) {
      const bytes = randomBytes(length);
      assert.equal(encodeBase64(bytes), bytes.toString('base64'), `length ${length}`);
    }
  });

  test('every byte value, and a view into a larger buffer (only its own bytes)', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.equal(encodeBase64(all), all.toString('base64'));
    const whole = randomBytes(64);
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 5, 20);
    assert.equal(encodeBase64(view), Buffer.from(view).toString('base64'));
    const long = new Uint8Array(whole.buffer.slice(0), 3, 50);
    assert.equal(encodeBase64(long), Buffer.from(long).toString('base64'));
  });
});

describe('decodeBase64', () => {
  test('every length from 0 to past the cut-over decodes as Buffer does, into a Buffer', () => {
    for (let length = 0; length <= SHORT_BASE64_TEXT; length++) {
      const text = randomBytes(length).toString('base64');
      const decoded = decodeBase64(text);
      assert.ok(Buffer.isBuffer(decoded));
      assert.deepEqual(decoded, Buffer.from(text, 'base64'), `${length} bytes`);
    }
  });

  test('text that is not canonical base64 is read as Buffer reads it', () => {
    const texts = [
      'aGk', // no padding
      'aGk=\n', // a line break
      'aG k=', // a space
      'a-_b', // the URL-safe alphabet
      'aGk=aGk=', // padding in the middle
      'aGk==', // too much padding
      '====',
      'aGé=', // a character outside ASCII
      'a\u0100bc',
      '*abc',
      'ab=c',
      'QR==', // trailing bits set: Buffer drops them
      'QUI=',
      'QUJD',
      'Q===',
    ];
    for (const text of texts) assert.deepEqual(decodeBase64(text), Buffer.from(text, 'base64'), JSON.stringify(text));
  });

  test('round trip through both, at every byte value', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
    assert.deepEqual(decodeBase64(encodeBase64(all)), all);
  });
});
