// Requests sent straight to the function host, around Pushpin: only those
// carrying a Grip-Sig JWT signed with the proxy's key (HS256, iss "pushpin",
// not expired) are served; anything else is 401.
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { after, before, describe, test } from 'node:test';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { publishMessage, ROOT, uniqueName, waitFor, WsClient } from './support/e2e.js';

let stack: RunningStack;

before(async () => {
  stack = await startStack({ root: ROOT });
});

after(async () => {
  await stack?.stop();
});

interface SigOptions {
  readonly key?: string;
  readonly iss?: string;
  /** Seconds from now; negative for an expired token. */
  readonly expiresIn?: number;
}

function gripSig({ key = stack.sigKey, iss = 'pushpin', expiresIn = 3600 }: SigOptions = {}): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(iss)
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
    .sign(new TextEncoder().encode(key));
}

/** The WebSocket-over-HTTP OPEN request Pushpin would send for a new connection. */
function openEcho(headers: Record<string, string> = {}): Promise<{ status: number; contentType: string | null; body: string }> {
  return postEcho('OPEN\r\n', headers);
}

async function postEcho(
  events: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; contentType: string | null; body: string }> {
  const response = await fetch(`${stack.originUrl}/echo`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/websocket-events',
      Accept: 'application/websocket-events',
      'Connection-Id': 'e2e-grip-sig',
      ...headers,
    },
    body: events,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
}

async function getStream(headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: string }> {
  const response = await fetch(`${stack.originUrl}/stream/x`, { headers, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

describe('Grip-Sig on requests that bypass Pushpin', () => {
  test('a WebSocket-over-HTTP OPEN without Grip-Sig is refused with 401', async () => {
    const answer = await openEcho();
    assert.equal(answer.status, 401, answer.body);
    assert.doesNotMatch(answer.body, /^OPEN/);
  });

  test('one signed with a wrong key is refused with 401', async () => {
    const answer = await openEcho({ 'Grip-Sig': await gripSig({ key: `${stack.sigKey}-not` }) });
    assert.equal(answer.status, 401, answer.body);
  });

  test('one with a wrong issuer, an expired one, or a malformed one is refused with 401', async () => {
    for (const sig of [await gripSig({ iss: 'someone-else' }), await gripSig({ expiresIn: -3600 }), 'not.a.jwt', '']) {
      const answer = await openEcho({ 'Grip-Sig': sig });
      assert.equal(answer.status, 401, `Grip-Sig ${JSON.stringify(sig.slice(0, 20))}: ${answer.status} ${answer.body}`);
    }
  });

  test('one signed with the proxy key is accepted: 200 and an OPEN event back', async () => {
    const answer = await openEcho({ 'Grip-Sig': await gripSig() });
    assert.equal(answer.status, 200, answer.body);
    assert.match(answer.contentType ?? '', /^application\/websocket-events/);
    assert.ok(answer.body.startsWith('OPEN'), `body starts with OPEN: ${JSON.stringify(answer.body)}`);
  });

  test('a token expired 10 minutes ago (a connection idle over an hour) admits a DISCONNECT alone, nothing else', async () => {
    const idle = await gripSig({ expiresIn: -600 });
    const disconnect = await postEcho('DISCONNECT\r\n', { 'Grip-Sig': idle });
    assert.equal(disconnect.status, 200, disconnect.body);
    for (const events of ['TEXT 2\r\nhi\r\n', 'TEXT 2\r\nhi\r\nDISCONNECT\r\n', 'OPEN\r\n']) {
      const answer = await postEcho(events, { 'Grip-Sig': idle });
      assert.equal(answer.status, 401, `${JSON.stringify(events)}: ${answer.body}`);
      assert.match(answer.body, /expired/);
    }
    // Past the grace (a day), a DISCONNECT is refused too.
    const stale = await postEcho('DISCONNECT\r\n', { 'Grip-Sig': await gripSig({ expiresIn: -25 * 3600 }) });
    assert.equal(stale.status, 401, stale.body);
  });

  test('an HTTP stream request without Grip-Sig is refused with 401; with one it gets its hold instructions', async () => {
    const refused = await getStream();
    assert.equal(refused.status, 401, refused.body);
    assert.equal(refused.headers.get('grip-hold'), null);

    const wrong = await getStream({ 'Grip-Sig': await gripSig({ key: 'wrong' }) });
    assert.equal(wrong.status, 401, wrong.body);

    const accepted = await getStream({ 'Grip-Sig': await gripSig() });
    assert.equal(accepted.status, 200, accepted.body);
    assert.equal(accepted.headers.get('grip-hold'), 'stream');
    assert.equal(accepted.headers.get('grip-channel'), 'x');
  });
});

describe('a connection idle for over an hour, through Pushpin', () => {
  // Pushpin signs a DISCONNECT with the token of the connection's previous request. Instead of idling an
  // hour, the functions' clock (this process's: the function host runs the functions here) moves two hours
  // on after the connections open; Pushpin's clock does not move, so the DISCONNECT it sends carries a
  // token made before the move, which the function then sees expired an hour ago.
  test('the client goes away: onClose still runs (chat publishes the leave notice)', async () => {
    const room = uniqueName('idle');
    const events = (client: WsClient) => client.texts().map((text) => JSON.parse(text) as { type: string; nick?: string; text?: string });
    const alice = await WsClient.open(`${stack.wsUrl}/chat/${room}`);
    const realNow = Date.now;
    try {
      // Alice is subscribed once a publish reaches her.
      for (let n = 0; !events(alice).some((e) => e.type === 'message'); n++) {
        await publishMessage(stack.httpUrl, room, `probe-${n}`);
        await waitFor(() => events(alice).some((e) => e.type === 'message'), 300, 'a probe').catch(() => undefined);
        assert.ok(n < 50, 'alice never got a probe');
      }
      const bob = await WsClient.open(`${stack.wsUrl}/chat/${room}`);
      await waitFor(() => events(alice).some((e) => e.type === 'join'), 10_000, "bob's join notice");
      Date.now = () => realNow() + 2 * 3600 * 1000;
      bob.ws.terminate(); // no close frame: Pushpin sends a DISCONNECT
      await waitFor(() => events(alice).some((e) => e.type === 'leave'), 10_000, "bob's leave notice");
    } finally {
      Date.now = realNow;
      alice.ws.terminate();
    }
  });
});
