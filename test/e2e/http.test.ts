// POST /publish/{channel} through a real Pushpin: one publish reaches a chat
// WebSocket, an HTTP stream, an SSE stream and a long-poll of that name;
// bad bodies are refused; PUBLISH_TOKEN guards publishing; a long-poll with
// nothing published answers {"message": null} when it times out.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { closeAll, ROOT, StreamingResponse, uniqueName, waitFor, within, WsClient } from './support/e2e.js';

const TOKEN = 'secret';
let stack: RunningStack;

before(async () => {
  stack = await startStack({ root: ROOT, env: { PUBLISH_TOKEN: TOKEN } });
});

after(async () => {
  closeAll();
  await stack?.stop();
});

/** POSTs to /publish/{channel}; `authorization` null sends no Authorization header. */
async function post(
  channel: string,
  body: string,
  authorization: string | null = `Bearer ${TOKEN}`,
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(`${stack.httpUrl}/publish/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(authorization !== null ? { Authorization: authorization } : {}) },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function publish(channel: string, message: string): Promise<void> {
  const { status, text } = await post(channel, JSON.stringify({ message }));
  assert.equal(status, 202, text);
}

/** What a chat WebSocket got from /publish (nick "publish"), in order. */
function published(ws: WsClient): string[] {
  return ws
    .texts()
    .map((text) => JSON.parse(text) as { type: string; nick?: string; text?: string })
    .filter((e) => e.type === 'message' && e.nick === 'publish')
    .map((e) => e.text!);
}

const streamLines = (stream: StreamingResponse) => stream.lines().filter((line) => line !== ''); // '' is the keep-alive
const sseData = (sse: StreamingResponse) =>
  sse
    .events()
    .filter((e) => e.event === 'message')
    .map((e) => e.data);
const notProbe = (text: string) => !text.startsWith('probe-');

// The tests share nothing (each its own channel, or none): they run at once, so the long-poll
// timeout, which Pushpin holds for 5 s at the least (its shortest response timeout), costs no more.
describe('publishing over HTTP through Pushpin', { concurrency: true }, () => {
  test('one publish reaches a chat WebSocket, an HTTP stream, an SSE stream and a long-poll', { timeout: 90_000 }, async () => {
    const channel = uniqueName('all');
    const ws = await WsClient.open(`${stack.wsUrl}/chat/${channel}`);
    const stream = await StreamingResponse.get(`${stack.httpUrl}/stream/${channel}`);
    const sse = await StreamingResponse.get(`${stack.httpUrl}/sse/${channel}`);
    try {
      assert.equal(stream.status, 200);
      assert.equal(sse.status, 200);
      assert.match(sse.response.headers.get('content-type') ?? '', /^text\/event-stream/);

      // The headers came once Pushpin held the streams; the WebSocket may be
      // subscribed a moment after its handshake. Probe until all three hear.
      const heard = () =>
        published(ws).some((t) => t.startsWith('probe-')) &&
        streamLines(stream).some((t) => t.startsWith('probe-')) &&
        sseData(sse).some((t) => t.startsWith('probe-'));
      for (let n = 0; !heard(); n++) {
        assert.ok(n < 30, 'the WebSocket, stream and SSE clients all receive a probe within 30 tries');
        await publish(channel, `probe-${n}`);
        await waitFor(heard, 500, 'a probe').catch(() => undefined);
      }

      // A long-poll is subscribed once Pushpin handles the function's answer,
      // which no client can see: publish, and again if the poll did not hear it.
      // Pushpin 1.36 also re-requests held long-polls 1 s after a channel's
      // first subscription (SUBSCRIBED_DELAY) and drops what is published
      // to them while that request is on its way: hence the 1.5 s wait.
      let pollAnswer: { status: number; body: string } | undefined;
      const poll = fetch(`${stack.httpUrl}/poll/${channel}?timeout=20`, { signal: AbortSignal.timeout(40_000) }).then(async (response) => {
        pollAnswer = { status: response.status, body: await response.text() };
      });
      const sent: string[] = [];
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      for (let n = 0; pollAnswer === undefined; n++) {
        assert.ok(n < 5, `the long-poll answers one of ${JSON.stringify(sent)}`);
        const message = `hello everyone ${n} ✓`;
        await publish(channel, message);
        sent.push(message);
        await waitFor(() => pollAnswer !== undefined, 3_000, 'the long-poll').catch(() => undefined);
      }
      await within(poll, 10_000, 'the long-poll response');
      assert.equal(pollAnswer!.status, 200);
      const answered = JSON.parse(pollAnswer!.body) as { message: unknown };
      assert.ok(sent.includes(answered.message as string), `the poll answered ${pollAnswer!.body}, one of ${JSON.stringify(sent)}`);

      // A last message as a barrier: a duplicate of anything before it would have come before it.
      await publish(channel, 'last');
      sent.push('last');
      await waitFor(
        () => published(ws).includes('last'),
        10_000,
        () => `"last" at the WebSocket (has ${JSON.stringify(published(ws))})`,
      );
      await stream.waitFor((s) => streamLines(s).includes('last'), 10_000, '"last" on the HTTP stream');
      await sse.waitFor((s) => sseData(s).includes('last'), 10_000, '"last" on the SSE stream');

      assert.deepEqual(published(ws).filter(notProbe), sent, 'WebSocket');
      assert.deepEqual(streamLines(stream).filter(notProbe), sent, 'HTTP stream');
      assert.deepEqual(sseData(sse).filter(notProbe), sent, 'SSE');
    } finally {
      stream.abort();
      sse.abort();
      await ws.close(1000);
    }
  });

  test('a body that is not JSON is refused with 400', async () => {
    const answer = await post(uniqueName('bad'), '{"message": ');
    assert.equal(answer.status, 400, answer.text);
  });

  test('JSON without a string "message" is refused with 400', async () => {
    for (const body of ['{}', '{"text":"hi"}', '{"message":42}', '["hi"]', 'null']) {
      const answer = await post(uniqueName('bad'), body);
      assert.equal(answer.status, 400, `${body}: ${answer.text}`);
      assert.match(answer.text, /message/);
    }
  });

  test('an invalid channel name is refused with 400', async () => {
    const answer = await post('bad.name', JSON.stringify({ message: 'hi' }));
    assert.equal(answer.status, 400, answer.text);
  });

  test('with PUBLISH_TOKEN set, a missing or wrong bearer token gets 401, the right one 202', async () => {
    const channel = uniqueName('auth');
    const body = JSON.stringify({ message: 'guarded' });
    for (const authorization of [null, 'Bearer wrong', 'Bearer ', `Bearer ${TOKEN}x`, TOKEN, `Basic ${TOKEN}`]) {
      const answer = await post(channel, body, authorization);
      assert.equal(answer.status, 401, `Authorization: ${authorization}: ${answer.status} ${answer.text}`);
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
    }
    const answer = await post(channel, body);
    assert.equal(answer.status, 202, answer.text);
    assert.deepEqual(JSON.parse(answer.text), { published: true, channel });
  });

  test('a long-poll with nothing published answers {"message": null} when it times out', { timeout: 30_000 }, async () => {
    const channel = uniqueName('timeout');
    const response = await within(
      fetch(`${stack.httpUrl}/poll/${channel}?timeout=1`, { signal: AbortSignal.timeout(20_000) }),
      20_000,
      'the long-poll to time out',
    );
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(await response.text()), { message: null });
  });

  test('streams and polls of an invalid channel name are refused with 400', async () => {
    for (const path of ['/stream/bad.name', '/sse/bad.name', '/poll/bad.name']) {
      const response = await fetch(`${stack.httpUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(response.status, 400, path);
      await response.body?.cancel();
    }
  });
});
