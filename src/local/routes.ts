import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import type { LambdaHandler } from '../websocket/handler.js';

/** One `httpApi` route of serverless.yml, bound to its function. */
export interface Route {
  readonly functionName: string;
  readonly method: string; // upper case, or '*' for ANY
  readonly path: string; // e.g. /chat/{room}
  readonly timeoutSeconds: number;
  /** Loads the function's module once, like a warm container. */
  load(): Promise<LambdaHandler>;
}

interface FunctionConfig {
  handler?: unknown;
  timeout?: unknown;
  events?: unknown;
}

/**
 * Reads the routes from serverless.yml, so that the local host serves
 * exactly what `serverless deploy` would.
 */
export async function readRoutes(root: string, file = 'serverless.yml'): Promise<Route[]> {
  // CloudFormation tags (!GetAtt, !Ref) are not routes: read past them quietly.
  const config = parse(await readFile(join(root, file), 'utf8'), { logLevel: 'error' }) as {
    provider?: { timeout?: unknown };
    functions?: Record<string, FunctionConfig>;
  };
  const defaultTimeout = typeof config.provider?.timeout === 'number' ? config.provider.timeout : 6;
  const routes: Route[] = [];
  for (const [functionName, fn] of Object.entries(config.functions ?? {})) {
    if (typeof fn.handler !== 'string') throw new Error(`serverless.yml: function ${functionName} has no handler`);
    const dot = fn.handler.lastIndexOf('.');
    const modulePath = join(root, `${fn.handler.slice(0, dot)}.ts`);
    const exportName = fn.handler.slice(dot + 1);
    let loaded: Promise<LambdaHandler> | undefined;
    const load = () =>
      (loaded ??= import(pathToFileURL(modulePath).href).then((module: Record<string, unknown>) => {
        const handler = module[exportName];
        if (typeof handler !== 'function') throw new Error(`${modulePath} does not export a function ${exportName}`);
        return handler as LambdaHandler;
      }));
    const timeoutSeconds = typeof fn.timeout === 'number' ? fn.timeout : defaultTimeout;
    for (const event of Array.isArray(fn.events) ? fn.events : []) {
      const httpApi = (event as { httpApi?: unknown }).httpApi;
      if (httpApi === undefined) continue;
      let method: string;
      let path: string;
      if (typeof httpApi === 'string') {
        [method = '*', path = '/'] = httpApi.split(/\s+/);
      } else {
        const spec = httpApi as { method?: string; path?: string };
        method = spec.method ?? '*';
        path = spec.path ?? '/';
      }
      method = method.toUpperCase() === 'ANY' ? '*' : method.toUpperCase();
      routes.push({ functionName, method, path, timeoutSeconds, load });
    }
  }
  return routes;
}

/** Matches a request to a route; `{name}` matches one segment, `{name+}` the rest. */
export function matchRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | undefined {
  const segments = path.split('/').filter((s) => s !== '');
  let best: { route: Route; params: Record<string, string>; score: number } | undefined;
  for (const route of routes) {
    if (route.method !== '*' && route.method !== method) continue;
    const params = matchPath(route.path, segments);
    if (params === undefined) continue;
    // Prefer exact methods and literal segments, as API Gateway does.
    const score = (route.method === '*' ? 0 : 1000) + route.path.replace(/\{[^}]+\}/g, '').length;
    if (best === undefined || score > best.score) best = { route, params, score };
  }
  return best === undefined ? undefined : { route: best.route, params: best.params };
}

function matchPath(pattern: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = pattern.split('/').filter((s) => s !== '');
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const greedy = /^\{(.+)\+\}$/.exec(part);
    if (greedy !== null) {
      if (i >= segments.length) return undefined;
      params[greedy[1]!] = segments.slice(i).map(decodeURIComponent).join('/');
      return params;
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    const variable = /^\{(.+)\}$/.exec(part);
    if (variable !== null) params[variable[1]!] = decodeURIComponent(segment);
    else if (part !== segment) return undefined;
  }
  return parts.length === segments.length ? params : undefined;
}
