// OpenTelemetry: with a tracer provider registered (the SDK's, exporting to
// its in-memory exporter), each invocation is a SERVER span named for the
// function, the spans user code starts are its children, each publish is a
// PRODUCER child span (a failed one marked as an error), and user code and
// the logger read the request and connection ids. `tracing: false` makes none.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { getLogger, invocationInfo, websocket, wsMessage, type InvocationInfo, type LogEntry } from '../../src/index.js';
import { lambdaContext } from '../../src/local/lambda-context.js';
import { textEvent, webSocketRequest } from '../../src/testing/events.js';

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();
let control: Server;
let controlPort = 0;

before(async () => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  // A control API that takes every publish but the ones to "refused".
  control = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => void (body.includes('"refused"') ? res.writeHead(400).end('no\n') : res.writeHead(200).end('Published\n')));
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  controlPort = (control.address() as AddressInfo).port;
});

after(async () => {
  trace.disable();
  context.disable();
  await new Promise((resolve) => control.close(resolve));
});

const KEY = 'trace-key';

test('an invocation is a span; user spans and publishes are its children; ids reach user code and the logger', async () => {
  exporter.reset();
  const seen: (InvocationInfo | undefined)[] = [];
  const logged: LogEntry[] = [];
  const logger = {
    debug: () => {},
    info: (e: LogEntry) => void logged.push(e),
    warn: () => {},
    error: (e: LogEntry) => void logged.push(e),
  };
  const handler = websocket(
    {
      async onMessage(ctx, message) {
        seen.push(invocationInfo());
        getLogger().info({ message: 'from user code' });
        await trace.getTracer('user').startActiveSpan('user work', async (span) => {
          await ctx.publisher.publish('room', wsMessage(message.type === 'text' ? message.data : ''));
          span.end();
        });
        await ctx.publisher.publish('refused', wsMessage('x')).catch(() => undefined);
      },
    },
    { env: { GRIP_URL: `http://127.0.0.1:${controlPort}?iss=pushpin&key=${KEY}` }, logger },
  );
  const result = await handler(webSocketRequest({ connectionId: 'trace-conn', events: [textEvent('hi')], sign: { key: KEY } }), {
    ...lambdaContext('trace-fn', Date.now() + 5_000),
    awsRequestId: 'trace-request',
  });
  assert.equal(result.statusCode, 200);
  assert.deepEqual(seen, [{ functionName: 'trace-fn', requestId: 'trace-request', traceId: undefined, connectionId: 'trace-conn' }]);
  const fromUser = logged.find((entry) => entry.message === 'from user code')!;
  assert.equal(fromUser['requestId'], 'trace-request');
  assert.equal(fromUser['connection_id'], 'trace-conn');

  const spans = exporter.getFinishedSpans();
  const invocation = spans.find((span) => span.name === 'trace-fn')!;
  assert.ok(invocation, spans.map((s) => s.name).join());
  assert.equal(invocation.kind, SpanKind.SERVER);
  assert.equal(invocation.attributes['faas.invocation_id'], 'trace-request');
  assert.equal(invocation.attributes['grip.connection_id'], 'trace-conn');
  assert.equal(invocation.attributes['http.response.status_code'], 200);
  const parentOf = (span: (typeof spans)[number]) => span.parentSpanContext?.spanId;
  const userWork = spans.find((span) => span.name === 'user work')!;
  assert.equal(parentOf(userWork), invocation.spanContext().spanId, 'user spans nest under the invocation');
  const publishes = spans.filter((span) => span.name === 'publish');
  assert.equal(publishes.length, 2);
  for (const publish of publishes) {
    assert.equal(publish.kind, SpanKind.PRODUCER);
    assert.equal(parentOf(publish), invocation.spanContext().spanId);
    assert.equal(publish.spanContext().traceId, invocation.spanContext().traceId);
  }
  const [sent, refused] = [
    publishes.find((s) => s.attributes['messaging.destination.name'] === 'room')!,
    publishes.find((s) => s.attributes['messaging.destination.name'] === 'refused')!,
  ];
  assert.equal(sent.status.code, SpanStatusCode.UNSET);
  assert.equal(refused.status.code, SpanStatusCode.ERROR);
  assert.match(String(refused.status.message), /400/);
});

test('a handler that throws: its span is marked as an error with the exception', async () => {
  exporter.reset();
  const handler = websocket(
    {
      onMessage() {
        throw new Error('traced failure');
      },
    },
    { env: { GRIP_URL: `http://127.0.0.1:${controlPort}?iss=pushpin&key=${KEY}` }, logger: silent },
  );
  await handler(webSocketRequest({ events: [textEvent('x')], sign: { key: KEY } }), lambdaContext('failing-fn', Date.now() + 5_000));
  const span = exporter.getFinishedSpans().find((s) => s.name === 'failing-fn')!;
  assert.equal(span.status.code, SpanStatusCode.ERROR);
  assert.ok(span.events.some((event) => event.name === 'exception' && event.attributes?.['exception.message'] === 'traced failure'));
});

test('tracing: false makes no span, even with a provider registered', async () => {
  exporter.reset();
  const handler = websocket(
    {},
    { env: { GRIP_URL: `http://127.0.0.1:${controlPort}?iss=pushpin&key=${KEY}` }, tracing: false, logger: silent },
  );
  await handler(webSocketRequest({ events: [textEvent('x')], sign: { key: KEY } }), lambdaContext('untraced', Date.now() + 5_000));
  assert.deepEqual(exporter.getFinishedSpans(), []);
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };
