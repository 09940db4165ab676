/**
 * What the fuzzer generates: a symbolic case (plain JSON, so that a failing
 * one prints as a reproducer), and the fast-check arbitraries that make them.
 *
 * An HTTP case describes one request as a GRIP proxy or an attacker could
 * send it, through one of Lambda's front doors; it is rendered into the
 * Lambda event by `render.ts`. Cases start from valid requests of every kind
 * the example functions serve (WebSocket-over-HTTP, publish, streams, page)
 * and are then damaged: bytes of the body, headers, Meta-* values, the event
 * structure itself.
 */
import fc from 'fast-check';

export type Variant = 'open' | 'keyed';
export type Door = 'rest' | 'http' | 'url' | 'alb' | 'alb-mv';
export type BodyEncoding = 'base64' | 'text' | 'bad-base64';
export type SigKind = 'valid' | 'none' | 'empty' | 'expired' | 'wrong-key' | 'wrong-iss' | 'no-exp' | 'alg-none' | 'hs512' | 'garbage';
export type ContextKind = 'lambda' | 'none';

/** Where a structural mutation of the rendered event applies. */
export type FixTarget =
  | 'event'
  | 'requestContext'
  | 'http'
  | 'elb'
  | 'headers'
  | 'multiValueHeaders'
  | 'queryStringParameters'
  | 'multiValueQueryStringParameters'
  | 'pathParameters';

/**
 * A structural mutation: delete or overwrite one property of the event (or
 * of one of its objects). A numeric `key` picks an existing property by
 * index (modulo their count) when the event is rendered; a string names one.
 */
export interface Fix {
  readonly target: FixTarget;
  readonly key: number | string;
  readonly op: 'delete' | 'set';
  readonly value?: unknown;
}

export interface HttpCase {
  readonly kind: 'http';
  readonly variant: Variant;
  readonly context: ContextKind;
  readonly door: Door;
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>> | null;
  readonly query: readonly (readonly [string, string])[];
  readonly headers: readonly (readonly [string, string])[];
  /** Body bytes as a latin1 string (one char per byte), or null for none. */
  readonly body: string | null;
  readonly encoding: BodyEncoding;
  readonly sig: SigKind;
  readonly sigIndex: number;
  /** `Authorization: Bearer` for the publish function (its PUBLISH_TOKEN in the keyed variant). */
  readonly bearer: 'right' | 'wrong' | 'none';
  readonly fixes: readonly Fix[];
  /** Rarely: the whole event is this JSON value instead. */
  readonly replaceEvent?: unknown;
}

export type RelaySource = 'sqs' | 'sqs-fifo' | 'kinesis' | 'dynamodb' | 'kafka';

/** A relay event (SQS, Kinesis, DynamoDB Streams, Kafka) whose record payloads are hostile. */
export interface RelayCase {
  readonly kind: 'relay';
  readonly variant: Variant;
  readonly context: ContextKind;
  readonly source: RelaySource;
  /** Payload bytes as latin1 strings. */
  readonly payloads: readonly string[];
}

export type FuzzCase = HttpCase | RelayCase;

// ---------------------------------------------------------------- strings

const utf8 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/** Strings that break naive header, JSON and log handling. */
const NASTY = [
  '',
  ' ',
  '\r\n',
  '\r',
  '\n',
  '\t',
  '\u0000',
  '\u007f',
  'a\r\nSet-Meta-user: evil',
  'x\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK',
  'evil\nSet-Cookie: a=b',
  'é',
  '日本語',
  '\u2028\u2029',
  '\ud800',
  '\udfff\ud800',
  '\uffff',
  '\u{1f600}',
  '%',
  '%E0%A4%A',
  '%00',
  '%0d%0a',
  '..',
  '../..',
  'a/b',
  '{"type":"subscribe","channel":"x"}',
  'c:{"type":"subscribe","channel":"x"}',
  'm:hello',
  'null',
  '__proto__',
  'constructor',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose
  '${7*7}',
  '<script>alert(1)</script>',
];

const long = fc
  .tuple(fc.constantFrom('a', 'x\r\n', 'é', '\r\n', '0', 'ab cd'), fc.constantFrom(33, 65, 124, 1024, 1025, 4096, 10_240, 70_000))
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

/** Any string, with a strong bias towards trouble. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { withCrossShrink: true },
  { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: long },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 6 })), { minLength: 2, maxLength: 4 })
      .map((parts) => parts.join('')),
  },
);

/** A header value: mostly what a real client sends, sometimes hostile. */
const headerValue = fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 30 }) }, { weight: 2, arbitrary: hostileString });

const token = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,14}$/);

/** Valid channel / room names, and names that are not. */
export const roomName: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '%', '%E0%A4%A', 'a'.repeat(65)) },
  { weight: 1, arbitrary: fc.constantFrom('a'.repeat(64), 'lobby.notices', 'lobby.sse', '%41', '%2F', 'é', 'room%0d%0aX', '.', '-') },
  { weight: 1, arbitrary: hostileString },
);

/** A nickname for `/nick`: valid, or with CRLF, 10 KB, control characters, non-ASCII. */
const nickValue = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,31}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'bob\r\nSet-Meta-user: evil',
      'bob\r\n',
      '\r\nbob',
      'a'.repeat(33),
      'n'.repeat(10_240),
      'é',
      ' ',
      '',
      'bob\u0000',
      'x\ty',
    ),
  },
  { weight: 2, arbitrary: hostileString },
);

/** What a chat client types. */
export const chatText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom('/nick ', '/nick\t', '/nick\r\n', '/nick   ', '/nick', '/NICK ', ' /nick '), nickValue)
      .map(([command, name]) => command + name),
  },
  { weight: 3, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom('c:{"type":"detach"}', 'c:', 'm:', '{"type":"message","nick":"x","text":"y"}') },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('/since ', '/since\t', '/since  '),
        fc.oneof(fc.constantFrom('0-0', '1-1', '99999999999999-0', '0'), hostileString),
      )
      .map(([command, id]) => command + id),
  },
);

// ---------------------------------------------------------------- WebSocket-over-HTTP bodies

interface EventSpec {
  readonly type: string;
  /** latin1 bytes; undefined: written without a length. */
  readonly content?: string;
  readonly upperHex?: boolean;
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b).toString('latin1'));

const closeCode = fc.oneof(
  fc.constantFrom(1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1011, 1015, 0, 999, 1016, 2999, 3000, 4000, 4999, 5000, 65535),
  fc.integer({ min: 0, max: 65535 }),
);

const closeContent = fc.oneof(
  fc.constant(undefined),
  bytes(1),
  fc
    .tuple(closeCode, fc.oneof(fc.constant(''), hostileString.map(utf8), bytes(8)))
    .map(([code, reason]) => String.fromCharCode(code >> 8, code & 0xff) + reason),
);

const eventSpec: fc.Arbitrary<EventSpec> = fc.oneof(
  { weight: 6, arbitrary: chatText.map((text) => ({ type: 'TEXT', content: utf8(text) })) },
  { weight: 1, arbitrary: bytes(12).map((content) => ({ type: 'TEXT', content })) }, // often not UTF-8
  { weight: 2, arbitrary: bytes(24).map((content) => ({ type: 'BINARY', content })) },
  { weight: 1, arbitrary: fc.option(bytes(16), { nil: undefined }).map((content) => ({ type: 'PING', content })) },
  { weight: 1, arbitrary: fc.option(bytes(16), { nil: undefined }).map((content) => ({ type: 'PONG', content })) },
  { weight: 2, arbitrary: closeContent.map((content) => ({ type: 'CLOSE', content })) },
  { weight: 1, arbitrary: fc.constant({ type: 'DISCONNECT' }) },
  { weight: 1, arbitrary: fc.option(fc.constant(''), { nil: undefined }).map((content) => ({ type: 'OPEN', content })) },
);

const eventList = fc
  .tuple(fc.boolean(), fc.array(eventSpec, { maxLength: 6 }), fc.boolean())
  .map(([open, rest, upperHex]) => [...(open ? [{ type: 'OPEN' }] : []), ...rest.map((e) => ({ ...e, upperHex }))]);

function encodeSpec(events: readonly EventSpec[]): string {
  let out = '';
  for (const event of events) {
    out += event.type;
    if (event.content !== undefined) {
      const hex = event.content.length.toString(16);
      out += ` ${event.upperHex === true ? hex.toUpperCase() : hex}\r\n${event.content}`;
    }
    out += '\r\n';
  }
  return out;
}

/** A byte-level mutation; positions are fractions of the body length so they shrink well. */
type ByteOp =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly byte: number }
  | { readonly op: 'insert'; readonly at: number; readonly text: string }
  | { readonly op: 'delete'; readonly at: number; readonly count: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'length'; readonly which: number; readonly to: string }
  | { readonly op: 'duplicate'; readonly at: number; readonly count: number };

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fraction, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    op: fc.constant('set' as const),
    at: fraction,
    byte: fc.constantFrom(0x00, 0x0a, 0x0d, 0x20, 0x30, 0x46, 0x47, 0x7f, 0x80, 0xff),
  }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fraction,
    text: fc.oneof(fc.constantFrom('\r\n', ' ', 'TEXT', 'OPEN\r\n', 'CLOSE 1\r\n', 'f', '0', '-1', '\u0000', 'TEXT 2\r\nhi\r\n'), bytes(4)),
  }),
  fc.record({ op: fc.constant('delete' as const), at: fraction, count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fraction }),
  fc.record({
    op: fc.constant('length' as const),
    which: fc.nat(8),
    to: fc.oneof(
      fc.constantFrom('', '0', 'ffffffff', 'fffffffff', '100000000', '-1', 'g', '1 2', '00000000000000001', 'FFFFFFF', '7fffffff', ' '),
      fc.integer({ min: 0, max: 300 }).map((n) => n.toString(16)),
    ),
  }),
  fc.record({ op: fc.constant('duplicate' as const), at: fraction, count: fc.integer({ min: 1, max: 40 }) }),
);

export function applyByteOps(body: string, ops: readonly ByteOp[]): string {
  let out = body;
  for (const op of ops) {
    const at = 'at' in op ? Math.floor(op.at * (out.length + 1)) : 0;
    switch (op.op) {
      case 'flip':
        if (at < out.length) out = out.slice(0, at) + String.fromCharCode(out.charCodeAt(at) ^ (1 << op.bit)) + out.slice(at + 1);
        break;
      case 'set':
        if (at < out.length) out = out.slice(0, at) + String.fromCharCode(op.byte) + out.slice(at + 1);
        break;
      case 'insert':
        out = out.slice(0, at) + op.text + out.slice(at);
        break;
      case 'delete':
        out = out.slice(0, at) + out.slice(at + op.count);
        break;
      case 'truncate':
        out = out.slice(0, at);
        break;
      case 'duplicate':
        out = out.slice(0, at) + out.slice(at, at + op.count) + out.slice(at);
        break;
      case 'length': {
        const lengths = [...out.matchAll(/[A-Z]+ ([0-9A-Fa-f]+)\r\n/g)];
        const match = lengths.length > 0 ? lengths[op.which % lengths.length] : undefined;
        if (match?.index !== undefined) {
          const start = match.index + match[0].indexOf(' ') + 1;
          out = out.slice(0, start) + op.to + out.slice(start + match[1]!.length);
        }
        break;
      }
    }
  }
  return out;
}

/** A WebSocket-over-HTTP body: valid events, damaged half of the time. */
export const webSocketBody: fc.Arbitrary<string> = fc
  .tuple(
    eventList,
    fc.oneof(
      { withCrossShrink: true },
      { weight: 1, arbitrary: fc.constant([] as ByteOp[]) },
      { weight: 1, arbitrary: fc.array(byteOp, { minLength: 1, maxLength: 3 }) },
    ),
  )
  .map(([events, ops]) => applyByteOps(encodeSpec(events), ops));

/** A publish function body: valid JSON of the right shape, the wrong shape, or not JSON at all. */
export const publishBody: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 4, arbitrary: hostileString.map((message) => JSON.stringify({ message })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((message) => JSON.stringify({ message })) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: hostileString },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        '{',
        '{"message": "a',
        '{"message": "\\ud800"}',
        '{"message": "x", "message": 5}',
        '{"__proto__": {"message": "x"}}',
        '{"message": "x"}garbage',
        '\ufeff{"message": "bom"}',
        '['.repeat(20_000),
        `{"message": "${'x'.repeat(200_000)}"}`,
        'null',
        '"message"',
      ),
    },
    {
      weight: 1,
      arbitrary: hostileString
        .map((message) => JSON.stringify({ message }))
        .chain((json) => fc.nat(json.length).map((cut) => json.slice(0, cut))),
    },
  )
  .map(utf8);

// ---------------------------------------------------------------- requests

const connectionId = fc.oneof({ weight: 8, arbitrary: fc.stringMatching(/^[0-9a-f]{8,16}$/) }, { weight: 2, arbitrary: hostileString });

const metaHeader = fc.tuple(
  fc.oneof(
    fc.constantFrom('meta-nick', 'meta-user', 'Meta-Nick', 'META-USER', 'meta-', 'meta-x y', 'meta-é'),
    token.map((t) => `meta-${t}`),
  ),
  fc.oneof({ weight: 1, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,16}$/) }, { weight: 2, arbitrary: hostileString }),
);

const extraHeader = fc.oneof(
  { weight: 3, arbitrary: metaHeader },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constantFrom(
        'content-type',
        'Content-Type',
        'connection-id',
        'Connection-Id',
        'sec-websocket-protocol',
        'grip-sig',
        'grip-last',
        'last-event-id',
        'accept',
        'cookie',
        'authorization',
        'host',
        'x-forwarded-for',
        'content-length',
        'transfer-encoding',
      ),
      headerValue,
    ),
  },
  { weight: 2, arbitrary: fc.tuple(fc.oneof(token, hostileString), headerValue) },
  { weight: 1, arbitrary: fc.tuple(token, long) },
);

const contentTypeWs = fc.oneof(
  { weight: 10, arbitrary: fc.constant('application/websocket-events') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/websocket-events; charset=utf-8',
      'Application/WebSocket-Events',
      ' application/websocket-events ',
      'application/websocket-events\r\nX: y',
      'application/websocket',
      'text/plain',
      '',
      ';',
    ),
  },
);

type Profile = 'chat' | 'echo' | 'subscribe' | 'publish' | 'stream' | 'sse' | 'poll' | 'page' | 'random';

const methodArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('GET', 'POST') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'post',
      'PUT',
      'DELETE',
      'OPTIONS',
      'HEAD',
      'PATCH',
      'CONNECT',
      'TRACE',
      '',
      ' POST',
      'POST\r\nX: y',
      'GET /x HTTP/1.1',
      'M'.repeat(5000),
      'PÖST',
    ),
  },
  { weight: 1, arbitrary: hostileString },
);

const queryPair = fc.oneof(
  fc.tuple(
    fc.constantFrom('last-id', 'timeout', 'lastEventId', 'recover'),
    fc.oneof(fc.constantFrom('1', '0', '-5', '60', '1e309', 'NaN', 'abc', '0-0', '1-1', '99999999999999-0', ''), hostileString),
  ),
  fc.tuple(fc.oneof(token, hostileString), hostileString),
);

/** The path segment as a client would escape it; a lone surrogate cannot be, so it goes raw. */
function escapePath(segment: string): string {
  try {
    return encodeURIComponent(segment);
  } catch {
    return segment;
  }
}

interface ProfileParts {
  readonly method: string;
  readonly path: string;
  readonly params: Record<string, string> | null;
  readonly headers: (readonly [string, string])[];
  readonly body: string | null;
  readonly encoding: BodyEncoding;
}

function profileParts(profile: Profile): fc.Arbitrary<ProfileParts> {
  const routed = (name: string) =>
    fc.tuple(roomName, fc.constantFrom('room', 'channel', 'both', 'none'), fc.boolean()).map(([room, key, raw]) => ({
      path: `/${name}/${raw ? room : escapePath(room)}`,
      params: key === 'none' ? null : key === 'both' ? { room, channel: room } : { [key]: room },
    }));
  switch (profile) {
    case 'chat':
    case 'echo':
    case 'subscribe':
      return fc
        .record({
          where: profile === 'echo' ? fc.constant({ path: '/echo', params: null }) : routed(profile),
          method: fc.oneof({ weight: 9, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: methodArb }),
          contentType: contentTypeWs,
          id: connectionId,
          body: webSocketBody,
          encoding: fc.constantFrom<BodyEncoding>('base64', 'base64', 'base64', 'text', 'bad-base64'),
        })
        .map(({ where, method, contentType, id, body, encoding }) => ({
          method,
          path: where.path,
          params: where.params,
          headers: [
            ['Content-Type', contentType],
            ['Connection-Id', id],
          ],
          body,
          encoding,
        }));
    case 'publish':
      return fc
        .record({
          where: routed('publish'),
          method: methodArb,
          body: publishBody,
          encoding: fc.constantFrom<BodyEncoding>('text', 'text', 'base64', 'bad-base64'),
        })
        .map(({ where, method, body, encoding }) => ({
          method: method === 'GET' ? 'POST' : method,
          path: where.path,
          params: where.params,
          headers: [['content-type', 'application/json']],
          body,
          encoding,
        }));
    case 'stream':
    case 'sse':
    case 'poll':
      return fc.record({ where: routed(profile), method: methodArb }).map(({ where, method }) => ({
        method: method === 'POST' ? 'GET' : method,
        path: where.path,
        params: where.params,
        headers: [['accept', profile === 'sse' ? 'text/event-stream' : '*/*']],
        body: null,
        encoding: 'text' as const,
      }));
    case 'page':
      return fc.constant({ method: 'GET', path: '/', params: null, headers: [], body: null, encoding: 'text' as const });
    case 'random':
      return fc.record({
        method: methodArb,
        path: fc.oneof(
          fc.constantFrom('/', '/chat/', '/chat', '//chat//x', '/chat/a/b', '/%', '/chat/%E0%A4%A', '', 'chat/x'),
          hostileString.map((s) => `/${s}`),
        ),
        params: fc.option(fc.dictionary(fc.constantFrom('room', 'channel', 'proxy+'), hostileString, { maxKeys: 2 }), { nil: null }),
        headers: fc.array(fc.tuple(fc.constantFrom('content-type', 'connection-id'), headerValue), { maxLength: 2 }),
        body: fc.option(fc.oneof(webSocketBody, publishBody, bytes(64)), { nil: null }),
        encoding: fc.constantFrom<BodyEncoding>('base64', 'text', 'bad-base64'),
      });
  }
}

const profile = fc.constantFrom<Profile>(
  'chat',
  'chat',
  'chat',
  'echo',
  'echo',
  'subscribe',
  'publish',
  'publish',
  'stream',
  'sse',
  'poll',
  'page',
  'random',
);

const sigKind = fc.oneof(
  { weight: 16, arbitrary: fc.constant<SigKind>('valid') },
  {
    weight: 3,
    arbitrary: fc.constantFrom<SigKind>('none', 'empty', 'expired', 'wrong-key', 'wrong-iss', 'no-exp', 'alg-none', 'hs512', 'garbage'),
  },
);

const jsonJunk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, '', 'x', [], {}, [[1, 2, 3]], ['a'], { length: 1 }, { '0': 'x' }, 'GET', '2.0'),
  fc.jsonValue({ maxDepth: 2 }),
);

const fixArb: fc.Arbitrary<Fix> = fc.record({
  target: fc.constantFrom<FixTarget>(
    'event',
    'event',
    'event',
    'requestContext',
    'http',
    'elb',
    'headers',
    'multiValueHeaders',
    'queryStringParameters',
    'multiValueQueryStringParameters',
    'pathParameters',
  ),
  key: fc.oneof(
    fc.nat(40),
    fc.constantFrom(
      'body',
      'headers',
      'multiValueHeaders',
      'isBase64Encoded',
      'version',
      'rawPath',
      'rawQueryString',
      'cookies',
      'httpMethod',
      'path',
      'requestContext',
      'queryStringParameters',
      'multiValueQueryStringParameters',
      'pathParameters',
      'method',
      'domainName',
      'content-type',
      'connection-id',
      'grip-sig',
    ),
  ),
  op: fc.constantFrom<'delete' | 'set'>('delete', 'set', 'set'),
  value: jsonJunk,
});

export const httpCase: fc.Arbitrary<HttpCase> = fc
  .record({
    variant: fc.constantFrom<Variant>('open', 'keyed'),
    context: fc.constantFrom<ContextKind>('lambda', 'lambda', 'none'),
    door: fc.constantFrom<Door>('rest', 'http', 'http', 'url', 'alb', 'alb-mv'),
    parts: profile.chain(profileParts),
    meta: fc.oneof(
      { withCrossShrink: true },
      { weight: 2, arbitrary: fc.constant([] as (readonly [string, string])[]) },
      { weight: 3, arbitrary: fc.array(extraHeader, { minLength: 1, maxLength: 4 }) },
    ),
    many: fc.oneof(
      { withCrossShrink: true },
      { weight: 20, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.constantFrom(100, 500) },
    ),
    query: fc.array(queryPair, { maxLength: 3 }),
    sig: sigKind,
    sigIndex: fc.nat(63),
    bearer: fc.constantFrom<'right' | 'wrong' | 'none'>('right', 'right', 'right', 'wrong', 'none'),
    fixes: fc.oneof(
      { withCrossShrink: true },
      { weight: 5, arbitrary: fc.constant([] as Fix[]) },
      { weight: 2, arbitrary: fc.array(fixArb, { minLength: 1, maxLength: 3 }) },
    ),
    replace: fc.oneof({ withCrossShrink: true }, { weight: 60, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: jsonJunk }),
  })
  .map(({ variant, context, door, parts, meta, many, query, sig, sigIndex, bearer, fixes, replace }) => {
    const headers: (readonly [string, string])[] = [...parts.headers, ...meta];
    for (let i = 0; i < many; i++) headers.push([`x-many-${i}`, 'v'.repeat(100)]);
    return {
      kind: 'http' as const,
      variant,
      context,
      door,
      method: parts.method,
      path: parts.path,
      params: parts.params,
      query,
      headers,
      body: parts.body,
      encoding: parts.encoding,
      sig,
      sigIndex,
      bearer,
      fixes,
      ...(replace !== undefined ? { replaceEvent: replace } : {}),
    };
  });

/** A record payload for the relay: `{"channel", "message"}` with hostile values, other JSON, or not JSON. */
const relayPayload = fc
  .oneof(
    { weight: 4, arbitrary: fc.record({ channel: roomName, message: hostileString }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.record({ channel: jsonJunk, message: jsonJunk }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) },
    { weight: 1, arbitrary: hostileString },
  )
  .map(utf8);

export const relayCase: fc.Arbitrary<RelayCase> = fc.record({
  kind: fc.constant('relay' as const),
  variant: fc.constantFrom<Variant>('open', 'keyed'),
  context: fc.constantFrom<ContextKind>('lambda', 'none'),
  source: fc.constantFrom<RelaySource>('sqs', 'sqs-fifo', 'kinesis', 'dynamodb', 'kafka'),
  payloads: fc.array(fc.oneof({ weight: 5, arbitrary: relayPayload }, { weight: 1, arbitrary: bytes(16) }), { minLength: 1, maxLength: 5 }),
});

/** Every case: mostly HTTP requests, some relay events (each goes to every function). */
export const fuzzCase: fc.Arbitrary<FuzzCase> = fc.oneof({ weight: 9, arbitrary: httpCase }, { weight: 1, arbitrary: relayCase });
