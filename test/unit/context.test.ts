// WebSocketContext built directly: the answer toResponse() builds for each
// kind of incoming event and each thing the function does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeEvents } from '../../src/protocol/codec.js';
import type { WebSocketEvent } from '../../src/protocol/events.js';
import type { HttpRequest, HttpResponse } from '../../src/lambda/types.js';
import { WebSocketContext } from '../../src/websocket/context.js';
import { closeContent, ev, summarize } from '../support/lambda-events.js';

function request(headers: Record<string, string> = {}, extra: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: 'POST',
    path: '/ws/lobby',
    rawQuery: 'token=abc&tag=a&tag=b',
    headers: new Map(
      Object.entries({
        'content-type': 'application/websocket-events',
        'connection-id': 'conn-1',
        'sec-websocket-extensions': 'grip',
        ...headers,
      }),
    ),
    params: { room: 'lobby' },
    body: new Uint8Array(0),
    ...extra,
  };
}

function context(events: readonly WebSocketEvent[], headers: Record<string, string> = {}, prefix?: string): WebSocketContext {
  return new WebSocketContext('conn-1', request(headers), events, prefix === undefined ? {} : { prefix });
}

function answer(response: HttpResponse): [string, string | null][] {
  assert.equal(response.status, 200);
  assert.equal(response.headers['Content-Type'], 'application/websocket-events');
  assert.ok(response.body instanceof Uint8Array);
  return summarize(decodeEvents(response.body));
}

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
const control = (json: unknown): string => `c:${JSON.stringify(json)}`;

describe('opening', () => {
  test('OPEN is accepted by default: OPEN back, with Sec-WebSocket-Extensions: grip', () => {
    const ctx = context([ev('OPEN')]);
    assert.equal(ctx.isOpening, true);
    const response = ctx.toResponse();
    assert.deepEqual(answer(response), [['OPEN', null]]);
    assert.equal(response.headers['Sec-WebSocket-Extensions'], 'grip');
    assert.equal(response.headers['Sec-WebSocket-Protocol'], undefined);
    assert.equal(response.headers['Keep-Alive-Interval'], undefined);
  });

  test('a request that does not open gets no OPEN and no extension header', () => {
    const ctx = context([ev('TEXT', 'hi')]);
    assert.equal(ctx.isOpening, false);
    ctx.recv();
    const response = ctx.toResponse();
    assert.deepEqual(answer(response), []);
    assert.equal(response.headers['Sec-WebSocket-Extensions'], undefined);
    assert.throws(() => ctx.accept(), /only possible while the connection opens/);
    assert.throws(() => ctx.reject(403), /only possible while the connection opens/);
  });

  test('accept({protocol}) picks an offered subprotocol', () => {
    const ctx = context([ev('OPEN')], { 'sec-websocket-protocol': 'chat, superchat' });
    ctx.accept({ protocol: 'superchat' });
    assert.equal(ctx.state, 'open');
    const response = ctx.toResponse();
    assert.equal(response.headers['Sec-WebSocket-Protocol'], 'superchat');
    assert.deepEqual(answer(response), [['OPEN', null]]);
  });

  test('accept({protocol}) of a protocol not offered is a TypeError and sets no header', () => {
    const offered = context([ev('OPEN')], { 'sec-websocket-protocol': 'chat, superchat' });
    assert.throws(() => offered.accept({ protocol: 'super' }), TypeError);
    assert.equal(offered.toResponse().headers['Sec-WebSocket-Protocol'], undefined);
    const none = context([ev('OPEN')]);
    assert.throws(() => none.accept({ protocol: 'chat' }), TypeError);
    assert.equal(none.toResponse().headers['Sec-WebSocket-Protocol'], undefined);
  });

  test('reject(status, body) answers that status and body, and no events', () => {
    const ctx = context([ev('OPEN'), ev('TEXT', 'early')]);
    ctx.reject(401, 'who are you?');
    assert.equal(ctx.state, 'rejected');
    const response = ctx.toResponse();
    assert.equal(response.status, 401);
    assert.equal(response.body, 'who are you?');
    assert.equal(response.headers['Content-Type'], 'text/plain; charset=utf-8');
    assert.equal(response.headers['Sec-WebSocket-Extensions'], undefined);
    assert.throws(() => ctx.send('x'), /rejected/);
    assert.throws(() => ctx.accept(), /already rejected/);
  });

  test('reject with bytes and extra headers; reject() defaults to 403', () => {
    const bytes = context([ev('OPEN')]);
    bytes.reject(429, new Uint8Array([1, 2]), { 'Retry-After': '5' });
    const response = bytes.toResponse();
    assert.equal(response.status, 429);
    assert.deepEqual([...(response.body as Uint8Array)], [1, 2]);
    assert.equal(response.headers['Content-Type'], 'application/octet-stream');
    assert.equal(response.headers['Retry-After'], '5');
    const plain = context([ev('OPEN')]);
    plain.reject();
    assert.equal(plain.toResponse().status, 403);
  });

  test('reject with a status outside 400-599 is a TypeError', () => {
    const ctx = context([ev('OPEN')]);
    for (const status of [200, 302, 399, 600, 403.5]) assert.throws(() => ctx.reject(status), TypeError, `status ${status}`);
    assert.equal(ctx.state, 'open');
  });
});

describe('sending', () => {
  test('send(string) is TEXT with the m: prefix, in UTF-8', () => {
    const ctx = context([]);
    ctx.send('héllo ✓');
    ctx.send('');
    const [first, second] = decodeEvents(ctx.toResponse().body as Uint8Array);
    assert.equal(first!.type, 'TEXT');
    assert.deepEqual(Buffer.from(first!.content!), Buffer.concat([Buffer.from('m:'), Buffer.from('héllo ✓', 'utf8')]));
    assert.equal(second!.type, 'TEXT');
    assert.equal(latin1(second!.content!), 'm:');
  });

  test('send(Uint8Array) is BINARY with the m: prefix, byte-exact, from the view only', () => {
    const backing = new Uint8Array([9, 9, 0xff, 0x00, 0x80, 0x0d, 0x0a, 9]);
    const ctx = context([]);
    ctx.send(backing.subarray(2, 7));
    backing[2] = 0; // sent bytes are copied when sent
    const [event] = decodeEvents(ctx.toResponse().body as Uint8Array);
    assert.equal(event!.type, 'BINARY');
    assert.deepEqual([...event!.content!], [0x6d, 0x3a, 0xff, 0x00, 0x80, 0x0d, 0x0a]);
  });

  test('send of something else is a TypeError', () => {
    const ctx = context([]);
    assert.throws(() => ctx.send(42 as unknown as string), TypeError);
    assert.throws(() => ctx.send([1, 2] as unknown as Uint8Array), TypeError);
  });

  test('messages come out in the order sent, OPEN first', () => {
    const ctx = context([ev('OPEN')]);
    ctx.send('one');
    ctx.send(new Uint8Array([2]));
    ctx.send('three');
    assert.deepEqual(answer(ctx.toResponse()), [
      ['OPEN', null],
      ['TEXT', 'm:one'],
      ['BINARY', 'm:\x02'],
      ['TEXT', 'm:three'],
    ]);
  });

  test('ping() sends a PING', () => {
    const ctx = context([]);
    ctx.ping(new Uint8Array([0x61]));
    ctx.ping();
    assert.deepEqual(answer(ctx.toResponse()), [
      ['PING', 'a'],
      ['PING', ''],
    ]);
  });
});

describe('receiving', () => {
  test('recv returns text and binary messages in order, then undefined', () => {
    const ctx = context([ev('OPEN'), ev('TEXT', 'héllo'), ev('BINARY', new Uint8Array([0xff, 0])), ev('TEXT'), ev('BINARY')]);
    assert.equal(ctx.canRecv(), true);
    assert.deepEqual(ctx.recv(), { type: 'text', data: 'héllo' });
    const binary = ctx.recv();
    assert.equal(binary?.type, 'binary');
    assert.deepEqual([...(binary as { data: Uint8Array }).data], [0xff, 0]);
    assert.deepEqual(ctx.recv(), { type: 'text', data: '' });
    const empty = ctx.recv();
    assert.equal(empty?.type, 'binary');
    assert.equal((empty as { data: Uint8Array }).data.length, 0);
    assert.equal(ctx.canRecv(), false);
    assert.equal(ctx.recv(), undefined);
  });

  test('a PING is answered with a PONG carrying the same payload', () => {
    const ctx = context([ev('OPEN'), ev('PING', new Uint8Array([1, 2, 0xff]))]);
    assert.equal(ctx.canRecv(), false);
    assert.equal(ctx.recv(), undefined);
    assert.deepEqual(answer(ctx.toResponse()), [
      ['OPEN', null],
      ['PONG', '\x01\x02\xff'],
    ]);
  });

  test('a PING as the only event, unread, is still answered', () => {
    const ctx = context([ev('PING', 'keep?')]);
    const response = ctx.toResponse();
    assert.deepEqual(answer(response), [['PONG', 'keep?']]);
    assert.equal(response.headers['Sec-WebSocket-Extensions'], undefined);
  });

  test('a PING without content gets a PONG without content; PONGs from the client get nothing', () => {
    const ctx = context([ev('PING'), ev('PONG', 'x'), ev('PING', '')]);
    assert.deepEqual(answer(ctx.toResponse()), [
      ['PONG', null],
      ['PONG', ''],
    ]);
  });

  test('PONGs go out where the PING was read, between the messages sent around it', () => {
    const ctx = context([ev('TEXT', 'a'), ev('PING', 'p'), ev('TEXT', 'b')]);
    assert.deepEqual(ctx.recv(), { type: 'text', data: 'a' });
    ctx.send('A');
    assert.deepEqual(ctx.recv(), { type: 'text', data: 'b' });
    ctx.send('B');
    assert.deepEqual(answer(ctx.toResponse()), [
      ['TEXT', 'm:A'],
      ['PONG', 'p'],
      ['TEXT', 'm:B'],
    ]);
  });

  test('unread messages are not passed on, and are counted in a warning naming the connection', (t) => {
    const warn = t.mock.method(console, 'warn', () => {});
    const ctx = context([ev('TEXT', 'a'), ev('BINARY', 'b'), ev('PING', 'p')]);
    assert.deepEqual(answer(ctx.toResponse()), [['PONG', 'p']]);
    assert.equal(warn.mock.callCount(), 1);
    assert.match(String(warn.mock.calls[0]!.arguments[0]), /conn-1: 2 received message/);
  });

  test('invalid UTF-8 in TEXT: recv throws TypeError and the answer closes with 1007', (t) => {
    t.mock.method(console, 'warn', () => {}); // the message after it is not read
    const ctx = context([ev('TEXT', new Uint8Array([0x68, 0xff, 0xfe])), ev('TEXT', 'after')]);
    assert.throws(() => ctx.recv(), TypeError);
    assert.equal(ctx.state, 'closed');
    const events = decodeEvents(ctx.toResponse().body as Uint8Array);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'CLOSE');
    assert.deepEqual(Buffer.from(events[0]!.content!), Buffer.from(closeContent(1007, 'invalid UTF-8')));
  });

  test('TEXT is read as TextDecoder reads UTF-8: a leading byte order mark is dropped, one later is kept', () => {
    const ctx = context([ev('TEXT', '\ufeffhi\ufeff'), ev('TEXT', 'é€😀'), ev('TEXT', '')]);
    assert.deepEqual(
      [ctx.recv(), ctx.recv(), ctx.recv()],
      [
        { type: 'text', data: 'hi\ufeff' },
        { type: 'text', data: 'é€😀' },
        { type: 'text', data: '' },
      ],
    );
  });

  test("a CLOSE's reason is read as TextDecoder reads it: bytes that are not UTF-8 become U+FFFD", () => {
    const ctx = context([ev('CLOSE', new Uint8Array([0x03, 0xe8, 0x6f, 0xff, 0x6b]))]);
    assert.deepEqual(ctx.recv(), { type: 'close', close: { code: 1000, reason: 'o\ufffdk', clean: true } });
  });

  test('a lone surrogate encoded as UTF-8 (CESU) is not valid UTF-8', () => {
    const ctx = context([ev('TEXT', new Uint8Array([0xed, 0xa0, 0x80]))]);
    assert.throws(() => ctx.recv(), TypeError);
  });

  test('request details are available', () => {
    const ctx = context([ev('OPEN')]);
    assert.equal(ctx.id, 'conn-1');
    assert.equal(ctx.request.path, '/ws/lobby');
    assert.equal(ctx.request.rawQuery, 'token=abc&tag=a&tag=b');
    assert.deepEqual(ctx.request.query.getAll('tag'), ['a', 'b']);
    assert.equal(ctx.request.query, ctx.request.query); // parsed once
    assert.equal(ctx.request.params.room, 'lobby');
    assert.equal(ctx.request.headers.get('connection-id'), 'conn-1');
    assert.equal(ctx.events.length, 1);
  });
});

describe('closing', () => {
  test('a client CLOSE with code 1001 is received and echoed as 1001', () => {
    const ctx = context([ev('CLOSE', closeContent(1001, 'going'))]);
    assert.deepEqual(ctx.recv(), { type: 'close', close: { code: 1001, reason: 'going', clean: true } });
    assert.deepEqual(ctx.peerClose, { code: 1001, reason: 'going', clean: true });
    assert.deepEqual(answer(ctx.toResponse()), [['CLOSE', '\x03\xe9']]);
  });

  test('a client CLOSE is echoed even when nobody reads it', () => {
    const ctx = context([ev('CLOSE', closeContent(4002))]);
    assert.deepEqual(answer(ctx.toResponse()), [['CLOSE', '\x0f\xa2']]);
    assert.deepEqual(ctx.peerClose, { code: 4002, reason: '', clean: true });
  });

  test('a CLOSE without code is read as 1005 and echoed as CLOSE without content', () => {
    const ctx = context([ev('CLOSE')]);
    assert.deepEqual(ctx.recv(), { type: 'close', close: { code: 1005, reason: '', clean: true } });
    assert.deepEqual(answer(ctx.toResponse()), [['CLOSE', null]]);
  });

  test('a CLOSE carrying a code that may not be sent is echoed without content', () => {
    const ctx = context([ev('CLOSE', closeContent(1006))]);
    assert.deepEqual(answer(ctx.toResponse()), [['CLOSE', null]]);
  });

  test('nothing after a CLOSE is read', () => {
    const ctx = context([ev('CLOSE', closeContent(1000)), ev('TEXT', 'late'), ev('PING', 'p')]);
    assert.equal(ctx.recv()?.type, 'close');
    assert.equal(ctx.recv(), undefined);
    assert.deepEqual(answer(ctx.toResponse()), [['CLOSE', '\x03\xe8']]);
  });

  test('the function may still send before the echo of a client CLOSE', () => {
    const ctx = context([ev('CLOSE', closeContent(1000))]);
    ctx.recv();
    ctx.send('bye');
    assert.deepEqual(answer(ctx.toResponse()), [
      ['TEXT', 'm:bye'],
      ['CLOSE', '\x03\xe8'],
    ]);
  });

  test('close() without a code sends 1000, after the messages', () => {
    const ctx = context([ev('OPEN')]);
    ctx.send('last');
    ctx.close();
    assert.equal(ctx.state, 'closed');
    assert.deepEqual(answer(ctx.toResponse()), [
      ['OPEN', null],
      ['TEXT', 'm:last'],
      ['CLOSE', '\x03\xe8'],
    ]);
    assert.throws(() => ctx.send('more'), /closed/);
  });

  test('close(code, reason) sends them; the first close wins', () => {
    const ctx = context([]);
    ctx.close(4000, 'bye');
    ctx.close(1000);
    assert.deepEqual(answer(ctx.toResponse()), [['CLOSE', '\x0f\xa0bye']]);
  });

  test("the function's close replaces the echo of the client's", () => {
    const ctx = context([ev('CLOSE', closeContent(1001))]);
    ctx.recv();
    ctx.close(4001);
    assert.deepEqual(answer(ctx.toResponse()), [['CLOSE', '\x0f\xa1']]);
  });

  test('close(0), close(1005), close(1006), close(5000) throw TypeError and do not close', () => {
    const ctx = context([ev('OPEN')]);
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 5000, 1000.5]) {
      assert.throws(() => ctx.close(code), TypeError, `code ${code}`);
    }
    assert.throws(() => ctx.close(1000, 'x'.repeat(124)), TypeError);
    assert.equal(ctx.state, 'open');
    assert.deepEqual(answer(ctx.toResponse()), [['OPEN', null]]);
  });

  test('DISCONNECT: a close event with 1006, clean false, and no CLOSE sent', () => {
    const ctx = context([ev('DISCONNECT')]);
    assert.deepEqual(ctx.recv(), { type: 'close', close: { code: 1006, reason: '', clean: false } });
    assert.throws(() => ctx.send('anyone?'), /gone/);
    assert.deepEqual(answer(ctx.toResponse()), []);
  });

  test('close() after DISCONNECT: nothing to close, no CLOSE sent', () => {
    const ctx = context([ev('DISCONNECT')]);
    ctx.recv();
    ctx.close(1000);
    assert.equal(ctx.state, 'gone');
    assert.deepEqual(answer(ctx.toResponse()), []);
  });

  test('DISCONNECT unread: still no CLOSE sent', () => {
    const ctx = context([ev('DISCONNECT')]);
    assert.deepEqual(answer(ctx.toResponse()), []);
    assert.deepEqual(ctx.peerClose, { code: 1006, reason: '', clean: false });
  });

  test('close() closes with the code unless the connection is rejected, closed or gone', () => {
    const open = context([ev('OPEN')]);
    open.close(1011, 'internal error');
    assert.deepEqual(answer(open.toResponse()), [
      ['OPEN', null],
      ['CLOSE', '\x03\xf3internal error'],
    ]);
    const gone = context([ev('DISCONNECT')]);
    gone.recv();
    gone.close(1011, 'internal error');
    assert.deepEqual(answer(gone.toResponse()), []);
    const closed = context([]);
    closed.close(4000);
    closed.close(1011, 'internal error');
    assert.deepEqual(answer(closed.toResponse()), [['CLOSE', '\x0f\xa0']]);
    const rejected = context([ev('OPEN')]);
    rejected.reject(403, 'no');
    rejected.close(1011, 'internal error');
    assert.equal(rejected.toResponse().status, 403);
    assert.equal(rejected.state, 'rejected');
  });
});

describe('state', () => {
  test('an opening connection is open (it will be accepted) before and without accept()', () => {
    const ctx = context([ev('OPEN'), ev('TEXT', 'hi')]);
    assert.equal(ctx.state, 'open');
    ctx.recv();
    ctx.send('hello');
    assert.equal(ctx.state, 'open');
    assert.deepEqual(answer(ctx.toResponse())[0], ['OPEN', null]);
  });

  test("the client's CLOSE: client-closed, sends still go out, then the echo", () => {
    const ctx = context([ev('CLOSE', closeContent(1001))]);
    ctx.recv();
    assert.equal(ctx.state, 'client-closed');
    ctx.send('bye');
    assert.deepEqual(answer(ctx.toResponse()), [
      ['TEXT', 'm:bye'],
      ['CLOSE', '\x03\xe9'],
    ]);
  });

  test("close() then the client's CLOSE: the function's close stands, and is what goes out", () => {
    const ctx = context([ev('TEXT', 'a'), ev('CLOSE', closeContent(1001))]);
    ctx.recv();
    ctx.close(4000);
    assert.equal(ctx.recv()?.type, 'close');
    assert.equal(ctx.state, 'closed');
    assert.deepEqual(answer(ctx.toResponse()), [['CLOSE', '\x0f\xa0']]);
  });

  test('an unread CLOSE or DISCONNECT settles the state when the answer is made', (t) => {
    t.mock.method(console, 'warn', () => {});
    const closing = context([ev('CLOSE', closeContent(1000))]);
    closing.toResponse();
    assert.equal(closing.state, 'client-closed');
    const gone = context([ev('TEXT', 'x'), ev('DISCONNECT')]);
    gone.toResponse();
    assert.equal(gone.state, 'gone');
  });

  test('rejected stays rejected whatever the client sends after OPEN', () => {
    const ctx = context([ev('OPEN'), ev('DISCONNECT')]);
    ctx.reject(403);
    ctx.recv();
    assert.equal(ctx.state, 'rejected');
    assert.equal(ctx.toResponse().status, 403);
  });
});

describe('control messages', () => {
  test('subscribe and unsubscribe: c: TEXT events with JSON, prefix applied', () => {
    const ctx = context([ev('OPEN')], {}, 'p-');
    ctx.subscribe('room');
    ctx.unsubscribe('room');
    assert.deepEqual(answer(ctx.toResponse()), [
      ['OPEN', null],
      ['TEXT', control({ type: 'subscribe', channel: 'p-room' })],
      ['TEXT', control({ type: 'unsubscribe', channel: 'p-room' })],
    ]);
  });

  test('subscribe with filters; empty filters are left out', () => {
    const ctx = context([]);
    ctx.subscribe('a', { filters: ['skip-self', 'require-sub'] });
    ctx.subscribe('b', { filters: [] });
    assert.deepEqual(answer(ctx.toResponse()), [
      ['TEXT', control({ type: 'subscribe', channel: 'a', filters: ['skip-self', 'require-sub'] })],
      ['TEXT', control({ type: 'subscribe', channel: 'b' })],
    ]);
  });

  test('an empty channel name is a TypeError', () => {
    const ctx = context([]);
    assert.throws(() => ctx.subscribe(''), TypeError);
    assert.throws(() => ctx.unsubscribe(''), TypeError);
  });

  test('detach', () => {
    const ctx = context([]);
    ctx.detach();
    assert.deepEqual(answer(ctx.toResponse()), [['TEXT', control({ type: 'detach' })]]);
  });

  test('keepAlive sends a keep-alive control message', () => {
    const ctx = context([ev('OPEN')]);
    ctx.keepAlive({ content: '{"type":"ka"}', timeoutSeconds: 30 });
    ctx.keepAlive({ content: new Uint8Array([0]), timeoutSeconds: 40, mode: 'interval' });
    assert.deepEqual(answer(ctx.toResponse()), [
      ['OPEN', null],
      ['TEXT', control({ type: 'keep-alive', 'message-type': 'text', content: '{"type":"ka"}', timeout: 30 })],
      ['TEXT', control({ type: 'keep-alive', 'message-type': 'binary', 'content-bin': 'AA==', timeout: 40, mode: 'interval' })],
    ]);
  });

  test('setKeepAliveInterval sets Keep-Alive-Interval; 0 is allowed; bad values are TypeErrors', () => {
    const ctx = context([ev('OPEN')]);
    ctx.setKeepAliveInterval(20);
    assert.equal(ctx.toResponse().headers['Keep-Alive-Interval'], '20');
    const off = context([]);
    off.setKeepAliveInterval(0);
    assert.equal(off.toResponse().headers['Keep-Alive-Interval'], '0');
    for (const seconds of [-1, 2.5, Number.NaN]) assert.throws(() => ctx.setKeepAliveInterval(seconds), TypeError);
  });

  test('control messages after close are refused', () => {
    const ctx = context([]);
    ctx.close();
    assert.throws(() => ctx.subscribe('x'), /closed/);
    assert.throws(() => ctx.detach(), /closed/);
  });
});

describe('meta', () => {
  test('meta comes from Meta-* request headers', () => {
    const ctx = context([], { 'meta-user': 'alice' });
    assert.equal(ctx.meta.get('user'), 'alice');
    assert.equal(ctx.toResponse().headers['Set-Meta-user'], undefined);
  });

  test('changes appear as Set-Meta-* headers, and as set-meta control messages after OPEN', () => {
    const ctx = context([ev('OPEN')], { 'meta-user': 'alice', 'meta-room': 'lobby', 'meta-same': 's' });
    ctx.meta.set('user', 'bob');
    ctx.meta.delete('room');
    ctx.meta.set('lang', 'en');
    ctx.meta.set('same', 's');
    ctx.send('hi');
    const response = ctx.toResponse();
    assert.equal(response.headers['Set-Meta-user'], 'bob');
    assert.equal(response.headers['Set-Meta-room'], '');
    assert.equal(response.headers['Set-Meta-lang'], 'en');
    assert.ok(!('Set-Meta-same' in response.headers));
    assert.deepEqual(answer(response), [
      ['OPEN', null],
      ['TEXT', control({ type: 'set-meta', name: 'user', value: 'bob' })],
      ['TEXT', control({ type: 'set-meta', name: 'lang', value: 'en' })],
      ['TEXT', control({ type: 'set-meta', name: 'room', value: '' })],
      ['TEXT', 'm:hi'],
    ]);
  });
});
