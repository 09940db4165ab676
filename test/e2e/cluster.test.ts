// Three Pushpin nodes behind haproxy (startStack({ proxies: 3 })), each
// running the config the production generator writes, with real `ws`
// clients spread over them, real Redis for the chat feed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PublishError } from '../../src/publish/errors.js';
import { GripPublisher } from '../../src/publish/publisher.js';
import { wsMessage } from '../../src/publish/formats.js';
import { readGripSettings } from '../../src/config.js';
import WebSocket from 'ws';
import { RealtimeClient, type ServerMessage, type WebSocketConstructor } from '../../src/client/index.js';
import { FEED_START } from '../../src/feed/feed.js';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { closeAll, counts, publishMessage, ROOT, sleep, uniqueName, until, WsClient } from './support/e2e.js';

let stack: RunningStack;

before(async () => {
  stack = await startStack({ root: ROOT, proxies: 3, redis: true });
});

after(async () => {
  closeAll();
  await stack?.stop();
});

/** Opens `count` clients through the balancer, `wave` at a time. */
async function openMany(path: string, count: number, wave = 50): Promise<WsClient[]> {
  const clients: WsClient[] = [];
  for (let i = 0; i < count; i += wave) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(wave, count - i) }, () => WsClient.open(`${stack.wsUrl}${path}`)))));
  }
  return clients;
}

/** Publishes probes until every client has received one: each is then subscribed on its node. */
async function untilSubscribed(channel: string, clients: readonly WsClient[]): Promise<void> {
  for (let probe = 0; ; probe++) {
    await publishMessage(stack.httpUrl, channel, `probe-${probe}`);
    try {
      await until(() => clients.every((c) => c.texts().some((t) => t.includes('"probe-'))), 'every client subscribed', 1_000);
      return;
    } catch (error) {
      if (probe >= 10) throw error;
    }
  }
}

interface ChatMessage {
  readonly type: string;
  readonly text?: string;
  readonly id?: string;
  readonly prevId?: string;
}

const parse = (text: string): ChatMessage => JSON.parse(text) as ChatMessage;

describe('three Pushpin nodes behind one balancer', () => {
  test('300 clients are spread over every node, and one publish reaches each of them exactly once', async () => {
    const channel = uniqueName('spread');
    const clients = await openMany(`/subscribe/${channel}`, 300);
    const perNode = await stack.connectionsPerNode();
    assert.equal(perNode.length, 3);
    for (const [i, n] of perNode.entries()) assert.ok(n >= 50, `node-${i + 1} holds ${n} of the 300 connections (${perNode.join(', ')})`);
    await untilSubscribed(channel, clients);

    await publishMessage(stack.httpUrl, channel, 'once');
    await publishMessage(stack.httpUrl, channel, 'end');
    await until(() => clients.every((c) => c.texts().some((t) => t.includes('"end"'))), 'the end marker at every client', 15_000);
    for (const [i, client] of clients.entries()) {
      const texts = client.texts().map((t) => parse(t).text ?? '');
      assert.deepEqual(counts(texts.filter((t) => t === 'once' || t === 'end')), { once: 1, end: 1 }, `client ${i}`);
      assert.ok(texts.indexOf('once') < texts.indexOf('end'), `client ${i}: in publish order`);
    }
    for (const client of clients) client.ws.terminate();
    // The nodes report 300 disconnects to the function; the next test starts once they are done, not during them.
    for (const deadline = Date.now() + 30_000; ; await sleep(200)) {
      const left = await stack.connectionsPerNode();
      if (left.every((n) => n === 0)) break;
      if (Date.now() > deadline) assert.fail(`connections left after the clients went: ${left.join(', ')}`);
    }
  });

  test("chat across nodes: every client gets every sender's messages once each, in the order sent", async () => {
    const room = uniqueName('order');
    const clients = await openMany(`/chat/${room}`, 6);
    await until(() => clients.every((c) => c.texts().some((t) => parse(t).type === 'welcome')), 'every welcome');
    const perSender = 15;
    // Each sender waits for its own message back before the next, as a person typing would.
    await Promise.all(
      clients.map(async (client, who) => {
        for (let i = 0; i < perSender; i++) {
          const text = `s${who}-${i}`;
          await client.send(text);
          await until(() => client.texts().some((t) => parse(t).text === text), `s${who}'s message ${i} back`);
        }
      }),
    );
    const total = clients.length * perSender;
    for (const client of clients) {
      await until(
        () => client.texts().filter((t) => parse(t).type === 'message').length >= total,
        () => `${total} messages (have ${client.texts().filter((t) => parse(t).type === 'message').length})`,
      );
    }
    await sleep(200); // anything delivered twice would arrive by now
    for (const [c, client] of clients.entries()) {
      const texts = client
        .texts()
        .map(parse)
        .filter((m) => m.type === 'message')
        .map((m) => m.text ?? '');
      assert.equal(texts.length, total, `client ${c}: each message once`);
      for (let who = 0; who < clients.length; who++) {
        const mine = texts.filter((t) => t.startsWith(`s${who}-`));
        assert.deepEqual(
          mine,
          Array.from({ length: perSender }, (_, i) => `s${who}-${i}`),
          `client ${c}, sender ${who}`,
        );
      }
    }
    for (const client of clients) await client.close();
  });

  test('a node killed mid-conversation: its clients reconnect to the others, resume from the feed, and no one loses a message', async (t) => {
    const room = uniqueName('failover');
    const peers = Array.from({ length: 9 }, () => new Peer(`${stack.wsUrl}/chat/${room}`));
    t.after(() => {
      for (const peer of peers) peer.client.close();
    });
    await until(() => peers.every((peer) => peer.client.state === 'open'), 'every chatter connected');
    const before = await stack.connectionsPerNode();
    assert.ok(
      before.every((n) => n >= 3),
      `three chatters per node (${before.join(', ')})`,
    );
    const sent: string[] = [];
    let killed = false;
    // The functions run in this process: what they log about the dead node is seen here.
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
    t.after(() => void (console.warn = warn));
    // Each peer says 12 things, one every ~40 ms; node-2 is killed (SIGKILL, every process) after the fifth round.
    for (let round = 0; round < 12; round++) {
      if (round === 5) {
        await stack.nodes[1]!.kill();
        killed = true;
      }
      await Promise.all(
        peers.map(async (peer, who) => {
          const text = `p${who}-${round}`;
          sent.push(text);
          await peer.say(text);
        }),
      );
      await sleep(40);
    }
    assert.ok(killed);
    const cut = peers.filter((peer) => peer.drops > 0).length;
    assert.ok(cut >= 3, `the killed node's clients were cut off (${cut} of 9 reconnected)`);
    assert.deepEqual(await stack.connectionsPerNode().then((n) => n[1]), 0, 'nothing connected to the dead node');
    const deadUri = `${stack.nodes[1]!.controlUrl}/publish/`;
    assert.ok(
      warnings.some((w) => w.includes(`failed on 1 proxy(ies): ${deadUri}`)),
      `the functions named the dead node: ${JSON.stringify(warnings.slice(0, 3))}`,
    );
    assert.ok(
      warnings.every((w) => !w.includes(stack.nodes[0]!.controlUrl) && !w.includes(stack.nodes[2]!.controlUrl)),
      'and only it',
    );

    // Everyone has everything the feed holds, once each, in the feed's order.
    const stored = await roomHistory(`${stack.wsUrl}/chat/${room}`);
    assert.deepEqual(counts(stored.map((m) => String(m.text))), counts(sent), 'every message said is stored once');
    for (const [i, peer] of peers.entries()) {
      await until(
        () => peer.messages.length >= stored.length,
        () => `peer ${i}: ${stored.length} messages (has ${peer.messages.length})`,
        15_000,
      );
      assert.deepEqual(
        peer.messages.map((m) => m.id),
        stored.map((m) => m.id),
        `peer ${i} (reconnected ${peer.drops} time(s)): every message once, in order`,
      );
      assert.deepEqual(
        peer.closeCodes.filter((code) => code !== 1006),
        [],
        `peer ${i}: no close but the dead node's`,
      );
      assert.equal(peer.client.pending, 0, `peer ${i}: every send acknowledged`);
    }
  });

  test('with a node down, a publish reaches the live nodes and fails naming the dead one, after a few retries, within its deadline', async () => {
    const dead = stack.nodes[1]!;
    if (dead.running) await dead.stop();
    const channel = uniqueName('partial');
    const clients = await openMany(`/subscribe/${channel}`, 6);
    await untilSubscribed(channel, clients);
    const requests = new Map<string, number>();
    const countingFetch: typeof fetch = (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      requests.set(url, (requests.get(url) ?? 0) + 1);
      return fetch(input, init);
    };
    const publisher = new GripPublisher(readGripSettings({ GRIP_URL: stack.gripUrl }).clients, {
      fetch: countingFetch,
      retry: { attempts: 5, maxRetryMs: 3_000 },
    });
    const started = Date.now();
    const error = await publisher.publish(channel, wsMessage('{"type":"message","text":"partial"}')).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    assert.ok(error instanceof PublishError, `a PublishError, got ${String(error)}`);
    const deadUri = `${dead.controlUrl}/publish/`;
    assert.deepEqual(
      error.failures.map((f) => f.publishUri),
      [deadUri],
    );
    assert.match(error.message, new RegExp(deadUri.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const attempts = requests.get(deadUri) ?? 0;
    assert.ok(attempts >= 2 && attempts <= 5, `the dead node was tried ${attempts} times (retried, at most the 5 attempts)`);
    for (const node of stack.nodes.filter((n) => n !== dead))
      assert.equal(requests.get(`${node.controlUrl}/publish/`), 1, `${node.name}: one request`);
    assert.ok(elapsed < 3_000 + 1_000, `settled within the retry deadline (${elapsed} ms)`);
    await until(
      () => clients.every((c) => c.texts().some((t) => t.includes('"partial"'))),
      'the publish at every client (all on live nodes)',
    );

    await dead.start();
    const after = await stack.connectionsPerNode();
    assert.equal(after.length, 3);
    for (const client of clients) client.ws.terminate();
  });
});

/** A chatter on grip-lambda/client: every message it is handed, and how often it lost its connection. */
class Peer {
  readonly messages: ServerMessage[] = [];
  /** Close codes of connections that were open. */
  readonly closeCodes: number[] = [];
  drops = 0;
  readonly client: RealtimeClient;

  constructor(url: string) {
    this.client = new RealtimeClient(url, {
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      lastId: FEED_START, // an empty room: its history starts here
      minDelayMs: 50,
      maxDelayMs: 1_000,
      shouldReconnect: (code) => {
        this.closeCodes.push(code);
        return true;
      },
      onStateChange: (state) => {
        if (state === 'reconnecting') this.drops++;
      },
      onMessage: (message) => {
        if (typeof message === 'object' && message.type === 'message') this.messages.push(message);
      },
    });
  }

  /** Sends `text` (the client resends it after a reconnect until acknowledged) and waits until it is handed back, stored. */
  async say(text: string): Promise<void> {
    this.client.send(text);
    await until(() => this.messages.some((m) => m.text === text), `"${text}" back`, 15_000);
  }
}

/** Every message the room's feed holds, oldest first. */
async function roomHistory(url: string): Promise<ServerMessage[]> {
  const client = await WsClient.open(`${url}?last-id=${FEED_START}`);
  await until(() => client.texts().some((t) => parse(t).type === 'welcome'), "the history reader's welcome");
  await sleep(300); // the replay comes right after the welcome, in the same response
  await client.close();
  return client
    .texts()
    .map((t) => JSON.parse(t) as ServerMessage)
    .filter((m) => m.type === 'message');
}
