import type { GripSigVerifier } from '../auth/grip-sig.js';
import type { GripEnv } from '../config.js';
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

/**
 * The verifier for the GRIP settings, built on the first request: the JWT
 * and GRIP URL code (jose, @fanoutio/grip) then loads once per container,
 * and not at all in functions that have no key to check.
 */
async function loadVerifier(env: GripEnv): Promise<GripSigVerifier | undefined> {
  if (!env.GRIP_URL && !env.GRIP_VERIFY_KEY) return undefined;
  const [{ readGripSettings }, { GripSigVerifier }] = await Promise.all([import('../config.js'), import('../auth/grip-sig.js')]);
  const verifier = new GripSigVerifier(readGripSettings(env).verifyKeys);
  return verifier.required ? verifier : undefined;
}

export function createGate(options: GripOptions = {}): Gate {
  const env = options.env ?? process.env;
  let verifier: Promise<GripSigVerifier | undefined> | undefined =
    options.verifier !== undefined ? Promise.resolve(options.verifier.required ? options.verifier : undefined) : undefined;
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
      const check = await (verifier ??= loadVerifier(env));
      if (check === undefined) {
        if (!warned) {
          warned = true;
          console.warn('[grip-lambda] no GRIP verify key configured: requests are not checked for Grip-Sig (set GRIP_URL with iss and key, or GRIP_VERIFY_KEY)');
        }
      } else {
        const result = await check.verify(request.headers.get('grip-sig'));
        if (!result.ok) throw new RequestError(401, result.reason);
      }
      return { frontDoor, request };
    },
  };
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
