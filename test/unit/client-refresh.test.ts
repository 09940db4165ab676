// grip-lambda/client with getToken, against a scripted WebSocket: the token
// offered as a subprotocol or in the query, a fresh one sent over the open
// socket before exp, the server's answer kept from the application, and a
// 4001 close reconnecting with a new token.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RealtimeClient, tokenExpiry, type ClientOptions } from '../../src/client/client.js';
import { ScriptedSocket } from '../support/scripted-socket.js';

const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));
/** An unsigned token with this exp (the client reads exp, never checks signatures). */
const tokenFor = (expSeconds: number, n: number) =>
  `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'u', exp: expSeconds, n })).toString('base64url')}.sig`;

function client(options: Partial<ClientOptions>) {
  ScriptedSocket.made = [];
  const got: unknown[] = [];
  const c = new RealtimeClient('ws://x/chat/room', {
    WebSocket: ScriptedSocket,
    minDelayMs: 1,
    maxDelayMs: 4,
    onMessage: (m) => got.push(m),
    ...options,
  });
  return { c, got, socket: () => ScriptedSocket.made.at(-1)! };
}

describe('RealtimeClient with getToken', () => {
  test('tokenExpiry reads exp in ms; undefined for what is not a JWT with exp', () => {
    assert.equal(tokenExpiry(tokenFor(1700000000, 1)), 1700000000 * 1000);
    assert.equal(tokenExpiry('nope'), undefined);
  });

  test('the token is offered as bearer.TOKEN beside grip-lambda.v1, or in access_token', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const a = client({ getToken: () => tokenFor(exp, 1) });
    await tick();
    assert.deepEqual(a.socket().protocols, ['grip-lambda.v1', `bearer.${tokenFor(exp, 1)}`]);
    a.c.close();
    const b = client({ getToken: async () => tokenFor(exp, 2), tokenIn: 'query' });
    await tick();
    assert.ok(b.socket().url.startsWith(`ws://x/chat/room?access_token=${encodeURIComponent(tokenFor(exp, 2))}`));
    b.c.close();
  });

  test("a fresh token goes over the open socket before exp; the server's answer is not handed to the application", async () => {
    let n = 0;
    const exp = Math.floor(Date.now() / 1000) + 3;
    const { c, got, socket } = client({ getToken: () => tokenFor(exp, ++n) });
    await tick();
    socket().open();
    const sentAuth = () =>
      socket()
        .sent.map((s) => JSON.parse(s) as { type?: string; token: string })
        .find((m) => m.type === 'auth');
    while (sentAuth() === undefined && Date.now() < exp * 1000) await tick(10);
    const refresh = sentAuth();
    assert.ok(refresh !== undefined, 'a refresh was sent before exp');
    assert.equal(JSON.parse(Buffer.from(refresh.token.split('.')[1]!, 'base64url').toString()).n, 2);
    socket().onmessage?.({ data: JSON.stringify({ type: 'auth', exp: 1 }) });
    assert.deepEqual(got, []);
    assert.equal(ScriptedSocket.made.length, 1, 'no reconnect');
    c.close();
  });

  test('closed with 4001 (token expired): reconnects with a new token; other 4000s do not', async () => {
    let n = 0;
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const { c, socket } = client({ getToken: () => tokenFor(exp, ++n) });
    await tick();
    socket().open();
    socket().drop(4001);
    await tick(50);
    assert.equal(ScriptedSocket.made.length, 2);
    assert.ok(String(socket().protocols).includes(`bearer.${tokenFor(exp, 2)}`));
    socket().open();
    socket().drop(4003);
    await tick(50);
    assert.equal(ScriptedSocket.made.length, 2);
    assert.equal(c.state, 'closed');
  });

  test('getToken failing: retried after the backoff, as a failed connection', async () => {
    let calls = 0;
    const { c } = client({
      getToken: () => {
        calls++;
        if (calls < 3) throw new Error('auth server down');
        return tokenFor(Math.floor(Date.now() / 1000) + 3600, calls);
      },
    });
    await tick(100);
    assert.equal(calls, 3);
    assert.equal(ScriptedSocket.made.length, 1);
    c.close();
  });
});
