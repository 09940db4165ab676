import { decodeBase64 } from '../lambda/base64.js';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeEvents } from '../protocol/codec.js';
import { CONTENT_TYPE_WEBSOCKET_EVENTS, type WebSocketEvent } from '../protocol/events.js';
import type { LambdaHttpEvent } from '../lambda/types.js';
import type { LambdaHandler } from '../websocket/handler.js';
import { DeadlineWatch, TIMED_OUT, type Outcome } from './deadlines.js';
import { buildHttpApiEvent } from './http-api-event.js';
import { parseRequestTarget, type RequestTarget } from './request-target.js';
import { buildRestEvent, readRestResult } from './rest-api.js';
import { RouteTable, type RouteMatch } from './route-table.js';
import type { Route } from './routes.js';

/**
 * The path the stack probes Pushpin with at start; never a function's. The
 * host answers it with a stream hold, so the probe passes only once the
 * proxy can hand held requests to Pushpin's handler (see pushpin.ts).
 */
export const READY_PATH = '/.grip-lambda-ready';
/** Marks the probe's held answer, so the probe knows to drop a stream that never ends. */
export const READY_HEADER = 'X-Grip-Lambda-Ready';
const READY_HOLD = { 'Content-Type': 'text/plain', 'Grip-Hold': 'stream', 'Grip-Channel': 'grip-lambda-ready', [READY_HEADER]: 'held' };

export interface InvocationLog {
  readonly functionName: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly connectionId: string | undefined;
  /** The WebSocket-over-HTTP event types of the request and of the answer, decoded when first read. */
  readonly eventsIn: readonly string[];
  readonly eventsOut: readonly string[];
  /** From the request's first byte to the answer written. */
  readonly durationMs: number;
  /** From calling the handler to its result: the function's own time, without the request's transfer or the host's work. */
  readonly handlerMs: number;
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
  const host: Host = {
    table: new RouteTable(options.routes),
    options,
    binaryMediaTypes: options.binaryMediaTypes ?? [],
    deadlines: new DeadlineWatch(),
    handlers: new Map(),
    routed: new Map(),
  };
  const server = createServer((req, res) => serve(req, res, host));
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
        host.deadlines.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What the host works out once, for every request to use. */
interface Host {
  readonly table: RouteTable;
  readonly options: FunctionHostOptions;
  readonly binaryMediaTypes: readonly string[];
  readonly deadlines: DeadlineWatch;
  /** Each route's handler once loaded, so a request does not wait on the load's settled promise. */
  readonly handlers: Map<Route, LambdaHandler>;
  /**
   * Request targets already routed, by method and URL: every request of a
   * WebSocket connection comes to the same URL, and a lookup costs less
   * than parsing and matching again.
   */
  readonly routed: Map<string, { readonly target: RequestTarget; readonly match: RouteMatch }>;
}

/** Routed targets kept; past this, the cache starts over (URLs with ids in them would grow it for ever). */
const MAX_ROUTED = 1024;

/**
 * One request, start to answer. Written with callbacks rather than async
 * steps: every promise costs the process's AsyncLocalStorage hook (the
 * functions' invocation store) on top of its own work, and the host's own
 * share of a request should be as small as a proxy's.
 */
function serve(req: IncomingMessage, res: ServerResponse, host: Host): void {
  const started = performance.now();
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const key = `${method} ${url}`;
  let routed = host.routed.get(key);
  if (routed === undefined) {
    let target: RequestTarget;
    try {
      target = parseRequestTarget(url);
    } catch (error) {
      hostFailed(req, res, error);
      return;
    }
    if (target.path === READY_PATH) {
      res.writeHead(200, READY_HOLD).end('ready\n');
      return;
    }
    let match: RouteMatch | undefined;
    try {
      match = host.table.match(method, target.path);
    } catch {
      match = undefined; // a malformed %-escape in the path
    }
    if (match === undefined) {
      answerUnmatched(req, res, host, method, target.path);
      return;
    }
    if (host.routed.size >= MAX_ROUTED) host.routed.clear();
    routed = { target, match };
    host.routed.set(key, routed);
  }
  const { target, match } = routed;
  const exchange = new Exchange(req, res, host, started, method, target, match);
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => exchange.invoke(chunks.length === 0 ? EMPTY_BODY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
  req.on('error', (error) => hostFailed(req, res, error));
}

/** A request matched to a route, from its body to the answer. */
class Exchange {
  #body: Buffer = EMPTY_BODY;
  /** performance.now() when the handler was called. */
  #invoked = 0;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly host: Host,
    readonly started: number,
    readonly method: string,
    readonly target: RequestTarget,
    readonly match: RouteMatch,
  ) {}

  invoke(body: Buffer): void {
    this.#body = body;
    const { route } = this.match.compiled;
    const handler = this.host.handlers.get(route);
    if (handler === undefined) {
      route.load().then(
        (loaded) => {
          this.host.handlers.set(route, loaded);
          this.invoke(body);
        },
        (error: unknown) => hostFailed(this.req, this.res, error),
      );
      return;
    }
    // A copy: the routed match is shared by every request to this URL, and a handler may change its event.
    const params = this.match.params === undefined ? undefined : { ...this.match.params };
    let event: LambdaHttpEvent;
    try {
      event =
        route.kind === 'http'
          ? buildRestEvent(this.req, this.target, body, route, params, this.host.binaryMediaTypes)
          : buildHttpApiEvent(this.req, this.target, body, this.match.compiled.routeKey, params);
    } catch (error) {
      hostFailed(this.req, this.res, error);
      return;
    }
    const timeoutMs = route.timeoutSeconds * 1000;
    const context = lambdaContext(route.functionName, Date.now() + timeoutMs);
    this.#invoked = performance.now();
    this.host.deadlines.run(
      timeoutMs,
      () => handler(event, context),
      (outcome) => this.#answer(outcome),
    );
  }

  #answer(outcome: Outcome<unknown>): void {
    const handlerMs = performance.now() - this.#invoked;
    const { req, res, host } = this;
    const { route } = this.match.compiled;
    let result: unknown;
    if (outcome === TIMED_OUT) {
      console.error(`[grip-lambda] ${route.functionName} timed out after ${route.timeoutSeconds} s`);
      result = { statusCode: 503, body: 'Service Unavailable' };
    } else if ('error' in outcome) {
      // As on AWS: an uncaught error is a 500 from the API, and the function's log has the error.
      console.error(`[grip-lambda] ${route.functionName} failed: ${(outcome.error as Error)?.stack ?? String(outcome.error)}`);
      result = { statusCode: 500, body: 'Internal Server Error' };
    } else {
      result = outcome.value;
    }
    let response: HostResponse;
    try {
      if (route.kind === 'http') {
        const rest = readRestResult(result, req.headers.accept, host.binaryMediaTypes);
        if (rest.undecodedBase64) warnUndecoded(route.functionName);
        response = rest;
      } else {
        response = readResult(result);
      }
      res.writeHead(response.statusCode, response.headers);
      res.end(response.body);
    } catch (error) {
      hostFailed(req, res, error);
      return;
    }
    const { onInvocation } = host.options;
    if (onInvocation === undefined) return;
    const body = this.#body;
    let eventsIn: readonly string[] | undefined;
    let eventsOut: readonly string[] | undefined;
    // The events are decoded when read: a log that only times invocations does not pay for them.
    onInvocation({
      functionName: route.functionName,
      method: this.method,
      path: this.target.path,
      status: response.statusCode,
      connectionId: req.headers['connection-id'] as string | undefined,
      get eventsIn() {
        return (eventsIn ??= isEvents(req.headers) ? eventTypes(body) : []);
      },
      get eventsOut() {
        return (eventsOut ??= isEvents(response.headers)
          ? eventTypes(typeof response.body === 'string' ? Buffer.from(response.body) : response.body)
          : []);
      },
      durationMs: performance.now() - this.started,
      handlerMs,
    });
  }
}

/** The host itself failed on a request (not the function): a 502, unless the proxy already went away. */
function hostFailed(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  // The proxy gave up on the request before it was read (its client went away): nothing to answer.
  if (req.destroyed && (error as NodeJS.ErrnoException)?.code === 'ECONNRESET') return;
  console.error(`[grip-lambda] function host: ${(error as Error)?.stack ?? String(error)}`);
  if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
  res.end('function host error\n');
}

function answerUnmatched(req: IncomingMessage, res: ServerResponse, host: Host, method: string, path: string): void {
  const reason = whyUnmatched(host.table, method, path, req.headers['content-type']);
  res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`Not Found: ${reason}\n`);
  const unmatched = { method, path, reason };
  if (host.options.onUnmatched !== undefined) host.options.onUnmatched(unmatched);
  else console.error(`[grip-lambda] ${method} ${path} 404: ${reason}`);
}

function isEvents(headers: Record<string, string | string[] | undefined>): boolean {
  return String(headers['content-type'] ?? headers['Content-Type'] ?? '').startsWith(CONTENT_TYPE_WEBSOCKET_EVENTS);
}

const warnedUndecoded = new Set<string>();
function warnUndecoded(functionName: string): void {
  if (warnedUndecoded.has(functionName)) return;
  warnedUndecoded.add(functionName);
  console.error(
    `[grip-lambda] ${functionName} answered a base64 body (isBase64Encoded) that the REST API passes on as base64 text: ` +
      "its Content-Type (or the request's Accept) is not in provider.apiGateway.binaryMediaTypes. Add application/websocket-events there.",
  );
}

/** Why no route serves a request, in terms of serverless.yml. */
function whyUnmatched(table: RouteTable, method: string, path: string, contentType: string | undefined): string {
  let samePath: Route[];
  try {
    samePath = table.routesForPath(path);
  } catch {
    return 'the path has a malformed %-escape';
  }
  if (samePath.length > 0) {
    const declared = samePath
      .map((route) => `${route.method === '*' ? 'ANY' : route.method} ${route.path} (${route.functionName})`)
      .join(', ');
    const ws =
      contentType?.startsWith(CONTENT_TYPE_WEBSOCKET_EVENTS) === true
        ? '; WebSocket-over-HTTP requests are POSTs: declare the route with method POST'
        : '';
    return `no ${method} route; serverless.yml declares ${declared}${ws}`;
  }
  return 'no route in serverless.yml matches this path';
}

const EMPTY_BODY = Buffer.alloc(0);

// Shared by every context, and made outside the literal: tsx (which runs this
// under `npm start`) would otherwise rename a fresh closure on every call.
const ignore = (): undefined => undefined;
function remainingUntil(deadline: number): () => number {
  return () => Math.max(0, deadline - Date.now());
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
    getRemainingTimeInMillis: remainingUntil(deadline),
    done: ignore,
    fail: ignore,
    succeed: ignore,
  };
}

/** A result read back, ready to write: a text body stays a string (written as UTF-8). */
interface HostResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: string | Buffer;
}

/** Reads a handler's result as an HTTP API does, including its payload 2.0 inference. */
function readResult(result: unknown): HostResponse {
  const structured =
    typeof result === 'object' && result !== null && 'statusCode' in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result ?? null) };
  const headers: Record<string, string | string[]> = {};
  const given = structured.headers;
  if (given != null) for (const name in given) headers[name] = String(given[name]);
  if (structured.cookies !== undefined && structured.cookies.length > 0) headers['set-cookie'] = structured.cookies;
  const raw = structured.body ?? '';
  return {
    statusCode: structured.statusCode ?? 200,
    headers,
    body: structured.isBase64Encoded === true ? decodeBase64(raw) : raw,
  };
}

function eventTypes(body: Uint8Array): string[] {
  try {
    return decodeEvents(body).map((e: WebSocketEvent) => e.type);
  } catch {
    return ['(malformed)'];
  }
}
