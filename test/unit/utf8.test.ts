// UTF-8 (src/protocol/utf8.ts): the short-ASCII loops against Buffer's
// reading and writing, on both sides of their cut-over.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeUtf8, decodeUtf8Strict, encodeShortAscii, SHORT_TEXT_CHARS } from '../../src/protocol/utf8.js';

const ascii = (length: number) => Array.from({ length }, (_, i) => String.fromCharCode(i % 128)).join('');

describe('decodeUtf8Strict', () => {
  test('ASCII of every length up to past the cut-over reads as Buffer reads it', () => {
    for (let length = 0; length <= 300; length++) {
      const text = ascii(length);
      assert.equal(decodeUtf8Strict(Buffer.from(text, 'latin1')), text, `length ${length}`);
    }
  });

  test('text beyond ASCII, short and long, and a leading byte order mark, as TextDecoder reads them', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for (const text of ['é', 'a€b', '😀', `${ascii(100)}é`, `é${ascii(300)}`, '\ufeffhi', '\ufeff', 'x\ufeff']) {
      const bytes = Buffer.from(text, 'utf8');
      assert.equal(decodeUtf8Strict(bytes), decoder.decode(bytes), JSON.stringify(text));
      assert.equal(decodeUtf8(bytes), decoder.decode(bytes));
    }
  });

  test('bytes that are not UTF-8 give undefined, whatever their length', () => {
    for (const bytes of [[0xff], [0x61, 0x80], [0xc3], [0xed, 0xa0, 0x80], [...Buffer.from(ascii(300)), 0xfe]]) {
      assert.equal(decodeUtf8Strict(Uint8Array.from(bytes)), undefined, String(bytes.slice(-3)));
    }
  });
});

describe('encodeShortAscii', () => {
  const prefix = Buffer.from('m:', 'latin1');

  test('short ASCII is written after the prefix, byte for byte', () => {
    for (const text of ['', 'a', 'ping 1', ascii(SHORT_TEXT_CHARS)]) {
      assert.deepEqual(encodeShortAscii(prefix, text), Buffer.concat([prefix, Buffer.from(text, 'latin1')]), `length ${text.length}`);
    }
  });

  test('text beyond ASCII, or longer than the cut-over, is left to the caller (undefined)', () => {
    assert.equal(encodeShortAscii(prefix, 'é'), undefined);
    assert.equal(encodeShortAscii(prefix, `${ascii(10)}\u0080`), undefined);
    assert.equal(encodeShortAscii(prefix, '😀'), undefined);
    assert.equal(encodeShortAscii(prefix, ascii(SHORT_TEXT_CHARS + 1)), undefined);
  });
});
