import type { Route } from './routes.js';

/** One segment of a route path: literal text, `{name}` (one segment) or `{name+}` (the rest). */
type Segment = { readonly literal: string } | { readonly param: string; readonly greedy: boolean };

/** A route with what matching needs worked out once, not per request. */
export interface CompiledRoute {
  readonly route: Route;
  /** `METHOD /path`, as API Gateway names the route (`ANY` for every method). */
  readonly routeKey: string;
  /** undefined for the catch-all `*`. */
  readonly segments: readonly Segment[] | undefined;
  readonly hasParams: boolean;
  /** Exact methods and literal segments rank first, as API Gateway ranks them; the catch-all last. */
  readonly score: number;
}

export interface RouteMatch {
  readonly compiled: CompiledRoute;
  /** The path parameters, decoded; undefined when the route has none. */
  readonly params: Record<string, string> | undefined;
}

function compile(route: Route): CompiledRoute {
  const routeKey = `${route.method === '*' ? 'ANY' : route.method} ${route.path}`;
  if (route.path === '*') return { route, routeKey, segments: undefined, hasParams: false, score: -1 };
  const segments = route.path
    .split('/')
    .filter((s) => s !== '')
    .map((part): Segment => {
      const variable = /^\{(.+?)(\+?)\}$/.exec(part);
      return variable === null ? { literal: part } : { param: variable[1]!, greedy: variable[2] === '+' };
    });
  const literalLength = route.path.replace(/\{[^}]+\}/g, '').length;
  return {
    route,
    routeKey,
    segments,
    hasParams: segments.some((segment) => 'param' in segment),
    score: (route.method === '*' ? 0 : 1000) + literalLength,
  };
}

/** Decoded path parameters when `segments` (of a request path) match, else undefined. */
function matchSegments(
  pattern: readonly Segment[],
  segments: readonly string[],
  hasParams: boolean,
): Record<string, string> | undefined | false {
  const params: Record<string, string> | undefined = hasParams ? {} : undefined;
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    const segment = segments[i];
    if (segment === undefined) return false;
    if ('literal' in part) {
      if (part.literal !== segment) return false;
    } else if (part.greedy) {
      params![part.param] = segments.slice(i).map(decodeURIComponent).join('/');
      return params;
    } else {
      params![part.param] = decodeURIComponent(segment);
    }
  }
  return pattern.length === segments.length ? params : false;
}

/**
 * The routes of a service, compiled once: `match` is what the function
 * host does per request, so it splits the request path once and compares
 * segments, with no pattern parsing or regular expression per route.
 */
export class RouteTable {
  readonly #compiled: readonly CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.#compiled = routes.map(compile);
  }

  /**
   * The best route for a request; `{name}` matches one segment, `{name+}` the rest.
   * @throws URIError for a malformed %-escape in a parameter segment.
   */
  match(method: string, path: string): RouteMatch | undefined {
    const segments = splitPath(path);
    let best: RouteMatch | undefined;
    for (const compiled of this.#compiled) {
      const { route } = compiled;
      if (route.method !== '*' && route.method !== method) continue;
      // Every candidate is tried, even one that cannot win: a malformed %-escape anywhere it matches throws.
      const params = compiled.segments === undefined ? undefined : matchSegments(compiled.segments, segments, compiled.hasParams);
      if (params === false) continue;
      if (best === undefined || compiled.score > best.compiled.score) best = { compiled, params };
    }
    return best;
  }

  /** The routes whose path matches, whatever their method (to say why a request is unmatched). @throws URIError */
  routesForPath(path: string): Route[] {
    const segments = splitPath(path);
    return this.#compiled
      .filter((compiled) => compiled.segments === undefined || matchSegments(compiled.segments, segments, compiled.hasParams) !== false)
      .map((compiled) => compiled.route);
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}
