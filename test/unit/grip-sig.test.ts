// GripSigVerifier: which tokens pass, which do not and why, keys of each
// type, and the DISCONNECT grace; then the same through a websocket() handler.
// Tokens are signed by jose (an implementation independent of the verifier)
// or, for malformed ones, assembled by hand.
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import * as jose from 'jose';
import { GripSigVerifier, type VerifyKey } from '../../src/auth/grip-sig.js';
import { websocket } from '../../src/websocket/handler.js';
import type { LambdaHttpEvent, LambdaHttpResult } from '../../src/lambda/types.js';
import { ev, FIXTURES, readResult, setHeader, wsEvent } from '../support/lambda-events.js';

const SECRET = 'changeme';
const PUSHPIN: VerifyKey = { key: SECRET, issuer: 'pushpin' };
/** A fixed clock: 2026-01-01T00:00:00Z. */
const NOW_MS = Date.UTC(2026, 0, 1);
const NOW = NOW_MS / 1000;
const HOUR = 3600;

const b64url = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');

/** A token assembled by hand: any header text, any claims, HS256-signed with `secret` unless a signature is given. */
function handmade(headerJson: string, claims: object, options: { secret?: string; signature?: string } = {}): string {
  const input = `${b64url(headerJson)}.${b64url(JSON.stringify(claims))}`;
  const signature =
    options.signature ??
    createHmac('sha256', options.secret ?? SECRET)
      .update(input)
      .digest('base64url');
  return `${input}.${signature}`;
}

/** A token signed by jose; claims default to Pushpin's (iss "pushpin", exp one hour after NOW). */
function signed(
  key: jose.KeyLike | Uint8Array,
  alg: string,
  claims: jose.JWTPayload = {},
  header: Partial<jose.JWTHeaderParameters> = {},
): Promise<string> {
  return new jose.SignJWT({ iss: 'pushpin', exp: NOW + HOUR, ...claims }).setProtectedHeader({ ...header, alg }).sign(key);
}

const hs256 = (claims: jose.JWTPayload = {}, secret = SECRET) => signed(new TextEncoder().encode(secret), 'HS256', claims);

function verifierAt(keys: readonly VerifyKey[], nowMs = NOW_MS, disconnectGraceSeconds?: number) {
  const clock = { now: nowMs };
  const verifier = new GripSigVerifier(keys, {
    now: () => clock.now,
    ...(disconnectGraceSeconds !== undefined ? { disconnectGraceSeconds } : {}),
  });
  return { verifier, clock };
}

async function refused(verifier: GripSigVerifier, token: string, reason: RegExp, disconnectOnly = false): Promise<void> {
  const result = await verifier.verify(token, { disconnectOnly });
  assert.equal(result.ok, false, `accepted: ${token}`);
  if (!result.ok) assert.match(result.reason, reason);
}

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecPem = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const ecJwk = ec.publicKey.export({ format: 'jwk' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const ed = generateKeyPairSync('ed25519');

describe('GripSigVerifier: shared secret (Pushpin, HS256)', () => {
  test('a token Pushpin would send passes; so does one without an issuer check', async () => {
    assert.deepEqual(await verifierAt([PUSHPIN]).verifier.verify(await hs256()), { ok: true });
    assert.deepEqual(await verifierAt([{ key: SECRET }]).verifier.verify(await hs256({ iss: 'anyone' })), { ok: true });
  });

  test('the secret as base64:, as bytes, as an oct JWK, as a KeyObject', async () => {
    const token = await hs256();
    for (const key of [
      `base64:${Buffer.from(SECRET).toString('base64')}`,
      new TextEncoder().encode(SECRET),
      { kty: 'oct', k: b64url(SECRET) },
    ]) {
      assert.deepEqual(await verifierAt([{ key, issuer: 'pushpin' }]).verifier.verify(token), { ok: true }, String(key));
    }
  });

  test('HS384 and HS512 pass with the secret too', async () => {
    const { verifier } = verifierAt([PUSHPIN]);
    for (const alg of ['HS384', 'HS512'])
      assert.deepEqual(await verifier.verify(await signed(new TextEncoder().encode(SECRET), alg)), { ok: true }, alg);
  });

  test('another secret, a tampered payload, a cut signature → signature does not match', async () => {
    const { verifier } = verifierAt([PUSHPIN]);
    await refused(verifier, await hs256({}, 'not-the-key'), /does not match/);
    const [h, , s] = (await hs256()).split('.');
    await refused(verifier, `${h}.${b64url(JSON.stringify({ iss: 'pushpin', exp: NOW + 10 * HOUR }))}.${s}`, /does not match/);
    await refused(verifier, `${h}.${(await hs256()).split('.')[1]}.${s!.slice(0, 20)}`, /does not match/);
  });

  test('alg none: with no signature it is not a JWT here; with one, no key takes it', async () => {
    const { verifier } = verifierAt([PUSHPIN]);
    const none = `${b64url('{"alg":"none"}')}.${b64url(JSON.stringify({ iss: 'pushpin', exp: NOW + HOUR }))}`;
    await refused(verifier, `${none}.`, /not a JWT/);
    await refused(verifier, `${none}.${b64url('x')}`, /does not match/);
    await refused(verifier, handmade('{"alg":"None"}', { iss: 'pushpin', exp: NOW + HOUR }), /does not match/);
    await refused(verifier, handmade('{"typ":"JWT"}', { iss: 'pushpin', exp: NOW + HOUR }), /no alg/);
  });

  test('expired, exp missing or not a number → refused', async () => {
    const { verifier } = verifierAt([PUSHPIN]);
    await refused(verifier, await hs256({ exp: NOW - 1 }), /expired/);
    await refused(verifier, await hs256({ exp: NOW }), /expired/);
    await refused(verifier, handmade('{"alg":"HS256"}', { iss: 'pushpin' }), /exp is missing/);
    await refused(verifier, handmade('{"alg":"HS256"}', { iss: 'pushpin', exp: String(NOW + HOUR) }), /exp is missing/);
  });

  test('nbf in the future → refused; in the past → passes', async () => {
    const { verifier } = verifierAt([PUSHPIN]);
    await refused(verifier, await hs256({ nbf: NOW + 60 }), /not yet valid/);
    await refused(verifier, handmade('{"alg":"HS256"}', { iss: 'pushpin', exp: NOW + HOUR, nbf: 'soon' }), /not yet valid/);
    assert.deepEqual(await verifier.verify(await hs256({ nbf: NOW - 60 })), { ok: true });
  });

  test('another issuer, or none, when one is required → refused', async () => {
    const { verifier } = verifierAt([PUSHPIN]);
    await refused(verifier, await hs256({ iss: 'mallory' }), /claim iss/);
    await refused(verifier, handmade('{"alg":"HS256"}', { exp: NOW + HOUR }), /claim iss/);
  });

  test('a header naming a member twice → refused, whichever value comes last', async () => {
    const { verifier } = verifierAt([PUSHPIN]);
    const claims = { iss: 'pushpin', exp: NOW + HOUR };
    await refused(verifier, handmade('{"alg":"HS256","alg":"none"}', claims), /not a JWT/);
    await refused(verifier, handmade('{"alg":"none","alg":"HS256"}', claims), /not a JWT/);
    await refused(verifier, handmade('{"alg":"HS256","\\u0061lg":"HS256"}', claims), /not a JWT/);
    // Names inside nested values are not top-level members.
    assert.deepEqual(await verifier.verify(handmade('{"alg":"HS256","x":{"alg":1},"y":["alg"]}', claims)), { ok: true });
  });

  test('claims naming a member twice → refused, even when the signature matches', async () => {
    const { verifier } = verifierAt([PUSHPIN]);
    const input = `${b64url('{"alg":"HS256"}')}.${b64url(`{"iss":"pushpin","exp":${NOW - HOUR},"exp":${NOW + HOUR}}`)}`;
    await refused(verifier, `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`, /payload is not a JSON object/);
  });

  test('two Grip-Sig headers, comma-joined as front doors join them → refused', async () => {
    const { verifier } = verifierAt([PUSHPIN]);
    const token = await hs256();
    await refused(verifier, `${token},${token}`, /not a JWT/);
    await refused(verifier, `${token}, ${token}`, /not a JWT/);
  });

  test('a crit header (extensions this verifier does not implement) → refused', async () => {
    const { verifier } = verifierAt([PUSHPIN]);
    await refused(verifier, handmade('{"alg":"HS256","crit":["exp"],"exp":1}', { iss: 'pushpin', exp: NOW + HOUR }), /crit/);
  });

  test('not a JWT at all', async () => {
    const { verifier } = verifierAt([PUSHPIN]);
    for (const token of ['not.a.jwt', 'abc', 'a.b.c.d', `${b64url('[1]')}.${b64url('{}')}.${b64url('x')}`, `${b64url('{"alg":')}.e30.eA`]) {
      await refused(verifier, token, /not a JWT/);
    }
    assert.deepEqual(await verifier.verify(undefined), { ok: false, reason: 'missing Grip-Sig header' });
    assert.deepEqual(await verifier.verify(''), { ok: false, reason: 'missing Grip-Sig header' });
  });

  test('a token verified once is remembered only until its exp', async () => {
    const { verifier, clock } = verifierAt([PUSHPIN]);
    const token = await hs256({ exp: NOW + 60 });
    assert.deepEqual(await verifier.verify(token), { ok: true });
    assert.deepEqual(await verifier.verify(token), { ok: true });
    clock.now = NOW_MS + 60_000;
    await refused(verifier, token, /expired/);
  });

  test('no key: every request passes (not required)', async () => {
    const verifier = new GripSigVerifier([]);
    assert.equal(verifier.required, false);
    assert.deepEqual(await verifier.verify(undefined), { ok: true });
  });
});

describe('GripSigVerifier: public keys (Fastly Fanout ES256, RS256, EdDSA)', () => {
  test('ES256 with the public key as PEM, JWK object, JWK JSON, KeyObject', async () => {
    const token = await signed(ec.privateKey, 'ES256');
    for (const key of [ecPem, ecJwk, JSON.stringify(ecJwk), ec.publicKey]) {
      assert.deepEqual(await verifierAt([{ key, issuer: 'pushpin' }]).verifier.verify(token), { ok: true });
    }
  });

  test('RS256 and PS256 with an RSA key; EdDSA with an Ed25519 key', async () => {
    const { verifier } = verifierAt([{ key: rsaPem }]);
    assert.deepEqual(await verifier.verify(await signed(rsa.privateKey, 'RS256')), { ok: true });
    assert.deepEqual(await verifier.verify(await signed(rsa.privateKey, 'PS256')), { ok: true });
    assert.deepEqual(await verifierAt([{ key: ed.publicKey }]).verifier.verify(await signed(ed.privateKey, 'EdDSA')), { ok: true });
  });

  test("HS256 signed with the public key's own text (algorithm confusion) → refused", async () => {
    for (const text of [ecPem, JSON.stringify(ecJwk), rsaPem]) {
      await refused(verifierAt([{ key: text }]).verifier, await hs256({}, text), /does not match/);
    }
  });

  test('a PKCS#1 RSA public key (BEGIN RSA PUBLIC KEY) is a public key, never a shared secret', async () => {
    const pkcs1 = rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const { verifier } = verifierAt([{ key: pkcs1 }]);
    assert.deepEqual(await verifier.verify(await signed(rsa.privateKey, 'RS256')), { ok: true });
    await refused(verifier, await hs256({}, pkcs1), /does not match/);
  });

  test('each key type verifies only its algorithms: no RS256 with an EC key, no ES384 with a P-256 key', async () => {
    const { verifier } = verifierAt([{ key: ecPem }]);
    await refused(verifier, await signed(rsa.privateKey, 'RS256'), /does not match/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    await refused(verifier, await signed(p384.privateKey, 'ES384'), /does not match/);
    await refused(verifierAt([{ key: rsaPem }]).verifier, await signed(ec.privateKey, 'ES256'), /does not match/);
    // A JWK's alg narrows it to that one algorithm.
    await refused(
      verifierAt([{ key: { ...rsa.publicKey.export({ format: 'jwk' }), alg: 'PS256' } }]).verifier,
      await signed(rsa.privateKey, 'RS256'),
      /does not match/,
    );
  });

  test("a jwk header carrying the signer's own key is never used: another key pair's token is refused", async () => {
    const mallory = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = await signed(mallory.privateKey, 'ES256', {}, { jwk: mallory.publicKey.export({ format: 'jwk' }) as jose.JWK });
    await refused(verifierAt([{ key: ecPem }]).verifier, token, /does not match/);
    await refused(verifierAt([PUSHPIN]).verifier, token, /does not match/);
  });

  test('expired, nbf, another issuer: refused with a public key too', async () => {
    const { verifier } = verifierAt([{ key: ecPem, issuer: 'fastly:SID' }]);
    await refused(verifier, await signed(ec.privateKey, 'ES256', { iss: 'fastly:SID', exp: NOW - 1 }), /expired/);
    await refused(verifier, await signed(ec.privateKey, 'ES256', { iss: 'fastly:SID', nbf: NOW + 60 }), /not yet valid/);
    await refused(verifier, await signed(ec.privateKey, 'ES256', { iss: 'pushpin' }), /claim iss/);
    assert.deepEqual(await verifier.verify(await signed(ec.privateKey, 'ES256', { iss: 'fastly:SID' })), { ok: true });
  });

  test("several keys: each proxy's tokens pass with its own key and issuer", async () => {
    const { verifier } = verifierAt([PUSHPIN, { key: ecPem, issuer: 'fastly:SID' }]);
    assert.deepEqual(await verifier.verify(await hs256()), { ok: true });
    assert.deepEqual(await verifier.verify(await signed(ec.privateKey, 'ES256', { iss: 'fastly:SID' })), { ok: true });
    await refused(verifier, await signed(ec.privateKey, 'ES256', { iss: 'pushpin' }), /claim iss/);
  });

  test('a key that cannot be imported: tokens are refused and the error is logged once', async (t) => {
    const error = t.mock.method(console, 'error', () => undefined);
    const { verifier } = verifierAt([{ key: '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n' }]);
    await refused(verifier, await signed(ec.privateKey, 'ES256'), /does not match/);
    await refused(verifier, await signed(ec.privateKey, 'ES256'), /does not match/);
    assert.equal(error.mock.callCount(), 1);
  });

  test('keys of a kind it cannot read fail when the verifier is made', () => {
    assert.throws(() => new GripSigVerifier([{ key: 42 as unknown as string }]), TypeError);
    assert.throws(() => new GripSigVerifier([{ key: { kty: 'oct' } }]), /needs its secret/);
  });
});

describe('GripSigVerifier: DISCONNECT after an hour idle', () => {
  // Pushpin 1.36 sends a DISCONNECT with the token of the connection's previous request.
  const idleToken = () => hs256({ exp: NOW - 10 * 60 }); // made 70 minutes ago, expired 10 minutes ago

  test('an expired token admits a request that holds only a DISCONNECT, and nothing else', async () => {
    const { verifier } = verifierAt([PUSHPIN]);
    const token = await idleToken();
    assert.deepEqual(await verifier.verify(token, { disconnectOnly: true }), { ok: true });
    await refused(verifier, token, /expired/);
    // Not remembered as valid: the grace is decided per request.
    await refused(verifier, token, /expired/);
  });

  test('the grace is bounded (24 h by default, or as set)', async () => {
    const token = await idleToken();
    const { verifier, clock } = verifierAt([PUSHPIN]);
    clock.now = (NOW - 10 * 60 + 24 * HOUR) * 1000 - 1;
    assert.deepEqual(await verifier.verify(token, { disconnectOnly: true }), { ok: true });
    clock.now += 1;
    await refused(verifier, token, /expired/, true);
    await refused(verifierAt([PUSHPIN], NOW_MS, 0).verifier, token, /expired/, true);
    await refused(verifierAt([PUSHPIN], NOW_MS, 5 * 60).verifier, token, /expired/, true);
  });

  test('the grace covers expiry only: a wrong key, issuer or alg is refused for a DISCONNECT too', async () => {
    const { verifier } = verifierAt([PUSHPIN]);
    await refused(verifier, await hs256({ exp: NOW - 60 }, 'not-the-key'), /does not match/, true);
    await refused(verifier, await hs256({ exp: NOW - 60, iss: 'mallory' }), /claim iss/, true);
    await refused(verifier, await hs256({ exp: NOW - 60, nbf: NOW + 60 }), /not yet valid/, true);
    await refused(verifier, `${b64url('{"alg":"none"}')}.${b64url(JSON.stringify({ iss: 'pushpin', exp: NOW - 60 }))}.`, /not a JWT/, true);
  });
});

describe("websocket(): a connection idle past its token's lifetime still gets onClose", () => {
  const fixture = FIXTURES.find((f) => f.file === 'api-gateway-http.json')!;
  const call = async (handler: (event: LambdaHttpEvent) => Promise<LambdaHttpResult>, event: unknown) =>
    readResult(await handler(event as LambdaHttpEvent));

  function handlerWithClock() {
    const calls: string[] = [];
    const handler = websocket(
      {
        onMessage: (_ctx, m) => void calls.push(`message ${String(m.data)}`),
        onClose: (_ctx, close) => void calls.push(`close clean=${close.clean}`),
      },
      { verifier: verifierAt([PUSHPIN]).verifier },
    );
    return { handler, calls };
  }

  test('DISCONNECT alone with the old token → 200 and onClose runs', async () => {
    const { handler, calls } = handlerWithClock();
    const result = await call(handler, wsEvent(fixture, [ev('DISCONNECT')], { 'Grip-Sig': await hs256({ exp: NOW - 10 * 60 }) }));
    assert.equal(result.status, 200, result.body.toString('utf8'));
    assert.deepEqual(calls, ['close clean=false']);
  });

  test('the same old token on a message, or on a DISCONNECT that comes with other events → 401, nothing runs', async () => {
    const { handler, calls } = handlerWithClock();
    const token = await hs256({ exp: NOW - 10 * 60 });
    for (const events of [[ev('TEXT', 'hi')], [ev('TEXT', 'hi'), ev('DISCONNECT')], [ev('OPEN')]]) {
      const result = await call(handler, wsEvent(fixture, events, { 'Grip-Sig': token }));
      assert.equal(result.status, 401, result.body.toString('utf8'));
      assert.match(result.body.toString('utf8'), /expired/);
    }
    assert.deepEqual(calls, []);
  });

  test('a DISCONNECT body sent as another content type gets no grace', async () => {
    const { handler } = handlerWithClock();
    const event = setHeader(
      wsEvent(fixture, [ev('DISCONNECT')], { 'Grip-Sig': await hs256({ exp: NOW - 10 * 60 }) }),
      'Content-Type',
      'text/plain',
    );
    assert.equal((await call(handler, event)).status, 401);
  });

  test('two Grip-Sig headers on a REST API event (multiValueHeaders) → 401', async () => {
    const { handler, calls } = handlerWithClock();
    const token = await hs256();
    const event = wsEvent(FIXTURES.find((f) => f.file === 'api-gateway-rest-binary.json')!, [ev('TEXT', 'hi')], { 'Grip-Sig': token });
    (event.multiValueHeaders as Record<string, string[]>)['Grip-Sig'] = [token, token];
    const result = await call(handler, event);
    assert.equal(result.status, 401, result.body.toString('utf8'));
    assert.match(result.body.toString('utf8'), /not a JWT/);
    assert.deepEqual(calls, []);
  });
});
