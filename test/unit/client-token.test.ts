// Client tokens checked with jose: each key source, each claim, and hostile
// tokens (alg none, HS256 keyed with the public key's text, a jwk header,
// an unknown kid, a JWKS URL that hangs).
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, SignJWT } from 'jose';
import { ClientTokenVerifier } from '../../src/auth/client-token.js';

const secret = randomBytes(32);
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const hs = (claims: Record<string, unknown>, key: Uint8Array = secret, alg = 'HS256') =>
  new SignJWT(claims).setProtectedHeader({ alg }).sign(key);

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

const good = () => ({ sub: 'alice', exp: now() + 60 });

describe('HS256 secret', () => {
  const verifier = new ClientTokenVerifier({ secret, issuer: 'auth', audience: 'chat' });

  test('a token signed with the secret, for this issuer and audience, passes with its claims', async () => {
    const result = await verifier.verify(await hs({ ...good(), iss: 'auth', aud: 'chat', role: 'x' }));
    assert.equal(result.ok, true);
    assert.equal(result.ok && result.claims.sub, 'alice');
    assert.equal(result.ok && result.claims.role, 'x');
  });

  const refusals: [string, () => Promise<string>, string][] = [
    ['missing', async () => '', 'missing token'],
    ['expired', () => hs({ sub: 'a', exp: now() - 1, iss: 'auth', aud: 'chat' }), 'token expired'],
    ['not yet valid', () => hs({ ...good(), nbf: now() + 60, iss: 'auth', aud: 'chat' }), 'token not yet valid'],
    ['another audience', () => hs({ ...good(), iss: 'auth', aud: 'other' }), 'token aud not accepted'],
    ['another issuer', () => hs({ ...good(), iss: 'evil', aud: 'chat' }), 'token iss not accepted'],
    ['no exp', () => hs({ sub: 'a', iss: 'auth', aud: 'chat' }), 'token claim exp missing or invalid'],
    ['no sub', () => hs({ exp: now() + 60, iss: 'auth', aud: 'chat' }), 'token claim sub missing or invalid'],
    ['another secret', () => hs({ ...good(), iss: 'auth', aud: 'chat' }, randomBytes(32)), 'token signature invalid'],
    ['alg none', async () => `${b64({ alg: 'none' })}.${b64({ ...good(), iss: 'auth', aud: 'chat' })}.`, 'token algorithm not allowed'],
    ['not a JWT', async () => 'abc.def', 'token malformed'],
  ];
  for (const [what, make, reason] of refusals) {
    test(`refused: ${what} (401 "${reason}")`, async () => {
      assert.deepEqual(await verifier.verify(await make()), { ok: false, status: 401, reason });
    });
  }

  test('a secret under 32 bytes, or a PEM given as a secret, is refused when the verifier is made', () => {
    assert.throws(() => new ClientTokenVerifier({ secret: 'short' }), /at least 32 bytes/);
    assert.throws(() => new ClientTokenVerifier({ secret: rsaPem }), /public key, not a secret/);
    assert.throws(() => new ClientTokenVerifier({ secret, jwksUrl: 'https://x' }), /exactly one/);
  });
});

describe('public keys', () => {
  test('RS256 with the RSA key passes; HS256 keyed with the public key text is refused', async () => {
    const verifier = new ClientTokenVerifier({ publicKey: rsaPem });
    const signed = await new SignJWT(good()).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey);
    assert.equal((await verifier.verify(signed)).ok, true);
    const forged = await hs(good(), Buffer.from(rsaPem));
    assert.deepEqual(await verifier.verify(forged), { ok: false, status: 401, reason: 'token algorithm not allowed' });
  });

  test('ES256 with an EC key given as a JWK; RS256 is not its algorithm', async () => {
    const verifier = new ClientTokenVerifier({ publicKey: (await exportJWK(ec.publicKey)) as JsonWebKey });
    const signed = await new SignJWT(good()).setProtectedHeader({ alg: 'ES256' }).sign(ec.privateKey);
    assert.equal((await verifier.verify(signed)).ok, true);
    const rs = await new SignJWT(good()).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey);
    assert.deepEqual(await verifier.verify(rs), { ok: false, status: 401, reason: 'token algorithm not allowed' });
  });

  test("a jwk header carrying the attacker's own key is never used", async () => {
    const verifier = new ClientTokenVerifier({ publicKey: rsaPem });
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = await exportJWK(attacker.publicKey);
    const signed = await new SignJWT(good()).setProtectedHeader({ alg: 'RS256', jwk }).sign(attacker.privateKey);
    assert.deepEqual(await verifier.verify(signed), { ok: false, status: 401, reason: 'token signature invalid' });
  });
});

describe('JWKS URL', () => {
  let server: Server;
  let base: string;
  let fetches = 0;
  const hangs = new Set<import('node:http').ServerResponse>();

  before(async () => {
    const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      if (req.url === '/jwks') {
        fetches++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      } else if (req.url === '/hang') {
        hangs.add(res); // never answered
      } else if (req.url === '/stall') {
        res.writeHead(200, { 'content-type': 'application/json' }).write('{"keys":'); // headers, then nothing
        hangs.add(res);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const res of hangs) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const signed = (kid: string, key = rsa.privateKey) => new SignJWT(good()).setProtectedHeader({ alg: 'RS256', kid }).sign(key);

  test('keys are fetched once and picked by kid; a kid not in the set is refused (refetched at most once per cooldown)', async () => {
    const verifier = new ClientTokenVerifier({ jwksUrl: `${base}/jwks` });
    assert.equal((await verifier.verify(await signed('k1'))).ok, true);
    assert.equal((await verifier.verify(await signed('k1'))).ok, true);
    assert.equal(fetches, 1);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    assert.deepEqual(await verifier.verify(await signed('k9', other.privateKey)), {
      ok: false,
      status: 401,
      reason: 'token key (kid) unknown',
    });
    assert.deepEqual(await verifier.verify(await signed('k9', other.privateKey)), {
      ok: false,
      status: 401,
      reason: 'token key (kid) unknown',
    });
    assert.equal(fetches, 1, 'within the cooldown, an unknown kid does not fetch again');
  });

  test("HS256 signed with a JWKS key's text, and alg none, are refused", async () => {
    const verifier = new ClientTokenVerifier({ jwksUrl: `${base}/jwks` });
    assert.deepEqual(await verifier.verify(await hs(good(), Buffer.from(rsaPem))), {
      ok: false,
      status: 401,
      reason: 'token algorithm not allowed',
    });
    assert.deepEqual(await verifier.verify(`${b64({ alg: 'none', kid: 'k1' })}.${b64(good())}.`), {
      ok: false,
      status: 401,
      reason: 'token algorithm not allowed',
    });
  });

  for (const path of ['/hang', '/stall']) {
    test(`a JWKS URL that ${path === '/hang' ? 'never answers' : 'stalls after its headers'} is answered 503 within the stated bound`, async () => {
      const verifier = new ClientTokenVerifier({ jwksUrl: `${base}${path}`, jwksTimeoutMs: 300 });
      const started = performance.now();
      const result = await verifier.verify(await signed('k1'));
      const took = performance.now() - started;
      assert.deepEqual(result, { ok: false, status: 503, reason: 'token keys unavailable (no answer within 300 ms)' });
      assert.ok(took < 2000, `answered after ${Math.round(took)} ms`);
    });
  }
});
