// functions/echo.ts end to end, in process, through every front door
// fixture, and the bad input every front door answers with 400.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertBadRequest, assertWebSocketAnswer, call, quiet, spyHandlers } from '../support/websocket-calls.js';
import {
  closeContent,
  ev,
  FIXTURES,
  loadEvent,
  removeHeader,
  resultEvents,
  setBody,
  setMethod,
  summarize,
  wsEvent,
} from '../support/lambda-events.js';

// echo.ts reads process.env when it is loaded (and its verify key on the first request): no key here.
for (const name of ['GRIP_URL', 'GRIP_VERIFY_KEY', 'GRIP_VERIFY_ISS', 'GRIP_PREFIX']) delete process.env[name];
const { handler: echo } = await import('../../functions/echo.js');

const NOT_UTF8 = new Uint8Array([0xff, 0x00, 0x80, 0xfe, 0x0d, 0x0a, 0xc3, 0x28]);

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
        [
          'a wrong content type',
          () => wsEvent(fixture, [ev('OPEN')], { 'Content-Type': 'text/plain' }),
          /Content-Type must be application\/websocket-events/,
        ],
        ['no content type', () => removeHeader(wsEvent(fixture, [ev('OPEN')]), 'Content-Type'), /Content-Type must be/],
        ['a missing Connection-Id', () => removeHeader(wsEvent(fixture, [ev('OPEN')]), 'Connection-Id'), /missing Connection-Id header/],
        ['an empty Connection-Id', () => wsEvent(fixture, [ev('OPEN')], { 'Connection-Id': '' }), /missing Connection-Id header/],
        ['a Connection-Id with a space', () => wsEvent(fixture, [ev('OPEN')], { 'Connection-Id': 'a b' }), /malformed Connection-Id/],
        ['two Connection-Ids joined', () => wsEvent(fixture, [ev('OPEN')], { 'Connection-Id': 'a,b' }), /malformed Connection-Id/],
        ['a truncated body', () => setBody(loadEvent(fixture), 'TEXT 5\r\nhel'), /malformed WebSocket events: .*at byte 8/],
        [
          'a length that is not hex',
          () => setBody(loadEvent(fixture), 'TEXT zz\r\nhi\r\n'),
          /malformed WebSocket events: .*not hex at byte 5/,
        ],
        [
          'an unknown event type',
          () => setBody(loadEvent(fixture), 'OPEN\r\nHELLO\r\n'),
          /malformed WebSocket events: unknown event type at byte 6/,
        ],
        [
          'a huge declared length',
          () => setBody(loadEvent(fixture), 'OPEN\r\nTEXT ffffffff\r\nx\r\n'),
          /malformed WebSocket events: .*4294967295 bytes/,
        ],
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
