// UTF-8 (src/protocol/utf8.ts) as TEXT messages and bodies are read: as
// TextDecoder reads them, and strictly where the protocol needs valid UTF-8.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeUtf8, decodeUtf8Strict } from '../../src/protocol/utf8.js';

const ascii = (length: number) => Array.from({ length }, (_, i) => String.fromCharCode(i % 128)).join('');

describe('decodeUtf8Strict', () => {
  test('ASCII of every length to 300 bytes reads as itself', () => {
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
