import { CONTENT_TYPE_WEBSOCKET_EVENTS } from '../protocol/events.js';
import type { RouteTable } from './route-table.js';
import type { Route } from './routes.js';

/** A request no route serves, with why (e.g. the path is declared for another method). */
export interface UnmatchedRequest {
  readonly method: string;
  readonly path: string;
  readonly reason: string;
}

/** Why no route serves a request, in terms of serverless.yml. */
export function whyUnmatched(table: RouteTable, method: string, path: string, contentType: string | undefined): string {
  let samePath: Route[];
  try {
    samePath = table.routesForPath(path);
  } catch {
    return 'the path has a malformed %-escape';
  }
  if (samePath.length === 0) return 'no route in serverless.yml matches this path';
  const declared = samePath
    .map((route) => `${route.method === '*' ? 'ANY' : route.method} ${route.path} (${route.functionName})`)
    .join(', ');
  const ws =
    contentType?.startsWith(CONTENT_TYPE_WEBSOCKET_EVENTS) === true
      ? '; WebSocket-over-HTTP requests are POSTs: declare the route with method POST'
      : '';
  return `no ${method} route; serverless.yml declares ${declared}${ws}`;
}

/** The default report of an unmatched request: a line on stderr. */
export function logUnmatched({ method, path, reason }: UnmatchedRequest): void {
  console.error(`[grip-lambda] ${method} ${path} 404: ${reason}`);
}
