import { WebSocketEventsDecodeError } from './errors.js';
import { EVENT_TYPES, type WebSocketEvent, type WebSocketEventType } from './events.js';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;

/** 8 hex digits is 4 GiB: more than any request body a proxy or Lambda accepts. */
const MAX_LENGTH_DIGITS = 8;

const TYPE_BYTES: ReadonlyArray<readonly [WebSocketEventType, Uint8Array]> = EVENT_TYPES.map(
  (type) => [type, Buffer.from(type, 'latin1')] as const,
);

function matchType(body: Uint8Array, start: number, end: number): WebSocketEventType | undefined {
  const length = end - start;
  outer: for (const [type, bytes] of TYPE_BYTES) {
    if (bytes.length !== length) continue;
    for (let i = 0; i < length; i++) {
      if (body[start + i] !== bytes[i]) continue outer;
    }
    return type;
  }
  return undefined;
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30; // 0-9
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57; // a-f
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37; // A-F
  return -1;
}

function expectCrlf(body: Uint8Array, at: number, what: string): void {
  if (at >= body.length) {
    throw new WebSocketEventsDecodeError('truncated', at, `body ends before the CRLF after ${what}`);
  }
  if (body[at] !== CR || at + 1 >= body.length || body[at + 1] !== LF) {
    throw new WebSocketEventsDecodeError(
      at + 1 >= body.length && body[at] === CR ? 'truncated' : 'missing-crlf',
      at,
      `expected CRLF after ${what}`,
    );
  }
}

/**
 * Decodes an `application/websocket-events` body in one pass over its bytes.
 * Event content is a view into `body` (no copy): the caller must not reuse
 * the body's memory while the events are in use.
 *
 * @throws WebSocketEventsDecodeError for any malformed body, and nothing else.
 */
export function decodeEvents(body: Uint8Array): WebSocketEvent[] {
  const events: WebSocketEvent[] = [];
  const end = body.length;
  let pos = 0;
  while (pos < end) {
    const typeStart = pos;
    while (pos < end && body[pos] !== SP && body[pos] !== CR) {
      // No type name is longer than 10 bytes; stop early on junk.
      if (pos - typeStart > 10) break;
      pos++;
    }
    const type = matchType(body, typeStart, pos);
    if (type === undefined) {
      if (pos >= end) {
        throw new WebSocketEventsDecodeError('truncated', typeStart, 'body ends inside an event type');
      }
      throw new WebSocketEventsDecodeError('unknown-type', typeStart, 'unknown event type');
    }
    if (pos >= end) {
      throw new WebSocketEventsDecodeError('truncated', pos, `body ends after event type ${type}`);
    }
    if (body[pos] === CR) {
      expectCrlf(body, pos, `${type}`);
      events.push({ type });
      pos += 2;
      continue;
    }
    // body[pos] is SP: a hex content length follows.
    pos++;
    const digitsStart = pos;
    let length = 0;
    while (pos < end && body[pos] !== CR) {
      const digit = hexValue(body[pos]!);
      if (digit < 0) {
        throw new WebSocketEventsDecodeError('bad-length', pos, `content length of ${type} is not hex`);
      }
      if (pos - digitsStart >= MAX_LENGTH_DIGITS) {
        throw new WebSocketEventsDecodeError('bad-length', digitsStart, `content length of ${type} is too large`);
      }
      length = length * 16 + digit;
      pos++;
    }
    if (pos === digitsStart) {
      throw new WebSocketEventsDecodeError(pos >= end ? 'truncated' : 'bad-length', pos, `content length of ${type} is missing`);
    }
    expectCrlf(body, pos, `the content length of ${type}`);
    pos += 2;
    if (length > end - pos) {
      throw new WebSocketEventsDecodeError('truncated', pos, `content of ${type} declares ${length} bytes but ${end - pos} remain`);
    }
    const content = body.subarray(pos, pos + length);
    pos += length;
    expectCrlf(body, pos, `the content of ${type}`);
    pos += 2;
    events.push({ type, content });
  }
  return events;
}

/** Encodes events into one `application/websocket-events` body, sized once and written once. */
export function encodeEvents(events: readonly WebSocketEvent[]): Buffer {
  let size = 0;
  for (const event of events) {
    size += event.type.length + 2;
    if (event.content !== undefined) {
      size += 1 + hexDigits(event.content.length) + event.content.length + 2;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  // Type names and lengths are a few ASCII bytes each: written byte by byte,
  // which costs less than a Buffer#write call each (a call into C++).
  for (const event of events) {
    const { type } = event;
    for (let i = 0; i < type.length; i++) out[pos++] = type.charCodeAt(i);
    if (event.content !== undefined) {
      out[pos++] = SP;
      const length = event.content.length;
      for (let shift = (hexDigits(length) - 1) * 4; shift >= 0; shift -= 4) out[pos++] = HEX_DIGITS.charCodeAt((length >>> shift) & 15);
      out[pos++] = CR;
      out[pos++] = LF;
      out.set(event.content, pos);
      pos += event.content.length;
    }
    out[pos++] = CR;
    out[pos++] = LF;
  }
  return out;
}

const HEX_DIGITS = '0123456789abcdef';

function hexDigits(n: number): number {
  let digits = 1;
  while (n >= 16) {
    n = Math.floor(n / 16);
    digits++;
  }
  return digits;
}
