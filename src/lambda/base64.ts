import { asBuffer } from '../protocol/utf8.js';

// Base64 for Lambda bodies, which front doors carry base64-encoded both ways.
// Most WebSocket-over-HTTP bodies are a few dozen bytes. For those, a loop in
// JavaScript costs less than Buffer's conversion when a request arrives after
// the process has waited: Buffer's path goes through C++, whose code and data
// are out of the CPU caches by then (the echo's time in the handler, through
// Pushpin, is part of `npm run bench`). Longer input goes to Buffer, and so
// does any text that is not canonical base64: Buffer's reading of it is the
// reference, and canonical text decodes the same either way.

// Where each loop stops: warm, the loops cost more per byte than Buffer's
// (encoding most, as it builds its text by concatenation), so only what a
// single message's body takes uses them.

/** Texts up to this many characters are decoded by the loop. */
export const SHORT_BASE64_TEXT = 256;
/** Bytes up to this many are encoded by the loop. */
export const SHORT_BASE64_BYTES = 64;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 0x3d; // '='

/** The six bits of the character at `at`, or -1 for one outside the alphabet (no table: nothing to build at load). */
function sextet(text: string, at: number): number {
  const code = text.charCodeAt(at);
  if (code >= 0x61) return code <= 0x7a ? code - 0x47 : -1; // a-z: 26-51
  if (code >= 0x41) return code <= 0x5a ? code - 0x41 : -1; // A-Z: 0-25
  if (code >= 0x30) return code <= 0x39 ? code + 4 : -1; // 0-9: 52-61
  return code === 0x2b ? 62 : code === 0x2f ? 63 : -1; // + and /
}

/** Decodes base64 (standard alphabet, padded) into a Buffer, as `Buffer.from(text, 'base64')` does. */
export function decodeBase64(text: string): Buffer {
  return (text.length <= SHORT_BASE64_TEXT && decodeCanonical(text)) || Buffer.from(text, 'base64');
}

/** The bytes of canonical base64 (length a multiple of 4, `=` only as padding), or undefined for anything else. */
function decodeCanonical(text: string): Buffer | undefined {
  const length = text.length;
  if (length % 4 !== 0) return undefined;
  const pad = length === 0 || text.charCodeAt(length - 1) !== PAD ? 0 : text.charCodeAt(length - 2) === PAD ? 2 : 1;
  const out = Buffer.allocUnsafe((length / 4) * 3 - pad);
  const whole = length - (pad === 0 ? 0 : 4); // the last group is read apart when padded
  let at = 0;
  for (let i = 0; i < whole; i += 4) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = sextet(text, i + 2);
    const d = sextet(text, i + 3);
    if ((a | b | c | d) < 0) return undefined;
    out[at++] = (a << 2) | (b >> 4);
    out[at++] = ((b & 15) << 4) | (c >> 2);
    out[at++] = ((c & 3) << 6) | d;
  }
  if (pad === 0) return out;
  const a = sextet(text, whole);
  const b = sextet(text, whole + 1);
  if ((a | b) < 0) return undefined;
  out[at++] = (a << 2) | (b >> 4);
  if (pad === 1) {
    const c = sextet(text, whole + 2);
    if (c < 0) return undefined;
    out[at] = ((b & 15) << 4) | (c >> 2);
  }
  return out;
}

/** Encodes bytes as padded base64, as `Buffer#toString('base64')` does. */
export function encodeBase64(bytes: Uint8Array): string {
  if (bytes.length > SHORT_BASE64_BYTES) return asBuffer(bytes).toString('base64');
  let text = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const group = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    text += ALPHABET[group >> 18]! + ALPHABET[(group >> 12) & 63]! + ALPHABET[(group >> 6) & 63]! + ALPHABET[group & 63]!;
  }
  const left = bytes.length - i;
  if (left === 1) {
    const group = bytes[i]! << 16;
    text += `${ALPHABET[group >> 18]!}${ALPHABET[(group >> 12) & 63]!}==`;
  } else if (left === 2) {
    const group = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    text += `${ALPHABET[group >> 18]!}${ALPHABET[(group >> 12) & 63]!}${ALPHABET[(group >> 6) & 63]!}=`;
  }
  return text;
}
