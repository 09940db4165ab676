import { RequestError } from '../errors.js';
import { lambdaHttpHandler } from '../lambda/pipeline.js';
import type { GripOptions } from '../lambda/settings.js';
import type { HttpRequest, HttpResponse, LambdaHandler } from '../lambda/types.js';
import type { GripPublisher } from '../publish/publisher.js';
import type { Hold } from './hold.js';
import { decodeUtf8 } from '../protocol/utf8.js';

/** The request an HTTP function sees, with helpers to read its body. */
export interface IncomingRequest extends HttpRequest {
  readonly query: URLSearchParams;
  /** GRIP_PREFIX, which the proxy's channel names (e.g. in Grip-Last) carry. */
  readonly channelPrefix: string;
  /**
   * Publishes with GRIP_PREFIX through this handler's publisher, bound to
   * this invocation: it waits for these publishes before it answers (no
   * need to await them) and stops their retries at its deadline.
   */
  readonly publisher: GripPublisher;
  text(): string;
  /** @throws RequestError (400) when the body is not JSON. */
  json(): unknown;
}

export type HttpHandler = (request: IncomingRequest) => HttpResponse | Hold | Promise<HttpResponse | Hold>;

// Checked by shape, so that functions that never hold do not load the hold code (@fanoutio/grip).
function isHold(value: HttpResponse | Hold): value is Hold {
  return (value as Hold).kind === 'hold';
}

function incoming(request: HttpRequest, channelPrefix: string, publisher: GripPublisher): IncomingRequest {
  let query: URLSearchParams | undefined;
  return {
    ...request,
    channelPrefix,
    publisher,
    get query() {
      return (query ??= new URLSearchParams(request.rawQuery));
    },
    text: () => decodeUtf8(request.body),
    json() {
      try {
        return JSON.parse(decodeUtf8(request.body)) as unknown;
      } catch {
        throw new RequestError(400, 'body is not valid JSON');
      }
    },
  };
}

/**
 * Makes a Lambda handler for plain HTTP requests behind the proxy: answer
 * with a response, or with a hold (`holdStream`, `holdSse`, `holdLongPoll`).
 * Unsigned requests get 401 when a verify key is configured; a thrown
 * RequestError becomes its status and reason; any other throw a logged 500.
 */
export function http(handler: HttpHandler, options: GripOptions = {}): LambdaHandler {
  return lambdaHttpHandler(async (request, settings, publisher) => {
    const reply = await handler(incoming(request, settings.prefix, publisher));
    return isHold(reply) ? reply.toResponse(settings.prefix) : reply;
  }, options);
}

/** A plain response with a text or JSON body. */
export function respond(status: number, body: string | object, headers: Record<string, string> = {}): HttpResponse {
  const isText = typeof body === 'string';
  return {
    status,
    headers: { 'Content-Type': isText ? 'text/plain; charset=utf-8' : 'application/json', ...headers },
    body: isText ? body : JSON.stringify(body),
  };
}
