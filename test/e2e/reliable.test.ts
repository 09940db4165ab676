// Reliable HTTP streams and SSE through a real Pushpin, with a real Redis
// feed: an item stored but never published (a lost publish) reaches a held
// client anyway, because the next item's prev-id shows the gap and Pushpin
// asks the function (Grip-Link) for what it missed.
//
// Timing, as observed with Pushpin 1.36 (debug log): an item whose prev-id
// does not follow the channel's last published id is held by Pushpin's
// sequencer for up to message_wait (5 s by default) in case its predecessor
// is merely late; only then does the session see the gap and recover. Items
// published meanwhile queue behind it. So a lost publish delays delivery by
// up to ~5 s; the waits below allow for that (RECOVERY_MS).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { stackFeed, storeOptions } from './support/store.js';
import type { Feed } from '../../src/feed/feed.js';
import { sleep, until, publishMessage } from './support/e2e.js';

let stack: RunningStack;
let feed: Feed;
const streams: HeldStream[] = [];

before(async () => {
  stack = await startStack({ root: process.cwd(), ...storeOptions() });
  feed = stackFeed(stack);
});

after(async () => {
  for (const s of streams) s.close();
  await feed?.close();
  await stack?.stop();
});

/** Upper bound for a gap to be recovered: message_wait (5 s) + the recovery request + slack. */
const RECOVERY_MS = 15_000;

/** A GET held by the proxy, its body collected as it arrives. */
class HeldStream {
  text = '';
  ended = false;
  readonly #abort = new AbortController();
  status = 0;
  headers = new Headers();

  static async open(path: string, headers: Record<string, string> = {}): Promise<HeldStream> {
    const stream = new HeldStream();
    streams.push(stream);
    const response = await fetch(`${stack.httpUrl}${path}`, {
      headers,
      signal: AbortSignal.any([stream.#abort.signal, AbortSignal.timeout(60_000)]),
    });
    stream.status = response.status;
    stream.headers = response.headers;
    void stream.#pump(response);
    return stream;
  }

  async #pump(response: Response): Promise<void> {
    const decoder = new TextDecoder();
    const reader = response.body!.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.text += decoder.decode(value, { stream: true });
      }
    } catch {
      // aborted
    }
    this.ended = true;
  }

  /** Non-empty lines (the keep-alive is an empty line). */
  lines(): string[] {
    return this.text.split('\n').filter((line) => line !== '');
  }

  /** SSE events: their id and data, comments and `retry:` left out. */
  events(): { id: string | undefined; event: string | undefined; data: string }[] {
    const out: { id: string | undefined; event: string | undefined; data: string }[] = [];
    const blocks = this.text.split('\n\n');
    blocks.pop(); // incomplete, or empty after the last blank line
    for (const block of blocks) {
      let id: string | undefined;
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) out.push({ id, event, data: data.join('\n') });
    }
    return out;
  }

  close(): void {
    this.#abort.abort();
  }
}

async function publish(channel: string, message: string): Promise<string> {
  const id = await publishMessage(stack.httpUrl, channel, message);
  assert.ok(id, 'with Redis on, a published message has an id');
  return id;
}

/** Stores a message in the room's feed as publishMessage would, but publishes nothing: a lost publish. */
async function storeOnly(channel: string, text: string): Promise<string> {
  const result = await feed.append(channel, JSON.stringify({ type: 'message', nick: 'publish', text }));
  assert.equal(result.duplicate, false);
  return result.id;
}

const name = (what: string) => `${what}-${randomBytes(4).toString('hex')}`;

// Each test has a channel of its own (Pushpin's sequencer holds items per channel): they run at
// once, so the first one's wait for message_wait costs the others nothing.
describe('reliable delivery through Pushpin', { concurrency: true }, () => {
  test('HTTP stream: an item whose publish was lost is recovered; 1, 2, 3 each once, in order', async () => {
    const channel = name('gap');
    const stream = await HeldStream.open(`/stream/${channel}`);
    assert.equal(stream.status, 200);

    await publish(channel, 'one');
    await until(
      () => stream.lines().length >= 1,
      () => `"one" on the stream (have ${JSON.stringify(stream.text)})`,
    );
    await storeOnly(channel, 'two');
    await publish(channel, 'three');
    await until(
      () => stream.lines().length >= 3,
      () => `three lines (have ${JSON.stringify(stream.text)})`,
      RECOVERY_MS,
    );
    await sleep(300); // a duplicate would arrive by now
    assert.deepEqual(stream.lines(), ['one', 'two', 'three']);

    // The stream stays held: the next item comes live, in order.
    await publish(channel, 'four');
    await until(
      () => stream.lines().length >= 4,
      () => `"four" (have ${JSON.stringify(stream.text)})`,
      RECOVERY_MS,
    );
    await sleep(200);
    assert.deepEqual(stream.lines(), ['one', 'two', 'three', 'four']);
    assert.equal(stream.ended, false);
  });

  test('HTTP stream: several lost publishes in a row are recovered together', async () => {
    const channel = name('gaps');
    const stream = await HeldStream.open(`/stream/${channel}`);
    await publish(channel, 'a');
    await until(
      () => stream.lines().length >= 1,
      () => `"a" (have ${JSON.stringify(stream.text)})`,
    );
    for (const text of ['b', 'c', 'd']) await storeOnly(channel, text);
    await publish(channel, 'e');
    await until(
      () => stream.lines().length >= 5,
      () => `five lines (have ${JSON.stringify(stream.text)})`,
      RECOVERY_MS,
    );
    await sleep(300);
    assert.deepEqual(stream.lines(), ['a', 'b', 'c', 'd', 'e']);
  });

  test('SSE: events carry ids; an item whose publish was lost is recovered; 1, 2, 3 each once, in order', async () => {
    const channel = name('sse');
    const stream = await HeldStream.open(`/sse/${channel}`);
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);

    const id1 = await publish(channel, 'one');
    await until(
      () => stream.events().length >= 1,
      () => `event "one" (have ${JSON.stringify(stream.text)})`,
    );
    const id2 = await storeOnly(channel, 'two');
    const id3 = await publish(channel, 'three');
    await until(
      () => stream.events().length >= 3,
      () => `three events (have ${JSON.stringify(stream.text)})`,
      RECOVERY_MS,
    );
    await sleep(300);
    assert.deepEqual(stream.events(), [
      { id: id1, event: 'message', data: 'one' },
      { id: id2, event: 'message', data: 'two' },
      { id: id3, event: 'message', data: 'three' },
    ]);
    assert.match(stream.text, /^retry: 2000\n\n/);
  });

  test('SSE resume: a new request with Last-Event-ID gets what came after it first, then live events', async () => {
    const channel = name('resume');
    const id1 = await publish(channel, 'one');
    const id2 = await storeOnly(channel, 'two');
    const id3 = await publish(channel, 'three');

    const resumed = await HeldStream.open(`/sse/${channel}`, { 'Last-Event-ID': id1 });
    assert.equal(resumed.status, 200);
    await until(
      () => resumed.events().length >= 2,
      () => `two replayed events (have ${JSON.stringify(resumed.text)})`,
    );
    assert.deepEqual(resumed.events(), [
      { id: id2, event: 'message', data: 'two' },
      { id: id3, event: 'message', data: 'three' },
    ]);

    const id4 = await publish(channel, 'four');
    await until(
      () => resumed.events().length >= 3,
      () => `live event "four" (have ${JSON.stringify(resumed.text)})`,
    );
    await sleep(200);
    assert.deepEqual(
      resumed.events().map((e) => [e.id, e.data]),
      [
        [id2, 'two'],
        [id3, 'three'],
        [id4, 'four'],
      ],
    );
  });

  test('SSE resume from the newest id: nothing replayed, live events follow', async () => {
    const channel = name('resume-newest');
    await publish(channel, 'one');
    const id2 = await publish(channel, 'two');
    const resumed = await HeldStream.open(`/sse/${channel}`, { 'Last-Event-ID': id2 });
    const id3 = await publish(channel, 'three');
    await until(
      () => resumed.events().length >= 1,
      () => `live event (have ${JSON.stringify(resumed.text)})`,
    );
    await sleep(200);
    assert.deepEqual(
      resumed.events().map((e) => [e.id, e.data]),
      [[id3, 'three']],
    );
  });

  test('a bad Last-Event-ID is refused with 400', async () => {
    const response = await fetch(`${stack.httpUrl}/sse/${name('bad')}`, {
      headers: { 'Last-Event-ID': 'not-an-id' },
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(response.status, 400);
    await response.body?.cancel();
  });
});
