// Limits on clients through a real Pushpin, with ws clients and the
// stack's store (Redis, or DynamoDB with GRIP_E2E_STORE=dynamodb): the
// connections one user may hold (withClientAuth's connectionsPerUser) and
// a client that keeps flooding past the message rate closed with 1008
// while another client in its room is served throughout.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { DEFAULT_RATE_LIMIT } from '../../src/websocket/rate-limit.js';
import { FLOOD_CLOSE_AFTER_SECONDS } from './fixtures/limited/limits.js';
import { ROOT, sleep, uniqueName, waitFor } from './support/e2e.js';
import { E2E_STORE, storeOptions } from './support/store.js';

const secret = randomBytes(32).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);
const token = (sub: string) => new SignJWT({ sub, exp: nowS() + 600 }).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(secret));

let stack: RunningStack;
const sockets = new Set<WebSocket>();

before(async () => {
  stack = await startStack({ root: join(ROOT, 'test/e2e/fixtures/limited'), ...storeOptions(), env: { CLIENT_AUTH_SECRET: secret } });
});

after(async () => {
  for (const ws of sockets) {
    ws.on('error', () => undefined); // one still connecting reports its end as an error
    ws.terminate();
  }
  await stack?.stop();
});

interface Connected {
  readonly ws: WebSocket;
  readonly texts: string[];
  /** When each text arrived (ms since the epoch). */
  readonly at: number[];
  closed: { code: number; reason: string; at: number } | undefined;
}

/** Opens a connection as `user` to `room`; rejects with the handshake's status and body when refused. */
async function connect(user: string, room: string): Promise<Connected> {
  const bearer = await token(user);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${stack.wsUrl}/limited/${room}`, {
      headers: { authorization: `Bearer ${bearer}` },
      handshakeTimeout: 10_000,
    });
    sockets.add(ws);
    const connected: Connected = { ws, texts: [], at: [], closed: undefined };
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      connected.texts.push(data.toString());
      connected.at.push(Date.now());
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

async function refused(user: string, room: string): Promise<{ status: number; body: string }> {
  try {
    (await connect(user, room)).ws.close();
  } catch (error) {
    const { status, body } = error as { status?: number; body?: string };
    if (status === undefined) throw error;
    return { status, body: body ?? '' };
  }
  throw new Error(`a connection of ${user} was accepted`);
}

async function closeAndWait(c: Connected): Promise<void> {
  c.ws.close(1000);
  await waitFor(() => c.closed !== undefined, 10_000, 'the close');
}

/** Sends `text` and waits for the first answer that `match` accepts. */
async function ask(c: Connected, text: string, match: (answer: string) => boolean = () => true): Promise<string> {
  const from = c.texts.length;
  c.ws.send(text);
  await waitFor(() => c.texts.slice(from).some(match), 10_000, `an answer to ${text}`);
  return c.texts.slice(from).find(match)!;
}

const countOf = async (c: Connected) => JSON.parse(await ask(c, 'count', (t) => t.startsWith('{"count"'))).count as number;

/** Asks `c` for its user's count until it is `n` (the close of another connection is carried to the function after the client sees it). */
async function untilCount(c: Connected, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let count = await countOf(c);
  while (count !== n) {
    if (Date.now() > deadline) throw new Error(`the user's count stayed ${count}, not ${n}`);
    await sleep(100);
    count = await countOf(c);
  }
}

describe(`connections per user (max 2), counted on ${E2E_STORE}`, () => {
  test("the third connection of a user is refused with 429; another user's is accepted; a connection closed by its client or by the function frees its place", async () => {
    const room = uniqueName('room');
    const [ann, bob] = [uniqueName('ann'), uniqueName('bob')];
    const first = await connect(ann, room);
    const second = await connect(ann, room);
    assert.equal(await countOf(second), 2);
    assert.deepEqual(await refused(ann, room), { status: 429, body: 'too many connections for this user (at most 2)\n' });
    assert.deepEqual(await refused(ann, uniqueName('other-room')), {
      status: 429,
      body: 'too many connections for this user (at most 2)\n',
    });
    const other = await connect(bob, room);
    assert.equal(await countOf(other), 1);
    assert.equal(await countOf(second), 2, 'the refused ones took no place');

    await closeAndWait(first);
    await untilCount(second, 1);
    const third = await connect(ann, room);
    assert.equal(await countOf(third), 2);
    assert.equal((await refused(ann, room)).status, 429);

    // A connection the function closes frees its place too.
    third.ws.send('bye');
    await waitFor(() => third.closed !== undefined, 10_000, 'the close by the function');
    assert.equal(third.closed!.code, 4100);
    await untilCount(second, 1);
    const fourth = await connect(ann, room);
    assert.equal(await countOf(fourth), 2);
    for (const c of [second, other, fourth]) await closeAndWait(c);
  });
});

describe('a sustained flood, through Pushpin', () => {
  test(`a client flooding past the rate for over closeAfterSeconds (${FLOOD_CLOSE_AFTER_SECONDS} s) is closed with 1008, while another client in its room is served throughout`, async (t) => {
    const room = uniqueName('flood');
    const flooder = await connect(uniqueName('flooder'), room);
    const talker = await connect(uniqueName('talker'), room);
    let sent = 0;
    const floodStarted = Date.now();
    const flooding = (async () => {
      while (flooder.closed === undefined) {
        for (let i = 0; i < 20 && flooder.ws.readyState === WebSocket.OPEN; i++) flooder.ws.send(`f-${sent++}`);
        await sleep(100);
      }
    })();
    // The talker's every message comes back through the room while the flood goes on, and after it.
    const answered: number[] = [];
    for (let i = 0; flooder.closed === undefined; i++) {
      await ask(talker, `t-${i}`, (answer) => answer.endsWith(`: t-${i}`));
      answered.push(i);
      if (i > 200) assert.fail('the flooder was never closed');
      await sleep(150);
    }
    await flooding;
    assert.equal(flooder.closed!.code, 1008);
    assert.equal(flooder.closed!.reason, 'message rate exceeded');
    assert.ok(answered.length >= 10, `${answered.length} of the talker's messages answered during the flood`);
    assert.match(await ask(talker, 'after', (answer) => answer.endsWith(': after')), /: after$/);
    assert.equal(talker.closed, undefined, 'the talker is still connected');

    const errors = flooder.texts.map((text, index) => ({ text, at: flooder.at[index]! })).filter((m) => m.text.includes('"rate_limited"'));
    assert.ok(errors.length > 0, 'refusals were reported');
    const refused = errors.reduce((sum, m) => sum + Number(JSON.parse(m.text).refused), 0);
    const fromFlooder = (c: Connected) => c.texts.filter((text) => /^flooder-[0-9a-f]+: f-\d+$/.test(text)).length;
    const accepted = fromFlooder(flooder);
    const floodedFor = (flooder.closed!.at - errors[0]!.at) / 1000;
    t.diagnostic(
      `${sent} sent, ${accepted} accepted, ${refused} refused in ${errors.length} error events; closed ${floodedFor.toFixed(1)} s after the first refusal; ${answered.length} of the talker's messages answered meanwhile`,
    );
    assert.ok(
      floodedFor >= FLOOD_CLOSE_AFTER_SECONDS - 0.5,
      `closed ${floodedFor.toFixed(1)} s after the first refusal, before closeAfterSeconds`,
    );
    // The room gets what was accepted, at the documented rate: a burst, then messagesPerSecond.
    await waitFor(() => fromFlooder(talker) >= accepted, 10_000, "the flooder's accepted messages at the talker");
    const { burst, messagesPerSecond } = DEFAULT_RATE_LIMIT;
    const elapsed = (flooder.closed!.at - floodStarted) / 1000;
    assert.ok(
      fromFlooder(talker) <= burst + Math.ceil(messagesPerSecond * elapsed) + 1,
      `${fromFlooder(talker)} of the flood reached the room in ${elapsed.toFixed(1)} s`,
    );
  });
});
