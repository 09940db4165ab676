import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { settleWithin } from './deadlines.js';
import { buildEvent } from './host-event.js';
import { readOutcome } from './host-result.js';
import { eventTypesOf, type InvocationLog } from './invocation-log.js';
import { lambdaContext } from './lambda-context.js';
import { READY_HOLD, READY_PATH } from './ready-probe.js';
import { parseRequestTarget } from './request-target.js';
import { RouteTable, type RouteMatch } from './route-table.js';
import type { Route } from './routes.js';
import { logUnmatched, whyUnmatched, type UnmatchedRequest } from './unmatched.js';

export type { InvocationLog } from './invocation-log.js';
export { lambdaContext } from './lambda-context.js';
export { READY_HEADER, READY_PATH } from './ready-probe.js';
export type { UnmatchedRequest } from './unmatched.js';

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
 * BINARY frames arrive byte-exact), each result is read back the same way;
 * `http` routes as a REST API does (payload 1.0).
 */
export async function startFunctionHost(options: FunctionHostOptions): Promise<RunningFunctionHost> {
  const table = new RouteTable(options.routes);
  const server = createServer((req, res) => {
    serve(req, res, table, options).catch((error: unknown) => hostFailed(req, res, error));
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

/** One request, start to answer. */
async function serve(req: IncomingMessage, res: ServerResponse, table: RouteTable, options: FunctionHostOptions): Promise<void> {
  const started = performance.now();
  const method = req.method ?? 'GET';
  const target = parseRequestTarget(req.url ?? '/');
  if (target.path === READY_PATH) {
    res.writeHead(200, READY_HOLD).end('ready\n');
    return;
  }
  let match: RouteMatch | undefined;
  try {
    match = table.match(method, target.path);
  } catch {
    match = undefined; // a malformed %-escape in the path
  }
  if (match === undefined) {
    const reason = whyUnmatched(table, method, target.path, req.headers['content-type']);
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`Not Found: ${reason}\n`);
    (options.onUnmatched ?? logUnmatched)({ method, path: target.path, reason });
    return;
  }
  const body = await readBody(req);
  const { route } = match.compiled;
  const handler = await route.load();
  const event = buildEvent(req, target, body, match, options.binaryMediaTypes ?? []);
  const timeoutMs = route.timeoutSeconds * 1000;
  const context = lambdaContext(route.functionName, Date.now() + timeoutMs);
  const invoked = performance.now();
  const outcome = await settleWithin(timeoutMs, () => handler(event, context));
  const handlerMs = performance.now() - invoked;
  const response = readOutcome(route, outcome, req.headers.accept, options.binaryMediaTypes ?? []);
  res.writeHead(response.statusCode, response.headers);
  res.end(response.body);
  options.onInvocation?.({
    functionName: route.functionName,
    method,
    path: target.path,
    status: response.statusCode,
    connectionId: req.headers['connection-id'] as string | undefined,
    requestId: context.awsRequestId,
    eventsIn: eventTypesOf(req.headers, body),
    eventsOut: eventTypesOf(response.headers, response.body),
    durationMs: performance.now() - started,
    handlerMs,
  });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The host itself failed on a request (not the function): a 502, unless the proxy already went away. */
function hostFailed(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  // The proxy gave up on the request before it was read (its client went away): nothing to answer.
  if (req.destroyed && (error as NodeJS.ErrnoException)?.code === 'ECONNRESET') return;
  console.error(`[grip-lambda] function host: ${(error as Error)?.stack ?? String(error)}`);
  if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
  res.end('function host error\n');
}
