// The local function host: the events it builds from real HTTP requests
// (payload 2.0 for httpApi routes, 1.0 for http routes), how it reads the
// results back, timeouts and errors. Requests are written byte by byte to a
// TCP socket, so header case, repeats and the HTTP version are the test's.
import type { Context } from 'aws-lambda';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { READY_PATH, startFunctionHost, type InvocationLog, type RunningFunctionHost } from '../../src/local/function-host.js';
import type { Route } from '../../src/local/routes.js';
import type { LambdaHttpEvent, LambdaHttpResult } from '../../src/lambda/types.js';

type Handler = (event: LambdaHttpEvent, context: Context) => Promise<unknown>;

/** What the last invocation of a route got. */
interface Seen {
  event: Record<string, unknown>;
  context: Context;
  remainingMs: number;
}

let seen: Seen | undefined;
const recordAndAnswer =
  (answer: unknown): Handler =>
  async (event, context) => {
    seen = { event: event as unknown as Record<string, unknown>, context, remainingMs: context.getRemainingTimeInMillis() };
    return answer;
  };

function route(kind: Route['kind'], method: string, path: string, handler: Handler, timeoutSeconds = 6): Route {
  return {
    kind,
    functionName: `fn-${kind}-${method}-${path}`,
    method,
    path,
    timeoutSeconds,
    load: async () => handler as unknown as (event: LambdaHttpEvent) => Promise<LambdaHttpResult>,
  };
}

const BINARY = Buffer.from([0x42, 0x49, 0x4e, 0x20, 0x33, 0x0d, 0x0a, 0xff, 0x00, 0x80, 0x0d, 0x0a]);

let host: RunningFunctionHost;
const unmatched: { method: string; path: string; reason: string }[] = [];

before(async () => {
  host = await startFunctionHost({
    routes: [
      route('httpApi', 'POST', '/chat/{room}', recordAndAnswer({ statusCode: 200, body: 'ok' })),
      route('httpApi', 'GET', '/files/{path+}', recordAndAnswer({ statusCode: 200, body: 'ok' })),
      route('httpApi', 'GET', '/answer/{kind}', async (event) => {
        const kind = (event as { pathParameters?: Record<string, string> }).pathParameters?.kind;
        if (kind === 'value') return { hello: 'world' };
        if (kind === 'base64')
          return {
            statusCode: 201,
            headers: { 'Content-Type': 'application/octet-stream', 'X-N': 3 },
            body: BINARY.toString('base64'),
            isBase64Encoded: true,
          };
        if (kind === 'cookies') return { statusCode: 200, cookies: ['a=1; Path=/', 'b=2'], body: '' };
        if (kind === 'throws') throw new Error('boom');
        return { statusCode: 204 };
      }),
      route('httpApi', 'GET', '/slow', () => new Promise(() => undefined), 0.2),
      route('httpApi', '*', '/any', recordAndAnswer({ statusCode: 200, body: 'ok' })),
      route(
        'http',
        'POST',
        '/rest/{id}',
        recordAndAnswer({
          statusCode: 200,
          headers: { 'Content-Type': 'application/websocket-events' },
          body: BINARY.toString('base64'),
          isBase64Encoded: true,
        }),
      ),
      route('httpApi', '*', '*', recordAndAnswer({ statusCode: 200, body: 'catch-all' })),
    ],
    binaryMediaTypes: ['application/websocket-events'],
    onUnmatched: (request) => unmatched.push(request),
  });
});

after(() => host.close());

/** Sends one request as raw bytes and reads the whole response (the connection closes after it). */
function send(head: string, body: Buffer = Buffer.alloc(0)): Promise<{ status: number; head: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = connect(host.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const responseHead = all.subarray(0, split).toString('latin1');
      let rest = all.subarray(split + 4);
      if (/^transfer-encoding: chunked$/im.test(responseHead)) {
        const parts: Buffer[] = [];
        for (;;) {
          const lineEnd = rest.indexOf('\r\n');
          const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
          if (size === 0) break;
          parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
          rest = rest.subarray(lineEnd + 2 + size + 2);
        }
        rest = Buffer.concat(parts);
      }
      resolve({ status: Number(responseHead.split(' ')[1]), head: responseHead, body: rest });
    });
    // HTTP/1.1 requires a Host header (Node answers 400 without one).
    const withHost = / HTTP\/1\.1\r\n/.test(head) && !/^host:/im.test(head) ? `${head}Host: localhost\r\n` : head;
    const withLength = body.length > 0 ? `${withHost}Content-Length: ${body.length}\r\n` : withHost;
    // Written, not ended: a half-closed connection makes the server drop a request still in progress.
    socket.write(Buffer.concat([Buffer.from(`${withLength}Connection: close\r\n\r\n`, 'latin1'), body]));
  });
}

function lastEvent(): Record<string, unknown> {
  assert.ok(seen !== undefined, 'the handler ran');
  return seen.event;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.time` as API Gateway writes it, for an epoch in ms. */
function apiGatewayTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** Checks the parts that change per request, then blanks them so the rest compares exactly. */
function withoutVaryingV2(event: Record<string, unknown>, sentAt: number): Record<string, unknown> {
  const context = event.requestContext as Record<string, unknown>;
  assert.match(String(context.requestId), UUID);
  assert.equal(typeof context.timeEpoch, 'number');
  assert.ok(Math.abs((context.timeEpoch as number) - sentAt) < 5_000, 'timeEpoch is now');
  assert.equal(context.time, apiGatewayTime(context.timeEpoch as number));
  const http = context.http as Record<string, unknown>;
  assert.match(String(http.sourceIp), /^(127\.0\.0\.1|::ffff:127\.0\.0\.1)$/);
  return {
    ...event,
    requestContext: { ...context, requestId: 'ID', time: 'TIME', timeEpoch: 0, http: { ...http, sourceIp: 'IP' } },
  };
}

describe('function host: the HTTP API (payload 2.0) event', () => {
  test('a WebSocket-over-HTTP POST: lower-cased headers (repeats comma-joined), cookies apart, query, path parameters, body base64', async () => {
    const sentAt = Date.now();
    const response = await send(
      'POST /chat/lob%20by?x=1&y=&x=2&z=a%2Cb HTTP/1.1\r\n' +
        'Host: chat.example.com:7999\r\n' +
        'Content-Type: application/websocket-events\r\n' +
        'Connection-Id: c-1\r\n' +
        'X-Dup: one\r\n' +
        'Cookie: a=1; b=2\r\n' +
        'x-dup: two\r\n' +
        'Cookie: c=3\r\n' +
        'User-Agent: test-agent\r\n',
      BINARY,
    );
    assert.equal(response.status, 200);
    assert.deepEqual(withoutVaryingV2(lastEvent(), sentAt), {
      version: '2.0',
      routeKey: 'POST /chat/{room}',
      rawPath: '/chat/lob%20by',
      rawQueryString: 'x=1&y=&x=2&z=a%2Cb',
      cookies: ['a=1', 'b=2', 'c=3'],
      headers: {
        host: 'chat.example.com:7999',
        'content-type': 'application/websocket-events',
        'connection-id': 'c-1',
        'x-dup': 'one,two',
        'user-agent': 'test-agent',
        'content-length': String(BINARY.length),
        connection: 'close',
      },
      queryStringParameters: { x: '1,2', y: '', z: 'a,b' },
      pathParameters: { room: 'lob by' },
      requestContext: {
        accountId: 'offline',
        apiId: 'local',
        domainName: 'chat.example.com:7999',
        domainPrefix: 'chat',
        http: { method: 'POST', path: '/chat/lob%20by', protocol: 'HTTP/1.1', sourceIp: 'IP', userAgent: 'test-agent' },
        requestId: 'ID',
        routeKey: 'POST /chat/{room}',
        stage: '$default',
        time: 'TIME',
        timeEpoch: 0,
      },
      body: BINARY.toString('base64'),
      isBase64Encoded: true,
    });
    // The keys in the order an HTTP API writes them, as JSON.stringify shows them.
    assert.deepEqual(Object.keys(lastEvent()), [
      'version',
      'routeKey',
      'rawPath',
      'rawQueryString',
      'cookies',
      'headers',
      'queryStringParameters',
      'pathParameters',
      'requestContext',
      'body',
      'isBase64Encoded',
    ]);
  });

  test('no body, no query, no cookies, no Host: those members are left out; HTTP/1.0 is named', async () => {
    const sentAt = Date.now();
    await send('GET /any HTTP/1.0\r\n');
    assert.deepEqual(withoutVaryingV2(lastEvent(), sentAt), {
      version: '2.0',
      routeKey: 'ANY /any',
      rawPath: '/any',
      rawQueryString: '',
      headers: { connection: 'close' },
      requestContext: {
        accountId: 'offline',
        apiId: 'local',
        domainName: 'localhost',
        domainPrefix: 'localhost',
        http: { method: 'GET', path: '/any', protocol: 'HTTP/1.0', sourceIp: 'IP', userAgent: '' },
        requestId: 'ID',
        routeKey: 'ANY /any',
        stage: '$default',
        time: 'TIME',
        timeEpoch: 0,
      },
      isBase64Encoded: false,
    });
  });

  test('a text body (JSON) arrives as text; a lone "?" is no query', async () => {
    await send('DELETE /any? HTTP/1.1\r\nContent-Type: application/json; charset=utf-8\r\n', Buffer.from('{"é":1}'));
    const event = lastEvent();
    assert.equal(event.body, '{"é":1}');
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.rawQueryString, '');
    assert.equal('queryStringParameters' in event, false);
    assert.equal((event.requestContext as { http: { method: string } }).http.method, 'DELETE');
  });

  test('the path as a URL parser reads it: dot segments resolved, characters a URL escapes escaped; {name+} takes the rest, decoded', async () => {
    await send('GET /files/a/./b/../c%2Fd/e%20f?q="x" HTTP/1.1\r\n');
    const event = lastEvent();
    assert.equal(event.rawPath, '/files/a/c%2Fd/e%20f');
    assert.equal(event.rawQueryString, 'q=%22x%22');
    assert.deepEqual(event.queryStringParameters, { q: '"x"' });
    assert.deepEqual(event.pathParameters, { path: 'a/c/d/e f' });
    assert.equal(event.routeKey, 'GET /files/{path+}');
  });

  test('a route with a literal path wins over the catch-all; the catch-all takes the rest', async () => {
    await send('PUT /nothing/here HTTP/1.1\r\n');
    assert.equal(lastEvent().routeKey, 'ANY *');
    assert.equal('pathParameters' in lastEvent(), false);
  });

  test('the Lambda context: function name, a request id per invocation, the time left from the route timeout', async () => {
    await send('POST /chat/a HTTP/1.1\r\nContent-Type: application/websocket-events\r\n', Buffer.from('OPEN\r\n'));
    const first = seen!;
    await send('POST /chat/a HTTP/1.1\r\nContent-Type: application/websocket-events\r\n', Buffer.from('OPEN\r\n'));
    const second = seen!;
    assert.equal(first.context.functionName, 'fn-httpApi-POST-/chat/{room}');
    assert.equal(first.context.invokedFunctionArn, 'arn:aws:lambda:local:000000000000:function:fn-httpApi-POST-/chat/{room}');
    assert.match(first.context.awsRequestId, UUID);
    assert.notEqual(first.context.awsRequestId, second.context.awsRequestId);
    const ids = [first, second].map((s) => (s.event.requestContext as { requestId: string }).requestId);
    assert.notEqual(ids[0], ids[1]);
    assert.ok(first.remainingMs > 5_000 && first.remainingMs <= 6_000, `remaining ${first.remainingMs} ms of 6 s`);
  });
});

describe('function host: requests to a URL already routed', () => {
  test('each event has path parameters of its own: a handler changing them changes nothing for the next request', async () => {
    for (const kind of ['httpApi', 'http'] as const) {
      const head = kind === 'http' ? 'POST /rest/7 HTTP/1.1\r\n' : 'POST /chat/a HTTP/1.1\r\n';
      const name = kind === 'http' ? 'id' : 'room';
      await send(`${head}Content-Type: application/websocket-events\r\n`, Buffer.from('OPEN\r\n'));
      const first = (seen!.event as { pathParameters: Record<string, string> }).pathParameters;
      const value = first[name];
      first[name] = 'changed';
      await send(`${head}Content-Type: application/websocket-events\r\n`, Buffer.from('OPEN\r\n'));
      assert.deepEqual((seen!.event as { pathParameters: Record<string, string> }).pathParameters, { [name]: value }, kind);
    }
  });
});

describe('function host: the invocation log', () => {
  test("handlerMs is the handler's own time: from its call to its result, within durationMs", async () => {
    const logs: InvocationLog[] = [];
    const timed = await startFunctionHost({
      routes: [
        route('httpApi', 'POST', '/wait', () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: '' }), 40))),
      ],
      onInvocation: (log) => logs.push(log),
    });
    try {
      const res = await fetch(`http://127.0.0.1:${timed.port}/wait`, { method: 'POST', body: 'x' });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      assert.equal(logs.length, 1);
      const [log] = logs as [InvocationLog];
      assert.ok(log.handlerMs >= 35, `handlerMs ${log.handlerMs}`);
      assert.ok(log.handlerMs <= log.durationMs, `handlerMs ${log.handlerMs} within durationMs ${log.durationMs}`);
    } finally {
      await timed.close();
    }
  });
});

describe('function host: the invocation log, its events', () => {
  test('eventsIn and eventsOut: the event types of the request and the answer (none for other bodies), the same when read again and in JSON', async () => {
    const logs: InvocationLog[] = [];
    const answer = Buffer.from('OPEN\r\nTEXT 4\r\nm:hi\r\n').toString('base64');
    const host = await startFunctionHost({
      routes: [
        route('httpApi', 'POST', '/ws', () =>
          Promise.resolve({
            statusCode: 200,
            headers: { 'Content-Type': 'application/websocket-events' },
            body: answer,
            isBase64Encoded: true,
          }),
        ),
        route('httpApi', 'POST', '/plain', () => Promise.resolve({ statusCode: 200, body: 'TEXT 2\r\nhi\r\n' })),
      ],
      onInvocation: (log) => logs.push(log),
    });
    try {
      for (const path of ['/ws', '/plain']) {
        const res = await fetch(`http://127.0.0.1:${host.port}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': path === '/ws' ? 'application/websocket-events' : 'text/plain' },
          body: 'OPEN\r\nTEXT 2\r\nhi\r\n',
        });
        await res.arrayBuffer();
      }
      const [ws, plain] = logs as [InvocationLog, InvocationLog];
      assert.deepEqual(
        [ws.eventsIn, ws.eventsOut],
        [
          ['OPEN', 'TEXT'],
          ['OPEN', 'TEXT'],
        ],
      );
      assert.equal(ws.eventsIn, ws.eventsIn);
      assert.deepEqual([plain.eventsIn, plain.eventsOut], [[], []]);
      assert.deepEqual(JSON.parse(JSON.stringify(ws)).eventsOut, ['OPEN', 'TEXT']);
    } finally {
      await host.close();
    }
  });
});

describe('function host: the REST API (payload 1.0) event', () => {
  test('header case kept, repeats in multiValueHeaders, the last value in headers; a binary media type base64-encoded', async () => {
    await send(
      'POST /rest/42?a=1&a=2&b=x HTTP/1.1\r\nContent-Type: application/websocket-events\r\nX-Dup: one\r\nX-Dup: two\r\nUser-Agent: ua\r\n',
      BINARY,
    );
    const event = lastEvent();
    const context = event.requestContext as Record<string, unknown>;
    assert.match(String(context.requestId), UUID);
    assert.equal(typeof context.requestTimeEpoch, 'number');
    assert.deepEqual(
      {
        ...event,
        requestContext: { ...context, requestId: 'ID', requestTimeEpoch: 0, identity: { ...(context.identity as object), sourceIp: 'IP' } },
      },
      {
        resource: '/rest/{id}',
        path: '/rest/42',
        httpMethod: 'POST',
        headers: {
          'Content-Type': 'application/websocket-events',
          'X-Dup': 'two',
          'User-Agent': 'ua',
          Host: 'localhost',
          'Content-Length': String(BINARY.length),
          Connection: 'close',
        },
        multiValueHeaders: {
          'Content-Type': ['application/websocket-events'],
          'X-Dup': ['one', 'two'],
          'User-Agent': ['ua'],
          Host: ['localhost'],
          'Content-Length': [String(BINARY.length)],
          Connection: ['close'],
        },
        queryStringParameters: { a: '2', b: 'x' },
        multiValueQueryStringParameters: { a: ['1', '2'], b: ['x'] },
        pathParameters: { id: '42' },
        stageVariables: null,
        requestContext: {
          accountId: 'offline',
          apiId: 'local',
          authorizer: undefined,
          httpMethod: 'POST',
          identity: {
            accessKey: null,
            accountId: null,
            apiKey: null,
            apiKeyId: null,
            caller: null,
            clientCert: null,
            cognitoAuthenticationProvider: null,
            cognitoAuthenticationType: null,
            cognitoIdentityId: null,
            cognitoIdentityPoolId: null,
            principalOrgId: null,
            sourceIp: 'IP',
            user: null,
            userAgent: 'ua',
            userArn: null,
          },
          path: '/local/rest/42',
          protocol: 'HTTP/1.1',
          requestId: 'ID',
          requestTimeEpoch: 0,
          resourceId: 'local',
          resourcePath: '/rest/{id}',
          stage: 'local',
        },
        body: BINARY.toString('base64'),
        isBase64Encoded: true,
      },
    );
  });

  test('a body of another type arrives as text; the base64 answer is decoded for a binary media type', async () => {
    const response = await send(
      'POST /rest/7 HTTP/1.1\r\nContent-Type: text/plain\r\nAccept: application/websocket-events\r\n',
      Buffer.from('hi'),
    );
    assert.equal(lastEvent().body, 'hi');
    assert.equal(lastEvent().isBase64Encoded, false);
    assert.equal(lastEvent().queryStringParameters, null);
    assert.deepEqual(response.body, BINARY);
  });
});

describe('function host: results, errors, timeouts', () => {
  test('a value that is not a structured result is JSON with status 200, as an HTTP API infers', async () => {
    const response = await send('GET /answer/value HTTP/1.1\r\n');
    assert.equal(response.status, 200);
    assert.match(response.head, /^content-type: application\/json$/im);
    assert.equal(response.body.toString(), '{"hello":"world"}');
  });

  test('a base64 result is decoded; header values become strings', async () => {
    const response = await send('GET /answer/base64 HTTP/1.1\r\n');
    assert.equal(response.status, 201);
    assert.match(response.head, /^X-N: 3$/im);
    assert.deepEqual(response.body, BINARY);
  });

  test('cookies become Set-Cookie headers; a result without a body has an empty one', async () => {
    const cookies = await send('GET /answer/cookies HTTP/1.1\r\n');
    assert.deepEqual(
      cookies.head.split('\r\n').filter((line) => /^set-cookie:/i.test(line)),
      ['set-cookie: a=1; Path=/', 'set-cookie: b=2'],
    );
    const empty = await send('GET /answer/none HTTP/1.1\r\n');
    assert.equal(empty.status, 204);
    assert.equal(empty.body.length, 0);
  });

  test('a handler that throws is a 500, and the host goes on serving', async (t) => {
    const logged: string[] = [];
    t.mock.method(console, 'error', (line: string) => logged.push(line));
    const response = await send('GET /answer/throws HTTP/1.1\r\n');
    assert.equal(response.status, 500);
    assert.equal(response.body.toString(), 'Internal Server Error');
    assert.match(logged.join('\n'), /failed: Error: boom/);
    assert.equal((await send('GET /answer/value HTTP/1.1\r\n')).status, 200);
  });

  test('a handler that runs past its timeout is a 503 at the timeout, and later requests are served', async (t) => {
    const logged: string[] = [];
    t.mock.method(console, 'error', (line: string) => logged.push(line));
    const started = performance.now();
    const [slow, fast] = await Promise.all([send('GET /slow HTTP/1.1\r\n'), send('GET /answer/value HTTP/1.1\r\n')]);
    const took = performance.now() - started;
    assert.equal(slow.status, 503);
    assert.equal(fast.status, 200);
    assert.ok(took >= 190, `answered after ${took.toFixed(0)} ms, not before the 0.2 s timeout`);
    assert.match(logged.join('\n'), /timed out after 0\.2 s/);
    assert.equal((await send('GET /slow HTTP/1.1\r\n')).status, 503);
  });
});

describe('function host: the start-up probe', () => {
  test('answered by the host with a stream hold, so the probe passes only once Pushpin holds requests; never a function, even a catch-all', async () => {
    seen = undefined;
    const before = unmatched.length;
    const response = await send(`GET ${READY_PATH} HTTP/1.1\r\n`);
    assert.equal(response.status, 200);
    assert.match(response.head, /^grip-hold: stream$/im);
    assert.match(response.head, /^grip-channel: \S+$/im);
    assert.match(response.head, /^x-grip-lambda-ready: held$/im);
    assert.equal(seen, undefined, 'the catch-all route was not invoked');
    assert.equal(unmatched.length, before, 'not reported as unmatched');
  });
});

describe('function host: requests no route serves', () => {
  let bare: RunningFunctionHost;
  const misses: { method: string; path: string; reason: string }[] = [];
  before(async () => {
    bare = await startFunctionHost({
      routes: [route('httpApi', 'POST', '/news', recordAndAnswer({ statusCode: 200 }))],
      onUnmatched: (request) => misses.push(request),
    });
  });
  after(() => bare.close());

  const sendTo = (head: string) => {
    const previous = host;
    host = bare;
    try {
      return send(head);
    } finally {
      host = previous;
    }
  };

  test('another method on a declared path: 404 naming the declared route', async () => {
    const response = await sendTo('GET /news HTTP/1.1\r\nContent-Type: application/websocket-events\r\n');
    assert.equal(response.status, 404);
    assert.match(
      response.body.toString(),
      /no GET route; serverless.yml declares POST \/news \(fn-httpApi-POST-\/news\); WebSocket-over-HTTP requests are POSTs/,
    );
    assert.deepEqual(misses.at(-1), {
      method: 'GET',
      path: '/news',
      reason: response.body
        .toString()
        .replace(/^Not Found: /, '')
        .trim(),
    });
  });

  test('an undeclared path, and a malformed %-escape: 404 saying so', async () => {
    assert.match((await sendTo('POST /olds HTTP/1.1\r\n')).body.toString(), /no route in serverless.yml matches this path/);
    const malformed = await sendTo('POST /news%zz HTTP/1.1\r\n');
    assert.equal(malformed.status, 404);
  });
});
