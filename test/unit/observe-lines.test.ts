// What a function writes about itself: one JSON line per invocation with
// Lambda's and Powertools' field names, one line per error with its cause,
// CloudWatch EMF metrics valid by the specification's rules, the log level
// from AWS_LAMBDA_LOG_LEVEL (metrics kept when INFO lines are not), metrics
// off with GRIP_METRICS=off, and injected loggers (a real Powertools Logger,
// a real pino) getting every line, with nothing else on the console.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { Logger } from '@aws-lambda-powertools/logger';
import { pino } from 'pino';
import { http, invocationInfo, respond, websocket, type GripLogger } from '../../src/index.js';
import { lambdaContext } from '../../src/local/lambda-context.js';
import { checkNamespace, emfMembers, INVOCATION_METRICS } from '../../src/observe/metrics.js';
import { jsonLogger, parseLogLevel, textLine } from '../../src/observe/logger.js';
import { openEvent, textEvent, webSocketRequest } from '../../src/testing/events.js';
import { emfProblems } from '../support/emf.js';

type Line = Record<string, unknown>;

/** Runs the observed function in a process with Lambda's environment plus `env`: its JSON lines, its `#result` lines and its stderr. */
function runObserved(env: Record<string, string>, mode = ''): { lines: Line[]; results: string[]; stderr: string } {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('../support/observed-function.ts', import.meta.url)), mode],
    {
      env: { PATH: process.env.PATH, AWS_LAMBDA_FUNCTION_NAME: 'chat-dev-ws', AWS_REGION: 'us-east-1', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.equal(child.status, 0, child.stderr);
  const out = child.stdout.split('\n').filter((line) => line !== '');
  assert.equal(out.at(-1), '#done', child.stdout);
  const results = out.filter((line) => line.startsWith('#result'));
  const lines = out.filter((line) => !line.startsWith('#')).map((line) => JSON.parse(line) as Line);
  return { lines, results, stderr: child.stderr };
}

/** Lines on stderr, each JSON (Powertools writes its warnings and errors there; Lambda keeps both streams). */
function jsonLines(text: string): Line[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Line);
}

const invocationLines = (lines: Line[]) => lines.filter((line) => line['message'] === 'invocation');
const byRequest = (lines: Line[], id: string) => invocationLines(lines).find((line) => line['requestId'] === id)!;

describe('in Lambda, by default', () => {
  const { lines, results, stderr } = runObserved({});

  test('every line on stdout is JSON, nothing on stderr; one invocation line per invocation, with Lambda and Powertools field names', () => {
    assert.equal(stderr, '');
    assert.deepEqual(results, ['#result 1 200', '#result 2 200', '#result 3 200', '#result 4 200', '#result 5 200', '#result 6 401']);
    const invocations = invocationLines(lines);
    assert.equal(invocations.length, 6);
    for (const line of invocations) {
      assert.equal(line['level'], 'INFO');
      assert.equal(line['function_name'], 'chat-dev-ws');
      assert.match(String(line['timestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(typeof line['duration_ms'], 'number');
    }
    assert.deepEqual(
      invocations.map((line) => line['cold_start']),
      [true, false, false, false, false, false],
    );
  });

  test('an OPEN: accepted, the events in and out by type, the front door', () => {
    const open = byRequest(lines, 'request-1');
    assert.equal(open['connection_id'], 'conn-observed-1');
    assert.equal(open['front_door'], 'api-gateway-http');
    assert.deepEqual(open['events_in'], { OPEN: 1 });
    assert.equal((open['events_out'] as Record<string, number>)['OPEN'], 1);
    assert.equal(open['opened'], true);
    assert.equal(open['ConnectionsOpened'], 1);
  });

  test('a message: counted with its bytes both ways; publishes made and failed', () => {
    const message = byRequest(lines, 'request-2');
    assert.deepEqual([message['messages_in'], message['messages_out'], message['bytes_in'], message['bytes_out']], [1, 1, 5, 5]);
    assert.deepEqual([message['publishes'], message['publish_failures']], [2, 1]);
    assert.deepEqual([message['MessagesIn'], message['BytesOut'], message['Publishes'], message['PublishFailures']], [1, 5, 2, 1]);
  });

  test('a callback that throws: an error line with its cause and the invocation, then the invocation line with close_code 1011', () => {
    const error = lines.find((line) => line['level'] === 'ERROR' && line['requestId'] === 'request-3')!;
    assert.equal(error['message'], 'connection conn-observed-1: error in onMessage');
    assert.equal(error['connection_id'], 'conn-observed-1');
    assert.equal((error['error'] as Line)['message'], 'boom in onMessage');
    assert.match(String((error['error'] as Line)['stack']), /observed-function\.ts/);
    const failed = byRequest(lines, 'request-3');
    assert.equal(failed['handler_error'], true);
    assert.equal(failed['close_code'], 1011);
    assert.equal(failed['Errors'], 1);
    assert.equal(failed['CloseCode'], '1011');
    assert.equal(failed['ConnectionsClosed'], 1);
  });

  test('a publish that failed is also its own error line, with the proxy and status', () => {
    const error = lines.find((line) => line['level'] === 'ERROR' && line['requestId'] === 'request-2')!;
    assert.match(
      String(error['message']),
      /publishing 1 item\(s\) failed on 1 proxy\(ies\): http:\/\/127\.0\.0\.1:\d+\/publish\/ 400 refused/,
    );
  });

  test('a publish retried after a 503: publish_retries', () => {
    const retried = byRequest(lines, 'request-4');
    assert.deepEqual([retried['publishes'], retried['publish_failures'], retried['publish_retries']], [1, 0, 1]);
    assert.equal(retried['PublishRetries'], 1);
  });

  test('a CLOSE: close_code and ConnectionsClosed by CloseCode; an unsigned request: grip_sig_rejected', () => {
    const close = byRequest(lines, 'request-5');
    assert.equal(close['close_code'], 1000);
    assert.equal(close['CloseCode'], '1000');
    const unsigned = byRequest(lines, 'request-6');
    assert.equal(unsigned['status'], 401);
    assert.equal(unsigned['grip_sig_rejected'], true);
    assert.equal(unsigned['GripSigRejections'], 1);
  });

  test('every invocation line is a valid EMF document: namespace, dimensions, each metric defined has its value, units from CloudWatch', () => {
    for (const line of invocationLines(lines)) {
      assert.deepEqual(emfProblems(line), [], JSON.stringify(line));
      const aws = line['_aws'] as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
      assert.equal(aws.CloudWatchMetrics[0]!.Namespace, 'grip-lambda');
      assert.deepEqual(aws.CloudWatchMetrics[0]!.Dimensions, [['function']]);
      assert.equal(line['function'], 'chat-dev-ws');
    }
  });
});

test('AWS_LAMBDA_LOG_LEVEL=WARN: no invocation lines, but the metrics, each on a line with no level for Lambda to filter by; errors still', () => {
  const { lines, stderr } = runObserved({ AWS_LAMBDA_LOG_LEVEL: 'WARN', GRIP_METRICS_NAMESPACE: 'chat/prod' });
  assert.equal(stderr, '');
  assert.equal(invocationLines(lines).length, 0);
  const metrics = lines.filter((line) => line['_aws'] !== undefined);
  assert.equal(metrics.length, 6);
  for (const line of metrics) {
    assert.equal(line['level'], undefined);
    assert.deepEqual(emfProblems(line), []);
    assert.equal((line['_aws'] as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]!.Namespace, 'chat/prod');
  }
  assert.equal(lines.filter((line) => line['level'] === 'ERROR').length, 2);
});

test('GRIP_LOG_LEVEL overrides AWS_LAMBDA_LOG_LEVEL; GRIP_METRICS=off: no EMF at all', () => {
  const { lines } = runObserved({ AWS_LAMBDA_LOG_LEVEL: 'ERROR', GRIP_LOG_LEVEL: 'info', GRIP_METRICS: 'off' });
  assert.equal(invocationLines(lines).length, 6);
  assert.equal(lines.filter((line) => line['_aws'] !== undefined).length, 0);
});

test('a Powertools Logger given as `logger`: its own JSON lines carry the invocation and error lines, the metrics go on lines of their own', () => {
  const run = runObserved({}, 'powertools');
  const lines = [...run.lines, ...jsonLines(run.stderr)];
  const invocations = invocationLines(lines);
  assert.equal(invocations.length, 6);
  for (const line of invocations) {
    assert.equal(line['service'], 'observed'); // written by Powertools, not by the toolkit
    assert.equal(line['level'], 'INFO');
    assert.equal(line['_aws'], undefined);
  }
  assert.equal(byRequest(lines, 'request-2')['connection_id'], 'conn-observed-1');
  const error = lines.find((line) => line['level'] === 'ERROR' && line['requestId'] === 'request-3')!;
  assert.equal(error['service'], 'observed');
  assert.match(JSON.stringify(error['error']), /boom in onMessage/);
  const metrics = lines.filter((line) => line['_aws'] !== undefined);
  assert.equal(metrics.length, 6);
  for (const line of metrics) assert.deepEqual(emfProblems(line), []);
});

/** Fails the test on any console output while `fn` runs. */
async function withSilentConsole<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug };
  const said: unknown[][] = [];
  for (const name of Object.keys(saved) as (keyof typeof saved)[]) console[name] = (...args: unknown[]) => void said.push(args);
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
    assert.deepEqual(said, [], 'nothing on the console');
  }
}

test('a real pino logger given as `logger`: every line through it, the fields as pino fields, nothing on the console', async () => {
  const written: Line[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(JSON.parse(chunk.toString('utf8')) as Line);
      done();
    },
  });
  const logger = pino({ messageKey: 'message', level: 'info' }, destination);
  const env = { GRIP_URL: 'http://127.0.0.1:9?iss=pushpin&key=pino-key' };
  const handler = websocket(
    {
      onMessage(_ctx, message) {
        if (message.type === 'text' && message.data === 'boom') throw new Error('pino sees this');
      },
    },
    { env, logger, metrics: false },
  );
  const context = { ...lambdaContext('pino-fn', Date.now() + 5_000), awsRequestId: 'pino-request' };
  await withSilentConsole(async () => {
    await handler(webSocketRequest({ connectionId: 'pino-conn', events: [textEvent('boom')], sign: { key: 'pino-key' } }), context);
    await handler(webSocketRequest({ connectionId: 'pino-conn', events: [openEvent()] }), context); // unsigned: 401
  });
  const error = written.find((line) => line['level'] === 50)!;
  assert.equal(error['message'], 'connection pino-conn: error in onMessage');
  assert.equal(error['requestId'], 'pino-request');
  assert.equal(error['function_name'], 'pino-fn');
  assert.equal((error['error'] as Line)['message'], 'pino sees this');
  const invocations = written.filter((line) => line['message'] === 'invocation');
  assert.deepEqual(
    invocations.map((line) => [line['level'], line['status'], line['connection_id'], line['handler_error'], line['grip_sig_rejected']]),
    [
      [30, 200, 'pino-conn', true, undefined],
      [30, 401, undefined, undefined, true],
    ],
  );
});

test("the X-Ray trace id: each invocation's own, as Lambda sets _X_AMZN_TRACE_ID for it, in its line and invocationInfo()", async () => {
  const written: Line[] = [];
  const logger: GripLogger = {
    debug: (entry) => void written.push(entry),
    info: (entry) => void written.push(entry),
    warn: (entry) => void written.push(entry),
    error: (entry) => void written.push(entry),
  };
  const seen: (string | undefined)[] = [];
  const handler = websocket(
    {
      onMessage() {
        seen.push(invocationInfo()?.traceId);
      },
    },
    { env: { GRIP_URL: 'http://127.0.0.1:9', AWS_LAMBDA_FUNCTION_NAME: 'trace-fn' }, logger, metrics: false },
  );
  const roots = ['1-5759e988-bd862e3fe1be46a994272793', '1-5759e988-bd862e3fe1be46a994272794'];
  const saved = process.env._X_AMZN_TRACE_ID;
  try {
    for (const root of roots) {
      process.env._X_AMZN_TRACE_ID = `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1`;
      await handler(webSocketRequest({ events: [textEvent('hi')] }), lambdaContext('trace-fn', Date.now() + 5_000));
    }
    delete process.env._X_AMZN_TRACE_ID;
    await handler(webSocketRequest({ events: [textEvent('hi')] }), lambdaContext('trace-fn', Date.now() + 5_000));
  } finally {
    if (saved === undefined) delete process.env._X_AMZN_TRACE_ID;
    else process.env._X_AMZN_TRACE_ID = saved;
  }
  assert.deepEqual(seen, [...roots, undefined]);
  const invocations = written.filter((line) => line['message'] === 'invocation');
  assert.deepEqual(
    invocations.map((line) => line['xray_trace_id']),
    [...roots, undefined],
  );
});

test('outside Lambda: quiet by default; GRIP_LOG_LEVEL=INFO gives a text line per invocation; errors as text with their stack', async () => {
  const said: string[] = [];
  const saved = { log: console.log, error: console.error };
  console.log = (...args: unknown[]) => void said.push(args.map(String).join(' '));
  console.error = (...args: unknown[]) => void said.push(args.map(String).join(' '));
  try {
    const quiet = http(() => respond(200, 'ok'), { env: {} });
    await quiet(webSocketRequest({ events: [openEvent()] }));
    assert.deepEqual(said, []);
    const chatty = http(
      () => {
        throw new Error('text stack');
      },
      { env: { GRIP_LOG_LEVEL: 'INFO' } as Record<string, string> },
    );
    await chatty(webSocketRequest({ events: [openEvent()] }));
  } finally {
    Object.assign(console, saved);
  }
  assert.equal(said.length, 2, said.join('\n'));
  assert.match(said[0]!, /^\[grip-lambda\] handler failed: Error: text stack\n\s+at /);
  assert.match(said[1]!, /^\[grip-lambda\] invocation .*status=500 .*handler_error=true/);
});

test('Powertools Logger, pino and console are GripLoggers as they are (checked by the compiler)', () => {
  const loggers: GripLogger[] = [new Logger(), pino({ enabled: false }), console, jsonLogger({ sink: () => undefined })];
  assert.equal(loggers.length, 4);
});

describe('the pieces', () => {
  test('levels: Lambda names in any case; anything else refused with the variable named', () => {
    assert.equal(parseLogLevel('debug', 'X'), 'DEBUG');
    assert.equal(parseLogLevel(undefined, 'X'), undefined);
    assert.throws(
      () => parseLogLevel('LOUD', 'GRIP_LOG_LEVEL'),
      /GRIP_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL, SILENT/,
    );
    assert.throws(() => websocket({}, { env: { GRIP_LOG_LEVEL: 'LOUD' } as Record<string, string> }), /GRIP_LOG_LEVEL/);
  });

  test('namespaces CloudWatch refuses are refused when the handler is made', () => {
    assert.equal(checkNamespace('chat/prod #1'), 'chat/prod #1');
    for (const bad of ['', ' ', 'AWS/Lambda', 'a'.repeat(256), 'émoji']) assert.throws(() => checkNamespace(bad), RangeError, bad);
    assert.throws(
      () => websocket({}, { env: { GRIP_METRICS: 'on', GRIP_METRICS_NAMESPACE: 'AWS/x' } as Record<string, string> }),
      /namespace/,
    );
  });

  test('every metric the toolkit defines at once makes a valid document, far under 100 metrics', () => {
    const values = Object.fromEntries(Object.keys(INVOCATION_METRICS).map((name) => [name, 1]));
    const document = emfMembers({ namespace: 'grip-lambda' }, 'fn', values, 4001);
    assert.deepEqual(emfProblems(document), []);
    assert.ok(Object.keys(INVOCATION_METRICS).length <= 100);
  });

  test('the validator catches what CloudWatch would refuse', () => {
    const good = emfMembers({ namespace: 'ns' }, 'fn', { Publishes: 1 }, undefined);
    assert.deepEqual(emfProblems(good), []);
    const missingValue = { ...good };
    delete missingValue['Publishes'];
    assert.match(emfProblems(missingValue).join(), /Publishes: no number/);
    assert.match(emfProblems({ ...good, function: 3 }).join(), /dimension function has no string value/);
    const badUnit = JSON.parse(JSON.stringify(good).replace('"Count"', '"Things"')) as Line;
    assert.match(emfProblems(badUnit).join(), /unit Things/);
    const many = emfMembers({ namespace: 'ns' }, 'fn', {}, undefined);
    const metrics = Array.from({ length: 101 }, (_, i) => ({ Name: `m${i}`, Unit: 'Count' }));
    const tooMany = {
      ...many,
      ...Object.fromEntries(metrics.map((m) => [m.Name, 1])),
      _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'ns', Dimensions: [['function']], Metrics: metrics }] },
    };
    assert.match(emfProblems(tooMany).join(), /101 metrics, over 100/);
  });

  test('text lines: the message, fields as key=value, an error with its stack after', () => {
    const error = new Error('why');
    const line = textLine({ message: 'it failed', requestId: 'r1', connection_id: 'c1', error });
    assert.ok(line.startsWith('[grip-lambda] it failed: Error: why connection_id=c1\n'), line);
  });
});
