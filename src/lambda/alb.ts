import type { ALBEvent, ALBResult } from 'aws-lambda';
import { decodeBody, encodeBody, foldMultiValueHeaders, lowerCaseHeaders, pathParams } from './body.js';
import type { FrontDoor } from './types.js';

// The reasons this toolkit answers with; node:http's table would cost its module load.
const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  202: 'Accepted',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** ALB passes query parameters as the client encoded them: join them back without re-encoding. */
function rawQuery(event: ALBEvent): string {
  const parts: string[] = [];
  if (event.multiValueQueryStringParameters != null) {
    for (const [name, values] of Object.entries(event.multiValueQueryStringParameters)) {
      for (const value of values ?? []) parts.push(`${name}=${value}`);
    }
  } else if (event.queryStringParameters != null) {
    for (const [name, value] of Object.entries(event.queryStringParameters)) {
      if (value !== undefined) parts.push(`${name}=${value}`);
    }
  }
  return parts.join('&');
}

/**
 * Application Load Balancer. A target group with multi-value headers on sends
 * `multiValueHeaders` and expects them back; otherwise `headers` both ways.
 */
export const alb: FrontDoor<ALBEvent, ALBResult> = {
  name: 'alb',
  request(event) {
    return {
      method: event.httpMethod,
      path: event.path,
      rawQuery: rawQuery(event),
      headers: event.multiValueHeaders != null ? foldMultiValueHeaders(event.multiValueHeaders) : lowerCaseHeaders(event.headers),
      params: pathParams(undefined),
      body: decodeBody(event.body, event.isBase64Encoded),
    };
  },
  result(response, event) {
    const base = {
      statusCode: response.status,
      statusDescription: `${response.status} ${REASONS[response.status] ?? ''}`.trimEnd(),
      ...encodeBody(response),
    };
    if (event.multiValueHeaders != null) {
      const multiValueHeaders: Record<string, string[]> = {};
      for (const [name, value] of Object.entries(response.headers)) multiValueHeaders[name] = [value];
      return { ...base, multiValueHeaders };
    }
    return { ...base, headers: response.headers };
  },
};
