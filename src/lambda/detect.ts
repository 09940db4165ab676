import { alb } from './alb.js';
import { apiGatewayHttp, functionUrl } from './api-gateway-http.js';
import { apiGatewayRest } from './api-gateway-rest.js';
import { isObject } from '../guards.js';
import type { FrontDoor } from './types.js';

/** Thrown when an event is not an HTTP event from any front door Lambda has. */
export class UnrecognizedEventError extends Error {
  override readonly name = 'UnrecognizedEventError';
}

/** Picks the processor for an event by its shape, as AWS documents each. */
export function detectFrontDoor(event: unknown): FrontDoor {
  if (!isObject(event) || !isObject(event.requestContext)) {
    throw new UnrecognizedEventError('not a Lambda HTTP event (no requestContext)');
  }
  const context = event.requestContext;
  if (isObject(context.elb)) {
    if (typeof event.httpMethod !== 'string' || typeof event.path !== 'string') {
      throw new UnrecognizedEventError('ALB event without httpMethod or path');
    }
    return alb;
  }
  if (event.version === '2.0') {
    if (!isObject(context.http) || typeof context.http.method !== 'string' || typeof event.rawPath !== 'string') {
      throw new UnrecognizedEventError('payload 2.0 event without requestContext.http.method or rawPath');
    }
    const domain = typeof context.domainName === 'string' ? context.domainName : '';
    return domain.includes('.lambda-url.') ? functionUrl : apiGatewayHttp;
  }
  if (typeof event.httpMethod === 'string' && typeof event.path === 'string') {
    return apiGatewayRest;
  }
  throw new UnrecognizedEventError('unrecognised Lambda event shape');
}
