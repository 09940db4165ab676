import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { randomBytes, randomUUID } from 'node:crypto';
import { encodeClosePayload } from '../protocol/close.js';
import { encodeEvents } from '../protocol/codec.js';
import { CONTENT_TYPE_WEBSOCKET_EVENTS, type WebSocketEvent } from '../protocol/events.js';
import { signGripSig } from './grip-sig.js';
import { restApiIdentity } from '../lambda/rest-identity.js';

/**
 * The ways Lambda receives HTTP: API Gateway HTTP API (payload 2.0), REST API
 * with `application/websocket-events` in its binaryMediaTypes (base64
 * bodies), REST API without them (text bodies), Function URL, ALB, and ALB
 * with multi-value headers.
 */
export type FrontDoorKind = 'http-api' | 'rest-api' | 'rest-api-text' | 'function-url' | 'alb' | 'alb-multi-value';

/** The events each front door's builder returns. */
export interface FrontDoorEvents {
  'http-api': APIGatewayProxyEventV2;
  'rest-api': APIGatewayProxyEvent;
  'rest-api-text': APIGatewayProxyEvent;
  'function-url': LambdaFunctionURLEvent;
  alb: ALBEvent;
  'alb-multi-value': ALBEvent;
}

/** An OPEN event: a client connecting. */
export const openEvent = (): WebSocketEvent => ({ type: 'OPEN' });
/** A TEXT message from the client. */
export const textEvent = (text: string): WebSocketEvent => ({ type: 'TEXT', content: Buffer.from(text, 'utf8') });
/** A BINARY message from the client. */
export const binaryEvent = (bytes: Uint8Array): WebSocketEvent => ({ type: 'BINARY', content: bytes });
/** A PING from the client. */
export const pingEvent = (payload: Uint8Array = new Uint8Array()): WebSocketEvent => ({ type: 'PING', content: payload });
/** The client closing, with its code and reason. */
export const closeEvent = (code = 1000, reason = ''): WebSocketEvent => ({ type: 'CLOSE', content: encodeClosePayload(code, reason) });
/** The connection gone without a close handshake. */
export const disconnectEvent = (): WebSocketEvent => ({ type: 'DISCONNECT' });

export interface WebSocketRequestOptions<K extends FrontDoorKind = FrontDoorKind> {
  /** Default 'http-api'. */
  readonly frontDoor?: K;
  /** The request path, e.g. /chat/lobby (default /). */
  readonly path?: string;
  /** Path parameters as the route matched them, e.g. { room: 'lobby' } (API Gateway only). */
  readonly pathParameters?: Readonly<Record<string, string>>;
  /** The query string, without `?` (e.g. `token=abc`). */
  readonly query?: string;
  /** Default: a random id, as the proxy gives each connection. */
  readonly connectionId?: string;
  /** What the request carries; default a single OPEN. */
  readonly events?: readonly WebSocketEvent[];
  /** Connection meta, sent as `Meta-*` headers as the proxy does. */
  readonly meta?: Readonly<Record<string, string>>;
  /** More request headers (e.g. Sec-WebSocket-Protocol). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Signs the request with a Grip-Sig, as Pushpin does with its sig_key (iss default 'pushpin'). */
  readonly sign?: { readonly key: string; readonly iss?: string; readonly expiresInSeconds?: number };
}

/**
 * A Lambda event carrying a WebSocket-over-HTTP request, as a GRIP proxy
 * sends it through the chosen front door: for unit tests, and for
 * `serverless invoke local --data` (`grip-lambda event` prints one).
 */
export function webSocketRequest<K extends FrontDoorKind = 'http-api'>(options: WebSocketRequestOptions<K> = {}): FrontDoorEvents[K] {
  const kind = (options.frontDoor ?? 'http-api') as FrontDoorKind;
  const path = options.path ?? '/';
  const query = options.query ?? '';
  const body = encodeEvents(options.events ?? [openEvent()]);
  const headers: Record<string, string> = {
    'Content-Type': CONTENT_TYPE_WEBSOCKET_EVENTS,
    Accept: CONTENT_TYPE_WEBSOCKET_EVENTS,
    'Connection-Id': options.connectionId ?? randomBytes(8).toString('hex'),
    'Sec-WebSocket-Extensions': 'grip',
    'Grip-Feature':
      'status, session, link:next, filter:skip-self, filter:skip-users, filter:require-sub, filter:build-id, filter:var-subst',
    'Content-Length': String(body.length),
    Host: 'localhost',
    'User-Agent': 'grip-lambda/testing',
    ...Object.fromEntries(Object.entries(options.meta ?? {}).map(([name, value]) => [`Meta-${name}`, value])),
    ...(options.sign !== undefined ? { 'Grip-Sig': signGripSig(options.sign.key, options.sign) } : {}),
    ...options.headers,
  };
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const params = new URLSearchParams(query);
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of params) {
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  const hasQuery = query !== '';
  const now = Date.now();
  const base64 = body.toString('base64');

  switch (kind) {
    case 'http-api':
    case 'function-url': {
      const domainName =
        kind === 'function-url' ? 'abcdefghij.lambda-url.us-east-1.on.aws' : 'abcdefghij.execute-api.us-east-1.amazonaws.com';
      const event: APIGatewayProxyEventV2 = {
        version: '2.0',
        routeKey: kind === 'function-url' ? '$default' : `POST ${path}`,
        rawPath: path,
        rawQueryString: query,
        headers: { ...lower, host: domainName },
        ...(hasQuery ? { queryStringParameters: Object.fromEntries(Object.entries(multi).map(([n, v]) => [n, v.join(',')])) } : {}),
        ...(options.pathParameters !== undefined && kind === 'http-api' ? { pathParameters: { ...options.pathParameters } } : {}),
        requestContext: {
          accountId: '123456789012',
          apiId: 'abcdefghij',
          domainName,
          domainPrefix: 'abcdefghij',
          http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['User-Agent']! },
          requestId: randomUUID(),
          routeKey: kind === 'function-url' ? '$default' : `POST ${path}`,
          stage: '$default',
          time: new Date(now).toUTCString(),
          timeEpoch: now,
        },
        body: base64,
        isBase64Encoded: true,
      };
      return event as FrontDoorEvents[K];
    }
    case 'rest-api':
    case 'rest-api-text': {
      const binary = kind === 'rest-api';
      const event: APIGatewayProxyEvent = {
        resource: path,
        path,
        httpMethod: 'POST',
        headers,
        multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([n, v]) => [n, [v]])),
        queryStringParameters: hasQuery ? single : null,
        multiValueQueryStringParameters: hasQuery ? multi : null,
        pathParameters: options.pathParameters !== undefined ? { ...options.pathParameters } : null,
        stageVariables: null,
        requestContext: {
          accountId: '123456789012',
          apiId: 'abcdefghij',
          authorizer: undefined,
          httpMethod: 'POST',
          identity: restApiIdentity('127.0.0.1', headers['User-Agent']!),
          path: `/dev${path}`,
          protocol: 'HTTP/1.1',
          requestId: randomUUID(),
          requestTimeEpoch: now,
          resourceId: 'abc123',
          resourcePath: path,
          stage: 'dev',
        },
        body: binary ? base64 : body.toString('utf8'),
        isBase64Encoded: binary,
      };
      return event as FrontDoorEvents[K];
    }
    case 'alb':
    case 'alb-multi-value': {
      const multiValue = kind === 'alb-multi-value';
      // ALB passes query values still URL-encoded.
      const encoded = (value: string) => encodeURIComponent(value);
      const event: ALBEvent = {
        requestContext: {
          elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/grip/0123456789abcdef' },
        },
        httpMethod: 'POST',
        path,
        ...(multiValue
          ? {
              multiValueHeaders: Object.fromEntries(Object.entries(lower).map(([n, v]) => [n, [v]])),
              multiValueQueryStringParameters: Object.fromEntries(Object.entries(multi).map(([n, v]) => [encoded(n), v.map(encoded)])),
            }
          : {
              headers: lower,
              queryStringParameters: Object.fromEntries(Object.entries(single).map(([n, v]) => [encoded(n), encoded(v)])),
            }),
        body: base64,
        isBase64Encoded: true,
      };
      return event as FrontDoorEvents[K];
    }
  }
}
