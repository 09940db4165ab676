// The chat example with CLIENT_AUTH_SECRET set, through a real Pushpin: a
// capability refusing one room and allowing another; a flood of 1,000
// messages limited as documented while the room's other clients are
// served; grip-lambda/client refreshing short-lived tokens over the socket
// with no message lost; headless Chromium with the token in a cookie and in
// a subprotocol (browsers cannot set headers).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { RealtimeClient } from '../../src/client/client.js';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { type ChromiumBrowser, chromiumMissing, launchBrowser } from './support/chromium.js';
import { ROOT, sleep, uniqueName, waitFor } from './support/e2e.js';

const secret = randomBytes(32).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown> = {}) =>
  new SignJWT({ sub: 'alice', exp: nowS() + 600, ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(secret));

let stack: RunningStack;
const sockets = new Set<WebSocket>();
/** One Chromium for the page tests, launched by the first. */
let browser: Promise<ChromiumBrowser> | undefined;

before(async () => {
  stack = await startStack({ root: ROOT, env: { CLIENT_AUTH_SECRET: secret } });
});

after(async () => {
  for (const ws of sockets) {
    ws.on('error', () => undefined); // one still connecting reports its end as an error
    ws.terminate();
  }
  await (await browser?.catch(() => undefined))?.close();
  await stack?.stop();
});

interface Member {
  readonly ws: WebSocket;
  readonly events: Record<string, unknown>[];
  closeCode: number | undefined;
}

function enter(room: string, t: string): Promise<Member> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${stack.wsUrl}/chat/${room}`, { headers: { authorization: `Bearer ${t}` } });
    sockets.add(ws);
    const member: Member = { ws, events: [], closeCode: undefined };
    ws.on('message', (data) => member.events.push(JSON.parse(data.toString()) as Record<string, unknown>));
    ws.on('close', (code) => (member.closeCode = code));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`answered ${res.statusCode}`), { status: res.statusCode })),
    );
    ws.once('open', () => resolve(member));
  });
}

const welcomed = (m: Member) => waitFor(() => m.events.some((e) => e.type === 'welcome'), 10_000, 'the welcome');
const messages = (m: Member, prefix: string) =>
  m.events.filter((e) => e.type === 'message' && String(e.text).startsWith(prefix)).map((e) => String(e.text));

describe('chat with client tokens', () => {
  test('without a token: 401; a capability refusing one room (403) and allowing another; a subscribe-only room refuses publishes', async () => {
    const room = uniqueName('open');
    const ro = uniqueName('readonly');
    await assert.rejects(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${stack.wsUrl}/chat/${room}`);
        sockets.add(ws);
        ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error('refused'), { status: res.statusCode })));
        ws.once('open', resolve);
      }),
      { status: 401 },
    );
    const t = await token({ capability: { [room]: ['subscribe', 'publish'], [ro]: ['subscribe'] } });
    await assert.rejects(enter(uniqueName('other'), t), { status: 403 });
    const member = await enter(room, t);
    await welcomed(member);
    assert.equal(member.events.find((e) => e.type === 'welcome')!.nick, 'alice', 'the token sub is the nickname');
    member.ws.send('hello');
    await waitFor(() => messages(member, 'hello').length === 1, 10_000, 'the message back');
    const reader = await enter(ro, t);
    await welcomed(reader);
    reader.ws.send('not allowed');
    await waitFor(() => reader.events.some((e) => e.type === 'error'), 10_000, 'the error');
    assert.match(String(reader.events.find((e) => e.type === 'error')!.text), /not allowed to publish on channel/);
    assert.deepEqual(messages(reader, 'not allowed'), []);
    member.ws.close();
    reader.ws.close();
  });

  test('a flood of 1,000 messages: 20 at once and 10 a second pass, the rest are refused with error events; the room is served meanwhile', async (t) => {
    const room = uniqueName('flood');
    const flooder = await enter(room, await token({ sub: 'flooder' }));
    const talker = await enter(room, await token({ sub: 'talker' }));
    const observer = await enter(room, await token({ sub: 'observer' }));
    for (const m of [flooder, talker, observer]) await welcomed(m);
    const started = Date.now();
    for (let i = 0; i < 1000; i++) flooder.ws.send(`f-${i}`);
    for (let i = 0; i < 5; i++) {
      talker.ws.send(`t-${i}`);
      await sleep(100);
    }
    const refused = () => flooder.events.filter((e) => e.code === 'rate_limited').reduce((sum, e) => sum + Number(e.refused), 0);
    await waitFor(
      () => messages(flooder, 'f-').length + refused() === 1000,
      30_000,
      () => `1,000 answered (${messages(flooder, 'f-').length} + ${refused()})`,
    );
    const elapsed = (Date.now() - started) / 1000;
    const accepted = messages(flooder, 'f-');
    t.diagnostic(
      `${accepted.length} accepted, ${refused()} refused in ${flooder.events.filter((e) => e.code === 'rate_limited').length} error events, ${elapsed.toFixed(1)} s`,
    );
    assert.ok(accepted.length >= 20, `${accepted.length} accepted`);
    assert.ok(accepted.length <= 20 + Math.ceil(10 * elapsed) + 1, `${accepted.length} accepted in ${elapsed.toFixed(1)} s`);
    assert.equal(flooder.closeCode, undefined, 'a flood shorter than 10 s is not closed');
    await waitFor(
      () => messages(observer, 't-').length === 5 && messages(observer, 'f-').length === accepted.length,
      10_000,
      'the observer',
    );
    assert.deepEqual(messages(observer, 'f-'), accepted, 'the others get exactly what was accepted, in order');
    assert.deepEqual(messages(talker, 't-'), ['t-0', 't-1', 't-2', 't-3', 't-4']);
    for (const m of [flooder, talker, observer]) m.ws.close();
  });

  test('grip-lambda/client with 6 s tokens: refreshed over the socket, no reconnect, no message lost', async () => {
    const room = uniqueName('refresh');
    const observer = await enter(room, await token({ sub: 'observer' }));
    await welcomed(observer);
    const states: string[] = [];
    let tokens = 0;
    const client = new RealtimeClient(`${stack.wsUrl}/chat/${room}`, {
      WebSocket: WebSocket as never,
      getToken: () => {
        tokens++;
        return token({ sub: 'refresher', exp: nowS() + 6 });
      },
      onStateChange: (s) => states.push(s),
    });
    try {
      await waitFor(() => client.state === 'open', 10_000, 'the client open');
      for (let i = 0; i < 30; i++) {
        client.send(`r-${i}`);
        await sleep(500);
      }
      await waitFor(
        () => client.pending === 0,
        10_000,
        () => `every send answered (${client.pending} pending)`,
      );
      await waitFor(
        () => messages(observer, 'r-').length === 30,
        10_000,
        () => `30 at the observer (${messages(observer, 'r-').length})`,
      );
      assert.deepEqual(states, ['open'], 'never reconnected');
      assert.ok(tokens >= 4, `${tokens} tokens fetched (one at connect, then refreshes)`);
    } finally {
      client.close();
      observer.ws.close();
    }
  });
});

describe('headless Chromium', { skip: chromiumMissing }, () => {
  /** A page in a context of its own (its own cookies), on the chat page. */
  async function page() {
    const opened = await (browser ??= launchBrowser()).then((b) => b.newPage());
    await opened.page.goto(`${stack.httpUrl}/`);
    return { context: opened.context, page: opened.page };
  }

  /** Opens a WebSocket in the page; the first message (or the close code), and the protocol answered. */
  const openInPage = (p: Awaited<ReturnType<typeof page>>['page'], url: string, protocols: string[]) =>
    p.evaluate(
      ({ url, protocols }) =>
        new Promise<{ first?: string; protocol?: string; closed?: number }>((resolve) => {
          const ws = new WebSocket(url, protocols);
          ws.onmessage = (event) => {
            resolve({ first: String(event.data), protocol: ws.protocol });
            ws.close();
          };
          ws.onclose = (event) => resolve({ closed: event.code });
        }),
      { url, protocols },
    );

  test('the token in a cookie', async () => {
    const { context, page: p } = await page();
    const room = uniqueName('cookie');
    assert.equal((await openInPage(p, `${stack.wsUrl}/chat/${room}`, [])).closed, 1006, 'without the cookie, refused');
    await context.addCookies([{ name: 'access_token', value: await token({ sub: 'cookie-user' }), url: stack.httpUrl }]);
    const opened = await openInPage(p, `${stack.wsUrl}/chat/${room}`, []);
    assert.equal(JSON.parse(opened.first!).nick, 'cookie-user');
  });

  test('the token in a subprotocol, answered with grip-lambda.v1', async () => {
    const { page: p } = await page();
    const opened = await openInPage(p, `${stack.wsUrl}/chat/${uniqueName('proto')}`, [
      'grip-lambda.v1',
      `bearer.${await token({ sub: 'proto-user' })}`,
    ]);
    assert.equal(opened.protocol, 'grip-lambda.v1');
    assert.equal(JSON.parse(opened.first!).nick, 'proto-user');
  });
});
