// Client tokens through a real Pushpin, with ws clients: the token in a
// header, the query and a subprotocol; refusals (no token, forged meta,
// hostile tokens, a JWKS URL that hangs); a token expiring mid-connection
// closed in time, and one refreshed over the socket kept open; the
// subscription past Pushpin's connection_subscription_max refused at the call.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportJWK, SignJWT } from 'jose';
import WebSocket from 'ws';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { ROOT, sleep, waitFor } from './support/e2e.js';

const secret = randomBytes(32).toString('base64url');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const nowS = () => Math.floor(Date.now() / 1000);

const hs256 = (claims: Record<string, unknown>, key: Uint8Array = Buffer.from(secret)) =>
  new SignJWT({ sub: 'alice', exp: nowS() + 600, ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(key);

let stack: RunningStack;
let jwksServer: Server;
const hung = new Set<ServerResponse>();
const sockets = new Set<WebSocket>();

before(async () => {
  const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwksServer = createServer((req, res) => {
    if (req.url === '/jwks') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    else hung.add(res); // never answered
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksBase = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
  stack = await startStack({
    root: join(ROOT, 'test/e2e/fixtures/secured'),
    env: { CLIENT_AUTH_SECRET: secret, TEST_JWKS_URL: `${jwksBase}/jwks`, TEST_JWKS_HANG_URL: `${jwksBase}/hang` },
  });
});

after(async () => {
  for (const ws of sockets) {
    ws.on('error', () => undefined); // one still connecting reports its end as an error
    ws.terminate();
  }
  await stack?.stop();
  for (const res of hung) res.destroy();
  jwksServer?.closeAllConnections();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

interface Connected {
  readonly ws: WebSocket;
  readonly texts: string[];
  closed: { code: number; reason: string; at: number } | undefined;
}

/** Opens a ws connection; resolves with it, or rejects with the handshake's status and body. */
function connect(path: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<Connected> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${stack.wsUrl}${path}`, options.protocols ?? [], {
      headers: options.headers ?? {},
      handshakeTimeout: 10_000,
    });
    sockets.add(ws);
    const connected: Connected = { ws, texts: [], closed: undefined };
    ws.on('message', (data, isBinary) => {
      if (!isBinary) connected.texts.push(data.toString());
    });
    ws.on('close', (code, reason) => {
      connected.closed = { code, reason: reason.toString(), at: Date.now() };
    });
    ws.once('open', () => resolve(connected));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => reject(Object.assign(new Error(`handshake answered ${res.statusCode}`), { status: res.statusCode, body })));
    });
  });
}

async function refused(path: string, options: Parameters<typeof connect>[1] = {}): Promise<{ status: number; body: string }> {
  try {
    await connect(path, options);
  } catch (error) {
    const { status, body } = error as { status?: number; body?: string };
    if (status === undefined) throw error;
    return { status, body: body ?? '' };
  }
  throw new Error(`${path} was accepted`);
}

async function ask(c: Connected, text: string): Promise<string> {
  const before = c.texts.length;
  c.ws.send(text);
  await waitFor(() => c.texts.length > before, 10_000, `an answer to ${text}`);
  return c.texts[before]!;
}

// The expiry test waits for Pushpin's next keep-alive request, which comes 20 s after the
// last request at the soonest: the other groups run meanwhile, each of its tests in turn.
describe('client tokens through Pushpin', { concurrency: true }, () => {
  describe('the token at the handshake', { concurrency: false }, () => {
    test('in Authorization: Bearer; the sub is the user and the claims are read back from meta in a later request', async () => {
      const exp = nowS() + 600;
      const c = await connect('/secret/lobby', { headers: { authorization: `Bearer ${await hs256({ role: 'admin', exp })}` } });
      assert.deepEqual(JSON.parse(await ask(c, 'whoami')), { user: 'alice', sub: 'alice', role: 'admin', exp });
      c.ws.close();
    });

    test('in the access_token query parameter', async () => {
      const c = await connect(`/secret/lobby?access_token=${await hs256({ sub: 'bob' })}`);
      assert.equal(JSON.parse(await ask(c, 'whoami')).user, 'bob');
      c.ws.close();
    });

    test('in a subprotocol: bearer.<token> beside grip-lambda.v1, which the server answers', async () => {
      const c = await connect('/secret/lobby', { protocols: ['grip-lambda.v1', `bearer.${await hs256({ sub: 'carol' })}`] });
      assert.equal(c.ws.protocol, 'grip-lambda.v1');
      assert.equal(JSON.parse(await ask(c, 'whoami')).user, 'carol');
      c.ws.close();
    });

    test('no token: 401 "missing token"; a client-sent Meta-grip-auth header is not trusted (Pushpin drops it)', async () => {
      assert.deepEqual(await refused('/secret/lobby'), { status: 401, body: 'missing token\n' });
      const forged = JSON.stringify({ sub: 'root', exp: nowS() + 600 });
      assert.deepEqual(await refused('/secret/lobby', { headers: { 'meta-grip-auth': forged, 'meta-grip-user': 'root' } }), {
        status: 401,
        body: 'missing token\n',
      });
      const c = await connect('/secret/lobby', { headers: { authorization: `Bearer ${await hs256({})}`, 'meta-grip-auth': forged } });
      assert.equal(JSON.parse(await ask(c, 'whoami')).user, 'alice');
      c.ws.close();
    });

    test("a capability without the route's channel: 403 at the handshake", async () => {
      const t = await hs256({ capability: { 'room-*': ['subscribe'] } });
      assert.equal((await refused('/secret/lobby', { headers: { authorization: `Bearer ${t}` } })).status, 403);
      const c = await connect('/secret/room-1', { headers: { authorization: `Bearer ${t}` } });
      c.ws.close();
    });

    test('hostile tokens against a JWKS URL: alg none, HS256 keyed with the public key text, a jwk header, a kid not in the set', async () => {
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const claims = { sub: 'eve', exp: nowS() + 600 };
      const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const hostile = [
        [`${b64({ alg: 'none', kid: 'k1' })}.${b64(claims)}.`, 'token algorithm not allowed'],
        [
          await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(Buffer.from(rsaPem)),
          'token algorithm not allowed',
        ],
        [
          await new SignJWT(claims)
            .setProtectedHeader({ alg: 'RS256', kid: 'k1', jwk: await exportJWK(attacker.publicKey) })
            .sign(attacker.privateKey),
          'token signature invalid',
        ],
        [await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k9' }).sign(attacker.privateKey), 'token key (kid) unknown'],
      ] as const;
      for (const [token, reason] of hostile) {
        assert.deepEqual(await refused('/jwks', { headers: { authorization: `Bearer ${token}` } }), { status: 401, body: `${reason}\n` });
      }
      const good = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(rsa.privateKey);
      const c = await connect('/jwks', { headers: { authorization: `Bearer ${good}` } });
      assert.equal(await ask(c, 'x'), 'ok');
      c.ws.close();
    });

    test('a JWKS URL that hangs: the handshake is answered 503 within the 1 s bound (plus a request), not at the function timeout', async () => {
      const token = await new SignJWT({ sub: 'a', exp: nowS() + 600 }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(rsa.privateKey);
      const started = Date.now();
      const answer = await refused('/jwks-hang', { headers: { authorization: `Bearer ${token}` } });
      const took = Date.now() - started;
      assert.equal(answer.status, 503);
      assert.match(answer.body, /token keys unavailable \(no answer within 1000 ms\)/);
      assert.ok(took < 5000, `answered after ${took} ms`);
    });
  });

  describe('expiry and refresh', () => {
    test('a token expiring mid-connection is closed with 4001 within 20 s + 5 s of exp; one refreshed over the socket stays open', async () => {
      const exp = nowS() + 4;
      const expiring = await connect('/secret/lobby', { headers: { authorization: `Bearer ${await hs256({ exp })}` } });
      const refreshed = await connect('/secret/lobby', { headers: { authorization: `Bearer ${await hs256({ exp })}` } });
      const answer = JSON.parse(await ask(refreshed, JSON.stringify({ type: 'auth', token: await hs256({ exp: nowS() + 600 }) })));
      assert.equal(answer.type, 'auth');
      assert.equal(answer.exp, nowS() + 600);
      await waitFor(() => expiring.closed !== undefined, (exp - nowS() + 27) * 1000, 'the close of the expired connection');
      assert.equal(expiring.closed!.code, 4001);
      assert.equal(expiring.closed!.reason, 'token expired');
      const late = expiring.closed!.at / 1000 - exp;
      assert.ok(late >= 0 && late <= 25, `closed ${late.toFixed(1)} s after exp`);
      assert.equal(refreshed.closed, undefined, 'the refreshed connection is still open');
      assert.equal(await ask(refreshed, 'still'), 'echo still');
      refreshed.ws.close();
    });
  });

  describe("subscriptions past Pushpin's connection_subscription_max", { concurrency: false }, () => {
    test("beside the route's channel, the connection's own and its user's, 17 fit the cap of 20; the rest are refused with an error; all 17 receive publishes", async () => {
      const c = await connect('/secret/lobby', { headers: { authorization: `Bearer ${await hs256({})}` } });
      c.ws.send('sub 25');
      await waitFor(() => c.texts.some((t) => t.startsWith('{"subscribed"')), 10_000, 'the subscribe report');
      const errors = c.texts.filter((t) => t.includes('"error"')).map((t) => JSON.parse(t));
      const { subscribed } = JSON.parse(c.texts.find((t) => t.startsWith('{"subscribed"'))!);
      // The route's own channel (lobby), the connection's, the user's: 17 more fit.
      assert.equal(subscribed.length, 17);
      assert.equal(errors.length, 8);
      assert.match(errors[0].text, /past the proxy's 20 subscriptions per connection/);
      await sleep(300); // the subscriptions are in place once the answer has been read
      for (const channel of subscribed) {
        const response = await fetch(`${stack.controlUrl}/publish/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ items: [{ channel, formats: { 'ws-message': { content: `on ${channel}` } } }] }),
        });
        assert.equal(response.status, 200);
      }
      await waitFor(
        () => c.texts.filter((t) => t.startsWith('on ch-')).length === subscribed.length,
        10_000,
        'a publish on each subscribed channel',
      );
      c.ws.close();
    });
  });
});
