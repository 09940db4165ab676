// Fastly Fanout, without a network: README's Fanout walk-through, step by
// step. The functions run in the local function host (the events an HTTP
// API sends); Fanout's publishing API is a local stand-in that checks each
// request against Fastly's documentation (support/fanout-api.ts).
//
// Not covered here: TLS to api.fastly.com (the stand-in is plain HTTP, at the
// base URL buildFanoutGripUrl accepts), and a Grip-Sig made by Fanout itself:
// no one but Fastly holds its private key, so requests are signed with a key
// pair made here, given to the functions by the same GRIP_URL parameter
// (`verify-key`) as Fanout's key; a separate test shows the verifier loads
// Fanout's published key by that path and refuses what this key signed.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as jose from 'jose';
import { PUBLIC_KEY_FASTLY_FANOUT_JWK, PUBLIC_KEY_FASTLY_FANOUT_PEM } from '@fanoutio/grip';
import { readKeyMaterial } from '../../src/auth/keys.js';
import { buildFanoutGripUrl } from '@fanoutio/grip/fastly-fanout';
import { GripSigVerifier } from '../../src/auth/grip-sig.js';
import { readGripSettings } from '../../src/config.js';
import { startFunctionHost, type RunningFunctionHost } from '../../src/local/function-host.js';
import { readRoutes } from '../../src/local/routes.js';
import { startFakeFanout, type FakeFanout } from './support/fanout-api.js';
import { ROOT } from './support/e2e.js';

const SERVICE_ID = 'SU1Z0isxPaozGVKXdv0eY';
const API_TOKEN = 'fastly-api-token-for-tests';

// The stand-in for Fanout's signing key: ES256 on P-256, as Fanout's.
const standIn = generateKeyPairSync('ec', { namedCurve: 'P-256' });

let fanout: FakeFanout;
let host: RunningFunctionHost;

before(async () => {
  fanout = await startFakeFanout(SERVICE_ID, API_TOKEN);
  // Step 2 of the walk-through, as the functions get it (read when they load, on the first request).
  process.env.GRIP_URL = buildFanoutGripUrl({
    serviceId: SERVICE_ID,
    apiToken: API_TOKEN,
    baseUrl: fanout.serviceUrl,
    verifyKey: standIn.publicKey.export({ format: 'jwk' }) as JsonWebKey,
  });
  delete process.env.GRIP_VERIFY_KEY;
  delete process.env.GRIP_VERIFY_ISS;
  delete process.env.REDIS_URL;
  host = await startFunctionHost({ routes: (await readRoutes(ROOT)).routes });
});

after(async () => {
  await host?.close();
  await fanout?.close();
});

/** A Grip-Sig as Fanout makes one: ES256, `iss` fastly:SERVICE_ID, an hour to live. */
function fanoutSig(options: { iss?: string; expiresIn?: number; key?: jose.KeyLike } = {}): Promise<string> {
  return new jose.SignJWT({})
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setIssuer(options.iss ?? `fastly:${SERVICE_ID}`)
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresIn ?? 3600))
    .sign(options.key ?? standIn.privateKey);
}

/** The WebSocket-over-HTTP OPEN Fanout sends the function for a new client connection. */
async function open(gripSig: string | undefined): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${host.port}/echo`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/websocket-events',
      Accept: 'application/websocket-events',
      'Connection-Id': 'fanout-conn-1',
      'Sec-WebSocket-Extensions': 'grip',
      ...(gripSig !== undefined ? { 'Grip-Sig': gripSig } : {}),
    },
    body: 'OPEN\r\n',
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.text() };
}

/** POST /publish/lobby as it reaches the function through Fanout: signed. */
async function publish(message: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${host.port}/publish/lobby`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Grip-Sig': await fanoutSig() },
    body: JSON.stringify({ message }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, body: await response.text() };
}

describe('Fastly Fanout walk-through (README, Deploying)', () => {
  test("step 2: the GRIP URL buildFanoutGripUrl makes publishes to api.fastly.com with the token as Bearer, and trusts Fanout's key and issuer", async () => {
    const settings = readGripSettings({ GRIP_URL: buildFanoutGripUrl({ serviceId: SERVICE_ID, apiToken: API_TOKEN }) });
    assert.equal(settings.clients.length, 1);
    assert.equal(settings.clients[0]!.publishUri, `https://api.fastly.com/service/${SERVICE_ID}/publish/`);
    assert.equal(await settings.clients[0]!.getAuth()?.buildHeader(), `Bearer ${API_TOKEN}`);
    assert.equal(settings.verifyKeys.length, 1);
    assert.deepEqual(readKeyMaterial(settings.verifyKeys[0]!.key), { kind: 'public', source: { jwk: PUBLIC_KEY_FASTLY_FANOUT_JWK } });
    assert.equal(settings.verifyKeys[0]!.issuer, `fastly:${SERVICE_ID}`);
  });

  test("step 2, by hand: Fanout's key as PEM in GRIP_VERIFY_KEY is the same key as the JWK", async () => {
    const settings = readGripSettings({
      GRIP_URL: `https://api.fastly.com/service/${SERVICE_ID}?key=${API_TOKEN}`,
      GRIP_VERIFY_KEY: PUBLIC_KEY_FASTLY_FANOUT_PEM,
      GRIP_VERIFY_ISS: `fastly:${SERVICE_ID}`,
    });
    const fromPem = await jose.exportJWK(await jose.importSPKI(PUBLIC_KEY_FASTLY_FANOUT_PEM, 'ES256'));
    assert.deepEqual({ kty: fromPem.kty, crv: fromPem.crv, x: fromPem.x, y: fromPem.y }, PUBLIC_KEY_FASTLY_FANOUT_JWK);
    assert.deepEqual(readKeyMaterial(settings.verifyKeys[0]!.key), { kind: 'public', source: { pem: PUBLIC_KEY_FASTLY_FANOUT_PEM } });
    assert.equal(settings.verifyKeys[0]!.issuer, `fastly:${SERVICE_ID}`);
  });

  test("step 3: the verifier loads Fanout's published key as an ES256 key; a token signed by any other key is refused as a signature mismatch", async () => {
    const verifier = new GripSigVerifier(
      readGripSettings({ GRIP_URL: buildFanoutGripUrl({ serviceId: SERVICE_ID, apiToken: API_TOKEN }) }).verifyKeys,
    );
    const result = await verifier.verify(await fanoutSig());
    assert.deepEqual(result, { ok: false, reason: 'Grip-Sig signature does not match any configured key' });
    // The same token passes when the URL carries the key that signed it: the check is the key, nothing else.
    const withStandIn = new GripSigVerifier(
      readGripSettings({
        GRIP_URL: buildFanoutGripUrl({
          serviceId: SERVICE_ID,
          apiToken: API_TOKEN,
          verifyKey: standIn.publicKey.export({ format: 'jwk' }) as JsonWebKey,
        }),
      }).verifyKeys,
    );
    assert.deepEqual(await withStandIn.verify(await fanoutSig()), { ok: true });
    // An HS256 token keyed with the public key's text (algorithm confusion) is refused too.
    const confused = await new jose.SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(`fastly:${SERVICE_ID}`)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JSON.stringify(PUBLIC_KEY_FASTLY_FANOUT_JWK)));
    assert.equal((await verifier.verify(confused)).ok, false);
  });

  test('step 3: a WebSocket-over-HTTP request signed as Fanout signs (ES256, iss fastly:SERVICE_ID) is served', async () => {
    const answer = await open(await fanoutSig());
    assert.equal(answer.status, 200, answer.body);
    assert.ok(answer.body.startsWith('OPEN'), answer.body);
  });

  test("step 3: another service's issuer, an expired token, another key, or none at all answers 401", async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (const [what, sig] of [
      ['another service', await fanoutSig({ iss: 'fastly:ANOTHER' })],
      ['expired', await fanoutSig({ expiresIn: -60 })],
      ['another key', await fanoutSig({ key: other.privateKey })],
      ['none', undefined],
    ] as const) {
      const answer = await open(sig);
      assert.equal(answer.status, 401, `${what}: ${answer.status} ${answer.body}`);
    }
  });

  test("step 4: a publish is one POST /service/SERVICE_ID/publish/ with the token as Bearer and a body in Fanout's documented shape", async () => {
    const before = fanout.requests.length;
    const answer = await publish('hello fanout');
    assert.equal(answer.status, 202, answer.body);
    const requests = fanout.requests.slice(before);
    assert.equal(requests.length, 1);
    const [request] = requests;
    assert.deepEqual(request!.problems, []);
    const body = JSON.parse(request!.body) as { items: { channel: string; formats: Record<string, Record<string, unknown>> }[] };
    const room = body.items.find((item) => item.channel === 'lobby')!;
    const { type, nick, text } = JSON.parse(String(room.formats['ws-message']!['content'])) as Record<string, unknown>;
    assert.deepEqual({ type, nick, text }, { type: 'message', nick: 'publish', text: 'hello fanout' });
    assert.equal(room.formats['http-stream']!['content'], 'hello fanout\n');
    assert.ok(
      body.items.some((item) => item.channel === 'lobby.sse'),
      'the SSE twin, in the same request',
    );
  });

  test('step 4: a 503 from Fanout is retried and the message goes out once; a 401 (wrong token) is not retried and the caller hears of it', async () => {
    const before = fanout.requests.length;
    fanout.answers.push({ status: 503, body: 'try later\n' });
    const retried = await publish('after a 503');
    assert.equal(retried.status, 202, retried.body);
    assert.deepEqual(
      fanout.requests.slice(before).map((r) => r.problems.length),
      [0, 0],
      'two documented requests: the 503, then the one that went through',
    );

    const next = fanout.requests.length;
    fanout.answers.push({ status: 401, body: 'Unauthorized\n' });
    const refused = await publish('with a revoked token');
    assert.ok(refused.status >= 400, `the caller is told: ${refused.status} ${refused.body}`);
    assert.equal(fanout.requests.length - next, 1, 'a 401 is not retried');
  });
});
