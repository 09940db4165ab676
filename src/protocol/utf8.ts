import { isUtf8 } from 'node:buffer';

// UTF-8 as TextDecoder reads it (a leading byte order mark is dropped), done
// with Buffer and simdutf's validator: making the first TextDecoder is a
// visible part of a cold start, and each call costs more than these. Short
// ASCII, most chat and JSON messages, is read and written by loops instead,
// for the reason lambda/base64.ts gives; only short, since warm the loops
// cost more per byte than Buffer's.

/** Texts up to this many bytes are read as ASCII first. */
export const SHORT_TEXT_BYTES = 32;
/** Texts up to this many characters are written as ASCII first. */
export const SHORT_TEXT_CHARS = 64;

/** The bytes as a Buffer, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Where the text starts: after a leading byte order mark (EF BB BF), as TextDecoder skips it. */
function textStart(bytes: Uint8Array): number {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

/** UTF-8 bytes as text; bytes that are not UTF-8 become U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('utf8', textStart(bytes));
}

/** UTF-8 bytes as text, or undefined when they are not valid UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  return (bytes.length <= SHORT_TEXT_BYTES && asciiText(bytes)) || (isUtf8(bytes) ? decodeUtf8(bytes) : undefined);
}

/** The text of bytes that are all ASCII (so UTF-8, without a byte order mark), else undefined. */
function asciiText(bytes: Uint8Array): string | undefined {
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80) return undefined;
    text += String.fromCharCode(byte);
  }
  return text;
}

/**
 * Writes `text` after `prefix` into a new Buffer when it is short ASCII
 * (one byte per character), else returns undefined: then its UTF-8 length
 * has to be counted first.
 */
export function encodeShortAscii(prefix: Uint8Array, text: string): Buffer | undefined {
  if (text.length > SHORT_TEXT_CHARS) return undefined;
  const out = Buffer.allocUnsafe(prefix.length + text.length);
  out.set(prefix, 0);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return undefined;
    out[prefix.length + i] = code;
  }
  return out;
}
