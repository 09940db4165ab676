// withClientAuth over simulated proxy requests (meta carried from one
// request to the next as Pushpin does): the carriers, refusals before user
// code, claims kept, expiry, refresh over the socket, capabilities, and the
// keep-alive interval it asks for.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { ClientTokenVerifier } from '../../src/auth/client-token.js';
import { authorize, mayUseChannel } from '../../src/websocket/channel-guard.js';
import { clientAuthFromEnv, clientIdentity, withClientAuth, type ClientAuthOptions } from '../../src/websocket/client-auth.js';
import type { WebSocketHandlers } from '../../src/websocket/handler.js';
import { open, SimConnection, text } from '../support/connection-sim.js';

const secret = randomBytes(32);
const nowS = () => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown> = {}) =>
  new SignJWT({ sub: 'alice', exp: nowS() + 3600, ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(secret);

/** A verifier that counts the tokens it checks. */
class CountingVerifier extends ClientTokenVerifier {
  calls = 0;
  override verify(t: string | undefined) {
    this.calls++;
    return super.verify(t);
  }
}

function secured(handlers: WebSocketHandlers, options: Partial<ClientAuthOptions> = {}) {
  const verifier = new CountingVerifier({ secret, ...(options.now !== undefined ? { now: options.now } : {}) });
  return { verifier, handlers: withClientAuth(handlers, { secret, verifier, ...options }) };
}

/** A clock the test moves on (ms since the epoch), from now. */
function testClock(): { now: () => number; advance(ms: number): void } {
  let ms = Date.now();
  return { now: () => ms, advance: (by) => void (ms += by) };
}

describe('the handshake', () => {
  test('no token: 401 with a short reason, and user code never runs', async () => {
    let ran = false;
    const { handlers } = secured({ onOpen: () => void (ran = true) });
    const response = await new SimConnection(handlers).request([open()]);
    assert.equal(response.status, 401);
    assert.equal(response.body, 'missing token\n');
    assert.equal(response.headers['WWW-Authenticate'], 'Bearer');
    assert.equal(ran, false);
  });

  test('a forged token: 401 "token signature invalid"', async () => {
    const forged = await new SignJWT({ sub: 'alice', exp: nowS() + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(randomBytes(32));
    const { handlers } = secured({});
    const response = await new SimConnection(handlers).request([open()], { authorization: `Bearer ${forged}` });
    assert.deepEqual([response.status, response.body], [401, 'token signature invalid\n']);
  });

  for (const carrier of ['header', 'query', 'cookie', 'protocol'] as const) {
    test(`a token in the ${carrier}: accepted, its sub is the user, its claims readable in onOpen`, async () => {
      const seen: unknown[] = [];
      const { handlers } = secured(
        {
          onOpen(ctx) {
            const identity = clientIdentity(ctx)!;
            seen.push(ctx.user, identity.user, identity.claims.role);
          },
        },
        { cookie: 'session' },
      );
      const t = await token({ role: 'admin' });
      const headers: Record<string, string> = {};
      let query = '';
      if (carrier === 'header') headers.authorization = `Bearer ${t}`;
      if (carrier === 'query') query = `access_token=${t}`;
      if (carrier === 'cookie') headers.cookie = `theme=dark; session=${t}`;
      if (carrier === 'protocol') headers['sec-websocket-protocol'] = `chat.v2, bearer.${t}`;
      const response = await new SimConnection(handlers).request([open()], headers, query);
      assert.equal(response.status, 200);
      assert.deepEqual(seen, ['alice', 'alice', 'admin']);
      if (carrier === 'protocol') assert.equal(response.headers['Sec-WebSocket-Protocol'], 'chat.v2');
    });
  }

  test('a token subprotocol offered alone is refused (400): nothing could be answered', async () => {
    const { handlers } = secured({});
    const response = await new SimConnection(handlers).request([open()], { 'sec-websocket-protocol': `bearer.${await token()}` });
    assert.equal(response.status, 400);
  });

  test('a sub that cannot be a user id, or a malformed capability: 401', async () => {
    const { handlers } = secured({});
    for (const claims of [{ sub: 'has space' }, { capability: { room: ['read'] } }]) {
      const response = await new SimConnection(handlers).request([open()], { authorization: `Bearer ${await token(claims)}` });
      assert.equal(response.status, 401, JSON.stringify(claims));
    }
  });

  test('Meta headers a client might add are not what the function reads: the proxy drops them, and the token is checked at open regardless', async () => {
    const { handlers } = secured({});
    const forged = JSON.stringify({ sub: 'root', exp: nowS() + 3600 });
    const response = await new SimConnection(handlers).request([open()], { 'meta-grip-auth': forged });
    assert.equal(response.status, 401);
  });
});

describe('later requests', () => {
  test('claims come from meta, without verifying again', async () => {
    const users: unknown[] = [];
    const { handlers, verifier } = secured({ onMessage: (ctx) => void users.push(clientIdentity(ctx)?.claims.role) });
    const conn = new SimConnection(handlers);
    await conn.request([open()], { authorization: `Bearer ${await token({ role: 'r1' })}` });
    await conn.request([text('a'), text('b')]);
    assert.deepEqual(users, ['r1', 'r1']);
    assert.equal(verifier.calls, 1);
  });

  test('an expired token: closed with 4001 and its messages never reach user code', async () => {
    let messages = 0;
    const clock = testClock();
    const { handlers } = secured({ onMessage: () => void messages++ }, { now: clock.now });
    const conn = new SimConnection(handlers);
    await conn.request([open()], { authorization: `Bearer ${await token({ exp: nowS() + 1 })}` });
    clock.advance(1100);
    const response = await conn.request([text('late')]);
    assert.equal(response.closeCode, 4001);
    assert.equal(messages, 0);
  });

  test('a keep-alive request (no message) after exp closes too', async () => {
    const clock = testClock();
    const { handlers } = secured({}, { now: clock.now });
    const conn = new SimConnection(handlers);
    await conn.request([open()], { authorization: `Bearer ${await token({ exp: nowS() + 1 })}` });
    clock.advance(1100);
    assert.equal((await conn.request([])).closeCode, 4001);
  });

  test('a fresh token over the socket: answered with its exp, kept, and the connection outlives the first token', async () => {
    const clock = testClock();
    const { handlers } = secured({}, { now: clock.now });
    const conn = new SimConnection(handlers);
    await conn.request([open()], { authorization: `Bearer ${await token({ exp: nowS() + 2 })}` });
    const fresh = await token({ exp: nowS() + 600 });
    const answer = await conn.request([text(JSON.stringify({ type: 'auth', token: fresh }))]);
    assert.deepEqual(
      answer.texts.map((t) => JSON.parse(t)),
      [{ type: 'auth', exp: nowS() + 600 }],
    );
    clock.advance(2100);
    assert.equal((await conn.request([text('still here')])).closeCode, undefined);
  });

  test('a refresh for another user, or with a bad token, is refused with an error event; the connection keeps its token', async () => {
    const { handlers } = secured({});
    const conn = new SimConnection(handlers);
    await conn.request([open()], { authorization: `Bearer ${await token()}` });
    const other = await conn.request([text(JSON.stringify({ type: 'auth', token: await token({ sub: 'mallory' }) }))]);
    assert.deepEqual(JSON.parse(other.texts[0]!), { type: 'error', code: 'token_refused', text: 'token is for another user' });
    const bad = await conn.request([text(JSON.stringify({ type: 'auth', token: 'x.y.z' }))]);
    assert.equal(JSON.parse(bad.texts[0]!).code, 'token_refused');
    assert.equal(JSON.parse(conn.meta.get('grip-auth')!).sub, 'alice');
  });

  test('the keep-alive interval asks for a request just after exp; an interval user code set (presence) stays the ceiling', async () => {
    const { handlers } = secured({ onOpen: (ctx) => ctx.setKeepAliveInterval(25) });
    const conn = new SimConnection(handlers);
    const opened = await conn.request([open()], { authorization: `Bearer ${await token({ exp: nowS() + 3600 })}` });
    assert.equal(opened.headers['Keep-Alive-Interval'], '25');
    assert.equal((await conn.request([])).headers['Keep-Alive-Interval'], '25');
    const plain = secured({});
    const conn2 = new SimConnection(plain.handlers);
    const opened2 = await conn2.request([open()], { authorization: `Bearer ${await token({ exp: nowS() + 100 })}` });
    assert.ok(['101', '102'].includes(opened2.headers['Keep-Alive-Interval']!), opened2.headers['Keep-Alive-Interval']);
    const short = await conn2.request([text(JSON.stringify({ type: 'auth', token: await token({ exp: nowS() + 5 }) }))]);
    assert.equal(short.headers['Keep-Alive-Interval'], '20', "Pushpin's shortest");
  });
});

describe('capabilities', () => {
  const capability = { 'room-*': ['subscribe', 'publish'], lobby: ['subscribe'] };

  test("the route's own channel refused: 403 at the handshake, before user code", async () => {
    let ran = false;
    const { handlers } = secured({ onOpen: () => void (ran = true) }, { channel: () => 'secret' });
    const response = await new SimConnection(handlers).request([open()], { authorization: `Bearer ${await token({ capability })}` });
    assert.deepEqual([response.status, response.body], [403, 'not allowed to subscribe on channel "secret"\n']);
    assert.equal(ran, false);
  });

  test('ctx.subscribe in onOpen to a channel refused: 403; to one allowed: subscribed', async () => {
    const { handlers } = secured({ onOpen: (ctx) => ctx.subscribe(ctx.request.query.get('room')!) });
    const t = await token({ capability });
    const refused = await new SimConnection(handlers).request([open()], { authorization: `Bearer ${t}` }, 'room=admin');
    assert.equal(refused.status, 403);
    const allowed = await new SimConnection(handlers).request([open()], { authorization: `Bearer ${t}` }, 'room=room-1');
    assert.equal(allowed.status, 200);
    assert.ok(allowed.body.includes('"subscribe","channel":"room-1"'));
  });

  test('refused in onMessage: an error event to the client, the connection stays open; authorize() for publishes', async () => {
    const { handlers } = secured({
      onMessage(ctx, message) {
        const [op, channel] = (message as { data: string }).data.split(' ') as ['subscribe' | 'publish', string];
        if (op === 'subscribe') ctx.subscribe(channel);
        else authorize(ctx, 'publish', channel);
        ctx.send(`ok ${op} ${channel}`);
      },
    });
    const conn = new SimConnection(handlers);
    await conn.request([open()], { authorization: `Bearer ${await token({ capability })}` });
    const response = await conn.request([text('subscribe admin'), text('publish lobby'), text('publish room-2')]);
    assert.equal(response.closeCode, undefined);
    assert.deepEqual(
      response.texts.map((t) => (t.startsWith('{') ? JSON.parse(t).text : t)),
      ['not allowed to subscribe on channel "admin"', 'not allowed to publish on channel "lobby"', 'ok publish room-2'],
    );
  });

  test('presence: what Presence.enter checks; mayUseChannel answers without throwing', async () => {
    const seen: unknown[] = [];
    const { handlers } = secured({
      onOpen(ctx) {
        seen.push(mayUseChannel(ctx, 'presence', 'room-1'), mayUseChannel(ctx, 'presence', 'vip'));
        authorize(ctx, 'presence', 'vip');
      },
    });
    const t = await token({ capability: { 'room-*': ['presence'] } });
    const response = await new SimConnection(handlers).request([open()], { authorization: `Bearer ${t}` });
    assert.deepEqual(seen, [true, false]);
    assert.deepEqual([response.status, response.body], [403, 'not allowed to enter the presence of channel "vip"\n']);
  });

  test('a token without capability allows every channel', async () => {
    const { handlers } = secured({ onOpen: (ctx) => ctx.subscribe('anything') });
    assert.equal((await new SimConnection(handlers).request([open()], { authorization: `Bearer ${await token()}` })).status, 200);
  });
});

describe('settings from the environment', () => {
  test('CLIENT_AUTH_SECRET, _ISSUER, _AUDIENCE, _COOKIE; nothing set: no auth', () => {
    assert.equal(clientAuthFromEnv({}), undefined);
    assert.deepEqual(
      clientAuthFromEnv({ CLIENT_AUTH_SECRET: 's', CLIENT_AUTH_ISSUER: 'a, b', CLIENT_AUTH_AUDIENCE: 'chat', CLIENT_AUTH_COOKIE: 'c' }),
      {
        secret: 's',
        issuer: ['a', 'b'],
        audience: ['chat'],
        cookie: 'c',
      },
    );
    assert.deepEqual(clientAuthFromEnv({ CLIENT_AUTH_JWKS_URL: 'https://id/jwks' }), { jwksUrl: 'https://id/jwks' });
  });
});
