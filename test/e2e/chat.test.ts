// Chat rooms (/chat/{room}) through a real Pushpin: welcome, /nick kept in
// connection meta across invocations, join and leave notices, a sender's
// own message exactly once (skip-self), an unpaced 100-client burst with
// nothing lost, doubled or reordered, and invalid room names refused at handshake.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { SequenceWatcher } from '../../src/publish/sequence.js';
import {
  closeAll,
  counts,
  proxyLogProblems,
  rejectedHandshake,
  ROOT,
  uniqueName,
  waitFor,
  WsClient,
  publishMessage,
} from './support/e2e.js';

let stack: RunningStack;
let logDir: string;

before(async () => {
  logDir = await mkdtemp(join(tmpdir(), 'grip-e2e-chat-'));
  stack = await startStack({ root: ROOT, logDir });
});

after(async () => {
  closeAll();
  await stack?.stop();
  await rm(logDir, { recursive: true, force: true });
});

/** Pushpin's and zurl's warnings and errors so far, for failure messages. */
function proxyProblems(): string {
  const lines = proxyLogProblems(logDir);
  return lines.length === 0 ? '' : `\nproxy log:\n${lines.slice(-20).join('\n')}`;
}

type ChatEvent =
  | { type: 'welcome'; room: string; nick: string }
  | { type: 'message'; nick: string; text: string; pub?: string; seq?: number }
  | { type: 'join' | 'leave'; nick: string }
  | { type: 'nick'; from: string; nick: string }
  | { type: 'error'; text: string };

/** A chat connection: its events, parsed, in the order they came. */
class ChatClient {
  private constructor(
    readonly ws: WsClient,
    /** The nickname the welcome gave (guest-XXXX). */
    readonly guestNick: string,
  ) {}

  static async join(room: string): Promise<ChatClient> {
    const ws = await WsClient.open(`${stack.wsUrl}/chat/${room}`);
    await waitFor(() => ws.messages.length > 0, 10_000, `the welcome in room ${room}`);
    const welcome = JSON.parse(ws.texts()[0]!) as ChatEvent;
    assert.equal(welcome.type, 'welcome', `the first event is the welcome: ${JSON.stringify(welcome)}`);
    return new ChatClient(ws, (welcome as { nick: string }).nick);
  }

  /** Parsed once each, as they come: the crowd test polls 100 clients holding 500 messages each. */
  readonly #events: ChatEvent[] = [];
  #parsed = 0;

  events(): readonly ChatEvent[] {
    const raw = this.ws.messages;
    for (; this.#parsed < raw.length; this.#parsed++) {
      const message = raw[this.#parsed]!;
      if (!message.isBinary) this.#events.push(JSON.parse(message.data.toString('utf8')) as ChatEvent);
    }
    return this.#events;
  }

  /** The chat messages received, other than those sent through /publish (probes). */
  messages(): { nick: string; text: string }[] {
    return this.events()
      .filter((e): e is Extract<ChatEvent, { type: 'message' }> => e.type === 'message' && e.nick !== 'publish')
      .map(({ nick, text }) => ({ nick, text }));
  }

  texts(): string[] {
    return this.messages().map((m) => m.text);
  }

  has(predicate: (event: ChatEvent) => boolean): boolean {
    return this.events().some(predicate);
  }

  async waitFor(predicate: (event: ChatEvent) => boolean, what: string, ms = 10_000): Promise<void> {
    await waitFor(
      () => this.has(predicate),
      ms,
      () => `${what} (events so far: ${JSON.stringify(this.events()).slice(-600)})`,
    );
  }

  send(text: string): Promise<void> {
    return this.ws.send(text);
  }

  async close(): Promise<void> {
    await this.ws.close(1000);
  }
}

async function publish(room: string, message: string): Promise<void> {
  await publishMessage(stack.httpUrl, room, message);
}

/**
 * Resolves once every client gets messages published to the room. Pushpin
 * subscribes a connection when it handles the function's answer to OPEN,
 * which may be just after the client saw the handshake complete; probes
 * (sent by "publish", left out of `messages()`) go out until all have one.
 */
async function untilSubscribed(room: string, clients: readonly ChatClient[], ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  const probed = (c: ChatClient) => c.has((e) => e.type === 'message' && e.nick === 'publish' && e.text.startsWith('probe-'));
  for (let n = 0; !clients.every(probed); n++) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${ms} ms: ${clients.filter((c) => !probed(c)).length} of ${clients.length} clients never got a probe`,
      );
    }
    await publish(room, `probe-${n}`);
    await waitFor(() => clients.every(probed), 300, 'probes').catch(() => undefined);
  }
}

describe('chat through Pushpin', () => {
  test('a new connection is welcomed with its room and a guest nickname', async () => {
    const room = uniqueName('welcome');
    const client = await ChatClient.join(room);
    try {
      assert.deepEqual(client.events()[0], { type: 'welcome', room, nick: client.guestNick });
      assert.match(client.guestNick, /^guest-.{4}$/);
    } finally {
      await client.close();
    }
  });

  test('/nick is kept in connection meta: later messages carry the new name', async () => {
    const room = uniqueName('nick');
    const alice = await ChatClient.join(room);
    const bob = await ChatClient.join(room);
    try {
      await untilSubscribed(room, [alice, bob]);
      await alice.send('/nick alice');
      const notice = { type: 'nick', from: alice.guestNick, nick: 'alice' } as const;
      await alice.waitFor((e) => e.type === 'nick' && e.nick === 'alice', "alice's own nick change");
      await bob.waitFor((e) => e.type === 'nick' && e.nick === 'alice', "the nick notice at bob's");
      assert.deepEqual(
        alice.events().filter((e) => e.type === 'nick'),
        [notice],
      );
      assert.deepEqual(
        bob.events().filter((e) => e.type === 'nick'),
        [notice],
      );

      // Two more invocations, each reading the nickname from meta.
      await alice.send('hello from alice');
      await alice.send('still alice');
      await bob.waitFor((e) => e.type === 'message' && e.text === 'still alice', 'alice’s second message at bob’s');
      const expected = [
        { nick: 'alice', text: 'hello from alice' },
        { nick: 'alice', text: 'still alice' },
      ];
      assert.deepEqual(bob.messages(), expected);
      await alice.waitFor((e) => e.type === 'message' && e.text === 'still alice', 'alice’s own second message');
      assert.deepEqual(alice.messages(), expected);
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  test('an invalid nickname is refused and the old one kept', async () => {
    const room = uniqueName('badnick');
    const client = await ChatClient.join(room);
    try {
      await client.send(`/nick ${'x'.repeat(40)}`);
      await client.waitFor((e) => e.type === 'error', 'the error');
      await client.send('after');
      await client.waitFor((e) => e.type === 'message' && e.text === 'after', 'the message');
      assert.deepEqual(client.messages(), [{ nick: client.guestNick, text: 'after' }]);
    } finally {
      await client.close();
    }
  });

  test('others are told when someone joins and leaves (under the name they had)', async () => {
    const room = uniqueName('joinleave');
    const alice = await ChatClient.join(room);
    try {
      await untilSubscribed(room, [alice]);
      const bob = await ChatClient.join(room);
      await alice.waitFor((e) => e.type === 'join' && e.nick === bob.guestNick, "bob's join notice");
      await bob.send('/nick bob');
      await alice.waitFor((e) => e.type === 'nick' && e.nick === 'bob', "bob's nick notice");
      await bob.close();
      await alice.waitFor((e) => e.type === 'leave', "bob's leave notice");
      assert.deepEqual(
        alice.events().filter((e) => e.type === 'join' || e.type === 'leave' || e.type === 'nick'),
        [
          { type: 'join', nick: bob.guestNick },
          { type: 'nick', from: bob.guestNick, nick: 'bob' },
          { type: 'leave', nick: 'bob' },
        ],
      );
      // Notices skip their sender.
      assert.equal(
        bob.has((e) => e.type === 'join'),
        false,
        `bob got no join notice: ${JSON.stringify(bob.events())}`,
      );
    } finally {
      await alice.close();
    }
  });

  test('the sender gets its own message exactly once; the others once too', async () => {
    const room = uniqueName('once');
    const alice = await ChatClient.join(room);
    const bob = await ChatClient.join(room);
    try {
      await untilSubscribed(room, [alice, bob]);
      await alice.send('only once');
      await bob.waitFor((e) => e.type === 'message' && e.text === 'only once', "alice's message at bob's");
      // A barrier: Pushpin delivers publishes in order, so a second copy of
      // alice's message would reach her before bob's reply does.
      await bob.send('reply from bob');
      await alice.waitFor((e) => e.type === 'message' && e.text === 'reply from bob', "bob's reply at alice's");
      await bob.waitFor((e) => e.type === 'message' && e.text === 'reply from bob', "bob's own reply");
      await publish(room, 'barrier');
      await bob.waitFor((e) => e.type === 'message' && e.text === 'barrier', 'the barrier at bob’s');
      assert.deepEqual(alice.texts(), ['only once', 'reply from bob']);
      assert.deepEqual(bob.texts(), ['only once', 'reply from bob']);
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  test('100 clients, 5 messages each: everyone gets every message once, in each sender’s order', { timeout: 120_000 }, async () => {
    const room = uniqueName('crowd');
    const CLIENTS = 100;
    const MESSAGES = 5;
    const clients: ChatClient[] = [];
    const expectedBySender = Array.from({ length: CLIENTS }, (_, i) => Array.from({ length: MESSAGES }, (_, m) => `c${i}-m${m}`));
    try {
      // Open in batches, so the handshakes do not all race one another.
      for (let i = 0; i < CLIENTS; i += 20) {
        clients.push(...(await Promise.all(Array.from({ length: Math.min(20, CLIENTS - i) }, () => ChatClient.join(room)))));
      }
      await untilSubscribed(room, clients, 30_000);

      // All 100 send all 5 at once, unpaced: 500 messages, 50,000 deliveries in a burst,
      // which the local stack's Pushpin settings (pushpin-settings.ts) carry whole.
      await Promise.all(
        clients.flatMap((client, i) =>
          Array.from({ length: MESSAGES }, (_, m) =>
            client.send(`c${i}-m${m}`).catch((error: unknown) => {
              throw new Error(
                `client ${i} could not send message ${m} (${(error as Error).message}): closed ${JSON.stringify(client.ws.closeEvent)} after ${client.events().length} events${proxyProblems()}`,
              );
            }),
          ),
        ),
      );
      const total = CLIENTS * MESSAGES;
      await waitFor(
        () => clients.every((c) => c.messages().length >= total),
        60_000,
        () => {
          const all = expectedBySender.flat();
          const short = clients
            .map((c, i) => ({ client: i, have: c.messages().length, missing: all.filter((t) => !c.texts().includes(t)) }))
            .filter(({ have }) => have < total);
          const missingCounts = counts(short.flatMap((s) => s.missing));
          return `every client to have ${total} messages: ${short.length} short, e.g. ${JSON.stringify(short.slice(0, 3))}; missing messages and how many clients miss each: ${JSON.stringify(missingCounts)}${proxyProblems()}`;
        },
      );
      // A barrier: duplicates would come before a message published after everything.
      await publish(room, 'final');
      await waitFor(
        () => clients.every((c) => c.has((e) => e.type === 'message' && e.nick === 'publish' && e.text === 'final')),
        30_000,
        'the final message at every client',
      );

      const problems: string[] = [];
      clients.forEach((client, receiver) => {
        const texts = client.texts();
        const duplicated = Object.entries(counts(texts)).filter(([, n]) => n > 1);
        if (duplicated.length > 0) problems.push(`client ${receiver} got twice: ${JSON.stringify(duplicated.slice(0, 5))}`);
        expectedBySender.forEach((expected, sender) => {
          const got = texts.filter((t) => t.startsWith(`c${sender}-`));
          if (JSON.stringify(got) !== JSON.stringify(expected)) {
            problems.push(`client ${receiver} from ${sender}: ${JSON.stringify(got)} (expected ${JSON.stringify(expected)})`);
          }
        });
        const unknown = texts.filter((t) => !/^c\d+-m\d+$/.test(t));
        if (unknown.length > 0) problems.push(`client ${receiver} got unexpected: ${JSON.stringify(unknown.slice(0, 5))}`);
        if (client.ws.errors.length > 0 || client.ws.closeEvent !== undefined) problems.push(`client ${receiver} errored or closed`);
        // Every message carries its publisher's count: none skipped, as a client without a feed can tell.
        const watcher = new SequenceWatcher();
        for (const e of client.events())
          if (e.type === 'message' && e.pub !== undefined && e.seq !== undefined) watcher.see('room', { pub: e.pub, seq: e.seq });
        if (watcher.missed > 0) problems.push(`client ${receiver} saw ${watcher.missed} message(s) skipped in their publishers' counts`);
      });
      assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
      assert.equal(
        clients.reduce((sum, c) => sum + c.messages().length, 0),
        CLIENTS * total,
      );
    } finally {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    }
  });

  test('an invalid room name is refused at the handshake with 400', async () => {
    for (const room of ['bad.room', encodeURIComponent('has space'), 'x'.repeat(65)]) {
      const answer = await rejectedHandshake(`${stack.wsUrl}/chat/${room}`);
      assert.equal(answer.status, 400, `room ${room}: ${JSON.stringify(answer)}`);
      assert.match(answer.body, /room names/);
    }
    // And the function host is still fine afterwards.
    const client = await ChatClient.join(uniqueName('after-bad'));
    await client.close();
  });
});
