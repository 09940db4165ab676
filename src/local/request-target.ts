/** A request's path and query as a URL parser reads them, which is how the event's `rawPath` and `rawQueryString` have always been made. */
export interface RequestTarget {
  /** Dot segments resolved, characters a URL escapes escaped (`/a%20b`). */
  readonly path: string;
  /** After the `?`, without it; '' when there is none. */
  readonly query: string;
}

/** Splits a request target as a URL parser reads it. */
export function parseRequestTarget(target: string): RequestTarget {
  const url = new URL(target, 'http://localhost');
  return { path: url.pathname, query: url.search.slice(1) };
}
