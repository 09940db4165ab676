// functions/echo.ts end to end, in process, through every front door
// fixture; then bad and hostile input, Grip-Sig checks, and failures in user code.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import * as jose from 'jose';
import type { LambdaHttpEvent, LambdaHttpResult } from '../../src/lambda/types.js';
import type { GripEnv } from '../../src/config.js';
import { websocket, type WebSocketHandlers } from '../../src/websocket/handler.js';
import { getWebSocketContext, webSocketResult } from '../../src/websocket/handler.js';
import { createGate } from '../../src/lambda/gate.js';
import {
  asLambdaEvent,
  closeContent,
  ev,
  FIXTURES,
  loadEvent,
  readResult,
  removeHeader,
  resultEvents,
  setBody,
  setHeader,
  setMethod,
  signGripSig,
  summarize,
  wsEvent,
  type Fixture,
} from '../support/lambda-events.js';

// echo.ts reads process.env when it is loaded (and its verify key on the first request): no key here.
for (const name of ['GRIP_URL', 'GRIP_VERIFY_KEY', 'GRIP_VERIFY_ISS', 'GRIP_PREFIX']) delete process.env[name];
const { handler: echo } = await import('../../functions/echo.js');

const NOT_UTF8 = new Uint8Array([0xff, 0x00, 0x80, 0xfe, 0x0d, 0x0a, 0xc3, 0x28]);
const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

/** Silences the warnings the toolkit prints (no verify key, REST text bodies) and returns the mock. */
function quiet(t: TestContext) {
  return t.mock.method(console, 'warn', () => {});
}

async function call(handler: (event: LambdaHttpEvent) => Promise<LambdaHttpResult>, event: unknown) {
  return readResult(await handler(event as LambdaHttpEvent));
}

function assertWebSocketAnswer(fixture: Fixture, result: ReturnType<typeof readResult>): void {
  assert.equal(result.status, 200, `status, body ${result.body.toString('utf8')}`);
  assert.equal(result.headers.get('content-type'), 'application/websocket-events');
  assert.equal(result.isBase64Encoded, fixture.base64, 'base64 answer exactly when the front door allows it');
  if (fixture.headerStyle === 'alb-multi') assert.ok(result.raw.multiValueHeaders !== undefined && result.raw.headers === undefined);
  if (fixture.frontDoor === 'alb') assert.equal(result.raw.statusDescription, '200 OK');
}

/** A 400 with a one-line reason, as text. */
function assertBadRequest(result: ReturnType<typeof readResult>, reason: RegExp): void {
  assert.equal(result.status, 400, `body ${result.body.toString('utf8')}`);
  assert.equal(result.isBase64Encoded ?? false, false);
  const text = result.body.toString('utf8');
  assert.match(text, /^[^\n]+\n$/, `one line: ${JSON.stringify(text)}`);
  assert.match(text, reason);
  assert.match(result.headers.get('content-type') ?? '', /^text\/plain/);
}

/** Handlers that record every call, to show user code does not run. */
function spyHandlers() {
  const calls: string[] = [];
  const handlers: WebSocketHandlers = {
    onOpen: () => void calls.push('open'),
    onMessage: () => void calls.push('message'),
    onClose: () => void calls.push('close'),
  };
  return { calls, handler: websocket(handlers, { env: {} }) };
}

for (const fixture of FIXTURES) {
  describe(`echo through ${fixture.name}`, () => {
    test('OPEN is answered with OPEN and the grip extension', async (t) => {
      quiet(t);
      const result = await call(echo, wsEvent(fixture, [ev('OPEN')]));
      assertWebSocketAnswer(fixture, result);
      assert.equal(result.headers.get('sec-websocket-extensions'), 'grip');
      assert.deepEqual(summarize(resultEvents(result.raw)), [['OPEN', null]]);
    });

    test('the fixture body itself (OPEN) is answered', async (t) => {
      quiet(t);
      const result = await call(echo, loadEvent(fixture));
      assertWebSocketAnswer(fixture, result);
      assert.deepEqual(summarize(resultEvents(result.raw)), [['OPEN', null]]);
    });

    test('TEXT is echoed with the m: prefix', async (t) => {
      quiet(t);
      const result = await call(echo, wsEvent(fixture, [ev('TEXT', 'hello ✓ wörld')]));
      assertWebSocketAnswer(fixture, result);
      const [event, ...rest] = resultEvents(result.raw);
      assert.equal(rest.length, 0);
      assert.equal(event!.type, 'TEXT');
      assert.equal(Buffer.from(event!.content!).toString('utf8'), 'm:hello ✓ wörld');
      assert.equal(result.headers.get('sec-websocket-extensions'), undefined);
    });

    if (fixture.base64) {
      test('BINARY that is not UTF-8 is echoed byte-exact', async (t) => {
        quiet(t);
        const result = await call(echo, wsEvent(fixture, [ev('BINARY', NOT_UTF8)]));
        assertWebSocketAnswer(fixture, result);
        const [event, ...rest] = resultEvents(result.raw);
        assert.equal(rest.length, 0);
        assert.equal(event!.type, 'BINARY');
        assert.deepEqual([...event!.content!], [0x6d, 0x3a, ...NOT_UTF8]);
      });
    } else {
      test('BINARY of UTF-8 bytes survives text bodies, answered as text', async (t) => {
        quiet(t);
        const bytes = Buffer.from('bïnary', 'utf8');
        const result = await call(echo, wsEvent(fixture, [ev('BINARY', bytes)]));
        assertWebSocketAnswer(fixture, result);
        assert.equal(typeof result.raw.body, 'string');
        const [event] = resultEvents(result.raw);
        assert.equal(event!.type, 'BINARY');
        assert.deepEqual(Buffer.from(event!.content!), Buffer.concat([Buffer.from('m:'), bytes]));
      });
    }

    test('OPEN and messages in one request are answered in order', async (t) => {
      quiet(t);
      const result = await call(echo, wsEvent(fixture, [ev('OPEN'), ev('TEXT', 'a'), ev('PING', 'p'), ev('TEXT', 'b')]));
      assertWebSocketAnswer(fixture, result);
      assert.deepEqual(summarize(resultEvents(result.raw)), [
        ['OPEN', null],
        ['TEXT', 'm:a'],
        ['PONG', 'p'],
        ['TEXT', 'm:b'],
      ]);
    });

    test("the client's close code is echoed", async (t) => {
      quiet(t);
      // Text bodies carry UTF-8 only: 1000-1014 (low byte 0xe8-0xf6) cannot cross a REST API
      // without binary media types in either direction, so that fixture uses 3072 (0x0c00).
      const [code, wire] = fixture.base64 ? [1001, '\x03\xe9'] : [3072, '\x0c\x00'];
      const result = await call(echo, wsEvent(fixture, [ev('CLOSE', closeContent(code, 'bye'))]));
      assertWebSocketAnswer(fixture, result);
      assert.deepEqual(summarize(resultEvents(result.raw)), [['CLOSE', wire]]);
    });

    test('a PING alone gets its PONG', async (t) => {
      quiet(t);
      const result = await call(echo, wsEvent(fixture, [ev('PING', 'are you there')]));
      assertWebSocketAnswer(fixture, result);
      assert.deepEqual(summarize(resultEvents(result.raw)), [['PONG', 'are you there']]);
    });

    test('DISCONNECT is answered with nothing', async (t) => {
      quiet(t);
      const result = await call(echo, wsEvent(fixture, [ev('DISCONNECT')]));
      assertWebSocketAnswer(fixture, result);
      assert.deepEqual(resultEvents(result.raw), []);
    });

    test('Content-Type parameters are allowed', async (t) => {
      quiet(t);
      const result = await call(echo, wsEvent(fixture, [ev('OPEN')], { 'Content-Type': 'Application/WebSocket-Events; charset=utf-8' }));
      assertWebSocketAnswer(fixture, result);
    });

    describe('bad input: 400, one line, user code not called', () => {
      const cases: [string, () => unknown, RegExp][] = [
        ['a GET request', () => setMethod(wsEvent(fixture, [ev('OPEN')]), 'GET'), /POSTs, not "GET"/],
        ['a wrong content type', () => wsEvent(fixture, [ev('OPEN')], { 'Content-Type': 'text/plain' }), /Content-Type must be application\/websocket-events/],
        ['no content type', () => removeHeader(wsEvent(fixture, [ev('OPEN')]), 'Content-Type'), /Content-Type must be/],
        ['a missing Connection-Id', () => removeHeader(wsEvent(fixture, [ev('OPEN')]), 'Connection-Id'), /missing Connection-Id header/],
        ['an empty Connection-Id', () => wsEvent(fixture, [ev('OPEN')], { 'Connection-Id': '' }), /missing Connection-Id header/],
        ['a Connection-Id with a space', () => wsEvent(fixture, [ev('OPEN')], { 'Connection-Id': 'a b' }), /malformed Connection-Id/],
        ['two Connection-Ids joined', () => wsEvent(fixture, [ev('OPEN')], { 'Connection-Id': 'a,b' }), /malformed Connection-Id/],
        ['a truncated body', () => setBody(loadEvent(fixture), 'TEXT 5\r\nhel'), /malformed WebSocket events: .*at byte 8/],
        ['a length that is not hex', () => setBody(loadEvent(fixture), 'TEXT zz\r\nhi\r\n'), /malformed WebSocket events: .*not hex at byte 5/],
        ['an unknown event type', () => setBody(loadEvent(fixture), 'OPEN\r\nHELLO\r\n'), /malformed WebSocket events: unknown event type at byte 6/],
        ['a huge declared length', () => setBody(loadEvent(fixture), 'OPEN\r\nTEXT ffffffff\r\nx\r\n'), /malformed WebSocket events: .*4294967295 bytes/],
        ['an absurd length', () => setBody(loadEvent(fixture), `TEXT ${'9'.repeat(400)}\r\n`), /too large/],
        ['a body that is a number', () => Object.assign(loadEvent(fixture), { body: 12345 }), /event body is not a string/],
        ['a body that is an object', () => Object.assign(loadEvent(fixture), { body: { events: [] } }), /event body is not a string/],
      ];
      for (const [name, make, reason] of cases) {
        test(name, async (t) => {
          quiet(t);
          const echoed = await call(echo, make());
          assertBadRequest(echoed, reason);
          if (fixture.frontDoor === 'alb') assert.equal(echoed.raw.statusDescription, '400 Bad Request');
          const spy = spyHandlers();
          assertBadRequest(await call(spy.handler, make()), reason);
          assert.deepEqual(spy.calls, []);
        });
      }

      test('binary garbage', async (t) => {
        quiet(t);
        // Deterministic garbage: a linear congruential sequence, high bit set in the first byte.
        const garbage = new Uint8Array(4096);
        let x = 12345;
        for (let i = 0; i < garbage.length; i++) garbage[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
        garbage[0] = 0xfe;
        const spy = spyHandlers();
        for (const handler of [echo, spy.handler]) {
          assertBadRequest(await call(handler, setBody(loadEvent(fixture), garbage)), /malformed WebSocket events/);
        }
        assert.deepEqual(spy.calls, []);
      });
    });
  });
}

describe('events that are no front door', () => {
  for (const [name, event] of [
    ['null', null],
    ['a number', 7],
    ['a string', 'OPEN\r\n'],
    ['an array', [{}]],
    ['an object without requestContext', { httpMethod: 'POST', path: '/', body: 'OPEN\r\n' }],
    ['an SQS batch', { Records: [{ eventSource: 'aws:sqs', body: '{}' }] }],
  ] as const) {
    test(`${name} → 400, user code not called`, async (t) => {
      quiet(t);
      const spy = spyHandlers();
      for (const handler of [echo, spy.handler]) {
        const result = await call(handler, event);
        assertBadRequest(result, /not a Lambda HTTP event|unrecognised|no requestContext/);
      }
      assert.deepEqual(spy.calls, []);
    });
  }

  test('payload 2.0 with a rawQueryString that is not a string → 400', async (t) => {
    quiet(t);
    const event = wsEvent(FIXTURES[2]!, [ev('OPEN')]) as unknown as Record<string, unknown>;
    event.rawQueryString = { a: 1 };
    const spy = spyHandlers();
    assertBadRequest(await call(spy.handler, event), /malformed event/);
    assert.deepEqual(spy.calls, []);
  });
});

describe('dispatch to user code', () => {
  const fixture = FIXTURES[2]!; // HTTP API

  test('onOpen, onMessage for each message, onClose with the close, in order', async (t) => {
    quiet(t);
    const seen: string[] = [];
    const handler = websocket(
      {
        onOpen: (ctx) => void seen.push(`open ${ctx.id}`),
        onMessage: (_ctx, m) => void seen.push(`${m.type} ${m.type === 'text' ? m.data : latin1(m.data)}`),
        onClose: (_ctx, close) => void seen.push(`close ${close.code} ${close.reason} ${close.clean}`),
      },
      { env: {} },
    );
    const result = await call(
      handler,
      wsEvent(fixture, [ev('OPEN'), ev('TEXT', 'a'), ev('BINARY', new Uint8Array([0xff])), ev('CLOSE', closeContent(4000, 'done'))]),
    );
    assert.equal(result.status, 200);
    assert.deepEqual(summarize(resultEvents(result.raw)), [
      ['OPEN', null],
      ['CLOSE', '\x0f\xa0'],
    ]);
    assert.deepEqual(seen, [`open ${fixture.connectionId}`, 'text a', 'binary \xff', 'close 4000 done true']);
  });

  test('onOpen rejecting: the status and body, and no onMessage', async (t) => {
    quiet(t);
    const calls: string[] = [];
    const handler = websocket(
      {
        onOpen: (ctx) => ctx.reject(403, 'not you'),
        onMessage: () => void calls.push('message'),
      },
      { env: {} },
    );
    const result = await call(handler, wsEvent(fixture, [ev('OPEN'), ev('TEXT', 'x')]));
    assert.equal(result.status, 403);
    assert.equal(result.body.toString('utf8'), 'not you');
    assert.deepEqual(calls, []);
  });

  test('invalid UTF-8 in TEXT: closed with 1007, a warning, onMessage not called for it', async (t) => {
    const warn = quiet(t);
    const calls: string[] = [];
    const handler = websocket({ onMessage: (_ctx, m) => void calls.push(m.type) }, { env: {} });
    const result = await call(handler, wsEvent(fixture, [ev('TEXT', new Uint8Array([0xc3, 0x28]))]));
    assert.equal(result.status, 200);
    assert.deepEqual(summarize(resultEvents(result.raw)), [['CLOSE', '\x03\xefinvalid UTF-8']]);
    assert.deepEqual(calls, []);
    assert.ok(warn.mock.calls.some((c) => /closed with 1007/.test(String(c.arguments[0]))));
  });

  test('onMessage throwing: 200 with CLOSE 1011, and console.error names the connection', async (t) => {
    quiet(t);
    const error = t.mock.method(console, 'error', () => {});
    const handler = websocket(
      {
        onMessage: () => {
          throw new Error('boom');
        },
      },
      { env: {} },
    );
    const result = await call(handler, wsEvent(fixture, [ev('TEXT', 'hi'), ev('TEXT', 'never handled')]));
    assert.equal(result.status, 200);
    assert.deepEqual(summarize(resultEvents(result.raw)), [['CLOSE', '\x03\xf3internal error']]);
    assert.equal(error.mock.callCount(), 1);
    const logged = String(error.mock.calls[0]!.arguments[0]);
    assert.ok(logged.includes(fixture.connectionId), logged);
    assert.match(logged, /onMessage/);
    assert.match(logged, /boom/);
  });

  test('onMessage rejecting asynchronously, with a non-Error: CLOSE 1011', async (t) => {
    quiet(t);
    const error = t.mock.method(console, 'error', () => {});
    const handler = websocket(
      {
        onMessage: async (ctx) => {
          ctx.send('partial');
          await new Promise((resolve) => setTimeout(resolve, 1));
          throw 'a string'; // eslint-disable-line no-throw-literal
        },
      },
      { env: {} },
    );
    const result = await call(handler, wsEvent(fixture, [ev('TEXT', 'hi')]));
    assert.equal(result.status, 200);
    assert.deepEqual(summarize(resultEvents(result.raw)), [
      ['TEXT', 'm:partial'],
      ['CLOSE', '\x03\xf3internal error'],
    ]);
    assert.match(String(error.mock.calls[0]!.arguments[0]), /a string/);
  });

  test('onOpen throwing: OPEN then CLOSE 1011', async (t) => {
    quiet(t);
    const error = t.mock.method(console, 'error', () => {});
    const handler = websocket(
      {
        onOpen: () => {
          throw new TypeError('bad open');
        },
      },
      { env: {} },
    );
    const result = await call(handler, wsEvent(fixture, [ev('OPEN')]));
    assert.equal(result.status, 200);
    assert.equal(result.headers.get('sec-websocket-extensions'), 'grip');
    assert.deepEqual(summarize(resultEvents(result.raw)), [
      ['OPEN', null],
      ['CLOSE', '\x03\xf3internal error'],
    ]);
    const logged = String(error.mock.calls[0]!.arguments[0]);
    assert.ok(logged.includes(fixture.connectionId));
    assert.match(logged, /onOpen/);
  });

  test('onClose throwing: CLOSE 1011 instead of the echo', async (t) => {
    quiet(t);
    const error = t.mock.method(console, 'error', () => {});
    const handler = websocket(
      {
        onClose: () => {
          throw new Error('cleanup failed');
        },
      },
      { env: {} },
    );
    const result = await call(handler, wsEvent(fixture, [ev('CLOSE', closeContent(1000))]));
    assert.deepEqual(summarize(resultEvents(result.raw)), [['CLOSE', '\x03\xf3internal error']]);
    assert.match(String(error.mock.calls[0]!.arguments[0]), /onClose/);
  });

  test('onClose throwing after DISCONNECT: nothing sent', async (t) => {
    quiet(t);
    t.mock.method(console, 'error', () => {});
    const handler = websocket(
      {
        onClose: () => {
          throw new Error('cleanup failed');
        },
      },
      { env: {} },
    );
    const result = await call(handler, wsEvent(fixture, [ev('DISCONNECT')]));
    assert.equal(result.status, 200);
    assert.deepEqual(resultEvents(result.raw), []);
  });

  test('GRIP_PREFIX is applied to subscriptions', async (t) => {
    quiet(t);
    const handler = websocket({ onOpen: (ctx) => ctx.subscribe('room') }, { env: { GRIP_PREFIX: 'p-' } });
    const result = await call(handler, wsEvent(fixture, [ev('OPEN')]));
    assert.deepEqual(summarize(resultEvents(result.raw)), [
      ['OPEN', null],
      ['TEXT', 'c:{"type":"subscribe","channel":"p-room"}'],
    ]);
  });

  test('getWebSocketContext and webSocketResult, driven by hand', async (t) => {
    quiet(t);
    const gate = createGate({ env: {} });
    const event = wsEvent(FIXTURES[5]!, [ev('OPEN'), ev('TEXT', 'x')]);
    const ctx = await getWebSocketContext(asLambdaEvent(event), gate);
    assert.equal(ctx.id, FIXTURES[5]!.connectionId);
    assert.deepEqual(ctx.recv(), { type: 'text', data: 'x' });
    ctx.send('y');
    const result = readResult(webSocketResult(ctx, asLambdaEvent(event)));
    assert.ok(result.raw.multiValueHeaders !== undefined);
    assert.deepEqual(summarize(resultEvents(result.raw)), [
      ['OPEN', null],
      ['TEXT', 'm:y'],
    ]);
  });
});

describe('Grip-Sig', () => {
  const echoHandlers: WebSocketHandlers = { onMessage: (ctx, m) => ctx.send(m.data) };
  const SHARED: GripEnv = { GRIP_URL: 'http://localhost:5561?iss=pushpin&key=changeme' };
  const open = (fixture: Fixture, gripSig?: string) => wsEvent(fixture, [ev('OPEN')], gripSig === undefined ? {} : { 'Grip-Sig': gripSig });
  const fixture = FIXTURES[2]!;

  function assertUnauthorized(result: ReturnType<typeof readResult>, reason: RegExp): void {
    assert.equal(result.status, 401, result.body.toString('utf8'));
    const text = result.body.toString('utf8');
    assert.match(text, /^[^\n]+\n$/);
    assert.match(text, reason);
  }

  test('unsigned request with a shared key configured → 401, user code not called', async () => {
    const calls: string[] = [];
    const handler = websocket({ onOpen: () => void calls.push('open') }, { env: SHARED });
    assertUnauthorized(await call(handler, open(fixture)), /missing Grip-Sig/);
    assert.deepEqual(calls, []);
  });

  test('a valid HS256 token → 200, through every front door (header name in any case)', async () => {
    const handler = websocket(echoHandlers, { env: SHARED });
    const token = await signGripSig();
    for (const f of FIXTURES) {
      const result = await call(handler, open(f, token));
      assert.equal(result.status, 200, `${f.name}: ${result.body.toString('utf8')}`);
      assert.deepEqual(summarize(resultEvents(result.raw)), [['OPEN', null]]);
    }
    // And a token seen before (cached) still works.
    assert.equal((await call(handler, open(fixture, token))).status, 200);
  });

  test('an expired token → 401', async () => {
    const handler = websocket(echoHandlers, { env: SHARED });
    assertUnauthorized(await call(handler, open(fixture, await signGripSig({ expiresIn: -60 }))), /expired/);
  });

  test('a token without exp → 401', async () => {
    const handler = websocket(echoHandlers, { env: SHARED });
    const token = await new jose.SignJWT({ iss: 'pushpin' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('changeme'));
    assertUnauthorized(await call(handler, open(fixture, token)), /Grip-Sig/);
  });

  test('a token signed with another key → 401', async () => {
    const handler = websocket(echoHandlers, { env: SHARED });
    assertUnauthorized(await call(handler, open(fixture, await signGripSig({ key: 'not-the-key' }))), /does not match/);
  });

  test('something that is not a JWT → 401', async () => {
    const handler = websocket(echoHandlers, { env: SHARED });
    assertUnauthorized(await call(handler, open(fixture, 'not.a.jwt')), /not a JWT/);
  });

  test('GRIP_VERIFY_ISS: the right issuer → 200, another issuer → 401', async () => {
    const handler = websocket(echoHandlers, { env: { ...SHARED, GRIP_VERIFY_ISS: 'pushpin' } });
    assert.equal((await call(handler, open(fixture, await signGripSig({ iss: 'pushpin' })))).status, 200);
    assertUnauthorized(await call(handler, open(fixture, await signGripSig({ iss: 'mallory' }))), /claim iss/);
  });

  test('without GRIP_VERIFY_ISS any issuer is accepted with the right key', async () => {
    const handler = websocket(echoHandlers, { env: SHARED });
    assert.equal((await call(handler, open(fixture, await signGripSig({ iss: 'fastly' })))).status, 200);
  });

  test('no key configured: unsigned requests pass, with a warning', async (t) => {
    const warn = quiet(t);
    const handler = websocket(echoHandlers, { env: {} });
    assert.equal((await call(handler, open(fixture))).status, 200);
    assert.equal((await call(handler, open(fixture))).status, 200);
    assert.equal(warn.mock.calls.filter((c) => /no GRIP verify key/.test(String(c.arguments[0]))).length, 1);
  });

  describe('ES256', async () => {
    const { publicKey, privateKey } = await jose.generateKeyPair('ES256');
    const pem = await jose.exportSPKI(publicKey);
    const jwk = JSON.stringify({ ...(await jose.exportJWK(publicKey)), alg: 'ES256' });
    const es256 = () => new jose.SignJWT({ iss: 'pushpin' }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('1h').sign(privateKey);

    for (const [name, key] of [
      ['PEM public key', pem],
      ['JWK JSON string', jwk],
    ] as const) {
      test(`GRIP_VERIFY_KEY as ${name}: a valid ES256 token → 200`, async () => {
        const handler = websocket(echoHandlers, { env: { GRIP_VERIFY_KEY: key } });
        const result = await call(handler, open(fixture, await es256()));
        assert.equal(result.status, 200, result.body.toString('utf8'));
      });

      test(`GRIP_VERIFY_KEY as ${name}: an HS256 token → 401`, async () => {
        const handler = websocket(echoHandlers, { env: { GRIP_VERIFY_KEY: key } });
        assertUnauthorized(await call(handler, open(fixture, await signGripSig())), /does not match/);
        // Nor an HS256 token keyed with the public key's own text (algorithm confusion).
        assertUnauthorized(await call(handler, open(fixture, await signGripSig({ key }))), /does not match/);
      });

      test(`GRIP_VERIFY_KEY as ${name}: a token from another key pair → 401; no token → 401`, async () => {
        const other = await jose.generateKeyPair('ES256');
        const token = await new jose.SignJWT({ iss: 'pushpin' }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('1h').sign(other.privateKey);
        const handler = websocket(echoHandlers, { env: { GRIP_VERIFY_KEY: key } });
        assertUnauthorized(await call(handler, open(fixture, token)), /does not match/);
        assertUnauthorized(await call(handler, open(fixture)), /missing Grip-Sig/);
      });
    }

    test('GRIP_VERIFY_KEY with GRIP_VERIFY_ISS: wrong issuer → 401', async () => {
      const handler = websocket(echoHandlers, { env: { GRIP_VERIFY_KEY: pem, GRIP_VERIFY_ISS: 'fastly' } });
      assertUnauthorized(await call(handler, open(fixture, await es256())), /claim iss/);
    });
  });
});

test('setHeader writes payload 2.0 names lower-case and REST names as given', () => {
  const v2 = setHeader(loadEvent('api-gateway-http.json'), 'Grip-Sig', 't');
  assert.equal(v2.headers['grip-sig'], 't');
  const rest = setHeader(loadEvent('api-gateway-rest-binary.json'), 'Grip-Sig', 't');
  assert.equal(rest.headers['Grip-Sig'], 't');
  assert.deepEqual(rest.multiValueHeaders['Grip-Sig'], ['t']);
});
