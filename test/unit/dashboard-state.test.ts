// The live view's state: connections from the OPEN answered and the CLOSE
// or DISCONNECT seen, subscriptions from the control messages answered,
// publishes and errors from the functions' reports (joined to the host's
// view by request id), errors of functions not on this toolkit from their
// 5xx, capped lists, a snapshot that fits one stream message; Pushpin's
// Prometheus text read for one gauge.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StackObserver } from '../../src/local/dashboard/observer.js';
import { snapshotJson } from '../../src/local/dashboard/server.js';
import { DashboardState, KEPT } from '../../src/local/dashboard/state.js';
import type { InvocationLog } from '../../src/local/invocation-log.js';
import type { Route } from '../../src/local/routes.js';
import { prometheusValue } from '../../src/local/proxy-metrics.js';
import type { LocalInvocation } from '../../src/observe/local-hook.js';
import { encodeEvents } from '../../src/protocol/codec.js';
import { CONTENT_TYPE_WEBSOCKET_EVENTS } from '../../src/protocol/events.js';
import { wsMessage } from '../../src/publish/formats.js';

const route = (functionName: string, path: string): Route => ({
  kind: 'httpApi',
  functionName,
  method: 'POST',
  path,
  timeoutSeconds: 6,
  load: () => Promise.reject(new Error('not loaded here')),
});

let requests = 0;
function log(connectionId: string | undefined, eventsIn: string[], eventsOut: string[], extra: Partial<InvocationLog> = {}): InvocationLog {
  return {
    functionName: 'chat',
    method: 'POST',
    path: '/chat/lobby',
    status: 200,
    connectionId,
    eventsIn,
    eventsOut,
    durationMs: 1.5,
    handlerMs: 1,
    requestId: `r${++requests}`,
    ...extra,
  };
}

function reported(requestId: string, out: string[], extra: Partial<LocalInvocation> = {}): LocalInvocation {
  return {
    record: {
      function_name: 'chat',
      requestId,
      cold_start: false,
      status: 200,
      duration_ms: 1,
      publishes: 0,
      publish_failures: 0,
      publish_retries: 0,
    },
    publishes: [],
    errors: [],
    webSocket: {
      eventsIn: [],
      response: {
        status: 200,
        headers: { 'Content-Type': CONTENT_TYPE_WEBSOCKET_EVENTS },
        body: encodeEvents(out.map((text) => ({ type: 'TEXT', content: Buffer.from(text) }))),
      },
    },
    ...extra,
  };
}

const subscribe = (channel: string) => `c:${JSON.stringify({ type: 'subscribe', channel })}`;
const unsubscribe = (channel: string) => `c:${JSON.stringify({ type: 'unsubscribe', channel })}`;

describe('DashboardState', () => {
  test('connections open with an OPEN answered with OPEN, close with CLOSE or DISCONNECT; a refused OPEN is none', () => {
    const state = new DashboardState([route('chat', '/chat/{room}'), route('echo', '/echo')]);
    state.invocation(log('a', ['OPEN'], ['OPEN']), undefined);
    state.invocation(log('b', ['OPEN'], ['OPEN']), undefined);
    state.invocation(log('c', ['OPEN'], [], { status: 403 }), undefined);
    let snapshot = state.snapshot();
    assert.deepEqual(
      snapshot.connections.map((c) => c.id),
      ['a', 'b'],
    );
    assert.deepEqual(
      snapshot.routes.map((r) => [r.functionName, r.clients]),
      [
        ['chat', 2],
        ['echo', 0],
      ],
    );
    state.invocation(log('a', ['CLOSE'], ['CLOSE']), undefined);
    state.invocation(log('b', ['DISCONNECT'], []), undefined);
    snapshot = state.snapshot();
    assert.deepEqual(snapshot.connections, []);
    assert.equal(snapshot.totals.invocations, 5);
  });

  test('subscriptions from the control messages answered; a connection closing leaves every channel', () => {
    const state = new DashboardState([]);
    const open = log('a', ['OPEN'], ['OPEN', 'TEXT', 'TEXT']);
    state.invocation(open, reported(open.requestId!, [subscribe('room'), subscribe('other')]));
    const openB = log('b', ['OPEN'], ['OPEN', 'TEXT']);
    state.invocation(openB, reported(openB.requestId!, [subscribe('room')]));
    assert.deepEqual(state.snapshot().channels, [
      { name: 'other', subscribers: ['a'] },
      { name: 'room', subscribers: ['a', 'b'] },
    ]);
    const leave = log('a', ['TEXT'], ['TEXT']);
    state.invocation(leave, reported(leave.requestId!, [unsubscribe('other'), 'm:not a control message']));
    assert.deepEqual(state.snapshot().channels, [{ name: 'room', subscribers: ['a', 'b'] }]);
    state.invocation(log('a', ['CLOSE'], ['CLOSE']), undefined);
    assert.deepEqual(state.snapshot().channels, [{ name: 'room', subscribers: ['b'] }]);
  });

  test("publishes and errors from the function's report; a 5xx of a function not on this toolkit is an error; lines no invocation owns too", () => {
    const state = new DashboardState([]);
    const message = log('a', ['TEXT'], ['TEXT']);
    state.invocation(
      message,
      reported(message.requestId!, [], {
        publishes: [
          { items: [{ channel: 'room', formats: wsMessage('hi') }], error: undefined },
          { items: [{ channel: 'x', formats: wsMessage('no') }], error: 'refused' },
        ],
        errors: ['connection a: error in onMessage: boom'],
      }),
    );
    state.invocation(log(undefined, [], [], { functionName: 'legacy', status: 502 }), undefined);
    state.problem('redis: 127.0.0.1:6379 unreachable');
    const snapshot = state.snapshot();
    assert.deepEqual(
      snapshot.publishes.map((p) => [p.channels, p.preview, p.error]),
      [
        [['x'], 'no', 'refused'],
        [['room'], 'hi', undefined],
      ],
    );
    assert.deepEqual(
      snapshot.errors.map((e) => [e.functionName, e.text]),
      [
        ['', 'redis: 127.0.0.1:6379 unreachable'],
        ['legacy', 'POST /chat/lobby answered 502'],
        ['chat', 'connection a: error in onMessage: boom'],
      ],
    );
    assert.deepEqual(snapshot.totals, { invocations: 2, publishes: 2, errors: 3 });
    assert.equal(snapshot.invocations[1]!.publishes, 2);
  });

  test('lists are capped, newest first; a snapshot too large for one stream message drops its oldest invocations', () => {
    const state = new DashboardState([]);
    const big = 'x'.repeat(200);
    for (let i = 0; i < KEPT.invocations + 20; i++) {
      const entry = log(`c${i}`, ['TEXT'], ['TEXT']);
      state.invocation(
        entry,
        reported(
          entry.requestId!,
          Array.from({ length: 20 }, () => big),
        ),
      );
    }
    const snapshot = state.snapshot();
    assert.equal(snapshot.invocations.length, KEPT.invocations);
    assert.equal(snapshot.invocations[0]!.connectionId, `c${KEPT.invocations + 19}`);
    assert.equal(snapshot.invocations[0]!.framesOut.length, 10);
    const json = snapshotJson(snapshot);
    assert.ok(json.length <= 200_000, String(json.length));
    const sent = JSON.parse(json) as typeof snapshot;
    assert.ok(sent.invocations.length > 0 && sent.invocations.length < KEPT.invocations);
    assert.equal(sent.invocations[0]!.connectionId, snapshot.invocations[0]!.connectionId, 'the newest kept');
  });
});

test("StackObserver: a function's report joins the host's view by request id, once; lines no invocation owns reach the view", () => {
  const state = new DashboardState([]);
  let changes = 0;
  const saved = console.error;
  console.error = () => {};
  try {
    const observer = new StackObserver(state, () => changes++);
    const entry = log('a', ['OPEN'], ['OPEN']);
    observer.invocation(reported(entry.requestId!, []));
    assert.ok(observer.take(entry) !== undefined);
    assert.equal(observer.take(entry), undefined, 'taken once');
    observer.logger.error({ message: 'in an invocation', requestId: 'r0' });
    observer.logger.error({ message: 'redis down' });
  } finally {
    console.error = saved;
  }
  assert.deepEqual(
    state.snapshot().errors.map((e) => e.text),
    ['redis down'],
  );
  assert.equal(changes, 1);
});

test("prometheusValue reads one unlabelled metric from Pushpin's text, not a longer name", () => {
  const text = '# TYPE connection_connected gauge\nconnection_connected_total 9\nconnection_connected 42\nmessage_sent 7\n';
  assert.equal(prometheusValue(text, 'connection_connected'), 42);
  assert.equal(prometheusValue(text, 'message_sent'), 7);
  assert.equal(prometheusValue(text, 'missing'), undefined);
});
