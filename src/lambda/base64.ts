import { asBuffer } from '../protocol/utf8.js';

// Base64 for Lambda bodies, which front doors carry base64-encoded both ways: Buffer's.

/** Decodes base64 into a Buffer, as `Buffer.from(text, 'base64')` reads it. */
export function decodeBase64(text: string): Buffer {
  return Buffer.from(text, 'base64');
}

/** Encodes bytes as padded base64, without copying them first. */
export function encodeBase64(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64');
}
