// The Lambda front doors, on fixture events shaped like AWS documents them:
// which processor an event gets, how the request is read, and how the result
// is shaped for the front door it came through.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alb } from '../../src/lambda/alb.js';
import { apiGatewayHttp, functionUrl } from '../../src/lambda/api-gateway-http.js';
import { apiGatewayRest } from '../../src/lambda/api-gateway-rest.js';
import { detectFrontDoor, UnrecognizedEventError } from '../../src/lambda/detect.js';
import { errorResult, toLambdaResult } from '../../src/lambda/gate.js';
import type { HttpResponse } from '../../src/lambda/types.js';
import { RequestError } from '../../src/errors.js';
import { asLambdaEvent, FIXTURES, fixtureByFile, loadEvent, readResult, setBody } from '../support/lambda-events.js';

const PROCESSORS = {
  'api-gateway-rest': apiGatewayRest,
  'api-gateway-http': apiGatewayHttp,
  'function-url': functionUrl,
  alb,
} as const;

const NOT_UTF8 = new Uint8Array([0x42, 0x49, 0x4e, 0x41, 0x52, 0x59, 0x20, 0x33, 0x0d, 0x0a, 0xff, 0x00, 0x80, 0x0d, 0x0a]);

function bytesResponse(body: Uint8Array = NOT_UTF8): HttpResponse {
  return {
    status: 200,
    headers: { 'Content-Type': 'application/websocket-events', 'Sec-WebSocket-Extensions': 'grip' },
    body,
  };
}

describe('detectFrontDoor and reading requests, per fixture', () => {
  for (const fixture of FIXTURES) {
    describe(fixture.name, () => {
      test(`is detected as ${fixture.frontDoor}`, () => {
        const frontDoor = detectFrontDoor(loadEvent(fixture));
        assert.equal(frontDoor.name, fixture.frontDoor);
        assert.equal(frontDoor, PROCESSORS[fixture.frontDoor]);
      });

      test('the request is read: method, path, query, lower-cased headers, body bytes', () => {
        const event = loadEvent(fixture);
        const request = detectFrontDoor(event).request(asLambdaEvent(event));
        assert.equal(request.method, 'POST');
        assert.equal(request.path, '/ws/lobby');
        assert.equal(request.rawQuery, fixture.rawQuery);
        for (const name of request.headers.keys()) assert.equal(name, name.toLowerCase(), `header ${name}`);
        assert.equal(request.headers.get('content-type'), 'application/websocket-events');
        assert.equal(request.headers.get('accept'), 'application/websocket-events');
        assert.equal(request.headers.get('connection-id'), fixture.connectionId);
        assert.equal(request.headers.get('sec-websocket-extensions'), 'grip');
        assert.equal(request.headers.get('grip-sig'), undefined);
        assert.equal(request.headers.get('Connection-Id'), undefined); // only lower-case names
        assert.deepEqual(Buffer.from(request.body), Buffer.from('OPEN\r\n', 'latin1'));
      });

      test('the fixture keeps header names as the front door delivers them', () => {
        const event = loadEvent(fixture);
        const names = Object.keys((event.headers ?? event.multiValueHeaders) as object);
        if (fixture.headerStyle === 'v2') {
          assert.ok(
            names.every((n) => n === n.toLowerCase()),
            'payload 2.0 lower-cases header names',
          );
        } else {
          assert.ok(names.includes('Connection-Id'), 'mixed-case names are kept');
        }
      });

      if (fixture.base64) {
        test('body bytes that are not UTF-8 arrive intact (base64)', () => {
          const event = setBody(loadEvent(fixture), NOT_UTF8);
          assert.equal(event.isBase64Encoded, true);
          const request = detectFrontDoor(event).request(asLambdaEvent(event));
          assert.deepEqual([...request.body], [...NOT_UTF8]);
        });
      } else {
        test('a text body arrives as its UTF-8 bytes', () => {
          const event = setBody(loadEvent(fixture), 'TEXT 3\r\n✓\r\n');
          assert.equal(event.isBase64Encoded, false);
          const request = detectFrontDoor(event).request(asLambdaEvent(event));
          assert.deepEqual(Buffer.from(request.body), Buffer.from('TEXT 3\r\n✓\r\n', 'utf8'));
        });
      }

      test('a string response is text, never base64', () => {
        const event = loadEvent(fixture);
        const result = readResult(
          detectFrontDoor(event).result({ status: 400, headers: { 'Content-Type': 'text/plain' }, body: 'bad\n' }, asLambdaEvent(event)),
        );
        assert.equal(result.status, 400);
        assert.equal(result.isBase64Encoded, false);
        assert.equal(result.raw.body, 'bad\n');
        assert.equal(result.headers.get('content-type'), 'text/plain');
      });
    });
  }
});

describe('result shapes', () => {
  test('REST API with binary media types: base64 answer', () => {
    const event = loadEvent('api-gateway-rest-binary.json');
    const result = apiGatewayRest.result(bytesResponse(), asLambdaEvent(event) as never);
    assert.deepEqual(Object.keys(result).sort(), ['body', 'headers', 'isBase64Encoded', 'statusCode']);
    assert.equal(result.statusCode, 200);
    assert.equal(result.isBase64Encoded, true);
    assert.deepEqual([...Buffer.from(result.body, 'base64')], [...NOT_UTF8]);
    assert.deepEqual(result.headers, bytesResponse().headers);
  });

  test('REST API without binary media types: UTF-8 text answer, and one warning about binaryMediaTypes', (t) => {
    const warn = t.mock.method(console, 'warn', () => {});
    const event = loadEvent('api-gateway-rest-text.json');
    const body = Buffer.from('TEXT 4\r\nm:hé\r\n', 'utf8');
    const result = apiGatewayRest.result(bytesResponse(body), asLambdaEvent(event) as never);
    assert.equal(result.isBase64Encoded, false);
    assert.equal(result.body, 'TEXT 4\r\nm:hé\r\n');
    apiGatewayRest.result(bytesResponse(body), asLambdaEvent(event) as never);
    assert.equal(warn.mock.callCount(), 1);
    assert.match(String(warn.mock.calls[0]!.arguments[0]), /binaryMediaTypes/);
  });

  test('HTTP API and Function URL: base64 answer with isBase64Encoded true', () => {
    for (const file of ['api-gateway-http.json', 'function-url.json']) {
      const event = loadEvent(file);
      const result = detectFrontDoor(event).result(bytesResponse(), asLambdaEvent(event)) as Record<string, unknown>;
      assert.deepEqual(Object.keys(result).sort(), ['body', 'headers', 'isBase64Encoded', 'statusCode'], file);
      assert.equal(result.statusCode, 200);
      assert.equal(result.isBase64Encoded, true);
      assert.deepEqual([...Buffer.from(result.body as string, 'base64')], [...NOT_UTF8]);
    }
  });

  test('ALB with headers: headers, statusDescription, base64 body', () => {
    const event = loadEvent('alb.json');
    const result = alb.result(bytesResponse(), asLambdaEvent(event) as never);
    assert.equal(result.statusCode, 200);
    assert.equal(result.statusDescription, '200 OK');
    assert.equal(result.isBase64Encoded, true);
    assert.deepEqual(result.headers, bytesResponse().headers);
    assert.equal(result.multiValueHeaders, undefined);
    assert.deepEqual([...Buffer.from(result.body!, 'base64')], [...NOT_UTF8]);
  });

  test('ALB with multiValueHeaders: multiValueHeaders back (not headers), statusDescription', () => {
    const event = loadEvent('alb-multi-value.json');
    const result = alb.result(bytesResponse(), asLambdaEvent(event) as never);
    assert.equal(result.statusCode, 200);
    assert.equal(result.statusDescription, '200 OK');
    assert.equal(result.headers, undefined);
    assert.deepEqual(result.multiValueHeaders, {
      'Content-Type': ['application/websocket-events'],
      'Sec-WebSocket-Extensions': ['grip'],
    });
    assert.equal(result.isBase64Encoded, true);
    assert.deepEqual([...Buffer.from(result.body!, 'base64')], [...NOT_UTF8]);
  });

  test('ALB statusDescription for other statuses', () => {
    const event = asLambdaEvent(loadEvent('alb.json')) as never;
    assert.equal(alb.result({ status: 401, headers: {}, body: '' }, event).statusDescription, '401 Unauthorized');
    assert.equal(alb.result({ status: 400, headers: {}, body: '' }, event).statusDescription, '400 Bad Request');
    assert.equal(alb.result({ status: 299, headers: {}, body: '' }, event).statusDescription, '299');
  });

  test('toLambdaResult shapes a response for the event', () => {
    const event = asLambdaEvent(loadEvent('alb-multi-value.json'));
    const result = readResult(toLambdaResult(event, bytesResponse()));
    assert.deepEqual([...result.body], [...NOT_UTF8]);
    assert.ok(result.raw.multiValueHeaders !== undefined);
  });

  test('errorResult: a one-line text answer shaped for the front door, or plain when none is known', () => {
    const fromAlb = errorResult(new RequestError(401, 'missing Grip-Sig header'), loadEvent('alb.json')) as Record<string, unknown>;
    assert.equal(fromAlb.statusCode, 401);
    assert.equal(fromAlb.statusDescription, '401 Unauthorized');
    assert.equal(fromAlb.body, 'missing Grip-Sig header\n');
    assert.equal(fromAlb.isBase64Encoded, false);
    const unknown = errorResult(new RequestError(400, 'not a Lambda HTTP event'), { Records: [] }) as Record<string, unknown>;
    assert.deepEqual(unknown, {
      statusCode: 400,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: 'not a Lambda HTTP event\n',
    });
  });
});

describe('reading details', () => {
  test('REST: multiValueHeaders win over headers and fold repeated values', () => {
    const event = loadEvent('api-gateway-rest-binary.json');
    event.headers['X-Forwarded-For'] = '10.0.0.2';
    event.multiValueHeaders['X-Forwarded-For'] = ['10.0.0.1', '10.0.0.2'];
    event.multiValueHeaders['x-forwarded-for'] = ['10.0.0.3'];
    const request = apiGatewayRest.request(asLambdaEvent(event) as never);
    assert.equal(request.headers.get('x-forwarded-for'), '10.0.0.1, 10.0.0.2, 10.0.0.3');
  });

  test('REST: headers alone when there are no multiValueHeaders; single-value query', () => {
    const event = loadEvent('api-gateway-rest-binary.json');
    event.multiValueHeaders = null;
    event.multiValueQueryStringParameters = null;
    event.queryStringParameters = { q: 'a b&c' };
    const request = apiGatewayRest.request(asLambdaEvent(event) as never);
    assert.equal(request.headers.get('connection-id'), '7f3c2a9e1b4d');
    assert.equal(request.rawQuery, 'q=a+b%26c');
    assert.equal(new URLSearchParams(request.rawQuery).get('q'), 'a b&c');
  });

  test('REST: path parameters; no body reads as empty', () => {
    const event = loadEvent('api-gateway-rest-text.json');
    event.body = null;
    const request = apiGatewayRest.request(asLambdaEvent(event) as never);
    assert.deepEqual(request.params, { room: 'lobby' });
    assert.equal(request.body.length, 0);
    assert.equal(request.headers.get('connection-id'), '9a8b7c6d5e4f');
  });

  test('REST text: the body is read as UTF-8', () => {
    const event = setBody(loadEvent('api-gateway-rest-text.json'), 'TEXT 2\r\né\r\n');
    assert.equal(event.body, 'TEXT 2\r\né\r\n');
    const request = apiGatewayRest.request(asLambdaEvent(event) as never);
    assert.deepEqual([...request.body.subarray(8, 10)], [0xc3, 0xa9]);
  });

  test('payload 2.0: cookies become a Cookie header; path parameters; no query reads as empty', () => {
    const event = loadEvent('api-gateway-http.json');
    event.cookies = ['a=1', 'b=2'];
    delete event.rawQueryString;
    const request = apiGatewayHttp.request(asLambdaEvent(event) as never);
    assert.equal(request.headers.get('cookie'), 'a=1; b=2');
    assert.equal(request.rawQuery, '');
    assert.deepEqual(request.params, { room: 'lobby' });
    const url = functionUrl.request(asLambdaEvent(loadEvent('function-url.json')) as never);
    assert.deepEqual(url.params, {});
  });

  test('ALB: query parameters are joined as the client encoded them', () => {
    const event = loadEvent('alb.json');
    event.queryStringParameters = { q: 'a%20b', t: 'x' };
    assert.equal(alb.request(asLambdaEvent(event) as never).rawQuery, 'q=a%20b&t=x');
    const multi = loadEvent('alb-multi-value.json');
    assert.equal(alb.request(asLambdaEvent(multi) as never).rawQuery, 'token=abc&tag=a&tag=b');
  });

  test('ALB multiValueHeaders fold repeated values', () => {
    const event = loadEvent('alb-multi-value.json');
    event.multiValueHeaders['Meta-Tags'] = ['a', 'b'];
    const request = alb.request(asLambdaEvent(event) as never);
    assert.equal(request.headers.get('meta-tags'), 'a, b');
    assert.equal(request.headers.get('connection-id'), fixtureByFile('alb-multi-value.json').connectionId);
  });

  test('a domain without .lambda-url. is an HTTP API; with it, a Function URL', () => {
    const event = loadEvent('api-gateway-http.json');
    event.requestContext.domainName = 'abcdef.lambda-url.eu-west-1.on.aws';
    assert.equal(detectFrontDoor(event).name, 'function-url');
    const url = loadEvent('function-url.json');
    url.requestContext.domainName = 'api.example.com';
    assert.equal(detectFrontDoor(url).name, 'api-gateway-http');
  });
});

describe('unrecognised events', () => {
  const shapes: [string, unknown][] = [
    ['null', null],
    ['undefined', undefined],
    ['a string', 'POST /ws'],
    ['a number', 42],
    ['an array', []],
    ['an empty object', {}],
    ['an SQS batch', { Records: [{ eventSource: 'aws:sqs', body: 'x' }] }],
    ['requestContext not an object', { requestContext: 'x', httpMethod: 'POST', path: '/' }],
    [
      'an API Gateway WebSocket API event',
      { requestContext: { routeKey: '$connect', eventType: 'CONNECT', connectionId: 'abc=' }, isBase64Encoded: false },
    ],
    ['payload 2.0 without http', { version: '2.0', rawPath: '/', requestContext: {} }],
    ['payload 2.0 without rawPath', { version: '2.0', requestContext: { http: { method: 'POST' } } }],
    ['ALB without httpMethod', { requestContext: { elb: { targetGroupArn: 'arn' } }, path: '/' }],
    ['REST without path', { requestContext: {}, httpMethod: 'POST' }],
  ];
  for (const [name, event] of shapes) {
    test(`${name} → UnrecognizedEventError`, () => {
      assert.throws(() => detectFrontDoor(event), UnrecognizedEventError);
    });
  }

  test('UnrecognizedEventError is an Error with its name', () => {
    try {
      detectFrontDoor({});
      assert.fail('no throw');
    } catch (error) {
      assert.ok(error instanceof Error);
      assert.equal((error as Error).name, 'UnrecognizedEventError');
    }
  });
});
