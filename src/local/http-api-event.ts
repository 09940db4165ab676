import { encodeBase64 } from '../lambda/base64.js';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestTarget } from './request-target.js';

/** Content types an HTTP API passes as text; every other body arrives base64-encoded. */
const TEXT_TYPES = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded)|application\/[\w.+-]+\+(json|xml))/i;

type MutableEvent = { -readonly [K in keyof APIGatewayProxyEventV2]: APIGatewayProxyEventV2[K] };

/**
 * The event an API Gateway HTTP API (payload 2.0) sends for a request:
 * header names lower-cased and repeats comma-joined, Cookie headers moved
 * to `cookies`, non-text bodies base64-encoded. Members are added in the
 * order AWS writes them, so the event serialises as theirs does.
 */
export function buildHttpApiEvent(
  req: IncomingMessage,
  target: RequestTarget,
  body: Buffer,
  routeKey: string,
  params: Record<string, string> | undefined,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === 'cookie') {
      (cookies ??= []).push(...value.split(/;\s*/));
      continue;
    }
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous},${value}`;
  }
  const method = req.method ?? 'GET';
  const now = Date.now();
  const host = headers['host'] ?? 'localhost';
  const event = { version: '2.0', routeKey, rawPath: target.path, rawQueryString: target.query } as MutableEvent;
  if (cookies !== undefined) event.cookies = cookies;
  event.headers = headers;
  if (target.query !== '') event.queryStringParameters = queryParameters(target.query);
  if (params !== undefined) event.pathParameters = params;
  event.requestContext = {
    accountId: 'offline',
    apiId: 'local',
    domainName: host,
    domainPrefix: host.split('.', 1)[0]!,
    http: {
      method,
      path: target.path,
      protocol: `HTTP/${req.httpVersion}`,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      userAgent: headers['user-agent'] ?? '',
    },
    requestId: randomUUID(),
    routeKey,
    stage: '$default',
    time: requestTime(now),
    timeEpoch: now,
  };
  const isText = body.length > 0 && TEXT_TYPES.test(headers['content-type'] ?? '');
  if (body.length > 0) event.body = isText ? body.toString('utf8') : encodeBase64(body);
  event.isBase64Encoded = body.length > 0 && !isText;
  return event;
}

/** Repeated names comma-joined, as payload 2.0 has them. */
function queryParameters(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    const previous = out[name];
    out[name] = previous === undefined ? value : `${previous},${value}`;
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `requestContext.time` as API Gateway writes it: `10/Mar/2025:05:16:23 +0000`. */
export function requestTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}
