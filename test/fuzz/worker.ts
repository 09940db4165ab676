/**
 * A worker thread holding one warm "container" of every function in
 * functions/*.ts, built with the environment of one variant (set by the
 * parent before anything is imported). It runs each event it is sent
 * through every handler and reports what each one did. Running in a worker
 * keeps the variants' settings apart, and lets the parent notice a handler
 * that blocks the event loop (the parent's timer still runs).
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { lambdaContext } from '../../src/local/function-host.js';
import type { ContextKind } from './model.js';

export interface WorkerInit {
  readonly root: string;
  readonly handlerTimeoutMs: number;
}

export interface FunctionInfo {
  readonly name: string;
  /** 'http': served by a route of serverless.yml; 'event': anything else (the relay). */
  readonly kind: 'http' | 'event';
}

export interface RunRequest {
  readonly id: number;
  readonly event: unknown;
  readonly context: ContextKind;
}

export type Outcome =
  | { readonly status: 'ok'; readonly value: unknown; readonly ms: number }
  | {
      readonly status: 'threw';
      readonly error: { readonly name: string; readonly message: string; readonly stack: string };
      readonly ms: number;
    }
  | { readonly status: 'timeout'; readonly ms: number };

export interface RunReply {
  readonly id: number;
  readonly outcomes: Record<string, Outcome>;
  readonly logs: readonly string[];
}

export type WorkerMessage =
  | { readonly type: 'ready'; readonly functions: readonly FunctionInfo[] }
  | ({ readonly type: 'reply' } & RunReply);

type Handler = (event: unknown, context?: unknown) => unknown;

const MAX_LOGS = 20;
let logs: string[] = [];
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  console[method] = (...args: unknown[]) => {
    if (logs.length < MAX_LOGS) logs.push(`${method}: ${format(...args).slice(0, 400)}`);
  };
}

function cloneable(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return { unclonable: String(value) };
  }
}

async function invoke(name: string, handler: Handler, request: RunRequest, timeoutMs: number): Promise<Outcome> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    // A fresh copy per handler: one handler must not see another's changes.
    const event = structuredClone(request.event);
    const context = request.context === 'lambda' ? lambdaContext(name, Date.now() + timeoutMs) : undefined;
    const result = await Promise.race([Promise.resolve().then(() => handler(event, context)), timeout]);
    const ms = performance.now() - started;
    if (result === 'timeout') return { status: 'timeout', ms };
    return { status: 'ok', value: cloneable(result), ms };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return { status: 'threw', error: { name: e.name, message: e.message, stack: e.stack ?? '' }, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<void> {
  const { root, handlerTimeoutMs } = workerData as WorkerInit;
  const { readRoutes } = await import('../../src/local/routes.js');
  // serverless.yml names each function after its file; the HTTP ones have routes.
  const { routes } = await readRoutes(root);
  const httpFunctions = new Set(routes.map((route) => route.functionName));
  const dir = join(root, 'functions');
  const files = (await readdir(dir)).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')).sort();
  const handlers: [string, Handler][] = [];
  const functions: FunctionInfo[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(join(dir, file)).href)) as { handler?: unknown };
    if (typeof module.handler !== 'function') continue;
    const name = basename(file, '.ts');
    handlers.push([name, module.handler as Handler]);
    functions.push({ name, kind: httpFunctions.has(name) ? 'http' : 'event' });
  }
  logs = [];
  const port = parentPort!;
  port.on('message', (request: RunRequest) => {
    logs = [];
    void Promise.all(handlers.map(async ([name, handler]) => [name, await invoke(name, handler, request, handlerTimeoutMs)] as const)).then(
      (results) => {
        const reply: WorkerMessage = { type: 'reply', id: request.id, outcomes: Object.fromEntries(results), logs };
        port.postMessage(reply);
      },
    );
  });
  port.postMessage({ type: 'ready', functions } satisfies WorkerMessage);
}

await main();
