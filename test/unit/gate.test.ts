// The gate every handler runs first: events that are no HTTP event of any
// front door, and Grip-Sig (HS256, ES256, issuers), before user code runs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as jose from 'jose';
import type { GripEnv } from '../../src/config.js';
import { websocket, type WebSocketHandlers } from '../../src/websocket/handler.js';
import { assertBadRequest, call, quiet, spyHandlers, type ReadResult } from '../support/websocket-calls.js';
import {
  ev,
  FIXTURE,
  FIXTURES,
  loadEvent,
  resultEvents,
  setHeader,
  signGripSig,
  summarize,
  wsEvent,
  type Fixture,
} from '../support/lambda-events.js';

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
      assertBadRequest(await call(spy.handler, event), /not a Lambda HTTP event|unrecognised|no requestContext/);
      assert.deepEqual(spy.calls, []);
    });
  }

  test('payload 2.0 with a rawQueryString that is not a string → 400', async (t) => {
    quiet(t);
    const event = wsEvent(FIXTURE.httpApi, [ev('OPEN')]) as unknown as Record<string, unknown>;
    event.rawQueryString = { a: 1 };
    const spy = spyHandlers();
    assertBadRequest(await call(spy.handler, event), /malformed event/);
    assert.deepEqual(spy.calls, []);
  });
});

describe('Grip-Sig', () => {
  const echoHandlers: WebSocketHandlers = { onMessage: (ctx, m) => ctx.send(m.data) };
  const SHARED: GripEnv = { GRIP_URL: 'http://localhost:5561?iss=pushpin&key=changeme' };
  const open = (fixture: Fixture, gripSig?: string) => wsEvent(fixture, [ev('OPEN')], gripSig === undefined ? {} : { 'Grip-Sig': gripSig });
  const fixture = FIXTURE.httpApi;

  function assertUnauthorized(result: ReadResult, reason: RegExp): void {
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
    const token = await new jose.SignJWT({ iss: 'pushpin' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('changeme'));
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
        const token = await new jose.SignJWT({ iss: 'pushpin' })
          .setProtectedHeader({ alg: 'ES256' })
          .setExpirationTime('1h')
          .sign(other.privateKey);
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
