import { RequestError } from '../errors.js';
import { detectFrontDoor } from '../lambda/detect.js';
import { createGate, type Gate } from '../lambda/gate.js';
import { markLogged } from '../lambda/invocation.js';
import { currentObservation, log, logError } from '../observe/current.js';
import { countWebSocket } from '../observe/websocket-counts.js';
import { lambdaHttpHandler } from '../lambda/pipeline.js';
import type { GripOptions } from '../lambda/settings.js';
import type { HttpRequest, LambdaHandler, LambdaHttpEvent, LambdaHttpResult } from '../lambda/types.js';
import { CloseCode } from '../protocol/close.js';
import { decodeEvents } from '../protocol/codec.js';
import { WebSocketEventsDecodeError } from '../protocol/errors.js';
import { CONTENT_TYPE_WEBSOCKET_EVENTS } from '../protocol/events.js';
import { WebSocketContext, type CloseEvent, type ContextOptions, type WebSocketMessage } from './context.js';
import { readProxyLimits, type ProxyLimits } from './limits.js';

type Awaitable<T> = T | Promise<T>;

/** What a WebSocket function does; every callback is optional. */
export interface WebSocketHandlers {
  /** The client is connecting. Accepted unless `ctx.reject()` is called. */
  onOpen?(ctx: WebSocketContext): Awaitable<void>;
  /**
   * Every request, before its messages are read, but the opening one when
   * `onOpen` is given (which runs then instead): also the keep-alive
   * requests the proxy makes while the client is quiet
   * (`ctx.setKeepAliveInterval`), which carry no message at all.
   */
  onRequest?(ctx: WebSocketContext): Awaitable<void>;
  onMessage?(ctx: WebSocketContext, message: WebSocketMessage): Awaitable<void>;
  /** The client closed (its code is echoed unless `ctx.close()` is called) or went away (`clean: false`). */
  onClose?(ctx: WebSocketContext, close: CloseEvent): Awaitable<void>;
}

export type { LambdaHandler } from '../lambda/types.js';

const CONNECTION_ID = /^[\x21-\x2b\x2d-\x7e]{1,256}$/;

/**
 * Checks that a request is WebSocket-over-HTTP and decodes it.
 * @throws RequestError (400) with a one-line reason.
 */
export function decodeWebSocketRequest(request: HttpRequest, options: ContextOptions = {}): WebSocketContext {
  if (request.method !== 'POST') {
    // The method is the client's: quoted and cut, so the reason stays one short line.
    throw new RequestError(400, `WebSocket-over-HTTP requests are POSTs, not ${JSON.stringify(request.method.slice(0, 32))}`);
  }
  const contentType = request.headers.get('content-type');
  // Proxies send exactly CONTENT_TYPE_WEBSOCKET_EVENTS: compare that first, parse only otherwise.
  if (
    contentType !== CONTENT_TYPE_WEBSOCKET_EVENTS &&
    (contentType === undefined || contentType.split(';', 1)[0]!.trim().toLowerCase() !== CONTENT_TYPE_WEBSOCKET_EVENTS)
  ) {
    throw new RequestError(400, `Content-Type must be ${CONTENT_TYPE_WEBSOCKET_EVENTS}`);
  }
  const id = request.headers.get('connection-id');
  if (id === undefined || id === '') throw new RequestError(400, 'missing Connection-Id header');
  // Proxies send one short ASCII id; anything else (or two, comma-joined) cannot be one, nor a meta value.
  if (!CONNECTION_ID.test(id)) throw new RequestError(400, 'malformed Connection-Id header');
  try {
    return new WebSocketContext(id, request, decodeEvents(request.body), options);
  } catch (error) {
    if (error instanceof WebSocketEventsDecodeError) throw new RequestError(400, `malformed WebSocket events: ${error.message}`);
    throw error;
  }
}

/**
 * Low-level: turns a Lambda event into a WebSocketContext, for code that
 * drives the context itself (as with faas-grip). Pair with `webSocketResult`.
 * @throws RequestError (400 malformed, 401 unsigned): answer it with `errorResult`.
 */
export async function readWebSocketContext(event: LambdaHttpEvent, gate: Gate = defaultGate()): Promise<WebSocketContext> {
  const { request } = await gate.admit(event);
  return decodeWebSocketRequest(request, { prefix: gate.prefix, limits: (sharedLimits ??= readProxyLimits()), publisher: gate.publisher });
}

/** Low-level: the Lambda result for a context, shaped like the event it came from. */
export function webSocketResult(ctx: WebSocketContext, event: LambdaHttpEvent): LambdaHttpResult {
  // The event names its front door again: reading its shape costs less than keeping a context-to-door map.
  return detectFrontDoor(event).result(ctx.toResponse(), event);
}

let sharedGate: Gate | undefined;
let sharedLimits: ProxyLimits | undefined;
function defaultGate(): Gate {
  return (sharedGate ??= createGate());
}

/**
 * Makes a Lambda handler for WebSocket connections held by a GRIP proxy:
 * `export const handler = websocket({ onOpen, onMessage, onClose })`.
 * Settings are read once, when the handler is made.
 */
export function websocket(handlers: WebSocketHandlers, options: GripOptions = {}): LambdaHandler {
  const limits = readProxyLimits(options.env ?? process.env);
  return lambdaHttpHandler(async (request, settings, publisher, observation) => {
    const ctx = decodeWebSocketRequest(request, { prefix: settings.prefix, limits, publisher });
    observation.connectionId = ctx.id;
    await dispatch(ctx, handlers);
    const response = ctx.toResponse();
    if (observation.counting) observation.webSocket(countWebSocket(ctx.id, ctx.events, response), ctx.events, response);
    return response;
  }, options);
}

/** The callback running or last run, named in the log when it throws. */
type Stage = 'onOpen' | 'onRequest' | 'recv' | 'onMessage' | 'onClose';

/**
 * Runs the callbacks for each event of one request in order, each awaited;
 * a throw closes the connection with 1011, and is logged with the callback
 * it came from. A TEXT message that is not UTF-8 closes it with 1007.
 */
export async function dispatch(ctx: WebSocketContext, handlers: WebSocketHandlers): Promise<void> {
  let stage: Stage = 'onOpen';
  try {
    if (ctx.isOpening && handlers.onOpen !== undefined) {
      await handlers.onOpen(ctx);
      if (ctx.state === 'rejected') return;
    } else if (handlers.onRequest !== undefined) {
      stage = 'onRequest';
      await handlers.onRequest(ctx);
    }
    for (;;) {
      stage = 'recv';
      let received;
      try {
        received = ctx.recv();
      } catch (error) {
        log('warn', `connection ${ctx.id}: ${(error as Error).message}; closed with 1007`, { connection_id: ctx.id, close_code: 1007 });
        return;
      }
      if (received === undefined) return;
      if (received.type === 'close') {
        stage = 'onClose';
        await handlers.onClose?.(ctx, received.close);
        return;
      }
      if (ctx.state === 'closed') continue; // the function closed: later messages have nowhere to go
      stage = 'onMessage';
      await handlers.onMessage?.(ctx, received);
    }
  } catch (error) {
    logCallbackError(ctx, stage, error);
    ctx.close(CloseCode.INTERNAL_ERROR, 'internal error'); // does nothing once rejected, closed or gone
  }
}

/** A callback threw: one error line with its cause, and the invocation counted as failed. */
function logCallbackError(ctx: WebSocketContext, stage: string, error: unknown): void {
  markLogged(error);
  const message = `connection ${ctx.id}: error in ${stage}`;
  const fields = { connection_id: ctx.id, close_code: CloseCode.INTERNAL_ERROR };
  const observation = currentObservation();
  if (observation !== undefined) observation.failed(message, error, fields);
  else logError(message, error, fields);
}
