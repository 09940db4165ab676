// Presence in the chat rooms, through a real Pushpin with a real Redis:
// /who and counts after clean closes and abrupt disconnects, members that
// vanish in a proxy restart leaving within PRESENCE_LEAVE_SECONDS while the
// quiet ones who came back are kept by keep-alive requests; and a message
// resent with the same client id stored and delivered once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { RealtimeClient, type ServerMessage } from '../../src/client/client.js';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import type { Presence } from '../../src/presence/presence.js';
import { stackFeed, stackPresence, storeOptions } from './support/store.js';
import { closeAll, ROOT, sleep, uniqueName, waitFor, WsClient } from './support/e2e.js';

// The shortest the chat allows with Pushpin's 20 s keep-alive interval: entries live 25 s past their last refresh.
const LEAVE_SECONDS = 45;

let stack: RunningStack;
let presence: Presence;

before(async () => {
  stack = await startStack({ root: ROOT, ...storeOptions(), env: { PRESENCE_LEAVE_SECONDS: String(LEAVE_SECONDS) } });
  presence = stackPresence(stack);
});

after(async () => {
  closeAll();
  await presence?.close();
  await stack?.stop();
});

type Event = { type: string; nick?: string; nicks?: string[]; cid?: string; id?: string; text?: string };

/** A chat connection with its events parsed. */
class Member {
  private constructor(readonly ws: WsClient) {}

  static async join(room: string, nick: string): Promise<Member> {
    const ws = await WsClient.open(`${stack.wsUrl}/chat/${room}?nick=${nick}`);
    const member = new Member(ws);
    await waitFor(() => member.events().some((e) => e.type === 'welcome'), 10_000, `${nick}'s welcome`);
    return member;
  }

  events(): Event[] {
    return this.ws.texts().map((t) => JSON.parse(t) as Event);
  }

  notices(type: 'join' | 'leave'): string[] {
    return this.events()
      .filter((e) => e.type === type)
      .map((e) => e.nick!);
  }

  /** Asks /who and returns the answer. */
  async who(): Promise<string[]> {
    const before = this.events().filter((e) => e.type === 'who').length;
    await this.ws.send('/who');
    await waitFor(() => this.events().filter((e) => e.type === 'who').length > before, 10_000, 'the answer to /who');
    return this.events().filter((e) => e.type === 'who')[before]!.nicks!;
  }
}

describe('presence in chat rooms', () => {
  test('members and counts after joins, a clean close, an abrupt disconnect and a new nickname', async () => {
    const room = uniqueName('who');
    const ann = await Member.join(room, 'ann');
    const bea = await Member.join(room, 'bea');
    const cy = await Member.join(room, 'cy');
    assert.deepEqual(await ann.who(), ['ann', 'bea', 'cy']);
    assert.equal(await presence.count(room), 3);
    await waitFor(
      () => ann.notices('join').length === 2,
      10_000,
      () => `ann hears two joins: ${JSON.stringify(ann.notices('join'))}`,
    );
    assert.deepEqual(ann.notices('join'), ['bea', 'cy']);

    await cy.ws.close(1000);
    await waitFor(() => ann.notices('leave').includes('cy'), 10_000, 'ann hears cy leave');
    assert.equal(await presence.count(room), 2);

    bea.ws.ws.terminate(); // no close handshake: Pushpin sends a DISCONNECT
    await waitFor(() => ann.notices('leave').includes('bea'), 10_000, 'ann hears bea leave');
    assert.equal(await presence.count(room), 1);
    assert.deepEqual(ann.notices('leave'), ['cy', 'bea']);

    await ann.ws.send('/nick anna');
    assert.deepEqual(await ann.who(), ['anna']);
    const [member] = await presence.members(room);
    assert.deepEqual(member?.data, { nick: 'anna' });
  });

  test('members lost in a proxy restart leave within PRESENCE_LEAVE_SECONDS; quiet members who came back stay', {
    timeout: 120_000,
  }, async () => {
    const room = uniqueName('restart');
    await Member.join(room, 'x');
    await Member.join(room, 'y');
    assert.equal(await presence.count(room), 2);
    const cutAt = Date.now();
    await stack.stopProxy(); // no DISCONNECT reaches the function: x and y just vanish
    await stack.startProxy();
    const x2 = await Member.join(room, 'x2');
    const y2 = await Member.join(room, 'y2');
    const backAt = Date.now();
    // Nobody has asked yet: the vanished entries are still there.
    await waitFor(
      () => x2.notices('leave').length === 2,
      (LEAVE_SECONDS + 10) * 1000,
      () => `x2 hears x and y leave (has ${JSON.stringify(x2.notices('leave'))})`,
    );
    const leftAfter = (Date.now() - cutAt) / 1000;
    assert.deepEqual(x2.notices('leave').sort(), ['x', 'y']);
    assert.ok(leftAfter <= LEAVE_SECONDS + 5, `the vanished members' leaves came ${leftAfter.toFixed(1)} s after the restart`);
    console.log(`vanished members left ${leftAfter.toFixed(1)} s after the proxy stopped (PRESENCE_LEAVE_SECONDS=${LEAVE_SECONDS})`);
    // x2 and y2 said nothing since joining; their entries outlive 25 s only through keep-alive refreshes.
    await sleep(Math.max(0, backAt + 28_000 - Date.now()));
    assert.equal(await presence.count(room), 2);
    assert.deepEqual(await x2.who(), ['x2', 'y2']);
    assert.deepEqual(y2.notices('leave').sort(), ['x', 'y']);
    // Quiet for over 25 s: the proxy's keep-alive text reached them (what grip-lambda/client's idle timer sees).
    for (const member of [x2, y2])
      assert.ok(
        member.events().some((e) => e.type === 'ping'),
        'a keep-alive ping',
      );
  });
});

describe('client message ids', () => {
  test('a message resent with the same cid is stored and delivered once; both answers carry its id', async () => {
    const room = uniqueName('cid');
    const listener = await Member.join(room, 'lis');
    const sender = await Member.join(room, 'sen');
    const wire = JSON.stringify({ cid: 'abc-1', text: 'only once' });
    await sender.ws.send(wire);
    await sender.ws.send(wire);
    await waitFor(() => sender.events().filter((e) => e.cid === 'abc-1').length === 2, 10_000, 'two answers for cid abc-1');
    const answers = sender.events().filter((e) => e.cid === 'abc-1');
    assert.equal(answers[0]!.id, answers[1]!.id);
    await sender.ws.send('fence');
    await waitFor(() => listener.events().some((e) => e.text === 'fence'), 10_000, 'the fence at the listener');
    assert.deepEqual(
      listener
        .events()
        .filter((e) => e.type === 'message')
        .map((e) => e.text),
      ['only once', 'fence'],
    );
    const feed = stackFeed(stack);
    try {
      assert.deepEqual(
        (await feed.after(room, '0-0')).map((item) => (JSON.parse(item.data) as Event).text),
        ['only once', 'fence'],
      );
    } finally {
      await feed.close();
    }
  });

  test('grip-lambda/client in Node (with ws): its send is answered with its cid, and the queue empties', async () => {
    const room = uniqueName('node');
    const listener = await Member.join(room, 'lis');
    const got: (ServerMessage | string)[] = [];
    const client = new RealtimeClient(`${stack.wsUrl}/chat/${room}?nick=node`, { WebSocket, onMessage: (m) => got.push(m) });
    try {
      const cid = client.send('from node'); // queued until the socket opens
      await waitFor(() => client.pending === 0, 10_000, 'the answer to the queued send');
      const answer = got.find((m): m is ServerMessage => typeof m !== 'string' && m.cid === cid);
      assert.equal(answer?.text, 'from node');
      assert.equal(client.lastId, answer?.id);
      await waitFor(() => listener.events().some((e) => e.text === 'from node'), 10_000, 'the message at the listener');
      assert.equal(client.state, 'open');
    } finally {
      client.close();
    }
  });
});
