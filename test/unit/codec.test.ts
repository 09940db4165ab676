// The application/websocket-events codec: exact bytes out, events in, and
// strict errors (code and byte offset) for every malformed body.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeEvents, encodeEvents } from '../../src/protocol/codec.js';
import { WebSocketEventsDecodeError, type DecodeErrorCode } from '../../src/protocol/errors.js';
import { EVENT_TYPES, type WebSocketEvent } from '../../src/protocol/events.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('latin1'));

function decodeError(body: string | Uint8Array): WebSocketEventsDecodeError {
  try {
    decodeEvents(typeof body === 'string' ? bytes(body) : body);
  } catch (error) {
    assert.ok(error instanceof WebSocketEventsDecodeError, `expected WebSocketEventsDecodeError, got ${String(error)}`);
    return error;
  }
  assert.fail(`decoding ${JSON.stringify(typeof body === 'string' ? body : text(body))} did not throw`);
}

function assertDecodeError(body: string, code: DecodeErrorCode, offset: number): void {
  const error = decodeError(body);
  assert.equal(error.code, code, `code for ${JSON.stringify(body)}: ${error.message}`);
  assert.equal(error.offset, offset, `offset for ${JSON.stringify(body)}: ${error.message}`);
  assert.equal(error.name, 'WebSocketEventsDecodeError');
  assert.match(error.message, new RegExp(`at byte ${offset}$`));
}

describe('encodeEvents', () => {
  test('writes every event type without content as TYPE CRLF', () => {
    for (const type of EVENT_TYPES) {
      assert.equal(text(encodeEvents([{ type }])), `${type}\r\n`);
    }
  });

  test('writes every event type with content as TYPE SP hex-length CRLF content CRLF', () => {
    for (const type of EVENT_TYPES) {
      assert.equal(text(encodeEvents([{ type, content: bytes('hello') }])), `${type} 5\r\nhello\r\n`);
    }
  });

  test('empty content is written with length 0, unlike no content', () => {
    assert.equal(text(encodeEvents([{ type: 'TEXT', content: new Uint8Array(0) }])), 'TEXT 0\r\n\r\n');
    assert.equal(text(encodeEvents([{ type: 'TEXT' }])), 'TEXT\r\n');
  });

  test('lengths are lower-case hex, with as many digits as needed', () => {
    assert.equal(text(encodeEvents([{ type: 'BINARY', content: new Uint8Array(26) }]))!.slice(0, 10), 'BINARY 1a\r');
    assert.equal(text(encodeEvents([{ type: 'TEXT', content: new Uint8Array(15) }]))!.slice(0, 8), 'TEXT f\r\n');
    assert.equal(text(encodeEvents([{ type: 'TEXT', content: new Uint8Array(16) }]))!.slice(0, 9), 'TEXT 10\r\n');
    assert.equal(text(encodeEvents([{ type: 'TEXT', content: new Uint8Array(4096) }]))!.slice(0, 11), 'TEXT 1000\r\n');
  });

  test('concatenates several events in order and sizes the buffer exactly', () => {
    const out = encodeEvents([
      { type: 'OPEN' },
      { type: 'TEXT', content: bytes('hi') },
      { type: 'BINARY', content: new Uint8Array([0xff, 0x00, 0x80]) },
      { type: 'CLOSE', content: new Uint8Array([0x03, 0xe8]) },
    ]);
    const expected = Buffer.concat([
      bytes('OPEN\r\nTEXT 2\r\nhi\r\nBINARY 3\r\n'),
      Buffer.from([0xff, 0x00, 0x80]),
      bytes('\r\nCLOSE 2\r\n'),
      Buffer.from([0x03, 0xe8]),
      bytes('\r\n'),
    ]);
    assert.deepEqual(out, expected);
    assert.equal(out.length, expected.length);
  });

  test('no events encode to an empty body', () => {
    assert.equal(encodeEvents([]).length, 0);
  });
});

describe('decodeEvents', () => {
  test('reads every event type, with and without content', () => {
    for (const type of EVENT_TYPES) {
      const [bare, ...restBare] = decodeEvents(bytes(`${type}\r\n`));
      assert.equal(restBare.length, 0);
      assert.deepEqual(bare, { type });
      assert.equal(bare!.content, undefined);
      const [full, ...restFull] = decodeEvents(bytes(`${type} 3\r\nabc\r\n`));
      assert.equal(restFull.length, 0);
      assert.equal(full!.type, type);
      assert.equal(text(full!.content), 'abc');
    }
  });

  test('a body of several events', () => {
    const events = decodeEvents(bytes('OPEN\r\nTEXT 5\r\nhello\r\nPING\r\nPONG 1\r\nx\r\nCLOSE 2\r\n\x03\xe9\r\nDISCONNECT\r\n'));
    assert.deepEqual(
      events.map((e) => [e.type, text(e.content)]),
      [
        ['OPEN', undefined],
        ['TEXT', 'hello'],
        ['PING', undefined],
        ['PONG', 'x'],
        ['CLOSE', '\x03\xe9'],
        ['DISCONNECT', undefined],
      ],
    );
  });

  test('an empty body has no events', () => {
    assert.deepEqual(decodeEvents(new Uint8Array(0)), []);
  });

  test('empty content (length 0) is kept apart from no content', () => {
    const [withEmpty] = decodeEvents(bytes('TEXT 0\r\n\r\n'));
    assert.ok(withEmpty!.content instanceof Uint8Array);
    assert.equal(withEmpty!.content.length, 0);
    const [without] = decodeEvents(bytes('TEXT\r\n'));
    assert.equal(without!.content, undefined);
    assert.ok(!('content' in without!));
  });

  test('content is a view into the body: same ArrayBuffer, right offset, no copy', () => {
    const backing = new ArrayBuffer(64);
    const encoded = bytes('OPEN\r\nTEXT 5\r\nhello\r\nBINARY 2\r\n\x01\x02\r\n');
    const view = new Uint8Array(backing, 8, encoded.length);
    view.set(encoded);
    const [, textEvent, binaryEvent] = decodeEvents(view);
    assert.equal(textEvent!.content!.buffer, backing);
    assert.equal(textEvent!.content!.byteOffset, 8 + 'OPEN\r\nTEXT 5\r\n'.length);
    assert.equal(textEvent!.content!.length, 5);
    assert.equal(binaryEvent!.content!.buffer, backing);
    // Writing through the body shows through the content: it is not a copy.
    view[14] = 'j'.charCodeAt(0);
    assert.equal(text(textEvent!.content), 'jello');
  });

  test('hex lengths in upper and lower case', () => {
    const content = 'abcdefghijklmnopqrstuvwxyz0123'; // 30 bytes = 0x1e
    for (const length of ['1e', '1E', '01e']) {
      const [event] = decodeEvents(bytes(`TEXT ${length}\r\n${content}\r\n`));
      assert.equal(text(event!.content), content, `length ${length}`);
    }
    const ten = '0123456789';
    assert.equal(text(decodeEvents(bytes(`BINARY A\r\n${ten}\r\n`))[0]!.content), ten);
    assert.equal(text(decodeEvents(bytes(`BINARY a\r\n${ten}\r\n`))[0]!.content), ten);
  });

  test('content may hold CR, LF and bytes of any value', () => {
    const content = Buffer.from([0x0d, 0x0a, 0x00, 0xff, 0x80, 0x0d, 0x0a]);
    const body = Buffer.concat([bytes('BINARY 7\r\n'), content, bytes('\r\nTEXT\r\n')]);
    const events = decodeEvents(body);
    assert.equal(events.length, 2);
    assert.deepEqual(Buffer.from(events[0]!.content!), content);
    assert.equal(events[1]!.type, 'TEXT');
  });
});

describe('decodeEvents errors: code and offset', () => {
  test('truncated content', () => {
    assertDecodeError('TEXT 5\r\nhel', 'truncated', 8);
    assertDecodeError('OPEN\r\nBINARY 10\r\n0123456789ABCDE', 'truncated', 17); // 16 declared, 15 there
  });

  test('content not followed by its CRLF', () => {
    assertDecodeError('TEXT 1\r\naXY', 'missing-crlf', 9);
    assertDecodeError('TEXT 1\r\na\nb', 'missing-crlf', 9);
    assertDecodeError('TEXT 1\r\na', 'truncated', 9); // body ends where the CRLF belongs
    assertDecodeError('TEXT 1\r\na\r', 'truncated', 9); // ends between CR and LF
    // Content shorter than declared, followed by the next event: the CRLF is missing after the declared length.
    assertDecodeError('TEXT 3\r\nab\r\nOPEN\r\n', 'missing-crlf', 11);
  });

  test('a length that is not hex', () => {
    assertDecodeError('TEXT 1g\r\nx\r\n', 'bad-length', 6);
    assertDecodeError('TEXT g\r\nx\r\n', 'bad-length', 5);
    assertDecodeError('TEXT 0x1\r\nx\r\n', 'bad-length', 6);
    assertDecodeError('TEXT  1\r\nx\r\n', 'bad-length', 5); // two spaces
    assertDecodeError('TEXT 1 \r\nx\r\n', 'bad-length', 6); // trailing space
    assertDecodeError('OPEN\r\nTEXT 1;ext\r\nx\r\n', 'bad-length', 12);
  });

  test('a negative length', () => {
    assertDecodeError('TEXT -1\r\nx\r\n', 'bad-length', 5);
    assertDecodeError('OPEN\r\nBINARY -1\r\n', 'bad-length', 13);
  });

  test('an absurd length: 9 or more hex digits', () => {
    assertDecodeError('TEXT 123456789\r\nx\r\n', 'bad-length', 5);
    assertDecodeError('TEXT 000000000\r\n\r\n', 'bad-length', 5);
    assertDecodeError(`OPEN\r\nBINARY ${'f'.repeat(40)}\r\n`, 'bad-length', 13);
    // 8 digits is the most allowed: read, then found longer than the body.
    assertDecodeError('TEXT ffffffff\r\nx\r\n', 'truncated', 15);
    assertDecodeError('TEXT 00000001\r\nx\r\n'.slice(0, -3), 'truncated', 15);
    assert.equal(text(decodeEvents(bytes('TEXT 00000001\r\nx\r\n'))[0]!.content), 'x');
  });

  test('a missing length', () => {
    assertDecodeError('TEXT \r\nx\r\n', 'bad-length', 5);
    assertDecodeError('OPEN\r\nTEXT \r\n', 'bad-length', 11);
    assertDecodeError('TEXT ', 'truncated', 5);
  });

  test('a type line not followed by CRLF', () => {
    assertDecodeError('OPEN\rX', 'missing-crlf', 4);
    assertDecodeError('OPEN\r\r\n', 'missing-crlf', 4);
    assertDecodeError('OPEN\r\nPING\rTEXT\r\n', 'missing-crlf', 10);
    assertDecodeError('OPEN\r', 'truncated', 4);
    // After the length:
    assertDecodeError('TEXT 1\rxx\r\n', 'missing-crlf', 6);
    assertDecodeError('TEXT 1\r', 'truncated', 6);
    assertDecodeError('TEXT 1', 'truncated', 6);
  });

  test('an unknown event type', () => {
    assertDecodeError('HELLO\r\n', 'unknown-type', 0);
    assertDecodeError('open\r\n', 'unknown-type', 0); // types are case-sensitive
    assertDecodeError('OPEN\r\nFOO 1\r\nx\r\n', 'unknown-type', 6);
    assertDecodeError('OPENX\r\n', 'unknown-type', 0);
    assertDecodeError('\r\n', 'unknown-type', 0); // an empty line is no event
    assertDecodeError(' 1\r\nx\r\n', 'unknown-type', 0);
    assertDecodeError('TEXT 1\r\nx\r\nDISCONNECTED\r\n', 'unknown-type', 11);
    // Long junk without SP or CR is given up on early, still as an unknown type.
    assertDecodeError('A'.repeat(5000), 'unknown-type', 0);
  });

  test('the body ends inside or right after a type', () => {
    assertDecodeError('TEX', 'truncated', 0);
    assertDecodeError('OPEN\r\nTE', 'truncated', 6);
    assertDecodeError('OPEN', 'truncated', 4);
    assertDecodeError('OPEN\r\nDISCONNECT', 'truncated', 16);
  });

  test('errors are WebSocketEventsDecodeError and Error', () => {
    const error = decodeError('TEXT -1\r\n');
    assert.ok(error instanceof Error);
    assert.equal(error.code, 'bad-length');
  });
});

// ---- Property tests ----

const eventArb: fc.Arbitrary<WebSocketEvent> = fc
  .record({
    type: fc.constantFrom(...EVENT_TYPES),
    content: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: undefined, freq: 3 }),
  })
  .map(({ type, content }) => (content === undefined ? { type } : { type, content }));

const CODES: ReadonlySet<string> = new Set(['unknown-type', 'bad-length', 'truncated', 'missing-crlf']);

/** Decodes, and fails the property on any throw other than a well-formed WebSocketEventsDecodeError. */
function decodeOrDecodeError(body: Uint8Array): WebSocketEvent[] | WebSocketEventsDecodeError {
  try {
    return decodeEvents(body);
  } catch (error) {
    if (!(error instanceof WebSocketEventsDecodeError)) throw new Error(`threw ${String(error)}`, { cause: error });
    if (!CODES.has(error.code)) throw new Error(`unknown code ${error.code}`);
    if (!Number.isInteger(error.offset) || error.offset < 0 || error.offset > body.length) {
      throw new Error(`offset ${error.offset} outside a body of ${body.length} bytes`);
    }
    return error;
  }
}

function sameEvents(actual: readonly WebSocketEvent[], expected: readonly WebSocketEvent[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((event, i) => {
    const want = expected[i]!;
    assert.equal(event.type, want.type);
    if (want.content === undefined) assert.equal(event.content, undefined);
    else assert.deepEqual(Buffer.from(event.content!), Buffer.from(want.content));
  });
}

describe('codec properties', () => {
  test('encode then decode gives the events back (types, contents, none vs empty)', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 20 }), (events) => {
        const body = encodeEvents(events);
        const decoded = decodeEvents(body);
        sameEvents(decoded, events);
        // And decoding is canonical: encoding what was decoded gives the same bytes.
        assert.deepEqual(encodeEvents(decoded), body);
      }),
      { numRuns: 500 },
    );
  });

  test('random bytes decode or throw WebSocketEventsDecodeError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (body) => {
        decodeOrDecodeError(body);
      }),
      { numRuns: 1000 },
    );
  });

  test('bodies made of protocol tokens decode or throw WebSocketEventsDecodeError', () => {
    const token = fc.constantFrom(
      ...EVENT_TYPES,
      ' ',
      '\r\n',
      '\r',
      '\n',
      '0',
      '1',
      '5',
      'a',
      'F',
      '-1',
      'ffffffff',
      '123456789',
      'x',
      '\x00',
      '\xff',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (parts) => {
        const body = bytes(parts.join(''));
        const result = decodeOrDecodeError(body);
        if (Array.isArray(result)) {
          // What decodes re-encodes to something that decodes to the same events.
          sameEvents(decodeEvents(encodeEvents(result)), result);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('mutated valid bodies decode or throw WebSocketEventsDecodeError', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), value: fc.constant(0) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), value: fc.constant(0) }),
    );
    fc.assert(
      fc.property(
        fc.array(eventArb, { minLength: 1, maxLength: 8 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (events, mutations) => {
          let body = Buffer.from(encodeEvents(events));
          for (const m of mutations) {
            const at = body.length === 0 ? 0 : m.at % (body.length + (m.kind === 'insert' ? 1 : 0));
            if (m.kind === 'flip' && body.length > 0) body[at] = m.value;
            else if (m.kind === 'delete' && body.length > 0) body = Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]);
            else if (m.kind === 'insert') body = Buffer.concat([body.subarray(0, at), Buffer.from([m.value]), body.subarray(at)]);
            else if (m.kind === 'truncate') body = body.subarray(0, at);
          }
          decodeOrDecodeError(body);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
