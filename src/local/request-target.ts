/** A request's path and query as a URL parser reads them, which is how the event's `rawPath` and `rawQueryString` have always been made. */
export interface RequestTarget {
  /** Dot segments resolved, characters a URL escapes escaped (`/a%20b`). */
  readonly path: string;
  /** After the `?`, without it; '' when there is none. */
  readonly query: string;
}

/**
 * Anything a WHATWG URL parser would change or read differently: a
 * character it escapes or rewrites (controls, space, `"#'<>\^{|}` and
 * backtick, non-ASCII), a dot segment or an escaped dot, a `//` that
 * would start an authority, a target that is not a path.
 */
const NEEDS_URL_PARSER = /[^\x21-\x7e]|["#'<>\\^`{|}]|\/\.|%2e/i;

/**
 * Splits a request target. Targets as clients send them (`/chat/lobby?x=1`)
 * are split as they are, since the URL parser would leave them unchanged;
 * anything else goes through it, so both ways give the same answer.
 */
export function parseRequestTarget(target: string): RequestTarget {
  if (target.charCodeAt(0) === 0x2f /* / */ && target.charCodeAt(1) !== 0x2f && !NEEDS_URL_PARSER.test(target)) {
    const mark = target.indexOf('?');
    return mark === -1 ? { path: target, query: '' } : { path: target.slice(0, mark), query: target.slice(mark + 1) };
  }
  const url = new URL(target, 'http://localhost');
  return { path: url.pathname, query: url.search.slice(1) };
}
