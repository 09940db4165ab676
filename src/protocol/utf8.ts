import { isUtf8 } from 'node:buffer';

// UTF-8 as TextDecoder reads it (a leading byte order mark is dropped), with
// Buffer and its validator: the first TextDecoder made costs a visible part
// of a cold start, and these cost no more per call.

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

/** UTF-8 bytes as text, or undefined when they are not valid UTF-8 (a TEXT message must be, RFC 6455 §8.1). */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  return isUtf8(bytes) ? decodeUtf8(bytes) : undefined;
}
