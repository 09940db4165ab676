import { GripSigVerifier } from '../auth/grip-sig.js';
import { readVerifyKeys, type GripEnv } from '../config.js';
import { RequestError } from '../errors.js';
import { detectFrontDoor, UnrecognizedEventError } from './detect.js';
import type { FrontDoor, HttpRequest, HttpResponse, LambdaHttpEvent, LambdaHttpResult } from './types.js';

/** Options shared by every handler factory. */
export interface GripOptions {
  /** Where GRIP_* settings come from; default `process.env`, read once when the handler is made. */
  readonly env?: GripEnv;
  /** Replaces the verifier built from the environment. */
  readonly verifier?: GripSigVerifier;
}

/** What a handler needs once per container: the signature check and the channel prefix. */
export interface Gate {
  readonly prefix: string;
  /** Reads and authenticates an event. @throws RequestError (400, 401). */
  admit(event: LambdaHttpEvent): Promise<{ frontDoor: FrontDoor; request: HttpRequest }>;
}

/** The verifier for the GRIP settings, or undefined when they hold no key to check. */
function verifierFor(env: GripEnv): GripSigVerifier | undefined {
  const verifier = new GripSigVerifier(readVerifyKeys(env));
  return verifier.required ? verifier : undefined;
}

/**
 * Made once per container, when the handler is made (in Lambda's init
 * phase): settings are parsed and keys loaded there, not per request.
 */
export function createGate(options: GripOptions = {}): Gate {
  const env = options.env ?? process.env;
  const verifier = options.verifier !== undefined ? (options.verifier.required ? options.verifier : undefined) : verifierFor(env);
  let warned = false;
  return {
    prefix: env.GRIP_PREFIX ?? '',
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
          console.warn('[grip-lambda] no GRIP verify key configured: requests are not checked for Grip-Sig (set GRIP_URL with iss and key, or GRIP_VERIFY_KEY)');
        }
      } else {
        const result = await verifier.verify(request.headers.get('grip-sig'), { disconnectOnly: holdsOnlyDisconnect(request) });
        if (!result.ok) throw new RequestError(401, result.reason);
      }
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
    request.headers.get('content-type')?.split(';', 1)[0]!.trim().toLowerCase() === 'application/websocket-events'
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
