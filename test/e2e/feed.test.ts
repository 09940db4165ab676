// WebSocket chat with a Redis feed, through a real Pushpin: a client that
// reconnects with ?last-id=<last id seen> gets what it missed first, in
// order, then live messages; the server's replay holds nothing the client
// already had. Under live traffic a reconnecting client also needs chat's
// `/since` (see functions/chat.ts and the "neither lost nor doubled" test).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { E2E_STORE, storeOptions } from './support/store.js';
import { sleep, until, publishMessage } from './support/e2e.js';
import { FEED_START } from '../../src/feed/feed.js';
import { compareStreamIds } from '../support/relay-events.js';

let stack: RunningStack;
const sockets = new Set<WebSocket>();

before(async () => {
  stack = await startStack({ root: process.cwd(), ...storeOptions() });
});

after(async () => {
  for (const ws of sockets) ws.terminate();
  await stack?.stop();
});

interface ChatMessage {
  type: 'message';
  nick: string;
  text: string;
  id?: string;
  prevId?: string;
}
type ChatEvent = ChatMessage | { type: 'welcome' | 'join' | 'leave' | 'nick' | 'error' | 'synced'; [key: string]: unknown };

/** One WebSocket connection to /chat/{room}: every event it got, in order. */
class ChatSession {
  readonly events: ChatEvent[] = [];
  closed = false;
  private constructor(readonly ws: WebSocket) {}

  /** Opens a connection; `listener` sees each event as it arrives, from the welcome on. */
  static async open(room: string, lastId?: string, listener?: (event: ChatEvent, session: ChatSession) => void): Promise<ChatSession> {
    const query = lastId === undefined ? '' : `?last-id=${encodeURIComponent(lastId)}`;
    const ws = new WebSocket(`${stack.wsUrl}/chat/${room}${query}`);
    sockets.add(ws);
    const session = new ChatSession(ws);
    ws.on('message', (data) => {
      const event = JSON.parse(String(data)) as ChatEvent;
      session.events.push(event);
      listener?.(event, session);
    });
    ws.on('close', () => {
      session.closed = true;
      sockets.delete(ws);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('WebSocket did not open within 10 s')), 10_000);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    await until(
      () => session.events.some((e) => e.type === 'welcome'),
      () => 'the welcome event',
    );
    return session;
  }

  messages(): ChatMessage[] {
    return this.events.filter((e): e is ChatMessage => e.type === 'message');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.ws.close(1000);
    await until(
      () => this.closed,
      () => 'the close handshake',
    );
  }
}

/**
 * A client as a real one is written: keeps the last id it has, drops a
 * message whose id is not newer (a repeat), resumes with ?last-id. With
 * `sync` it also follows the protocol that makes it miss nothing (see
 * functions/chat.ts): once welcomed, and whenever a message's prevId is not
 * its last id (a gap), it sends `/since <last id>` and skips messages past
 * the gap until the answer (ending in `synced`) has filled it; after a
 * second of silence it asks too, for a gap at the very end.
 */
class ResumingClient {
  readonly seen: ChatMessage[] = [];
  lastId: string | undefined;
  repeats = 0;
  gaps = 0;
  syncs = 0;
  readonly sessions: ChatSession[] = [];
  #syncing = false;
  #newestSkipped: string | undefined;
  #lastEvent = Date.now();
  #idle: NodeJS.Timeout | undefined;

  constructor(
    readonly room: string,
    readonly sync = false,
  ) {}

  async connect(): Promise<ChatSession> {
    this.#syncing = false;
    this.#newestSkipped = undefined;
    const session = await ChatSession.open(this.room, this.lastId, (event, s) => this.#receive(event, s));
    this.sessions.push(session);
    if (this.sync) {
      this.#idle ??= setInterval(() => {
        const current = this.sessions.at(-1);
        if (current !== undefined && !current.closed && Date.now() - this.#lastEvent > 1_000) this.#ask(current);
      }, 250).unref();
    }
    return session;
  }

  #receive(event: ChatEvent, session: ChatSession): void {
    this.#lastEvent = Date.now();
    if (event.type === 'welcome') {
      if (this.sync) this.#ask(session);
    } else if (event.type === 'message') {
      assert.ok(event.id, `message ${event.text} has an id`);
      if (this.lastId !== undefined && compareStreamIds(event.id, this.lastId) <= 0) {
        this.repeats++;
      } else if (!this.sync || this.lastId === undefined || event.prevId === this.lastId) {
        this.seen.push(event);
        this.lastId = event.id;
      } else {
        // A gap: something between lastId and this message has not come.
        this.gaps++;
        if (this.#newestSkipped === undefined || compareStreamIds(event.id, this.#newestSkipped) > 0) this.#newestSkipped = event.id;
        this.#ask(session);
      }
    } else if (event.type === 'synced') {
      this.#syncing = false;
      // A message past the gap that came before the answer may be newer than what it held.
      if (this.#newestSkipped !== undefined && (this.lastId === undefined || compareStreamIds(this.#newestSkipped, this.lastId) > 0)) {
        this.#ask(session);
      }
    }
  }

  #ask(session: ChatSession): void {
    if (this.#syncing || session.closed) return;
    this.#syncing = true;
    this.#newestSkipped = undefined;
    this.#lastEvent = Date.now();
    this.syncs++;
    session.ws.send(`/since ${this.lastId ?? FEED_START}`);
  }

  async waitFor(count: number, timeoutMs = 10_000): Promise<void> {
    await until(
      () => this.seen.length >= count,
      () => `${count} messages (have ${JSON.stringify(this.seen.map((m) => m.text))})`,
      timeoutMs,
    );
  }

  async close(): Promise<void> {
    clearInterval(this.#idle);
    for (const session of this.sessions) await session.close();
  }
}

async function publish(room: string, message: string): Promise<string> {
  const id = await publishMessage(stack.httpUrl, room, message);
  assert.ok(id, 'with Redis on, a published message has an id');
  return id;
}

const roomName = (what: string) => `${what}-${randomBytes(4).toString('hex')}`;
const texts = (messages: readonly ChatMessage[]) => messages.map((m) => m.text);

describe('chat resume from the feed', () => {
  test('reconnecting with ?last-id: missed messages first, in order, then live ones; nothing twice', async () => {
    const room = roomName('resume');
    const client = new ResumingClient(room);
    const first = await client.connect();

    const ids: string[] = [];
    for (const text of ['m1', 'm2', 'm3']) ids.push(await publish(room, text));
    await client.waitFor(3);
    assert.deepEqual(texts(client.seen), ['m1', 'm2', 'm3']);
    assert.deepEqual(
      client.seen.map((m) => m.id),
      ids,
      'live messages carry their feed ids',
    );
    await first.close();

    for (const text of ['m4', 'm5', 'm6']) ids.push(await publish(room, text));
    assert.equal(client.lastId, ids[2]);
    const second = await client.connect();
    await client.waitFor(6);
    for (const text of ['m7', 'm8']) ids.push(await publish(room, text));
    await client.waitFor(8);
    await sleep(300); // a repeat would arrive by now

    // What the user sees: everything once, in order.
    assert.deepEqual(texts(client.seen), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8']);
    assert.deepEqual(
      client.seen.map((m) => m.id),
      ids,
    );
    // What the server sent, before any id check: the replay, then live, and no repeat of what the client had.
    const raw = second.messages();
    assert.deepEqual(texts(raw), ['m4', 'm5', 'm6', 'm7', 'm8']);
    assert.equal(client.repeats, 0);
    // Each message names the one before it, from the resume point on: the chain has no hole.
    assert.deepEqual(
      raw.map((m) => m.prevId),
      ids.slice(2, 7),
    );
    const welcomeAt = second.events.findIndex((e) => e.type === 'welcome');
    const firstReplayAt = second.events.findIndex((e) => e.type === 'message');
    assert.ok(welcomeAt < firstReplayAt, 'the welcome comes before the replay');
    await second.close();
  });

  test('the replay after each id is exactly what came after it (every resume point)', async () => {
    const room = roomName('points');
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await publish(room, `p${i}`));
    for (let k = 0; k < ids.length; k++) {
      const session = await ChatSession.open(room, ids[k]);
      const expected = ids.length - k - 1;
      if (expected > 0)
        await until(
          () => session.messages().length >= expected,
          () => `${expected} replayed after p${k}`,
        );
      await sleep(100);
      assert.deepEqual(
        texts(session.messages()),
        ids.slice(k + 1).map((_, j) => `p${k + 1 + j}`),
        `resume after p${k}`,
      );
      await session.close();
    }
  });

  // Reconnecting with ?last-id alone leaves a window: a message stored after
  // the open's replay was read, and published before the proxy had
  // subscribed the new connection, reaches neither: 7 of 8 runs of this test
  // lost messages before chat had `/since`. The client's `/since` after the
  // welcome, and on a prevId gap, closes it.
  test('messages published while the client reconnects are neither lost nor doubled (?last-id, then /since)', async () => {
    const room = roomName('busy');
    const client = new ResumingClient(room, true);
    await client.connect();
    let sent = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        await publish(room, `b${sent++}`);
        await sleep(3);
      }
    })();
    try {
      for (let round = 0; round < 8; round++) {
        await sleep(100);
        await client.sessions.at(-1)!.close();
        await client.connect();
      }
      await sleep(150);
    } finally {
      publishing = false;
      await publisher;
    }
    await client.waitFor(sent);
    await sleep(300);
    assert.deepEqual(
      texts(client.seen),
      Array.from({ length: sent }, (_, i) => `b${i}`),
    );
    await client.close();
  });

  test('/since replays after an id and ends with synced', async () => {
    const room = roomName('since');
    const ids: string[] = [];
    for (const text of ['s1', 's2', 's3']) ids.push(await publish(room, text));
    const session = await ChatSession.open(room);
    session.ws.send(`/since ${ids[0]}`);
    await until(
      () => session.events.some((e) => e.type === 'synced'),
      () => 'synced',
    );
    const afterWelcome = session.events.filter((e) => e.type !== 'welcome' && e.type !== 'join');
    assert.deepEqual(
      afterWelcome.map((e) => (e.type === 'message' ? `${e.text}@${e.id}<${e.prevId}` : e.type)),
      [`s2@${ids[1]}<${ids[0]}`, `s3@${ids[2]}<${ids[1]}`, 'synced'],
    );
    session.ws.send('/since nonsense');
    await until(
      () => session.events.filter((e) => e.type === 'synced').length === 2,
      () => 'a second synced',
    );
    assert.ok(session.events.some((e) => e.type === 'error'));
    await session.close();
  });

  test('a bad last-id gets an error event, and the connection stays usable', async () => {
    const room = roomName('bad');
    const session = await ChatSession.open(room, 'not-an-id');
    await until(
      () => session.events.some((e) => e.type === 'error'),
      () => 'an error event',
    );
    await publish(room, 'still here');
    await until(
      () => session.messages().length === 1,
      () => 'the live message',
    );
    await session.close();
  });
});

describe('RedisFeed.warm', { skip: E2E_STORE !== 'redis' && 'Redis only' }, () => {
  test('connects ahead of the first use, which then works as without it', async () => {
    const { RedisFeed } = await import('../../src/feed/redis-feed.js');
    const feed = new RedisFeed(stack.redisUrl!);
    try {
      feed.warm();
      feed.warm(); // twice is harmless: one client
      const channel = `warm-${randomBytes(4).toString('hex')}`;
      const { id, prevId } = await feed.append(channel, 'one');
      assert.equal(prevId, FEED_START);
      assert.deepEqual(await feed.after(channel, FEED_START), [{ id, data: 'one' }]);
    } finally {
      await feed.close();
    }
  });

  test('with Redis unreachable, warm() neither throws nor leaves an unhandled rejection; use fails plainly', async () => {
    const { RedisFeed } = await import('../../src/feed/redis-feed.js');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    // A port nothing listens on: the append fails with FeedUnavailableError, within the feed's 1 s budget.
    const feed = new RedisFeed('redis://127.0.0.1:1');
    try {
      feed.warm();
      await assert.rejects(feed.append('warm-down', 'x'), (error: unknown) => (error as Error).name === 'FeedUnavailableError');
      await sleep(50);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await feed.close().catch(() => undefined);
    }
  });
});
