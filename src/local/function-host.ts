import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeEvents } from '../protocol/codec.js';
import { CONTENT_TYPE_WEBSOCKET_EVENTS, type WebSocketEvent } from '../protocol/events.js';
import { buildRestEvent, readRestResult } from './rest-api.js';
import { matchRoute, type Route } from './routes.js';

/** The path the stack probes Pushpin with at start; never a function's. */
export const READY_PATH = '/.grip-lambda-ready';

/** Content types an HTTP API passes as text; every other body arrives base64-encoded. */
const TEXT_TYPES = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded)|application\/[\w.+-]+\+(json|xml))/i;

export interface InvocationLog {
  readonly functionName: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly connectionId: string | undefined;
  readonly eventsIn: readonly string[];
  readonly eventsOut: readonly string[];
  readonly durationMs: number;
}

/** A request no route serves, with why (e.g. the path is declared for another method). */
export interface UnmatchedRequest {
  readonly method: string;
  readonly path: string;
  readonly reason: string;
}

export interface FunctionHostOptions {
  readonly routes: readonly Route[];
  /** `provider.apiGateway.binaryMediaTypes`, for `http` (REST API) routes. */
  readonly binaryMediaTypes?: readonly string[];
  /** 0 picks a free port. */
  readonly port?: number;
  readonly onInvocation?: (log: InvocationLog) => void;
  /** Called for each request answered 404 because no route serves it (default: a line on stderr). */
  readonly onUnmatched?: (request: UnmatchedRequest) => void;
}

export interface RunningFunctionHost {
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Serves the functions the way an API Gateway HTTP API invokes them: each
 * request becomes a payload 2.0 event (non-text bodies base64-encoded, so
 * BINARY frames arrive byte-exact), each result is read back the same way.
 */
export async function startFunctionHost(options: FunctionHostOptions): Promise<RunningFunctionHost> {
  const server = createServer((req, res) => {
    handle(req, res, options).catch((error: unknown) => {
      // The proxy gave up on the request before it was read (its client went away): nothing to answer.
      if (req.destroyed && (error as NodeJS.ErrnoException)?.code === 'ECONNRESET') return;
      console.error(`[grip-lambda] function host: ${(error as Error)?.stack ?? String(error)}`);
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end('function host error\n');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: FunctionHostOptions): Promise<void> {
  const started = performance.now();
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  let match;
  try {
    match = matchRoute(options.routes, method, url.pathname);
  } catch {
    match = undefined; // a malformed %-escape in the path
  }
  if (match === undefined) {
    const reason = whyUnmatched(options.routes, method, url.pathname, req.headers['content-type']);
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`Not Found: ${reason}\n`);
    if (url.pathname === READY_PATH) return;
    const unmatched = { method, path: url.pathname, reason };
    if (options.onUnmatched !== undefined) options.onUnmatched(unmatched);
    else console.error(`[grip-lambda] ${method} ${url.pathname} 404: ${reason}`);
    return;
  }
  const body = await readBody(req);
  const binaryMediaTypes = options.binaryMediaTypes ?? [];
  const event =
    match.route.kind === 'http'
      ? buildRestEvent(req, url, body, match.route, match.params, binaryMediaTypes)
      : buildEvent(req, url, body, match.route, match.params);
  const handler = await match.route.load();
  const deadline = Date.now() + match.route.timeoutSeconds * 1000;
  const context = lambdaContext(match.route.functionName, deadline);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), match.route.timeoutSeconds * 1000);
  });
  let result: unknown;
  try {
    result = await Promise.race([handler(event, context), timedOut]);
  } catch (error) {
    // As on AWS: an uncaught error is a 500 from the API, and the function's log has the error.
    console.error(`[grip-lambda] ${match.route.functionName} failed: ${(error as Error)?.stack ?? String(error)}`);
    result = { statusCode: 500, body: 'Internal Server Error' };
  } finally {
    clearTimeout(timer);
  }
  if (result === 'timeout') {
    console.error(`[grip-lambda] ${match.route.functionName} timed out after ${match.route.timeoutSeconds} s`);
    result = { statusCode: 503, body: 'Service Unavailable' };
  }
  let response: ReturnType<typeof readResult>;
  if (match.route.kind === 'http') {
    const rest = readRestResult(result, req.headers.accept, binaryMediaTypes);
    if (rest.undecodedBase64) warnUndecoded(match.route.functionName);
    response = rest;
  } else {
    response = readResult(result);
  }
  res.writeHead(response.statusCode, response.headers);
  res.end(response.body);
  const isEvents = (h: Record<string, string | string[]> | IncomingMessage['headers']) =>
    String(h['content-type'] ?? h['Content-Type'] ?? '').startsWith(CONTENT_TYPE_WEBSOCKET_EVENTS);
  options.onInvocation?.({
    functionName: match.route.functionName,
    method,
    path: url.pathname,
    status: response.statusCode,
    connectionId: req.headers['connection-id'] as string | undefined,
    eventsIn: isEvents(req.headers) ? eventTypes(body) : [],
    eventsOut: isEvents(response.headers) ? eventTypes(response.body) : [],
    durationMs: performance.now() - started,
  });
}

const warnedUndecoded = new Set<string>();
function warnUndecoded(functionName: string): void {
  if (warnedUndecoded.has(functionName)) return;
  warnedUndecoded.add(functionName);
  console.error(
    `[grip-lambda] ${functionName} answered a base64 body (isBase64Encoded) that the REST API passes on as base64 text: ` +
      'its Content-Type (or the request\'s Accept) is not in provider.apiGateway.binaryMediaTypes. Add application/websocket-events there.',
  );
}

/** Why no route serves a request, in terms of serverless.yml. */
function whyUnmatched(routes: readonly Route[], method: string, path: string, contentType: string | undefined): string {
  let samePath: Route[];
  try {
    samePath = routes.filter((route) => matchRoute([{ ...route, method: '*' }], method, path) !== undefined);
  } catch {
    return 'the path has a malformed %-escape';
  }
  if (samePath.length > 0) {
    const declared = samePath.map((route) => `${route.method === '*' ? 'ANY' : route.method} ${route.path} (${route.functionName})`).join(', ');
    const ws = contentType?.startsWith(CONTENT_TYPE_WEBSOCKET_EVENTS) === true ? '; WebSocket-over-HTTP requests are POSTs: declare the route with method POST' : '';
    return `no ${method} route; serverless.yml declares ${declared}${ws}`;
  }
  return 'no route in serverless.yml matches this path';
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function buildEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  route: Route,
  params: Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === 'cookie') {
      cookies.push(...value.split(/;\s*/));
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  const method = req.method ?? 'GET';
  const routeKey = `${route.method === '*' ? 'ANY' : route.method} ${route.path}`;
  const now = Date.now();
  const isText = TEXT_TYPES.test(headers['content-type'] ?? '');
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(url.search.length > 1 ? { queryStringParameters: query } : {}),
    ...(Object.keys(params).length > 0 ? { pathParameters: params } : {}),
    requestContext: {
      accountId: 'offline',
      apiId: 'local',
      domainName: headers['host'] ?? 'localhost',
      domainPrefix: (headers['host'] ?? 'localhost').split('.')[0]!,
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now,
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !isText,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `requestContext.time` as API Gateway writes it: `10/Mar/2025:05:16:23 +0000`. */
export function requestTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** A Lambda Context for one invocation of `functionName` that ends at `deadline` (ms since epoch). */
export function lambdaContext(functionName: string, deadline: number): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Reads a handler's result as an HTTP API does, including its payload 2.0 inference. */
function readResult(result: unknown): { statusCode: number; headers: Record<string, string | string[]>; body: Buffer } {
  const structured =
    typeof result === 'object' && result !== null && 'statusCode' in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result ?? null) };
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {})) headers[name] = String(value);
  if (structured.cookies !== undefined && structured.cookies.length > 0) headers['set-cookie'] = structured.cookies;
  const raw = structured.body ?? '';
  const body = structured.isBase64Encoded === true ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  return { statusCode: structured.statusCode ?? 200, headers, body };
}

function eventTypes(body: Uint8Array): string[] {
  try {
    return decodeEvents(body).map((e: WebSocketEvent) => e.type);
  } catch {
    return ['(malformed)'];
  }
}
