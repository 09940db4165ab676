import { encodeBase64, decodeBase64 } from '../lambda/base64.js';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestTarget } from './request-target.js';
import type { Route } from './routes.js';
import { restApiIdentity } from '../lambda/rest-identity.js';

/** Whether a Content-Type is one of a REST API's `binaryMediaTypes` (`*` wildcards as API Gateway allows). */
export function isBinaryMediaType(contentType: string | undefined, binaryMediaTypes: readonly string[]): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === '') return false;
  const [main, sub] = type.split('/');
  return binaryMediaTypes.some((pattern) => {
    const [pMain, pSub] = pattern.trim().toLowerCase().split('/');
    return (pMain === '*' || pMain === main) && (pSub === '*' || pSub === sub);
  });
}

/**
 * The event an API Gateway REST API (payload 1.0, Lambda proxy integration)
 * sends: the body base64-encoded only when its Content-Type is one of the
 * API's binaryMediaTypes, as text otherwise, as on AWS.
 */
export function buildRestEvent(
  req: IncomingMessage,
  target: RequestTarget,
  body: Buffer,
  route: Route,
  params: Record<string, string> | undefined,
  binaryMediaTypes: readonly string[],
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!; // REST APIs keep the client's header case
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value; // the last value wins, as API Gateway does
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  let hasQuery = false;
  for (const [name, value] of new URLSearchParams(target.query)) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
    hasQuery = true;
  }
  const method = req.method ?? 'GET';
  const contentType = req.headers['content-type'];
  const binary = isBinaryMediaType(contentType, binaryMediaTypes);
  const now = Date.now();
  const resource = route.path === '*' ? '/{proxy+}' : route.path;
  return {
    resource,
    path: target.path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: params ?? null,
    stageVariables: null,
    requestContext: {
      accountId: 'offline',
      apiId: 'local',
      authorizer: undefined,
      httpMethod: method,
      identity: restApiIdentity(req.socket.remoteAddress ?? '127.0.0.1', req.headers['user-agent'] ?? null),
      path: `/local${target.path}`,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: randomUUID(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: resource,
      stage: 'local',
    },
    body: body.length > 0 ? (binary ? encodeBase64(body) : body.toString('utf8')) : null,
    isBase64Encoded: body.length > 0 && binary,
  };
}

/**
 * Reads a payload 1.0 result as a REST API does: a base64 body is decoded
 * only when the request's Accept or the response's Content-Type is a binary
 * media type; otherwise the client gets the base64 text itself, as on AWS.
 */
export function readRestResult(
  result: unknown,
  accept: string | undefined,
  binaryMediaTypes: readonly string[],
): { statusCode: number; headers: Record<string, string | string[]>; body: Buffer; undecodedBase64: boolean } {
  if (typeof result !== 'object' || result === null || typeof (result as { statusCode?: unknown }).statusCode !== 'number') {
    // A REST API answers 502 "Internal server error" for a result that is not a proxy response.
    return {
      statusCode: 502,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"message": "Internal server error"}'),
      undecodedBase64: false,
    };
  }
  const structured = result as APIGatewayProxyResult;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {})) headers[name.toLowerCase()] = String(value);
  for (const [name, values] of Object.entries(structured.multiValueHeaders ?? {})) {
    headers[name.toLowerCase()] = values.map(String);
  }
  const contentType = headers['content-type'];
  const decode =
    structured.isBase64Encoded === true &&
    (isBinaryMediaType(typeof contentType === 'string' ? contentType : undefined, binaryMediaTypes) ||
      (accept ?? '').split(',').some((type) => isBinaryMediaType(type, binaryMediaTypes)));
  const raw = structured.body ?? '';
  return {
    statusCode: structured.statusCode,
    headers,
    body: decode ? decodeBase64(raw) : Buffer.from(raw, 'utf8'),
    undecodedBase64: structured.isBase64Encoded === true && !decode,
  };
}
