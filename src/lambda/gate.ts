import { RequestError } from '../errors.js';
import { detectFrontDoor, UnrecognizedEventError } from './detect.js';
import { readHandlerSettings, type GripOptions, type HandlerSettings } from './settings.js';
import type { GripPublisher } from '../publish/publisher.js';
import type { FrontDoor, HttpRequest, HttpResponse, LambdaHttpEvent, LambdaHttpResult } from './types.js';
import { log } from '../observe/current.js';

export type { GripOptions } from './settings.js';

/** What a handler needs once per container: the signature check, the channel prefix and the publisher. */
export interface Gate {
  readonly prefix: string;
  /** The handler's publisher, not bound to any invocation. */
  readonly publisher: GripPublisher;
  /**
   * Reads and authenticates an event.
   * @throws RequestError (400, 401): rejects with one.
   */
  admit(event: LambdaHttpEvent): Promise<Admitted>;
}

/** An event read and authenticated. */
export interface Admitted {
  readonly frontDoor: FrontDoor;
  readonly request: HttpRequest;
}

/**
 * Made once per container, when the handler is made (in Lambda's init
 * phase): settings are parsed and keys loaded there, not per request.
 */
export function createGate(options: GripOptions = {}): Gate {
  return gateFor(readHandlerSettings(options));
}

/** The gate for settings already read (the pipeline reads them once and shares them). */
export function gateFor(settings: HandlerSettings): Gate {
  const { verifier } = settings;
  let warned = false;
  return {
    prefix: settings.prefix,
    publisher: settings.publisher,
    async admit(event) {
      let frontDoor: FrontDoor;
      let request: HttpRequest;
      try {
        frontDoor = detectFrontDoor(event);
        request = frontDoor.request(event);
      } catch (error) {
        if (error instanceof UnrecognizedEventError) throw new RequestError(400, error.message);
        // A field of the wrong type (no front door sends that): the request is malformed, the function is fine.
        if (error instanceof TypeError) throw new RequestError(400, 'malformed event: a field has the wrong type');
        throw error;
      }
      if (verifier === undefined) {
        if (!warned) {
          warned = true;
          log(
            'warn',
            'no GRIP verify key configured: requests are not checked for Grip-Sig (set GRIP_URL with iss and key, or GRIP_VERIFY_KEY)',
          );
        }
        return { frontDoor, request };
      }
      const result = await verifier.verify(request.headers.get('grip-sig'), { disconnectOnly: holdsOnlyDisconnect(request) });
      if (!result.ok) throw new RequestError(401, result.reason);
      return { frontDoor, request };
    },
  };
}

const DISCONNECT_ONLY = Buffer.from('DISCONNECT\r\n', 'latin1');

/**
 * A WebSocket-over-HTTP request whose one event is DISCONNECT: the one kind
 * of request a proxy may sign with an old token (see GripSigVerifier).
 */
function holdsOnlyDisconnect(request: HttpRequest): boolean {
  return (
    request.body.length === DISCONNECT_ONLY.length &&
    DISCONNECT_ONLY.equals(request.body) &&
    (request.headers.get('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase() === 'application/websocket-events'
  );
}

/** A one-line text answer, shaped for the front door when it is known. */
export function errorResult(error: RequestError, event: unknown): LambdaHttpResult {
  const response: HttpResponse = {
    status: error.status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    body: `${error.reason}\n`,
  };
  try {
    return detectFrontDoor(event).result(response, event as LambdaHttpEvent);
  } catch {
    return { statusCode: response.status, headers: response.headers, body: response.body as string };
  }
}

/** Shapes a response for the event's front door. */
export function toLambdaResult(event: LambdaHttpEvent, response: HttpResponse): LambdaHttpResult {
  return detectFrontDoor(event).result(response, event);
}
