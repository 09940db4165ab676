// Targeted sends through a real Pushpin: a function (here, the test process
// with the same publisher any function uses) reaches one connection by id,
// or every connection of a user, and closes them with a code and reason.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { readGripSettings } from '../../src/config.js';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { GripPublisher } from '../../src/publish/publisher.js';
import { closeAll, waitFor, WsClient } from './support/e2e.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/targets/', import.meta.url));

let stack: RunningStack;
let publisher: GripPublisher;

before(async () => {
  stack = await startStack({ root: FIXTURE });
  publisher = new GripPublisher(readGripSettings({ GRIP_URL: stack.gripUrl }).clients);
});

after(async () => {
  closeAll();
  await stack?.stop();
});

/** A connection to /inbox, with the id its welcome gave. */
async function connect(query = ''): Promise<{ ws: WsClient; id: string }> {
  const ws = await WsClient.open(`${stack.wsUrl}/inbox${query}`);
  await ws.waitForMessages(1, 10_000);
  const welcome = JSON.parse(ws.texts()[0]!) as { type: string; id: string };
  assert.equal(welcome.type, 'welcome');
  return { ws, id: welcome.id };
}

const received = (ws: WsClient): string[] => ws.texts().slice(1);

/** Waits until `ws` has received `text`. */
const arrives = (ws: WsClient, text: string) =>
  waitFor(
    () => ws.texts().includes(text),
    10_000,
    () => `"${text}" (have ${JSON.stringify(ws.texts())})`,
  );

describe('targeted sends through Pushpin', () => {
  test('a send to connection A reaches A only', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    await publisher.toConnection(a.id).send('for A');
    await arrives(a.ws, 'for A');
    // A later send to B, from the same publisher, shows B had its chance to get A's.
    await publisher.toConnection(b.id).send('for B');
    await arrives(b.ws, 'for B');
    assert.deepEqual(received(a.ws), ['for A']);
    assert.deepEqual(received(b.ws), ['for B']);
  });

  test('a close from outside arrives with its code and reason', async () => {
    const { ws, id } = await connect();
    await publisher.toConnection(id).close(4001, 'kicked out');
    await waitFor(() => ws.closeEvent !== undefined, 10_000, 'the close');
    assert.deepEqual(ws.closeEvent, { code: 4001, reason: 'kicked out' });
  });

  test('a user with three connections gets the message on all three, another user on none', async () => {
    const user = `u-${process.pid}-${Date.now()}`;
    const [one, two, three, other] = await Promise.all([
      connect(`?user=${user}`),
      connect(`?user=${user}`),
      connect(),
      connect('?user=someone-else'),
    ]);
    // The third says who it is after opening.
    await three.ws.send(`/user ${user}`);
    await arrives(three.ws, JSON.stringify({ type: 'user', user }));
    await publisher.toUser(user).send('hello user');
    for (const c of [one, two, three]) await arrives(c.ws, 'hello user');
    await publisher.toUser('someone-else').send('fence');
    await arrives(other.ws, 'fence');
    assert.deepEqual(received(other.ws), ['fence']);
    for (const c of [one, two]) assert.deepEqual(received(c.ws), ['hello user']);
  });

  test('a connection that closed is simply not reached', async () => {
    const user = `gone-${process.pid}-${Date.now()}`;
    const [leaving, staying] = await Promise.all([connect(`?user=${user}`), connect(`?user=${user}`)]);
    await leaving.ws.close(1000);
    // Pushpin unsubscribes a closed connection: publishing to it succeeds and reaches no one.
    await publisher.toConnection(leaving.id).send('to nobody');
    await publisher.toUser(user).send('to those left');
    await arrives(staying.ws, 'to those left');
    assert.deepEqual(received(staying.ws), ['to those left']);
    assert.deepEqual(received(leaving.ws), []);
  });
});
