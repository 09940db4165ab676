import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import type { LambdaHandler } from '../lambda/types.js';

/** Which API Gateway flavour invokes the route: HTTP API (payload 2.0) or REST API (payload 1.0). */
export type RouteKind = 'httpApi' | 'http';

/** One HTTP route of serverless.yml, bound to its function. */
export interface Route {
  readonly kind: RouteKind;
  readonly functionName: string;
  readonly method: string; // upper case, or '*' for ANY
  readonly path: string; // e.g. /chat/{room}; '*' matches every path
  readonly timeoutSeconds: number;
  /** Loads the function's module once, like a warm container. */
  load(): Promise<LambdaHandler>;
}

/** A function event the local stack does not serve, and why. */
export interface SkippedEvent {
  readonly functionName: string;
  readonly event: string;
  readonly reason: string;
}

export interface ServiceRoutes {
  readonly routes: readonly Route[];
  readonly skipped: readonly SkippedEvent[];
  /** `provider.apiGateway.binaryMediaTypes`: REST API bodies of these types arrive base64-encoded. */
  readonly binaryMediaTypes: readonly string[];
  /** Loads every served function's module; rejects naming each handler that is missing. */
  loadAll(): Promise<void>;
}

interface FunctionConfig {
  handler?: unknown;
  image?: unknown;
  timeout?: unknown;
  events?: unknown;
}

interface ServiceConfig {
  provider?: { timeout?: unknown; apiGateway?: { binaryMediaTypes?: unknown } };
  functions?: Record<string, FunctionConfig | null>;
}

/** Module extensions tried for a handler, in the order Lambda and TypeScript projects use them. */
const HANDLER_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/** Thrown at start when serverless.yml names a handler that cannot be loaded. */
export class HandlerLoadError extends Error {
  override readonly name = 'HandlerLoadError';
}

/**
 * Services read in this process. Each loads its own instance of each ES
 * module it serves (a query in the URL): functions read their settings
 * when loaded, so a second stack in one process, or code that imported a
 * function itself first, would otherwise share a handler made with other
 * settings. CommonJS modules are cached by path, and stay shared.
 */
let servicesRead = 0;

/**
 * Reads the routes from serverless.yml, so that the local host serves
 * exactly what `serverless deploy` would, and says what it cannot serve.
 */
export async function readRoutes(root: string, file = 'serverless.yml'): Promise<ServiceRoutes> {
  const service = ++servicesRead;
  const path = join(root, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`no ${file} in ${root}: the local stack serves the functions it declares (${(error as Error).message})`);
  }
  // CloudFormation tags (!GetAtt, !Ref) are not routes: read past them quietly.
  const config = (parse(text, { logLevel: 'error' }) ?? {}) as ServiceConfig;
  const defaultTimeout = typeof config.provider?.timeout === 'number' ? config.provider.timeout : 6;
  const binaryTypes = config.provider?.apiGateway?.binaryMediaTypes;
  const routes: Route[] = [];
  const skipped: SkippedEvent[] = [];
  const served: { functionName: string; load: () => Promise<LambdaHandler> }[] = [];
  const missing: string[] = [];
  for (const [functionName, fn] of Object.entries(config.functions ?? {})) {
    if (fn === null || typeof fn.handler !== 'string') {
      skipped.push({
        functionName,
        event: 'function',
        reason: fn?.image !== undefined ? 'a container image function: the local stack runs handlers from files' : 'no handler',
      });
      continue;
    }
    const dot = fn.handler.lastIndexOf('.');
    const base = join(root, fn.handler.slice(0, dot));
    const exportName = fn.handler.slice(dot + 1);
    const modulePath = HANDLER_EXTENSIONS.map((extension) => base + extension).find((candidate) => existsSync(candidate));
    if (dot <= 0 || modulePath === undefined) {
      missing.push(
        `function ${functionName}: handler ${fn.handler}: no file ${fn.handler.slice(0, Math.max(dot, 0))}{${HANDLER_EXTENSIONS.join(',')}} in ${root}`,
      );
      continue;
    }
    let loaded: Promise<LambdaHandler> | undefined;
    const load = () =>
      (loaded ??= import(`${pathToFileURL(modulePath).href}?stack=${service}`).then((module: Record<string, unknown>) => {
        // A CommonJS module's exports arrive as `default` too (and only there when it sets module.exports).
        const fromDefault = module.default as Record<string, unknown> | undefined;
        const handler =
          module[exportName] ?? (typeof fromDefault === 'object' && fromDefault !== null ? fromDefault[exportName] : undefined);
        if (typeof handler !== 'function') {
          throw new HandlerLoadError(
            `function ${functionName}: ${modulePath} does not export a function ${exportName} (handler ${fn.handler})`,
          );
        }
        return handler as LambdaHandler;
      }));
    const timeoutSeconds = typeof fn.timeout === 'number' ? fn.timeout : defaultTimeout;
    let servesAny = false;
    for (const event of Array.isArray(fn.events) ? (fn.events as Record<string, unknown>[]) : []) {
      const [type] = Object.keys(event ?? {});
      const spec = type === undefined ? undefined : event[type];
      if (type === 'httpApi' || type === 'http') {
        const route = readHttpEvent(type, spec);
        if (typeof route === 'string') {
          skipped.push({ functionName, event: type, reason: route });
          continue;
        }
        routes.push({ kind: type, functionName, ...route, timeoutSeconds, load });
        servesAny = true;
      } else if (type === 'websocket') {
        skipped.push({
          functionName,
          event: 'websocket',
          reason:
            'an API Gateway WebSocket API route; behind a GRIP proxy a WebSocket reaches the function as WebSocket-over-HTTP POSTs: declare an httpApi (or http) event with method POST',
        });
      } else {
        skipped.push({
          functionName,
          event: type ?? '(empty)',
          reason: 'not an HTTP event; run it with `serverless invoke local -f ' + functionName + '` (grip-lambda/testing builds events)',
        });
      }
    }
    if (servesAny) served.push({ functionName, load });
  }
  if (missing.length > 0) throw new HandlerLoadError(`serverless.yml names handlers that do not exist:\n  ${missing.join('\n  ')}`);
  return {
    routes,
    skipped,
    binaryMediaTypes: Array.isArray(binaryTypes) ? binaryTypes.map(String) : [],
    async loadAll() {
      const results = await Promise.allSettled(served.map(({ load }) => load()));
      const failures = results.flatMap((result, i) =>
        result.status === 'rejected'
          ? [
              result.reason instanceof HandlerLoadError
                ? result.reason.message
                : `function ${served[i]!.functionName}: ${(result.reason as Error)?.stack ?? String(result.reason)}`,
            ]
          : [],
      );
      if (failures.length > 0) throw new HandlerLoadError(`could not load every function:\n  ${failures.join('\n  ')}`);
    },
  };
}

/** The method and path of an `httpApi` or `http` event, or why it cannot be served. */
function readHttpEvent(type: RouteKind, spec: unknown): { method: string; path: string } | string {
  let method: string | undefined;
  let path: string | undefined;
  if (typeof spec === 'string') {
    if (type === 'httpApi' && spec.trim() === '*') return { method: '*', path: '*' };
    [method, path] = spec.trim().split(/\s+/);
  } else if (typeof spec === 'object' && spec !== null) {
    ({ method, path } = spec as { method?: string; path?: string });
    if (type === 'httpApi' && path === undefined && method === undefined) return { method: '*', path: '*' };
  }
  if (typeof method !== 'string' || typeof path !== 'string') return `no method and path (${JSON.stringify(spec)})`;
  if (/\$\{/.test(path)) return `path ${path} uses a variable the local stack does not resolve`;
  const upper = method.toUpperCase();
  return { method: upper === 'ANY' || upper === '*' ? '*' : upper, path: path.startsWith('/') || path === '*' ? path : `/${path}` };
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
    const params = route.path === '*' ? {} : matchPath(route.path, segments);
    if (params === undefined) continue;
    // Prefer exact methods and literal segments, as API Gateway does; the catch-all comes last.
    const score = route.path === '*' ? -1 : (route.method === '*' ? 0 : 1000) + route.path.replace(/\{[^}]+\}/g, '').length;
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
