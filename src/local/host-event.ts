import type { IncomingMessage } from 'node:http';
import type { LambdaHttpEvent } from '../lambda/types.js';
import { buildHttpApiEvent } from './http-api-event.js';
import type { RequestTarget } from './request-target.js';
import { buildRestEvent } from './rest-api.js';
import type { RouteMatch } from './route-table.js';

/** The event the route's API Gateway flavour sends for a request: payload 1.0 for `http` routes, 2.0 for `httpApi`. */
export function buildEvent(
  req: IncomingMessage,
  target: RequestTarget,
  body: Buffer,
  match: RouteMatch,
  binaryMediaTypes: readonly string[],
): LambdaHttpEvent {
  const { route, routeKey } = match.compiled;
  return route.kind === 'http'
    ? buildRestEvent(req, target, body, route, match.params, binaryMediaTypes)
    : buildHttpApiEvent(req, target, body, routeKey, match.params);
}
