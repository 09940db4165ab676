import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { decodeBase64 } from '../lambda/base64.js';
import { TIMED_OUT, type Outcome } from './deadlines.js';
import { readRestResult } from './rest-api.js';
import type { Route } from './routes.js';

/** A result read back, ready to write: a text body stays a string (written as UTF-8). */
export interface HostResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: string | Buffer;
}

/**
 * What the API answers for an invocation's outcome: the handler's result
 * read as the route's API Gateway flavour reads it; a 500 for an uncaught
 * error and a 503 for a timeout, as on AWS, with the cause in the log.
 */
export function readOutcome(
  route: Route,
  outcome: Outcome<unknown>,
  accept: string | undefined,
  binaryMediaTypes: readonly string[],
): HostResponse {
  let result: unknown;
  if (outcome === TIMED_OUT) {
    console.error(`[grip-lambda] ${route.functionName} timed out after ${route.timeoutSeconds} s`);
    result = { statusCode: 503, body: 'Service Unavailable' };
  } else if ('error' in outcome) {
    console.error(`[grip-lambda] ${route.functionName} failed: ${(outcome.error as Error)?.stack ?? String(outcome.error)}`);
    result = { statusCode: 500, body: 'Internal Server Error' };
  } else {
    result = outcome.value;
  }
  if (route.kind !== 'http') return readResult(result);
  const rest = readRestResult(result, accept, binaryMediaTypes);
  if (rest.undecodedBase64) warnUndecoded(route.functionName);
  return rest;
}

/** Reads a handler's result as an HTTP API does, including its payload 2.0 inference. */
function readResult(result: unknown): HostResponse {
  const structured =
    typeof result === 'object' && result !== null && 'statusCode' in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result ?? null) };
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {})) headers[name] = String(value);
  if (structured.cookies !== undefined && structured.cookies.length > 0) headers['set-cookie'] = structured.cookies;
  const raw = structured.body ?? '';
  return {
    statusCode: structured.statusCode ?? 200,
    headers,
    body: structured.isBase64Encoded === true ? decodeBase64(raw) : raw,
  };
}

const warnedUndecoded = new Set<string>();

/** Once per function: a REST API passes a base64 body on as text unless a binary media type says otherwise. */
function warnUndecoded(functionName: string): void {
  if (warnedUndecoded.has(functionName)) return;
  warnedUndecoded.add(functionName);
  console.error(
    `[grip-lambda] ${functionName} answered a base64 body (isBase64Encoded) that the REST API passes on as base64 text: ` +
      "its Content-Type (or the request's Accept) is not in provider.apiGateway.binaryMediaTypes. Add application/websocket-events there.",
  );
}
