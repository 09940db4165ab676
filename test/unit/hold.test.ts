// The GRIP headers each hold answers with: what the proxy reads to hold a
// stream, an SSE stream or a long-poll, with the channel prefix applied.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { holdLongPoll, holdSse, holdStream } from '../../src/http/hold.js';

describe('holdLongPoll', () => {
  test('Grip-Hold response, the channels with their prefix and prev-id, the timeout and the next link', () => {
    const response = holdLongPoll({
      channels: ['news', { name: 'sports', prevId: '7' }],
      timeoutSeconds: 30,
      nextLink: { url: '/poll/next', timeoutSeconds: 120 },
    }).toResponse('app-');
    assert.equal(response.status, 200);
    assert.deepEqual(response.headers, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache',
      'Grip-Hold': 'response',
      'Grip-Channel': 'app-news, app-sports; prev-id=7',
      'Grip-Timeout': '30',
      'Grip-Link': '</poll/next>; rel=next; timeout=120',
    });
    assert.equal(response.body, '');
  });

  test('without a timeout the proxy picks its own: no Grip-Timeout', () => {
    const { headers } = holdLongPoll({ channels: 'news' }).toResponse('');
    assert.equal(headers['Grip-Timeout'], undefined);
    assert.equal(headers['Grip-Channel'], 'news');
  });

  test('the answer on timeout: status, body, content type and extra headers; GRIP headers win over extra ones', () => {
    const response = holdLongPoll({
      channels: 'news',
      status: 204,
      body: '{"message":null}',
      contentType: 'application/vnd.news+json',
      headers: { 'X-Poll': '1', 'Grip-Hold': 'stream' },
    }).toResponse('');
    assert.equal(response.status, 204);
    assert.equal(response.body, '{"message":null}');
    assert.equal(response.headers['Content-Type'], 'application/vnd.news+json');
    assert.equal(response.headers['X-Poll'], '1');
    assert.equal(response.headers['Grip-Hold'], 'response');
  });

  test('a timeoutSeconds that is not a whole number >= 1 is a TypeError naming it, not a hold on the proxy default', () => {
    for (const timeoutSeconds of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => holdLongPoll({ channels: 'news', timeoutSeconds }).toResponse(''),
        /timeoutSeconds must be a whole number/,
        `${timeoutSeconds}`,
      );
      assert.throws(
        () => holdLongPoll({ channels: 'news', nextLink: { url: '/next', timeoutSeconds } }).toResponse(''),
        /nextLink\.timeoutSeconds must be a whole number/,
      );
      assert.throws(
        () => holdStream({ channels: 'news', keepAlive: { content: '\n', timeoutSeconds } }).toResponse(''),
        /keepAlive\.timeoutSeconds must be a whole number/,
      );
    }
  });

  test('no channel is a TypeError', () => {
    assert.throws(() => holdLongPoll({ channels: [] }).toResponse(''), TypeError);
  });
});

describe('holdStream and holdSse', () => {
  test('holdStream: Grip-Hold stream, the keep-alive as a cstring, the first body', () => {
    const response = holdStream({ channels: 'news', body: 'hello\n', keepAlive: { content: '\n', timeoutSeconds: 20 } }).toResponse('');
    assert.equal(response.headers['Grip-Hold'], 'stream');
    assert.equal(response.headers['Grip-Keep-Alive'], '\\n; format=cstring; timeout=20');
    assert.equal(response.headers['Content-Type'], 'text/plain; charset=utf-8');
    assert.equal(response.body, 'hello\n');
  });

  test('holdSse: event-stream, a comment keep-alive every 20 s by default, the retry line first', () => {
    const response = holdSse({ channels: 'news', retryMs: 1500, body: 'data: x\n\n' }).toResponse('');
    assert.equal(response.headers['Content-Type'], 'text/event-stream');
    assert.equal(response.headers['X-Accel-Buffering'], 'no');
    assert.equal(response.headers['Grip-Keep-Alive'], ':\\n\\n; format=cstring; timeout=20');
    assert.equal(response.body, 'retry: 1500\n\ndata: x\n\n');
  });
});
